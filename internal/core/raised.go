package core

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openscm/scm/windows"
)

// Controls the SCM raises itself (DEVICEEVENT, POWEREVENT, TIMECHANGE,
// NETBIND*) reach a service one after the other, as Windows delivers them
// through one control channel: a control waits while the service answers
// another, or is in a pending state, and is sent when the service is free
// again. A service that stops answers the ones still waiting with
// ERROR_SERVICE_NOT_ACTIVE.

// raisedControl is one such control on its way, or a caller's control
// that waits for the service to answer another.
type raisedControl struct {
	req       ReqID
	code      uint32
	eventType uint32
	data      []byte
	sent      bool // in flight: its answer ends it

	// A caller's control waits for the service to be free, not for a
	// pending state to end (that refuses it), and no longer than waitUntil.
	caller    bool
	waitUntil time.Time
}

// RaiseControl queues a control the SCM raises for a service. Its answer
// comes back as a Reply to req: the service's result, or the error that
// kept it from being sent.
func (c *Core) RaiseControl(now time.Time, req ReqID, name string, code, eventType uint32, data []byte) []Action {
	s := c.services[strings.ToLower(name)]
	if s == nil || !s.running() {
		return []Action{reply(req, windows.ERROR_SERVICE_NOT_ACTIVE, c.Status(name, 0))}
	}
	if len(s.raised)-s.callersWaiting() >= MaxRaisedControls {
		// A service that does not keep up loses the newest of the
		// SCM's events rather than the SCM its memory.
		return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, s.status)}
	}
	s.raised = append(s.raised, &raisedControl{req: req, code: code, eventType: eventType, data: data})
	if len(s.raised) > 1 {
		return nil // behind others; it goes when they are answered
	}
	return c.sendRaised(now, s)
}

// sendRaised sends the head of a service's queue, and the ones after it
// that are refused or answered at once. A refusal for being busy or
// pending leaves the head waiting until the service is free.
func (c *Core) sendRaised(now time.Time, s *service) []Action {
	var acts []Action
	for len(s.raised) > 0 && !s.raised[0].sent {
		if !s.running() {
			return append(acts, c.dropRaised(s)...)
		}
		head := s.raised[0]
		if s.ctl != nil {
			return acts // busy: the answer in flight lets it go
		}
		out := c.control(now, head.req, s.name, head.code, head.eventType, head.data)
		if r, ok := out[0].(Reply); ok && len(out) == 1 {
			if r.Err == windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL && !head.caller {
				// The SCM's control waits for the pending state to end;
				// a caller's behind it does not: it goes now, and the
				// state decides for it.
				if i := slices.IndexFunc(s.raised, func(r *raisedControl) bool { return r.caller }); i > 0 {
					caller := s.raised[i]
					s.raised = slices.Insert(slices.Delete(s.raised, i, i+1), 0, caller)
					continue
				}
				c.blocked[strings.ToLower(s.name)] = true
				return acts
			}
			s.raised = s.raised[1:]
			acts = append(acts, r)
			continue
		}
		head.sent = true
		acts = append(acts, out...)
	}
	return acts
}

// answered clears the control in flight for a service once it has its
// answer; a raised control's end lets the next in its queue go.
func (c *Core) answered(s *service) {
	req := s.ctl.req
	s.ctl = nil
	if len(s.raised) > 0 && s.raised[0].sent && s.raised[0].req == req {
		s.raised = s.raised[1:]
	}
	if len(s.raised) > 0 {
		c.blocked[strings.ToLower(s.name)] = true
	}
}

// expireQueued answers ERROR_SERVICE_REQUEST_TIMEOUT to the callers'
// controls that waited their whole timeout for the service to be free.
func (c *Core) expireQueued(now time.Time, s *service) []Action {
	var acts []Action
	keep := s.raised[:0]
	for _, r := range s.raised {
		if r.caller && !r.sent && !now.Before(r.waitUntil) {
			acts = append(acts, reply(r.req, windows.ERROR_SERVICE_REQUEST_TIMEOUT, s.status))
			continue
		}
		keep = append(keep, r)
	}
	s.raised = keep
	return acts
}

// dropRaised answers the controls that were not sent to a service that
// stopped; one in flight keeps waiting for its answer.
func (c *Core) dropRaised(s *service) []Action {
	var acts []Action
	keep := s.raised[:0]
	for _, r := range s.raised {
		if r.sent {
			keep = append(keep, r)
			continue
		}
		acts = append(acts, reply(r.req, windows.ERROR_SERVICE_NOT_ACTIVE, s.status))
	}
	s.raised = keep
	return acts
}

// moveRaised tries again the queues whose head waits, after any event:
// the service may be free now, or stopped.
func (c *Core) moveRaised(now time.Time) []Action {
	var acts []Action
	if len(c.blocked) == 0 {
		return nil
	}
	keys := make([]string, 0, len(c.blocked))
	for key := range c.blocked {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		delete(c.blocked, key)
		if s := c.services[key]; s != nil {
			acts = append(acts, c.sendRaised(now, s)...)
		}
	}
	return acts
}
