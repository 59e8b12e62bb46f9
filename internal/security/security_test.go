package security

import (
	"testing"

	"github.com/openscm/scm/internal/sddl"
	"github.com/openscm/scm/windows"
)

func TestDefaultsRoundTrip(t *testing.T) {
	for _, text := range []string{DefaultSCManagerSDDL, DefaultServiceSDDL, "O:BAG:SYD:(A;;0x1200a9;;;S-1-22-1-1000)"} {
		d, err := sddl.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		if got := d.String(); got != text {
			t.Errorf("round trip:\n got %s\nwant %s", got, text)
		}
	}
}

func TestAccessAgainstDefaults(t *testing.T) {
	scm := MustParse(DefaultSCManagerSDDL)
	svc := MustParse(DefaultServiceSDDL)
	root := TokenFor(0, 0, 0)
	user := &Token{User: UserSID(1000), Groups: []string{GroupSID(1000), Everyone, AuthenticatedUsers, Interactive}}
	cases := []struct {
		name    string
		d       *sddl.Descriptor
		tok     *Token
		desired uint32
		m       Mapping
		ok      bool
	}{
		{"root all on scm", scm, root, windows.SC_MANAGER_ALL_ACCESS, SCManagerMapping, true},
		{"user enumerates", scm, user, windows.SC_MANAGER_CONNECT | windows.SC_MANAGER_ENUMERATE_SERVICE | windows.SC_MANAGER_QUERY_LOCK_STATUS, SCManagerMapping, true},
		{"user creates", scm, user, windows.SC_MANAGER_CREATE_SERVICE, SCManagerMapping, false},
		{"user locks", scm, user, windows.SC_MANAGER_LOCK, SCManagerMapping, false},
		{"user generic read on scm", scm, user, windows.GENERIC_READ, SCManagerMapping, true},
		{"user queries service", svc, user, windows.SERVICE_QUERY_CONFIG | windows.SERVICE_QUERY_STATUS | windows.SERVICE_ENUMERATE_DEPENDENTS | windows.SERVICE_INTERROGATE, ServiceMapping, true},
		{"user changes service", svc, user, windows.SERVICE_CHANGE_CONFIG, ServiceMapping, false},
		{"user starts service", svc, user, windows.SERVICE_START, ServiceMapping, false},
		{"user deletes service", svc, user, windows.DELETE, ServiceMapping, false},
		{"user generic all", svc, user, windows.GENERIC_ALL, ServiceMapping, false},
		{"user system security", svc, user, windows.ACCESS_SYSTEM_SECURITY, ServiceMapping, false},
		{"root all on service", svc, root, windows.SERVICE_ALL_ACCESS | windows.ACCESS_SYSTEM_SECURITY, ServiceMapping, true},
	}
	for _, c := range cases {
		_, err := AccessCheck(c.d, c.tok, c.desired, c.m)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && err != windows.ERROR_ACCESS_DENIED {
			t.Errorf("%s: err = %v, want ERROR_ACCESS_DENIED", c.name, err)
		}
	}
}

func TestDenyAndMaximumAllowed(t *testing.T) {
	d := MustParse("D:(D;;WP;;;IU)(A;;CCLCSWRPWPDTLOCRRC;;;IU)")
	user := &Token{User: UserSID(5), Groups: []string{Interactive}}
	if _, err := AccessCheck(d, user, windows.SERVICE_STOP, ServiceMapping); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("a deny before an allow must win: %v", err)
	}
	got, err := AccessCheck(d, user, windows.MAXIMUM_ALLOWED, ServiceMapping)
	if err != nil {
		t.Fatal(err)
	}
	if got&windows.SERVICE_STOP != 0 || got&windows.SERVICE_START == 0 {
		t.Errorf("MAXIMUM_ALLOWED = %#x", got)
	}
	if _, err := AccessCheck(MustParse("D:"), user, windows.SERVICE_QUERY_STATUS, ServiceMapping); err == nil {
		t.Error("an empty DACL grants nothing")
	}
	if _, err := AccessCheck(&sddl.Descriptor{}, user, windows.SERVICE_ALL_ACCESS, ServiceMapping); err != nil {
		t.Errorf("a NULL DACL grants everything: %v", err)
	}
}

func TestOwnerOfPerUserSCMIsAdmin(t *testing.T) {
	if !TokenFor(1000, 1000, 1000).IsAdmin() {
		t.Error("the uid scmd runs as is its administrator")
	}
	if TokenFor(1001, 1001, 1000).IsAdmin() {
		t.Error("another user is not")
	}
	if !TokenFor(0, 0, 1000).IsAdmin() {
		t.Error("root is always LocalSystem")
	}
}

func TestEmptyDACLKeepsOwnerAndAdministrators(t *testing.T) {
	d := MustParse("O:SYG:SYD:")
	root := TokenFor(0, 0, 0)
	user := TokenFor(1000, 1000, 0)
	if _, err := AccessCheck(d, root, windows.SERVICE_QUERY_STATUS, ServiceMapping); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("empty DACL granted QUERY_STATUS to the owner: %v", err)
	}
	if got, err := AccessCheck(d, root, windows.READ_CONTROL|windows.WRITE_DAC, ServiceMapping); err != nil || got != windows.READ_CONTROL|windows.WRITE_DAC {
		t.Errorf("owner: got %#x, %v; want READ_CONTROL|WRITE_DAC", got, err)
	}
	admin := TokenFor(1000, 1000, 1000) // the owner of a per-user SCM
	if got, err := AccessCheck(d, admin, windows.WRITE_OWNER, ServiceMapping); err != nil || got != windows.WRITE_OWNER {
		t.Errorf("administrator taking ownership: got %#x, %v", got, err)
	}
	if _, err := AccessCheck(d, admin, windows.WRITE_DAC, ServiceMapping); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("an administrator who is not the owner got WRITE_DAC: %v", err)
	}
	for _, want := range []uint32{windows.WRITE_OWNER, windows.READ_CONTROL, windows.MAXIMUM_ALLOWED} {
		if _, err := AccessCheck(d, user, want, ServiceMapping); err != windows.ERROR_ACCESS_DENIED {
			t.Errorf("ordinary user asking %#x: %v, want access denied", want, err)
		}
	}
}
