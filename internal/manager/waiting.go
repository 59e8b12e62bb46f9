package manager

import (
	"time"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/windows"
)

// watchAll subscribes to every service's changes; cancel ends it.
func (m *Manager) watchAll() (ch <-chan *pb.ServiceNotification, cancel func()) {
	w := &watcher{service: "*", ch: make(chan *pb.ServiceNotification, 64)}
	m.mu.Lock()
	m.addWatcher(w)
	m.mu.Unlock()
	return w.ch, func() {
		m.mu.Lock()
		m.dropWatcher(w)
		m.mu.Unlock()
	}
}

// waitChanges waits until done holds, asking again after each change ch
// reports; it gives up at deadline (never, if zero) and reports whether
// done held.
func waitChanges(ch <-chan *pb.ServiceNotification, deadline time.Time, done func() bool) bool {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	for !done() {
		select {
		case <-ch:
		case <-timeout:
			return done()
		}
	}
	return true
}

// waitChange waits for the next change ch reports, or the deadline.
func waitChange(ch <-chan *pb.ServiceNotification, deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// stateOf is a service's current state.
func (m *Manager) stateOf(s *service) uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.statusOf(s).CurrentState
}

// allStopped reports whether every one of the services is stopped.
func (m *Manager) allStopped(list map[string]*service) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range list {
		if m.statusOf(s).CurrentState != windows.SERVICE_STOPPED {
			return false
		}
	}
	return true
}
