package manager

// The SCM's side of its metrics (internal/metrics): what it counts of each
// service as the core's actions go by (the restarts failure actions make,
// how long starts take), and the snapshot a scrape takes under m.mu and
// formats outside it.

import (
	"strings"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/metrics"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/windows"
)

// counts is what the SCM counts for its metrics, on m.mu.
type counts struct {
	services map[string]*serviceCounts // by lower-case name
	starts   metrics.Histogram         // every start's time to RUNNING
}

// serviceCounts is what the SCM counts of one service.
type serviceCounts struct {
	state     uint32    // as the last StatusChanged told it; 0 before any, which is STOPPED
	startedAt time.Time // when the start under way began; zero when none is
	lastStart time.Duration
	hasLast   bool
	restarts  uint64

	// launchCounted: the restart under way was counted at its Launch,
	// so its SendStart does not count it again.
	launchCounted bool
}

func (c *counts) of(name string) *serviceCounts {
	if c.services == nil {
		c.services = map[string]*serviceCounts{}
	}
	key := strings.ToLower(name)
	sc := c.services[key]
	if sc == nil {
		sc = &serviceCounts{}
		c.services[key] = sc
	}
	return sc
}

// forget drops a service that left the database: one made later under its
// name starts from nothing.
func (c *counts) forget(name string) { delete(c.services, strings.ToLower(name)) }

// countActions counts what a batch of the core's actions says, as Execute
// carries it out; m.mu is held. The clock is read here, not in the core:
// a start is timed from the StatusChanged that made it START_PENDING (the
// core's StartService, or a failure action's) to the one that made it
// RUNNING.
//
// A failure action's restart is a start with the reason
// SERVICE_START_REASON_RESTART_ON_FAILURE. It is counted at the Launch of
// its host, so that a restart whose image no longer runs counts too, or,
// when it joins a share-process host already up, at its SendStart.
func (m *Manager) countActions(acts []core.Action) {
	var now time.Time
	for _, a := range acts {
		switch a := a.(type) {
		case core.StatusChanged:
			if now.IsZero() {
				now = m.now()
			}
			m.counts.status(a.Service, a.Status.CurrentState, now)
		case core.Launch:
			if a.Reason == windows.SERVICE_START_REASON_RESTART_ON_FAILURE {
				sc := m.counts.of(a.Service)
				sc.restarts++
				sc.launchCounted = true
			}
		case core.SendStart:
			if a.Reason == windows.SERVICE_START_REASON_RESTART_ON_FAILURE {
				sc := m.counts.of(a.Service)
				if sc.launchCounted {
					sc.launchCounted = false
				} else {
					sc.restarts++
				}
			}
		}
	}
}

func (c *counts) status(name string, state uint32, now time.Time) {
	sc := c.of(name)
	was := sc.state
	if was == 0 {
		was = windows.SERVICE_STOPPED
	}
	sc.state = state
	switch state {
	case windows.SERVICE_START_PENDING:
		if was == windows.SERVICE_STOPPED {
			sc.startedAt = now
		}
	case windows.SERVICE_RUNNING:
		if !sc.startedAt.IsZero() {
			d := max(now.Sub(sc.startedAt), 0)
			sc.lastStart, sc.hasLast = d, true
			c.starts.Observe(d.Seconds())
			sc.startedAt = time.Time{}
		}
	case windows.SERVICE_STOPPED:
		sc.startedAt = time.Time{}
		sc.launchCounted = false
	}
}

// MetricsAccess checks that a caller may read the metrics: its token must
// be granted SC_MANAGER_ENUMERATE_SERVICE on the SCM, as
// OpenSCManager(SC_MANAGER_ENUMERATE_SERVICE) would grant it, since the
// metrics list every service as EnumServicesStatusEx does. It fails with
// ERROR_ACCESS_DENIED.
func (m *Manager) MetricsAccess(t *security.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := uint32(windows.SC_MANAGER_CONNECT | windows.SC_MANAGER_ENUMERATE_SERVICE)
	granted, err := security.AccessCheck(m.scmSD, t, want, security.SCManagerMapping)
	if err != nil {
		return err
	}
	if granted&want != want {
		return windows.ERROR_ACCESS_DENIED
	}
	return nil
}

// MetricsSnapshot is the services as a scrape shows them: the Win32
// services, as windows_exporter enumerates them (SERVICE_WIN32), with
// their configuration as QueryServiceConfig gives it, their status and
// what the SCM counted. m.mu is held only while the fields are copied.
func (m *Manager) MetricsSnapshot() *metrics.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	snap := &metrics.Snapshot{Handles: len(m.handles), StartDurations: m.counts.starts}
	all := m.sortedServices()
	snap.Services = make([]metrics.Service, 0, len(all))
	for _, s := range all {
		cfg := s.cfg
		if cfg.Type&windows.SERVICE_WIN32 == 0 {
			continue
		}
		st := m.sup.Status(cfg.Name, cfg.Type)
		v := metrics.Service{
			Name: cfg.Name, DisplayName: cfg.EffectiveDisplayName(), PathName: cfg.ImagePath, RunAs: cfg.ObjectName,
			StartType: cfg.Start, State: st.CurrentState, PID: st.ProcessId,
		}
		if sc := m.counts.services[strings.ToLower(cfg.Name)]; sc != nil {
			v.Restarts = sc.restarts
			v.LastStart, v.HasLastStart = sc.lastStart.Seconds(), sc.hasLast
		}
		snap.Services = append(snap.Services, v)
	}
	return snap
}
