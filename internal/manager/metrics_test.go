package manager

import (
	"fmt"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/metrics"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

func snapshotOf(t *testing.T, m *Manager, name string) metrics.Service {
	t.Helper()
	for _, s := range m.MetricsSnapshot().Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("%s is not in the snapshot", name)
	return metrics.Service{}
}

// A start is timed by the manager's clock from StartService (the service
// goes START_PENDING) to RUNNING; the snapshot has the service's
// configuration and status as QueryServiceConfig and QueryServiceStatusEx
// give them.
func TestMetricsSnapshotTimesStarts(t *testing.T) {
	f := newFixture(t)
	l := f.recLauncher()
	scm := f.scm(f.root)
	h := f.create(scm, "Svc", "")
	// A driver is not a Win32 service: windows_exporter does not list it.
	if _, err := f.m.CreateService(f.root, &pb.CreateServiceRequest{
		Scm: scm, ServiceName: "drv", DesiredAccess: windows.SERVICE_ALL_ACCESS,
		ServiceType: windows.SERVICE_KERNEL_DRIVER, StartType: windows.SERVICE_DEMAND_START, BinaryPathName: "/bin/true",
	}); err != nil {
		t.Fatal(err)
	}
	sync := func() { f.m.sup.Do(func(*core.Core, time.Time) []core.Action { return nil }) }

	s := snapshotOf(t, f.m, "Svc")
	if s.State != windows.SERVICE_STOPPED || s.StartType != windows.SERVICE_DEMAND_START || s.PathName != "/bin/true" ||
		s.DisplayName != "Svc" || s.RunAs != "LocalSystem" || s.HasLastStart || s.PID != 0 {
		t.Fatalf("before the start: %+v", s)
	}
	for _, v := range f.m.MetricsSnapshot().Services {
		if v.Name == "drv" {
			t.Fatal("a driver is in the snapshot")
		}
	}

	id := f.startHost(l, h, "Svc", 4242)
	f.clock.Add(3)
	f.m.Message(id, &protocol.Status{Service: "Svc", SERVICE_STATUS: windows.SERVICE_STATUS{CurrentState: windows.SERVICE_START_PENDING, CheckPoint: 1, WaitHint: 5000}})
	f.clock.Add(2)
	f.m.Message(id, &protocol.Status{Service: "Svc", SERVICE_STATUS: windows.SERVICE_STATUS{CurrentState: windows.SERVICE_RUNNING, ControlsAccepted: windows.SERVICE_ACCEPT_STOP}})
	sync()

	s = snapshotOf(t, f.m, "Svc")
	if s.State != windows.SERVICE_RUNNING || s.PID != 4242 || !s.HasLastStart || s.LastStart != 5 || s.Restarts != 0 {
		t.Fatalf("running: %+v", s)
	}
	snap := f.m.MetricsSnapshot()
	if snap.StartDurations.Count != 1 || snap.StartDurations.Sum != 5 || snap.Handles != 3 {
		t.Fatalf("histogram %+v, %d handles", snap.StartDurations, snap.Handles)
	}

	// A pause and continue is no start.
	f.m.Message(id, &protocol.Status{Service: "Svc", SERVICE_STATUS: windows.SERVICE_STATUS{CurrentState: windows.SERVICE_PAUSED}})
	f.clock.Add(10)
	f.m.Message(id, &protocol.Status{Service: "Svc", SERVICE_STATUS: windows.SERVICE_STATUS{CurrentState: windows.SERVICE_RUNNING}})
	sync()
	if s := snapshotOf(t, f.m, "Svc"); s.LastStart != 5 || f.m.MetricsSnapshot().StartDurations.Count != 1 {
		t.Fatalf("after a pause: %+v", s)
	}
}

// A failure action's restart is counted once: at its host's Launch, or at
// its SendStart when it joins a host already up.
func TestMetricsCountRestarts(t *testing.T) {
	f := newFixture(t)
	f.recLauncher()
	scm := f.scm(f.root)
	f.create(scm, "own", "")
	f.create(scm, "shared", "")
	f.create(scm, "demand", "")
	restart := uint32(windows.SERVICE_START_REASON_RESTART_ON_FAILURE)
	status := func(name string, state uint32) core.Action {
		return core.StatusChanged{Service: name, Status: core.Status{CurrentState: state}}
	}
	// own: a restart launches a host, which gets the start request.
	f.m.Execute([]core.Action{core.Launch{Proc: 1, Service: "own", Image: "/bin/true", Reason: restart}, status("own", windows.SERVICE_START_PENDING)})
	f.m.Execute([]core.Action{core.SendStart{Proc: 1, Service: "own", Reason: restart}})
	f.m.Execute([]core.Action{status("own", windows.SERVICE_STOPPED)})
	// Then one whose host failed to launch: counted, and the next
	// restart, into a host already up, counts again.
	f.m.Execute([]core.Action{core.Launch{Proc: 2, Service: "own", Image: "/bin/true", Reason: restart}, status("own", windows.SERVICE_START_PENDING)})
	f.m.Execute([]core.Action{status("own", windows.SERVICE_STOPPED)})
	f.m.Execute([]core.Action{status("own", windows.SERVICE_START_PENDING), core.SendStart{Proc: 3, Service: "own", Reason: restart}})
	// shared: restarted into a host already up.
	f.m.Execute([]core.Action{status("shared", windows.SERVICE_START_PENDING), core.SendStart{Proc: 3, Service: "shared", Reason: restart}})
	// demand: an ordinary start is no restart.
	f.m.Execute([]core.Action{core.Launch{Proc: 4, Service: "demand", Image: "/bin/true", Reason: windows.SERVICE_START_REASON_DEMAND}})
	f.m.Execute([]core.Action{core.SendStart{Proc: 4, Service: "demand", Reason: windows.SERVICE_START_REASON_DEMAND}})

	for name, want := range map[string]uint64{"own": 3, "shared": 1, "demand": 0} {
		if got := snapshotOf(t, f.m, name).Restarts; got != want {
			t.Errorf("%s: %d restarts, want %d", name, got, want)
		}
	}

	// A deleted service takes its counts with it.
	f.m.mu.Lock()
	f.m.drop("own")
	_, kept := f.m.counts.services["own"]
	f.m.mu.Unlock()
	if kept {
		t.Error("the counts of a dropped service are kept")
	}
}

// The metrics are the SCM's to give to whom it would let enumerate the
// services.
func TestMetricsAccess(t *testing.T) {
	f := newFixture(t)
	user := &security.Token{User: security.UserSID(1000), Groups: []string{security.GroupSID(1000), security.Everyone, security.AuthenticatedUsers, security.Interactive}}
	remoteUser := &security.Token{User: security.UserSID(1000), Groups: []string{security.GroupSID(1000), security.Everyone, security.AuthenticatedUsers, security.Network}}
	anonymous := &security.Token{User: security.Anonymous, Groups: []string{security.Everyone}}
	for _, c := range []struct {
		name string
		tok  *security.Token
		ok   bool
	}{{"root", f.root.Token, true}, {"interactive user", user, true}, {"network user", remoteUser, false}, {"anonymous", anonymous, false}} {
		err := f.m.MetricsAccess(c.tok)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if err != nil && err != windows.ERROR_ACCESS_DENIED {
			t.Errorf("%s: %v, want ERROR_ACCESS_DENIED", c.name, err)
		}
	}
}

// A scrape of 10,000 services holds m.mu only while it copies them.
func TestMetricsSnapshotOf10000Services(t *testing.T) {
	f := newFixture(t)
	f.m.mu.Lock()
	for i := range 10000 {
		name := fmt.Sprintf("svc%05d", i)
		f.m.add(newService(&services.Config{Name: name, Type: windows.SERVICE_WIN32_OWN_PROCESS, Start: windows.SERVICE_DEMAND_START,
			ImagePath: "/usr/bin/" + name + " --flag", DisplayName: "Service " + name, ObjectName: "LocalSystem"}))
	}
	f.m.mu.Unlock()
	f.m.MetricsSnapshot() // the enumeration order is built once
	var longest time.Duration
	for range 5 {
		start := time.Now()
		snap := f.m.MetricsSnapshot()
		longest = max(longest, time.Since(start))
		if len(snap.Services) < 10000 {
			t.Fatalf("%d services", len(snap.Services))
		}
	}
	t.Logf("a snapshot of 10,000 services: %v at most", longest)
	if longest > time.Second {
		t.Errorf("a snapshot of 10,000 services took %v", longest)
	}
}
