package manager

import (
	"testing"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
)

// A host's reader goes on while its messages wait for the supervisor, up
// to HostWindow of them; the next waits for a slot. They are applied in
// the order they came.
func TestHostWindow(t *testing.T) {
	f := newFixture(t)
	l := f.recLauncher()
	h := f.create(f.scm(f.root), "Svc", "")
	id := f.startHost(l, h, "Svc", 4242)

	// The supervisor is held busy; the host sends one message more than
	// its window.
	hold, held := make(chan struct{}), make(chan struct{})
	f.m.sup.Post(func(*core.Core, time.Time) []core.Action {
		close(held)
		<-hold
		return nil
	})
	<-held
	sent := make(chan uint32, HostWindow+1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for cp := uint32(1); cp <= HostWindow+1; cp++ {
			f.m.Message(id, &protocol.Status{Service: "Svc", SERVICE_STATUS: windows.SERVICE_STATUS{
				CurrentState: windows.SERVICE_START_PENDING, CheckPoint: cp, WaitHint: 5000}})
			sent <- cp
		}
	}()
	for cp := uint32(1); cp <= HostWindow; cp++ {
		<-sent
	}
	// The window is full and nothing is taken up: the last is waiting.
	select {
	case <-done:
		t.Fatalf("a host queued %d messages with the supervisor busy", HostWindow+1)
	default:
	}
	if n := len(f.m.hosts.of(id)); n != HostWindow {
		t.Fatalf("%d slots taken, want %d", n, HostWindow)
	}
	close(hold)
	<-done
	f.m.sup.Do(func(*core.Core, time.Time) []core.Action { return nil })
	st, err := f.m.QueryServiceStatus(f.root, h)
	if err != nil {
		t.Fatal(err)
	}
	if st.CurrentState != windows.SERVICE_START_PENDING || st.CheckPoint != HostWindow+1 {
		t.Fatalf("after the window: state %d checkpoint %d, want START_PENDING at %d", st.CurrentState, st.CheckPoint, HostWindow+1)
	}
	if n := len(f.m.hosts.of(id)); n != 0 {
		t.Fatalf("%d slots still taken", n)
	}
}
