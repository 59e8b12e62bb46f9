package supervisor

import (
	"sync"
	"testing"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/windows"
)

// recorder is an executor that keeps what it was asked to do, and what the
// published status was when it was asked.
type recorder struct {
	s    *Supervisor
	mu   sync.Mutex
	acts []core.Action
	seen []uint32 // the published state of "a" at each StatusChanged
	kill chan core.Kill
}

func (r *recorder) Execute(acts []core.Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range acts {
		r.acts = append(r.acts, a)
		switch a := a.(type) {
		case core.StatusChanged:
			r.seen = append(r.seen, r.s.Status("a", 0).CurrentState)
		case core.Kill:
			select {
			case r.kill <- a:
			default:
			}
		}
	}
}

func (r *recorder) launches() []core.Launch {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []core.Launch
	for _, a := range r.acts {
		if l, ok := a.(core.Launch); ok {
			out = append(out, l)
		}
	}
	return out
}

func start(t *testing.T, timeouts core.Timeouts) (*Supervisor, *recorder) {
	r := &recorder{kill: make(chan core.Kill, 1)}
	s := New(core.New(timeouts), time.Now, r)
	r.s = s
	t.Cleanup(s.Stop)
	s.Post(func(c *core.Core, now time.Time) []core.Action {
		c.Configure(core.Config{Name: "a", Type: windows.SERVICE_WIN32_OWN_PROCESS, Start: windows.SERVICE_DEMAND_START, ImagePath: "/bin/a"})
		return nil
	})
	return s, r
}

// A start is answered only once the host has the start request; by then
// the status it reads is the one the answer goes with, and the executor
// has been asked, in order, for the launch and the status change.
func TestCallIsAnsweredAfterItsActions(t *testing.T) {
	s, r := start(t, core.DefaultTimeouts)
	var launch core.Launch
	done := make(chan core.Reply, 1)
	go func() {
		done <- s.Call(func(c *core.Core, now time.Time, req core.ReqID) []core.Action {
			return c.StartService(now, req, "a", nil, windows.SERVICE_START_REASON_DEMAND)
		})
	}()
	for len(r.launches()) == 0 {
		s.Do(func(*core.Core, time.Time) []core.Action { return nil })
	}
	launch = r.launches()[0]
	if st := s.Status("A", windows.SERVICE_WIN32_OWN_PROCESS); st.CurrentState != windows.SERVICE_START_PENDING || st.ServiceType != windows.SERVICE_WIN32_OWN_PROCESS {
		t.Fatalf("status while launching: %+v", st)
	}
	select {
	case rep := <-done:
		t.Fatalf("answered before the host registered: %+v", rep)
	default:
	}
	s.Post(func(c *core.Core, now time.Time) []core.Action { return c.Launched(now, launch.Proc, 100) })
	s.Post(func(c *core.Core, now time.Time) []core.Action { return c.Registered(now, launch.Proc, []string{"a"}) })
	rep := <-done
	if rep.Err != 0 || rep.Status.CurrentState != windows.SERVICE_START_PENDING || rep.Status.ProcessId != 100 {
		t.Fatalf("reply %+v", rep)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, state := range r.seen {
		if state != windows.SERVICE_START_PENDING {
			t.Errorf("status change %d: published state %d", i, state)
		}
	}
}

// Events run in the order they were posted, whatever goroutine posted them.
func TestPostKeepsOrder(t *testing.T) {
	s, _ := start(t, core.DefaultTimeouts)
	var got []int
	for i := 0; i < 100; i++ {
		s.Post(func(*core.Core, time.Time) []core.Action {
			got = append(got, i)
			return nil
		})
	}
	s.Do(func(*core.Core, time.Time) []core.Action { return nil })
	for i, v := range got {
		if v != i {
			t.Fatalf("event %d ran as %d", v, i)
		}
	}
	if len(got) != 100 {
		t.Fatalf("%d of 100 events ran", len(got))
	}
}

// The core's deadlines fire without anyone posting: a host that never
// connects is killed when the pipe timeout passes.
func TestTimersFire(t *testing.T) {
	s, r := start(t, core.Timeouts{Pipe: 20 * time.Millisecond, Control: time.Second, WaitKill: time.Second})
	req := s.Expect(nil)
	s.Post(func(c *core.Core, now time.Time) []core.Action {
		return c.StartService(now, req, "a", nil, windows.SERVICE_START_REASON_DEMAND)
	})
	s.Do(func(*core.Core, time.Time) []core.Action { return nil })
	proc := r.launches()[0].Proc
	s.Post(func(c *core.Core, now time.Time) []core.Action { return c.Launched(now, proc, 100) })
	select {
	case k := <-r.kill:
		if k.Proc != proc {
			t.Fatalf("killed %d, want %d", k.Proc, proc)
		}
	case <-time.After(time.Minute):
		t.Fatal("the pipe timeout never fired")
	}
}

// After Stop, callers do not hang.
func TestStopReleasesCallers(t *testing.T) {
	s, _ := start(t, core.DefaultTimeouts)
	s.Stop()
	s.Do(func(*core.Core, time.Time) []core.Action { return nil })
	rep := s.Call(func(c *core.Core, now time.Time, req core.ReqID) []core.Action { return nil })
	if rep.Err != windows.ERROR_SHUTDOWN_IN_PROGRESS {
		t.Fatalf("reply after Stop: %+v, want 1115", rep)
	}
}
