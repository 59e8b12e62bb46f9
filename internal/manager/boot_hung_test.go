package manager

import (
	"fmt"
	"sync"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
)

type recLauncher struct {
	mu  sync.Mutex
	ids map[string]core.ProcID
}

func (l *recLauncher) Start(id core.ProcID, spec launch.Spec) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[spec.Service] = id
}
func (l *recLauncher) Send(core.ProcID, any)        {}
func (l *recLauncher) Kill(core.ProcID)             {}
func (l *recLauncher) StartTime(core.ProcID) uint64 { return 0 }

// recLauncher gives the manager a launcher that records each launch.
func (f *fixture) recLauncher() *recLauncher {
	l := &recLauncher{ids: map[string]core.ProcID{}}
	f.m.SetLauncher(l)
	return l
}

func (l *recLauncher) id(name string) core.ProcID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ids[name]
}

// startHost starts the service of handle h, named name, as a host with
// pid that registers it, and returns the host.
func (f *fixture) startHost(l *recLauncher, h uint64, name string, pid uint32) core.ProcID {
	f.t.Helper()
	started := make(chan error, 1)
	go func() { started <- f.m.StartService(f.root, h, nil) }()
	for l.id(name) == 0 {
		time.Sleep(time.Millisecond)
	}
	id := l.id(name)
	f.m.Launched(id, pid)
	f.m.Message(id, &protocol.Register{Services: []string{name}})
	if err := <-started; err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (l *recLauncher) n() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids)
}

// A service found hung in START_PENDING lets the boot go on, even when the
// one notification that said so was lost among many others (a watcher
// keeps 64): the boot asks whether it is hung rather than waiting to hear.
func TestBootGoesOnPastAHungService(t *testing.T) {
	f := newFixture(t)
	l := f.recLauncher()
	scm := f.scm(f.root)
	names := []string{"a", "b"}
	for i := 0; i < 70; i++ {
		names = append(names, fmt.Sprintf("z%02d", i))
	}
	for _, n := range names {
		if _, err := f.m.CreateService(f.root, &pb.CreateServiceRequest{
			Scm: scm, ServiceName: n, DesiredAccess: windows.SERVICE_ALL_ACCESS,
			ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_AUTO_START,
			BinaryPathName: "/bin/true",
		}); err != nil {
			t.Fatal(err)
		}
	}
	booted := make(chan struct{})
	go func() { defer close(booted); f.m.Boot(nil) }()
	for l.n() < len(names) {
		time.Sleep(time.Millisecond)
	}
	sync := func() { f.m.sup.Do(func(*core.Core, time.Time) []core.Action { return nil }) }
	// b comes up, reports START_PENDING with a 1 s hint, then stalls.
	b := l.id("b")
	f.m.Launched(b, 1000)
	f.m.Message(b, &protocol.Register{Services: []string{"b"}})
	f.m.Message(b, &protocol.Status{Service: "b", SERVICE_STATUS: windows.SERVICE_STATUS{CurrentState: windows.SERVICE_START_PENDING, CheckPoint: 1, WaitHint: 1000}})
	sync()
	f.clock.Add(5)
	sync() // wakes the loop; the hang deadline has passed
	for {
		f.m.mu.Lock()
		h := f.m.find("b").hung
		f.m.mu.Unlock()
		if h {
			break
		}
		time.Sleep(time.Millisecond)
		sync()
	}
	// The others' hosts start (one notification each) while Boot still
	// waits for a's host.
	for i, n := range names[2:] {
		f.m.Launched(l.id(n), uint32(2000+i))
	}
	sync()
	// a and the others fail to launch: nothing is left for Boot but b,
	// which is hung.
	f.m.LaunchFailed(l.id("a"), windows.ERROR_FILE_NOT_FOUND)
	for _, n := range names[2:] {
		f.m.LaunchFailed(l.id(n), windows.ERROR_FILE_NOT_FOUND)
	}
	select {
	case <-booted:
	case <-time.After(30 * time.Second):
		t.Fatal("Boot still waits on a hung START_PENDING service")
	}
}
