package manager

import (
	"strings"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/windows"
)

// Shutdown is what the SCM does when the system goes down, in Windows'
// order. First SERVICE_CONTROL_PRESHUTDOWN to the services that accept it,
// a service only once those that depend on it are done, each given its
// PreshutdownTimeout (7043 for one that overruns it); then
// SERVICE_CONTROL_SHUTDOWN to those that accept it, all together, within
// WaitToKillServiceTimeout; then a STOP to the rest. What still runs after
// that the caller kills.
func (m *Manager) Shutdown() {
	m.sup.Do(func(c *core.Core, now time.Time) []core.Action { return c.ShutDown() })
	t := m.current().timeouts
	m.preshutdown()
	m.broadcast(windows.SERVICE_CONTROL_SHUTDOWN, windows.SERVICE_ACCEPT_SHUTDOWN, time.Now().Add(t.WaitKill))
	m.broadcast(windows.SERVICE_CONTROL_STOP, windows.SERVICE_ACCEPT_STOP, time.Now().Add(t.WaitKill))
}

// runningAccepting lists the services that run and accept a control.
func (m *Manager) runningAccepting(flag uint32) []*service {
	var list []*service
	for _, s := range m.sortedServices() {
		st := m.statusOf(s)
		if st.CurrentState != windows.SERVICE_STOPPED && st.CurrentState != windows.SERVICE_STOP_PENDING &&
			st.ControlsAccepted&flag != 0 {
			list = append(list, s)
		}
	}
	return list
}

func (m *Manager) preshutdown() {
	m.mu.Lock()
	ch, cancel := m.watchAll()
	left := map[string]*service{}
	for _, s := range m.runningAccepting(windows.SERVICE_ACCEPT_PRESHUTDOWN) {
		left[strings.ToLower(s.cfg.Name)] = s
	}
	sent := map[string]time.Time{}
	m.mu.Unlock()
	defer cancel()
	for len(left) > 0 {
		dependents := m.dependents(left)
		m.mu.Lock()
		now := time.Now()
		var next time.Time
		for key, s := range left {
			st := m.statusOf(s).CurrentState
			at, asked := sent[key]
			switch {
			case st == windows.SERVICE_STOPPED:
				delete(left, key)
			case asked && now.After(at.Add(time.Duration(s.cfg.PreshutdownTimeout)*time.Millisecond)):
				m.scmEvent(core.EventError, 7043, s.cfg.Name, core.DisplayName)
				delete(left, key)
			case asked:
				if d := at.Add(time.Duration(s.cfg.PreshutdownTimeout) * time.Millisecond); next.IsZero() || d.Before(next) {
					next = d
				}
			case !waitsForDependents(dependents[key], left):
				m.systemControl(s.cfg.Name, windows.SERVICE_CONTROL_PRESHUTDOWN, nil)
				sent[key] = now
				if d := now.Add(time.Duration(s.cfg.PreshutdownTimeout) * time.Millisecond); next.IsZero() || d.Before(next) {
					next = d
				}
			}
		}
		m.mu.Unlock()
		if len(left) == 0 {
			return
		}
		wait := time.Second
		if !next.IsZero() {
			wait = time.Until(next) + time.Millisecond
		}
		select {
		case <-ch:
		case <-time.After(wait):
		}
	}
}

// dependents asks the core which services depend on each of those left,
// by lower-case name.
func (m *Manager) dependents(left map[string]*service) map[string][]string {
	names := make(map[string]string, len(left))
	m.mu.Lock()
	for key, s := range left {
		names[key] = s.cfg.Name
	}
	m.mu.Unlock()
	deps := make(map[string][]string, len(names))
	m.sup.Do(func(c *core.Core, now time.Time) []core.Action {
		for key, name := range names {
			deps[key] = c.Dependents(name)
		}
		return nil
	})
	return deps
}

// waitsForDependents reports whether a service still has a dependent in
// the preshutdown phase: dependents go first.
func waitsForDependents(dependents []string, left map[string]*service) bool {
	for _, name := range dependents {
		if _, ok := left[strings.ToLower(name)]; ok {
			return true
		}
	}
	return false
}

// broadcast sends a control to every running service that accepts it and
// waits until they have stopped or the deadline passes.
func (m *Manager) broadcast(code, flag uint32, deadline time.Time) {
	m.mu.Lock()
	asked := map[string]*service{}
	for _, s := range m.runningAccepting(flag) {
		m.systemControl(s.cfg.Name, code, nil)
		asked[strings.ToLower(s.cfg.Name)] = s
	}
	ch, cancel := m.watchAll()
	m.mu.Unlock()
	defer cancel()
	timeout := time.NewTimer(time.Until(deadline))
	defer timeout.Stop()
	for {
		m.mu.Lock()
		waiting := false
		for _, s := range asked {
			waiting = waiting || m.statusOf(s).CurrentState != windows.SERVICE_STOPPED
		}
		m.mu.Unlock()
		if !waiting {
			return
		}
		select {
		case <-ch:
		case <-timeout.C:
			return
		}
	}
}
