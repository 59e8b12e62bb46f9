package core

// Launching a few hosts at a time. Windows starts one service at a time:
// the SCM holds its service lock from a host's launch until the host
// connects (StartServiceCtrlDispatcher), and another start waits for it.
// The core keeps that order with a few slots (the daemon gives eight per
// CPU): a host holds a slot from its launch until it registers, fails to
// launch, exits, or has held it for LaunchSlotHold, and the hosts beyond
// the slots wait their turn in the order their starts came. A burst of a
// hundred starts then does not hand the machine's CPUs to a hundred
// runtimes initialising at once, which would starve everything else the
// machine does, the SCM's own callers included; and a host slow to connect
// delays the others by LaunchSlotHold at most, not by ServicesPipeTimeout.

import (
	"time"

	"github.com/openscm/scm/windows"
)

// LaunchSlotHold is the longest a host that has not registered keeps the
// next launch waiting.
const LaunchSlotHold = time.Second

// SetLaunchSlots sets how many hosts may be launching at once; 0, the
// default, puts no limit.
func (c *Core) SetLaunchSlots(n int) { c.slots = n }

// launch launches a new host now, or queues it until a slot is free.
func (c *Core) launch(now time.Time, p *process) []Action {
	if c.slots > 0 && c.holding >= c.slots {
		c.queued = append(c.queued, p)
		return nil
	}
	return c.launchNow(now, p)
}

func (c *Core) launchNow(now time.Time, p *process) []Action {
	p.launched = true
	p.connectBy = now.Add(c.timeouts.Pipe)
	if c.slots > 0 {
		p.slotUntil = now.Add(LaunchSlotHold)
		c.holding++
	}
	c.retimeProc(p)
	return []Action{p.launch}
}

// freeSlot gives up p's slot, if it holds one, to the next host waiting.
func (c *Core) freeSlot(now time.Time, p *process) []Action {
	if p.slotUntil.IsZero() {
		return nil
	}
	p.slotUntil = time.Time{}
	c.holding--
	return c.launchQueued(now)
}

func (c *Core) launchQueued(now time.Time) []Action {
	var acts []Action
	for len(c.queued) > 0 && (c.slots == 0 || c.holding < c.slots) {
		p := c.queued[0]
		c.queued = c.queued[1:]
		acts = append(acts, c.launchNow(now, p)...)
	}
	return acts
}

// unqueue drops a host that never launched: nothing is left to start in
// it.
func (c *Core) unqueue(p *process) {
	for i, q := range c.queued {
		if q == p {
			c.queued = append(c.queued[:i], c.queued[i+1:]...)
			break
		}
	}
	delete(c.procs, p.id)
}

// dropQueued fails the starts whose hosts are still waiting for a slot,
// when the system goes down.
func (c *Core) dropQueued() []Action {
	var acts []Action
	for len(c.queued) > 0 {
		p := c.queued[0]
		for _, s := range append([]*service(nil), p.services...) {
			acts = append(acts, c.failStart(p, s, windows.ERROR_SHUTDOWN_IN_PROGRESS)...)
		}
		c.unqueue(p)
	}
	return acts
}
