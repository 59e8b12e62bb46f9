package core

// What falls due with time: registration and control timeouts, hung pending
// states, the kill of a service that does not stop, and NextDeadline for
// the driver's timer.

import (
	"strconv"
	"time"

	"github.com/openscm/scm/windows"
)

// Tick applies every deadline that has passed by now.
func (c *Core) Tick(now time.Time) []Action {
	acts := c.tick(now)
	if c.grace != nil && !c.grace.ending && !now.Before(c.grace.deadline) {
		acts = append(acts, c.EndAdoption(now)...)
	}
	acts = c.then(now, acts)
	c.rescan()
	return acts
}

func (c *Core) tick(now time.Time) []Action {
	var acts []Action
	for _, p := range c.sortedProcs() {
		if !p.slotUntil.IsZero() && !now.Before(p.slotUntil) {
			acts = append(acts, c.freeSlot(now, p)...)
		}
		switch {
		case p.killed, !p.launched:
		case !p.registered && !now.Before(p.connectBy):
			p.killed = true
			acts = append(acts, Kill{Proc: p.id, Reason: "did not register within ServicesPipeTimeout"})
			for _, s := range append([]*service(nil), p.services...) {
				acts = append(acts,
					Event{ID: 7009, Type: EventError, Service: s.name, Inserts: []string{strconv.FormatInt(c.timeouts.Pipe.Milliseconds(), 10), DisplayName}},
					startFailedEvent(s, windows.ERROR_SERVICE_REQUEST_TIMEOUT))
				acts = append(acts, c.failStart(p, s, windows.ERROR_SERVICE_REQUEST_TIMEOUT)...)
			}
		case !p.idleSince.IsZero() && len(p.services) == 0 && !now.Before(p.idleSince.Add(c.timeouts.WaitKill)):
			p.killed = true
			acts = append(acts, Kill{Proc: p.id, Reason: "did not exit after its services stopped"})
		}
	}
	for _, s := range c.sortedServices() {
		if s.recovery != nil && !now.Before(s.recovery.due) {
			acts = append(acts, c.recover(now, s)...)
		}
		if s.ctl != nil && !now.Before(s.ctl.deadline) {
			acts = append(acts, reply(s.ctl.req, windows.ERROR_SERVICE_REQUEST_TIMEOUT, s.status),
				Event{ID: 7011, Type: EventError, Service: s.name, Inserts: []string{strconv.FormatInt(c.timeouts.Control.Milliseconds(), 10), DisplayName}})
			c.answered(s)
		}
		acts = append(acts, c.expireQueued(now, s)...)
		if d, ok := s.hangDeadline(c.timeouts); ok && !now.Before(d) {
			s.hung = true
			acts = append(acts, s.changed(true)...)
			if s.status.CurrentState == windows.SERVICE_START_PENDING {
				acts = append(acts, Event{ID: 7022, Type: EventError, Service: s.name, Inserts: []string{DisplayName}})
			}
		}
		if d, ok := s.killDeadline(c.timeouts); ok && !now.Before(d) && s.proc != nil && !s.proc.killed && s.proc.aloneWith(s) {
			s.proc.killed = true
			acts = append(acts, Kill{Proc: s.proc.id, Reason: "did not stop within WaitToKillServiceTimeout"})
		}
	}
	return acts
}

// aloneWith reports whether s is the only service in the host still
// running: the SCM never kills a shared host another service needs.
func (p *process) aloneWith(s *service) bool {
	for _, x := range p.services {
		if x != s && x.running() {
			return false
		}
	}
	return true
}

func pending(state uint32) bool {
	switch state {
	case windows.SERVICE_START_PENDING, windows.SERVICE_STOP_PENDING,
		windows.SERVICE_PAUSE_PENDING, windows.SERVICE_CONTINUE_PENDING:
		return true
	}
	return false
}

// hint is how long a pending state may last without progress: the wait hint
// the service gave, or the control timeout if it gave none.
func (s *service) hint(t Timeouts) time.Duration {
	if s.status.WaitHint > 0 {
		return time.Duration(s.status.WaitHint) * time.Millisecond
	}
	return t.Control
}

