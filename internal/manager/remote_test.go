package manager

import (
	"testing"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/windows"
)

// A remote caller's certificate is the account its common name names,
// unless RemoteAccounts maps it: by fingerprint first, then by name; an
// empty name refuses it.
func TestRemoteAccount(t *testing.T) {
	f := newFixture(t)
	const fp = "SHA256:00ff"
	check := func(what, fingerprint, cn, want string, ok bool) {
		t.Helper()
		got, gotOK := f.m.RemoteAccount(fingerprint, cn)
		if got != want || gotOK != ok {
			t.Errorf("%s: RemoteAccount(%q, %q) = %q, %v; want %q, %v", what, fingerprint, cn, got, gotOK, want, ok)
		}
	}
	check("no mapping", fp, "alice", "alice", true)
	set := func(name, data string) {
		t.Helper()
		v := &pb.RegValue{Name: name, Type: uint32(windows.REG_SZ), Data: []byte(data)}
		if err := f.m.RegSetValue(f.root, RemoteAccountsKey, v); err != nil {
			t.Fatal(err)
		}
	}
	set("alice", "bob")
	check("mapped by name", fp, "alice", "bob", true)
	check("mapped by name, any case", fp, "ALICE", "bob", true)
	check("another name", fp, "carol", "carol", true)
	set(fp, "")
	check("refused by fingerprint", fp, "alice", "", false)
	set(fp, "dave")
	check("mapped by fingerprint", fp, "alice", "dave", true)
	check("another certificate of the name", "SHA256:11", "alice", "bob", true)
	set("carol", "")
	check("refused by name", "SHA256:22", "carol", "", false)
	check("no common name", "SHA256:33", "", "", false)
}
