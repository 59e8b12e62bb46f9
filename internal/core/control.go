package core

// Controls to a running service: who may send which, which the service
// accepts, one at a time, each answered within the control timeout.

import (
	"strings"
	"time"

	"github.com/openscm/scm/windows"
)

type pendingControl struct {
	req      ReqID
	seq      uint32
	code     uint32
	deadline time.Time
}

// controlRight is the access right each control needs; clients may not
// send the others at all.
func ControlRight(code uint32) (uint32, bool) {
	switch {
	case code == windows.SERVICE_CONTROL_STOP:
		return windows.SERVICE_STOP, true
	case code == windows.SERVICE_CONTROL_PAUSE, code == windows.SERVICE_CONTROL_CONTINUE,
		code == windows.SERVICE_CONTROL_PARAMCHANGE,
		code >= windows.SERVICE_CONTROL_NETBINDADD && code <= windows.SERVICE_CONTROL_NETBINDDISABLE:
		return windows.SERVICE_PAUSE_CONTINUE, true
	case code == windows.SERVICE_CONTROL_INTERROGATE:
		return windows.SERVICE_INTERROGATE, true
	case code >= 128 && code <= 255:
		return windows.SERVICE_USER_DEFINED_CONTROL, true
	}
	return 0, false
}

// acceptFlag is the SERVICE_ACCEPT_* flag a control needs; 0 if none.
func acceptFlag(code uint32) uint32 {
	switch code {
	case windows.SERVICE_CONTROL_STOP:
		return windows.SERVICE_ACCEPT_STOP
	case windows.SERVICE_CONTROL_PAUSE, windows.SERVICE_CONTROL_CONTINUE:
		return windows.SERVICE_ACCEPT_PAUSE_CONTINUE
	case windows.SERVICE_CONTROL_PARAMCHANGE:
		return windows.SERVICE_ACCEPT_PARAMCHANGE
	case windows.SERVICE_CONTROL_NETBINDADD, windows.SERVICE_CONTROL_NETBINDREMOVE,
		windows.SERVICE_CONTROL_NETBINDENABLE, windows.SERVICE_CONTROL_NETBINDDISABLE:
		return windows.SERVICE_ACCEPT_NETBINDCHANGE
	case windows.SERVICE_CONTROL_SHUTDOWN:
		return windows.SERVICE_ACCEPT_SHUTDOWN
	case windows.SERVICE_CONTROL_PRESHUTDOWN:
		return windows.SERVICE_ACCEPT_PRESHUTDOWN
	case windows.SERVICE_CONTROL_POWEREVENT:
		return windows.SERVICE_ACCEPT_POWEREVENT
	case windows.SERVICE_CONTROL_SESSIONCHANGE:
		return windows.SERVICE_ACCEPT_SESSIONCHANGE
	case windows.SERVICE_CONTROL_TIMECHANGE:
		return windows.SERVICE_ACCEPT_TIMECHANGE
	case windows.SERVICE_CONTROL_HARDWAREPROFILECHANGE:
		return windows.SERVICE_ACCEPT_HARDWAREPROFILECHANGE
	}
	return 0
}

// ControlService sends a control to a running service. The caller's access
// right has been checked already (see ControlRight).
//
// A service answers one control at a time. A control for a service busy
// with another waits for it, as ControlService blocks on Windows, for at
// most the control timeout (then ERROR_SERVICE_REQUEST_TIMEOUT); the
// service's state then decides, as for any control.
func (c *Core) ControlService(now time.Time, req ReqID, name string, code, eventType uint32, eventData []byte) []Action {
	if _, ok := ControlRight(code); !ok {
		return []Action{reply(req, windows.ERROR_INVALID_PARAMETER, c.Status(name, 0))}
	}
	s := c.services[strings.ToLower(name)]
	if s != nil && s.running() && s.ctl != nil {
		// A STOP always gets in line: whoever filled it must not keep a
		// service from being stopped.
		if s.callersWaiting() >= MaxQueuedControls && code != windows.SERVICE_CONTROL_STOP {
			return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, s.status)}
		}
		s.raised = append(s.raised, &raisedControl{req: req, code: code, eventType: eventType, data: eventData,
			caller: true, waitUntil: now.Add(c.timeouts.Control)})
		c.retime(s)
		return nil
	}
	return c.control(now, req, name, code, eventType, eventData)
}