// hangDeadline is when a pending service that makes no progress is hung.
func (s *service) hangDeadline(t Timeouts) (time.Time, bool) {
	if !s.reported || s.hung || !pending(s.status.CurrentState) {
		return time.Time{}, false
	}
	return s.progressAt.Add(s.hint(t)), true
}

// killDeadline is when a service asked to stop that has made no progress
// toward it is killed.
func (s *service) killDeadline(t Timeouts) (time.Time, bool) {
	if s.stopAsked.IsZero() || !s.running() {
		return time.Time{}, false
	}
	from := s.stopAsked
	if s.progressAt.After(from) {
		from = s.progressAt
	}
	wait := t.WaitKill
	if h := time.Duration(s.status.WaitHint) * time.Millisecond; s.status.CurrentState == windows.SERVICE_STOP_PENDING && h > wait {
		wait = h
	}
	return from.Add(wait), true
}

// NextDeadline returns when Tick next has something to do, or may have:
// a deadline that went away leaves its time, and the Tick at it finds
// nothing to do. Only a Tick looks at every service; an event costs the
// services it touches, whatever their number.
func (c *Core) NextDeadline() (time.Time, bool) {
	return c.wake.at()
}

// retime notes the deadlines of s and of its host, after an event that
// may have set or moved them.
func (c *Core) retime(s *service) {
	if s.proc != nil {
		c.retimeProc(s.proc)
	}
	c.wake.consider(c.serviceDeadline(s))
}

// retimeProc notes the deadlines of p and of the services it hosts.
func (c *Core) retimeProc(p *process) {
	c.wake.consider(c.procDeadline(p))
	for _, s := range p.services {
		c.wake.consider(c.serviceDeadline(s))
	}
}

// rescan recomputes when Tick next has something to do.
func (c *Core) rescan() {
	c.wake = deadline{}
	c.wake.consider(c.soonest())
}

// soonest is the soonest deadline of every service and host.
func (c *Core) soonest() (time.Time, bool) {
	var d deadline
	if c.grace != nil && !c.grace.ending {
		d.consider(c.grace.deadline, true)
	}
	for _, p := range c.procs {
		d.consider(c.procDeadline(p))
	}
	for _, s := range c.services {
		d.consider(c.serviceDeadline(s))
	}
	return d.at()
}

// procDeadline is when a host's slot, registration or idle time runs out.
func (c *Core) procDeadline(p *process) (time.Time, bool) {
	var d deadline
	if !p.slotUntil.IsZero() {
		d.consider(p.slotUntil, true)
	}
	switch {
	case p.killed || !p.launched:
	case !p.registered:
		d.consider(p.connectBy, true)
	case !p.idleSince.IsZero() && len(p.services) == 0:
		d.consider(p.idleSince.Add(c.timeouts.WaitKill), true)
	}
	return d.at()
}

// serviceDeadline is when a service's recovery, control, raised control,
// pending state or stop next falls due.
func (c *Core) serviceDeadline(s *service) (time.Time, bool) {
	var d deadline
	if s.recovery != nil {
		d.consider(s.recovery.due, true)
	}
	if s.ctl != nil {
		d.consider(s.ctl.deadline, true)
	}
	for _, r := range s.raised {
		d.consider(r.waitUntil, r.caller && !r.sent)
	}
	d.consider(s.hangDeadline(c.timeouts))
	if t, ok := s.killDeadline(c.timeouts); ok && s.proc != nil && !s.proc.killed && s.proc.aloneWith(s) {
		d.consider(t, true)
	}
	return d.at()
}

// deadline is the soonest of the times considered.
type deadline struct{ t time.Time }

func (d deadline) at() (time.Time, bool) { return d.t, !d.t.IsZero() }

func (d *deadline) consider(t time.Time, ok bool) {
	if ok && (d.t.IsZero() || t.Before(d.t)) {
		d.t = t
	}
}
