package manager

import (
	"github.com/openscm/scm/windows"
)

// raise has the core queue a control the SCM raises itself (DEVICEEVENT,
// POWEREVENT, TIMECHANGE, NETBIND*); the core sends it when the service
// is free. done, when set, gets the service's answer, with m.mu held.
func (m *Manager) raise(service string, code, eventType uint32, data []byte, done func(windows.Errno)) {
	m.nextReq++
	req := m.nextReq
	if done != nil {
		m.answers[req] = done
	}
	m.apply(m.core.RaiseControl(m.now(), req, service, code, eventType, data))
}
