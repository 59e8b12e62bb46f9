package core

import (
	"sort"

	"github.com/openscm/scm/windows"
)

// ShutDown marks the system as going down: starts are refused with
// ERROR_SHUTDOWN_IN_PROGRESS, and failure actions and starts waiting for
// their dependencies are dropped.
func (c *Core) ShutDown() []Action {
	c.stopping = true
	var acts []Action
	keys := make([]string, 0, len(c.waits))
	for key := range c.waits {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		w := c.waits[key]
		delete(c.waits, key)
		if w.req != 0 {
			acts = append(acts, reply(w.req, windows.ERROR_SHUTDOWN_IN_PROGRESS, c.Status(w.cfg.Name, w.cfg.Type)))
		}
	}
	for _, s := range c.services {
		s.recovery = nil
	}
	return append(acts, c.dropQueued()...)
}
