package manager

import (
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/windows"
)

// raise has the core queue a control the SCM raises itself (DEVICEEVENT,
// POWEREVENT, TIMECHANGE, NETBIND*); the core sends it when the service
// is free. done, when set, gets the service's answer, on the supervisor's
// goroutine.
func (m *Manager) raise(service string, code, eventType uint32, data []byte, done func(windows.Errno)) {
	var answer func(core.Reply)
	if done != nil {
		answer = func(r core.Reply) { done(r.Err) }
	}
	req := m.sup.Expect(answer)
	m.post(func(c *core.Core, now time.Time) []core.Action {
		return c.RaiseControl(now, req, service, code, eventType, data)
	})
}
