package manager

import (
	"testing"

	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/windows"
)

// An SCM handle's watcher with NotifyAllServices hears every service's
// changes, but only of the services its caller may query.
func TestNotifyAllServicesSeesWhatItMayQuery(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	open := f.create(scm, "open", "")
	hidden := f.create(scm, "hidden", "")
	if err := f.m.SetServiceObjectSecurity(f.root, hidden, windows.DACL_SECURITY_INFORMATION, "D:(A;;GA;;;SY)"); err != nil {
		t.Fatal(err)
	}
	user := Caller{Client: 7, Token: security.TokenFor(1000, 1000, 0)}
	enum, err := f.m.OpenSCManager(user, "", "", windows.SC_MANAGER_ENUMERATE_SERVICE)
	if err != nil {
		t.Fatal(err)
	}
	ch, cancel, err := f.m.Watch(user, enum, NotifyAllServices)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if n := <-ch; n.Notification != 0 {
		t.Fatalf("first notification %v, want the empty one that says the watch holds", n)
	}
	for _, h := range []uint64{hidden, open} {
		if err := f.m.DeleteService(f.root, h); err != nil {
			t.Fatal(err)
		}
	}
	// Marking for deletion tells the watchers before DeleteService returns.
	var got []string
	for done := false; !done; {
		select {
		case n := <-ch:
			got = append(got, n.ServiceName)
		default:
			done = true
		}
	}
	if len(got) == 0 {
		t.Fatal("no notification of open's deletion")
	}
	for _, name := range got {
		if name != "open" {
			t.Errorf("told of %s, which the caller may not query", name)
		}
	}
	// Without ENUMERATE on the SCM handle, no watch at all.
	h, err := f.m.OpenSCManager(user, "", "", windows.SC_MANAGER_CONNECT)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.m.Watch(user, h, NotifyAllServices); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("watching every service with a CONNECT handle: %v, want access denied", err)
	}
}
