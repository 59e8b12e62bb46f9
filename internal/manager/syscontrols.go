package manager

import (
	"strings"

	"github.com/openscm/scm/windows"
)

// Controls the SCM raises itself (DEVICEEVENT, POWEREVENT, TIMECHANGE,
// NETBIND*) go to a service one after the other, as Windows delivers them
// through one control channel: a control waits while the service answers
// another, or is in a pending state, and is sent when it is free again.

// systemControl is one such control on its way; done, when set, gets the
// service's answer (m.mu held).
type systemControl struct {
	code      uint32
	eventType uint32
	data      []byte
	done      func(windows.Errno)
}

// queueControl queues a control for a service. m.mu is held.
func (m *Manager) queueControl(service string, c systemControl) {
	key := strings.ToLower(service)
	if m.ctlQueue == nil {
		m.ctlQueue = map[string][]*systemControl{}
		m.ctlBlocked = map[string]bool{}
	}
	m.ctlQueue[key] = append(m.ctlQueue[key], &c)
	if len(m.ctlQueue[key]) == 1 {
		m.sendQueuedControl(key)
	}
}

// sendQueuedControl sends the head of a service's queue. The core refuses
// at once or answers later; a refusal for being busy or pending leaves the
// control at the head until the service is free. m.mu is held.
func (m *Manager) sendQueuedControl(key string) {
	for len(m.ctlQueue[key]) > 0 {
		c := m.ctlQueue[key][0]
		req, ch := m.newReq()
		m.apply(m.core.SystemControl(m.now(), req, key, c.code, c.eventType, c.data))
		select {
		case r := <-ch:
			if r.Err == windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL {
				m.ctlBlocked[key] = true
				return
			}
			m.finishControl(key, c, r.Err)
			continue
		default:
		}
		go func() {
			r := <-ch
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.finishControl(key, c, r.Err) {
				m.sendQueuedControl(key)
			}
		}()
		return
	}
}

// finishControl takes an answered control off the head of its queue and
// hands the answer on; false if the queue moved on without it (the
// service stopped). m.mu is held.
func (m *Manager) finishControl(key string, c *systemControl, err windows.Errno) bool {
	q := m.ctlQueue[key]
	if len(q) == 0 || q[0] != c {
		return false
	}
	m.ctlQueue[key] = q[1:]
	if c.done != nil {
		c.done(err)
	}
	return true
}

// controlsFree resends the controls that waited for their services to be
// free; it runs after anything that may have freed one (an answer, a
// status, a timer). m.mu is held.
func (m *Manager) controlsFree() {
	for key := range m.ctlBlocked {
		delete(m.ctlBlocked, key)
		m.sendQueuedControl(key)
	}
}

// dropControls ends a stopped service's queue: whoever waits on an answer
// gets ERROR_SERVICE_NOT_ACTIVE. m.mu is held.
func (m *Manager) dropControls(service string) {
	key := strings.ToLower(service)
	q := m.ctlQueue[key]
	delete(m.ctlQueue, key)
	delete(m.ctlBlocked, key)
	for _, c := range q {
		if c.done != nil {
			c.done(windows.ERROR_SERVICE_NOT_ACTIVE)
		}
	}
}
