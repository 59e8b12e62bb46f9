package core

import (
	"sort"
	"strings"
	"time"

	"github.com/openscm/scm/windows"
)

// A restarted SCM takes over the hosts that kept running while it was
// away. Each reconnects and proves what it runs (Adopt). The services that
// were running when the last SCM stopped and whose hosts do not come back
// within the grace period crashed while no one watched: once whatever
// their hosts left behind is gone, they are reported stopped with
// ERROR_PROCESS_ABORTED and their failure actions apply.

// grace is the adoption grace period of a restarted SCM.
type grace struct {
	awaited  map[string]string // lower-case name → name: recorded as running, not back yet
	deadline time.Time
	ending   bool // KillLeftovers is out; LeftoversKilled ends the period
}

// ExpectAdoption starts the grace period: the named services were running
// when the last SCM stopped, and their hosts have until deadline to come
// back.
func (c *Core) ExpectAdoption(now time.Time, running []string, deadline time.Time) {
	g := &grace{awaited: map[string]string{}, deadline: deadline}
	for _, name := range running {
		g.awaited[strings.ToLower(name)] = name
	}
	c.grace = g
	c.wake.consider(deadline, true)
}

// Awaited lists, sorted, the services the grace period still waits for.
func (c *Core) Awaited() []string {
	if c.grace == nil {
		return nil
	}
	names := make([]string, 0, len(c.grace.awaited))
	for _, n := range c.grace.awaited {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// EndAdoption ends the grace period, at its deadline (Tick) or earlier,
// once nothing is awaited and nothing is left unclaimed. What dead hosts
// left running is killed first (KillLeftovers, answered by
// LeftoversKilled): a failure action must not start a second copy.
func (c *Core) EndAdoption(now time.Time) []Action {
	if c.grace == nil || c.grace.ending {
		return nil
	}
	c.grace.ending = true
	return []Action{KillLeftovers{}}
}

// LeftoversKilled ends the grace period: every service still awaited
// crashed while the SCM was away.
func (c *Core) LeftoversKilled(now time.Time) []Action {
	names := c.Awaited()
	c.grace = nil
	var acts []Action
	for _, name := range names {
		acts = append(acts, c.crashed(now, name)...)
	}
	return c.then(now, acts)
}

// Adopted is a service a host still runs when a restarted SCM adopts it.
type Adopted struct {
	Name   string
	Status Status
}

// Adopt takes over a host that was running services when the SCM went
// away and has reconnected: its services are running again as far as the
// core is concerned, in the state they report, and nothing is started
// twice. Services the core already runs are not adopted.
func (c *Core) Adopt(now time.Time, pid uint32, image string, shared bool, svcs []Adopted) (ProcID, []Action) {
	c.nextProc++
	p := &process{id: c.nextProc, image: image, shared: shared, pid: pid, registered: true, launched: true}
	var acts []Action
	for _, a := range svcs {
		s := c.svc(a.Name)
		if s.running() || c.waits[strings.ToLower(a.Name)] != nil {
			continue
		}
		cfg, _ := c.config(a.Name)
		st := a.Status
		st.ServiceType, st.ProcessId = cfg.Type, pid
		*s = service{name: a.Name, status: st, proc: p, started: true, reported: true, progressAt: now,
			cfg: cfg, failures: s.failures, lastFailure: s.lastFailure, outcome: startedOK}
		p.table = append(p.table, a.Name)
		p.services = append(p.services, s)
		acts = append(acts, s.changed(false)...)
		if c.grace != nil {
			delete(c.grace.awaited, strings.ToLower(a.Name))
		}
	}
	if len(p.services) == 0 {
		c.nextProc--
		return 0, nil
	}
	c.procs[p.id] = p
	c.retimeProc(p)
	return p.id, c.then(now, acts)
}

// crashed reports a service that was running when the SCM went away and
// whose process did not come back.
func (c *Core) crashed(now time.Time, name string) []Action {
	cfg, ok := c.config(name)
	if !ok {
		return nil
	}
	s := c.svc(cfg.Name)
	if s.running() {
		return nil
	}
	s.cfg = cfg
	s.status = Status{ServiceType: cfg.Type, CurrentState: windows.SERVICE_STOPPED, Win32ExitCode: uint32(windows.ERROR_PROCESS_ABORTED)}
	acts := s.changed(false)
	return append(acts, c.failed(now, s, true)...)
}