// MaxQueuedControls bounds the callers' controls waiting for one service;
// MaxRaisedControls the SCM's own (device, power, session events).
const (
	MaxQueuedControls = 64
	MaxRaisedControls = 256
)

// callersWaiting counts the callers' controls in a service's queue.
func (s *service) callersWaiting() int {
	n := 0
	for _, r := range s.raised {
		if r.caller {
			n++
		}
	}
	return n
}

// SystemControl sends a control only the SCM itself sends
// (SERVICE_CONTROL_PRESHUTDOWN, SERVICE_CONTROL_SHUTDOWN, device and power
// events...), under the same rules of state and accepted controls.
func (c *Core) SystemControl(now time.Time, req ReqID, name string, code, eventType uint32, eventData []byte) []Action {
	return c.control(now, req, name, code, eventType, eventData)
}

func (c *Core) control(now time.Time, req ReqID, name string, code, eventType uint32, eventData []byte) []Action {
	s := c.services[strings.ToLower(name)]
	if s == nil || !s.running() {
		return []Action{reply(req, windows.ERROR_SERVICE_NOT_ACTIVE, c.Status(name, 0))}
	}
	st := s.status
	if s.ctl != nil || !s.started || s.proc == nil {
		return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, st)}
	}
	switch st.CurrentState {
	case windows.SERVICE_STOP_PENDING, windows.SERVICE_PAUSE_PENDING, windows.SERVICE_CONTINUE_PENDING:
		return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, st)}
	case windows.SERVICE_START_PENDING:
		// Only a stop the service said it accepts gets through while it starts.
		if code != windows.SERVICE_CONTROL_STOP || st.ControlsAccepted&windows.SERVICE_ACCEPT_STOP == 0 {
			return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, st)}
		}
	}
	if f := acceptFlag(code); f != 0 && st.ControlsAccepted&f == 0 {
		return []Action{reply(req, windows.ERROR_INVALID_SERVICE_CONTROL, st)}
	}
	c.nextSeq++
	s.ctl = &pendingControl{req: req, seq: c.nextSeq, code: code, deadline: now.Add(c.timeouts.Control)}
	if code == windows.SERVICE_CONTROL_STOP {
		s.stopAsked = now
	}
	c.retime(s)
	return []Action{SendControl{Proc: s.proc.id, Service: s.name, Seq: c.nextSeq, Code: code, EventType: eventType, EventData: eventData}}
}

// ControlReplied takes a host's answer to a control: NO_ERROR, or
// ERROR_CALL_NOT_IMPLEMENTED (the service does not handle it: 1052 to the
// caller), or any other code, which the caller gets as it is.
func (c *Core) ControlReplied(now time.Time, id ProcID, seq uint32, result uint32) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	// The control is one of the host's own services', as a rule; every
	// service is looked at only for an answer that is not.
	for _, s := range p.services {
		if s.ctl != nil && s.ctl.seq == seq && s.proc == p {
			return c.replied(now, s, result)
		}
	}
	for _, s := range c.services {
		if s.ctl == nil || s.ctl.seq != seq {
			continue
		}
		if s.proc != nil && s.proc != p {
			return c.violation(p, "answer to another host's control")
		}
		return c.replied(now, s, result)
	}
	return nil // an answer that came after its caller gave up
}

// replied answers the caller of the control s has in flight.
func (c *Core) replied(now time.Time, s *service, result uint32) []Action {
	req := s.ctl.req
	c.answered(s)
	err := windows.Errno(result)
	if err == windows.ERROR_CALL_NOT_IMPLEMENTED {
		err = windows.ERROR_INVALID_SERVICE_CONTROL
	}
	return c.then(now, []Action{reply(req, err, s.status)})
}
