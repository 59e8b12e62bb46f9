package core

// The end of a host process: its exit, or the SCM dropping it for breaking
// the protocol.

import (
	"strings"
	"time"

	"github.com/openscm/scm/windows"
)

// Violation drops a host whose message could not be read or who stopped
// reading its own: what it ran fails as after a crash.
func (c *Core) Violation(now time.Time, id ProcID, why string) []Action {
	return c.then(now, c.dropHost(now, id, why))
}

func (c *Core) dropHost(now time.Time, id ProcID, why string) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	return c.violation(p, why)
}

// violation drops a host that broke the protocol: it is killed, and what
// it ran fails as a crash would.
func (c *Core) violation(p *process, why string) []Action {
	if p.killed {
		return nil
	}
	p.killed = true
	return []Action{Kill{Proc: p.id, Reason: "protocol violation: " + why}}
}

// ProcessExited reports that a host process ended (status: its exit code,
// or minus the signal that killed it). Services it still ran stop with
// ERROR_PROCESS_ABORTED, as after a crash; whatever it left behind is
// killed. A host that ended before it connected never answered the start:
// the caller gets ERROR_SERVICE_REQUEST_TIMEOUT, as from Windows, and no
// failure action runs, as none does for a service that never started.
func (c *Core) ProcessExited(now time.Time, id ProcID, status int) []Action {
	return c.then(now, c.processExited(now, id, status))
}

func (c *Core) processExited(now time.Time, id ProcID, status int) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	delete(c.procs, id)
	acts := c.freeSlot(now, p)
	if !p.registered && !p.killed {
		for _, s := range append([]*service(nil), p.services...) {
			s.lastExit = status
			acts = append(acts, startFailedEvent(s, windows.ERROR_SERVICE_REQUEST_TIMEOUT))
			acts = append(acts, c.failStart(nil, s, windows.ERROR_SERVICE_REQUEST_TIMEOUT)...)
		}
		return append(acts, Kill{Proc: id, Reason: ReasonHostExited})
	}
	for _, s := range append([]*service(nil), p.services...) {
		if s.outcome == starting {
			s.outcome = startFailed
		}
		s.lastExit = status
		req := s.startReq
		s.startReq = 0
		s.status = Status{ServiceType: s.status.ServiceType, CurrentState: windows.SERVICE_STOPPED, Win32ExitCode: uint32(windows.ERROR_PROCESS_ABORTED)}
		if req != 0 {
			acts = append(acts, reply(req, windows.ERROR_PROCESS_ABORTED, s.status))
		}
		if s.ctl != nil {
			acts = append(acts, reply(s.ctl.req, windows.ERROR_PROCESS_ABORTED, s.status))
			c.answered(s)
		}
		if len(s.raised) > 0 {
			c.blocked[strings.ToLower(s.name)] = true
		}
		s.proc = nil
		s.stopAsked = time.Time{}
		acts = append(acts, s.changed(false)...)
		acts = append(acts, c.failed(now, s, true)...)
	}
	return append(acts, Kill{Proc: id, Reason: ReasonHostExited})
}
