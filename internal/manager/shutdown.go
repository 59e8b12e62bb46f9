package manager

import (
	"maps"
	"slices"
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

// runningAccepting lists the services that run and accept a control, by
// lower-case name.
func (m *Manager) runningAccepting(flag uint32) map[string]*service {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := map[string]*service{}
	for key, s := range m.services {
		st := m.statusOf(s)
		if st.CurrentState != windows.SERVICE_STOPPED && st.CurrentState != windows.SERVICE_STOP_PENDING &&
			st.ControlsAccepted&flag != 0 {
			list[key] = s
		}
	}
	return list
}

// preshutdown sends PRESHUTDOWN to the services that accept it, each once
// none that depends on it is still in this phase, and waits until each
// has stopped or overrun its PreshutdownTimeout.
func (m *Manager) preshutdown() {
	ch, cancel := m.watchAll()
	defer cancel()
	left := m.runningAccepting(windows.SERVICE_ACCEPT_PRESHUTDOWN)
	sent := map[string]time.Time{}
	for len(left) > 0 {
		next := m.preshutdownStep(left, sent, m.dependents(left), time.Now())
		if len(left) == 0 {
			return
		}
		if next.IsZero() {
			next = time.Now().Add(time.Second)
		}
		waitChange(ch, next.Add(time.Millisecond))
	}
}

// preshutdownStep drops from left the services done with PRESHUTDOWN and
// sends it to those whose dependents are done; it returns when the next of
// their timeouts falls.
func (m *Manager) preshutdownStep(left map[string]*service, sent map[string]time.Time, dependents map[string][]string, now time.Time) (next time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, s := range left {
		timeout := time.Duration(s.cfg.PreshutdownTimeout) * time.Millisecond
		at, asked := sent[key]
		switch {
		case m.statusOf(s).CurrentState == windows.SERVICE_STOPPED:
			delete(left, key)
			continue
		case asked && now.After(at.Add(timeout)):
			m.scmEvent(core.EventError, 7043, s.cfg.Name, core.DisplayName)
			delete(left, key)
			continue
		case !asked && !waitsForDependents(dependents[key], left):
			m.systemControl(s.cfg.Name, windows.SERVICE_CONTROL_PRESHUTDOWN, nil)
			sent[key], at, asked = now, now, true
		}
		if asked && (next.IsZero() || at.Add(timeout).Before(next)) {
			next = at.Add(timeout)
		}
	}
	return next
}

// dependents asks the core which services depend on each of those left,
// by lower-case name.
func (m *Manager) dependents(left map[string]*service) map[string][]string {
	deps := make(map[string][]string, len(left))
	m.sup.Do(func(c *core.Core, now time.Time) []core.Action {
		for key := range left {
			deps[key] = c.Dependents(key)
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
	ch, cancel := m.watchAll()
	defer cancel()
	asked := m.runningAccepting(flag)
	for _, key := range slices.Sorted(maps.Keys(asked)) {
		m.systemControl(key, code, nil)
	}
	waitChanges(ch, deadline, func() bool { return m.allStopped(asked) })
}
