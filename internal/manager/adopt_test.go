package manager

import (
	"testing"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
)

// A service taken out of the database while it runs leaves running.log
// with it, even when its STOPPED comes after (a handle closed as it
// stopped): a restarted scmd has nothing of it to wait for.
func TestDroppedServiceLeavesRunningLog(t *testing.T) {
	f := newFixture(t)
	l := f.recLauncher()
	dir := t.TempDir()
	file, _, err := launch.OpenAdoptionFile(dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	f.m.mu.Lock()
	f.m.adoption = &Adoption{file: file, done: make(chan struct{})}
	f.m.mu.Unlock()
	running := func() []string {
		file.WaitRecorded()
		_, names, err := launch.OpenAdoptionFile(dir, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}

	h := f.create(f.scm(f.root), "Svc", "")
	id := f.startHost(l, h, "Svc", 4242)
	f.m.Message(id, &protocol.Status{Service: "Svc", SERVICE_STATUS: windows.SERVICE_STATUS{CurrentState: windows.SERVICE_RUNNING}})
	f.m.sup.Do(func(*core.Core, time.Time) []core.Action { return nil })
	if got := running(); len(got) != 1 || got[0] != "Svc" {
		t.Fatalf("running.log lists %q, want [Svc]", got)
	}
	f.m.mu.Lock()
	err = f.m.remove(f.m.find("Svc"))
	f.m.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if got := running(); len(got) != 0 {
		t.Fatalf("running.log lists %q after the service left the database", got)
	}
}
