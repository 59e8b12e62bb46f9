package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc/mgr"
)

// TestAccessMatrix opens the SCM and a service with each right, one at a
// time, as an ordinary user against Windows' default descriptors, and
// checks the answer against what Windows grants an interactive user:
// on the SCM, connect, enumerate, query the lock and read its
// descriptor (IU: CCLCRPRC); on a service, query its configuration and
// status, enumerate dependents, interrogate, send user-defined controls
// and read its descriptor (IU: CCLCSWLOCRRC). Everything else is 5.
func TestAccessMatrix(t *testing.T) {
	u := newOrdinaryUser(t)
	sock := publicSocket(t)
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, t.TempDir(), sock)
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	s, err := m.CreateService("target", filepath.Join(binDir, "testsvc"), mgr.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	scmGranted := map[uint32]bool{
		windows.SC_MANAGER_CONNECT: true, windows.SC_MANAGER_ENUMERATE_SERVICE: true,
		windows.SC_MANAGER_QUERY_LOCK_STATUS: true, windows.READ_CONTROL: true,
	}
	scmRights := []uint32{windows.SC_MANAGER_CONNECT, windows.SC_MANAGER_CREATE_SERVICE, windows.SC_MANAGER_ENUMERATE_SERVICE,
		windows.SC_MANAGER_LOCK, windows.SC_MANAGER_QUERY_LOCK_STATUS, windows.SC_MANAGER_MODIFY_BOOT_CONFIG,
		windows.DELETE, windows.READ_CONTROL, windows.WRITE_DAC, windows.WRITE_OWNER, windows.ACCESS_SYSTEM_SECURITY}
	svcGranted := map[uint32]bool{
		windows.SERVICE_QUERY_CONFIG: true, windows.SERVICE_QUERY_STATUS: true, windows.SERVICE_ENUMERATE_DEPENDENTS: true,
		windows.SERVICE_INTERROGATE: true, windows.SERVICE_USER_DEFINED_CONTROL: true, windows.READ_CONTROL: true,
	}
	svcRights := []uint32{windows.SERVICE_QUERY_CONFIG, windows.SERVICE_CHANGE_CONFIG, windows.SERVICE_QUERY_STATUS,
		windows.SERVICE_ENUMERATE_DEPENDENTS, windows.SERVICE_START, windows.SERVICE_STOP, windows.SERVICE_PAUSE_CONTINUE,
		windows.SERVICE_INTERROGATE, windows.SERVICE_USER_DEFINED_CONTROL,
		windows.DELETE, windows.READ_CONTROL, windows.WRITE_DAC, windows.WRITE_OWNER, windows.ACCESS_SYSTEM_SECURITY}

	args := []string{"target"}
	seen := map[uint32]bool{}
	for _, r := range append(scmRights, svcRights...) {
		if !seen[r] {
			seen[r] = true
			args = append(args, fmt.Sprintf("%#x", r))
		}
	}
	out, err := u.Attack("access", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("access: %v\n%s", err, out)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		got[line] = true
	}
	want := func(kind string, r uint32, granted bool) {
		code := 5
		if granted {
			code = 0
		}
		line := fmt.Sprintf("%s %#x %d", kind, r, code)
		if !got[line] {
			t.Errorf("want %q; the user got:\n%s", line, out)
		}
	}
	for _, r := range scmRights {
		want("scm", r, scmGranted[r])
	}
	for _, r := range svcRights {
		want("service", r, svcGranted[r])
	}
}
