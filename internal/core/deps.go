package core

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

// waiting is a start held back until what the service depends on runs.
type waiting struct {
	req    ReqID
	cfg    Config
	args   []string
	reason uint32
}

// StartService starts a service and, first, what it depends on: services
// and groups (a group is met once one of its members runs), in parallel
// where they are independent. A dependency that does not exist or is marked
// for delete fails the start with 1075; one that is disabled, or fails to
// start, with 1068.
func (c *Core) StartService(now time.Time, req ReqID, name string, args []string, reason uint32) []Action {
	cfg, ok := c.config(name)
	if !ok {
		return []Action{reply(req, windows.ERROR_SERVICE_DOES_NOT_EXIST, c.Status(name, 0))}
	}
	s := c.svc(cfg.Name)
	switch {
	case c.stopping:
		return []Action{reply(req, windows.ERROR_SHUTDOWN_IN_PROGRESS, s.status)}
	case cfg.Deleted:
		return []Action{reply(req, windows.ERROR_SERVICE_MARKED_FOR_DELETE, s.status)}
	case cfg.Start == windows.SERVICE_DISABLED:
		return []Action{reply(req, windows.ERROR_SERVICE_DISABLED, s.status)}
	case s.running() || c.waits[strings.ToLower(cfg.Name)] != nil:
		return []Action{reply(req, windows.ERROR_SERVICE_ALREADY_RUNNING, s.status)}
	}
	plan := map[string]Config{}
	if err := c.plan(cfg, plan, map[string]bool{}); err != 0 {
		return []Action{reply(req, err, s.status)}
	}
	for key, pc := range plan {
		if key == strings.ToLower(cfg.Name) || c.svc(pc.Name).running() || c.waits[key] != nil {
			continue
		}
		c.waits[key] = &waiting{cfg: pc, reason: reason}
	}
	c.waits[strings.ToLower(cfg.Name)] = &waiting{req: req, cfg: cfg, args: args, reason: reason}
	return c.settle(now)
}

// plan collects a service and everything it depends on, checking that each
// dependency can be started at all.
func (c *Core) plan(cfg Config, plan map[string]Config, path map[string]bool) windows.Errno {
	key := strings.ToLower(cfg.Name)
	if path[key] {
		return windows.ERROR_CIRCULAR_DEPENDENCY
	}
	if _, done := plan[key]; done {
		return 0
	}
	plan[key] = cfg
	path[key] = true
	defer delete(path, key)
	for _, d := range cfg.DependOnService {
		dc, ok := c.config(d)
		switch {
		case !ok || dc.Deleted:
			return windows.ERROR_SERVICE_DEPENDENCY_DELETED
		case dc.Start == windows.SERVICE_DISABLED:
			return windows.ERROR_SERVICE_DEPENDENCY_FAIL
		}
		if err := c.plan(dc, plan, path); err != 0 {
			return err
		}
	}
	for _, g := range cfg.DependOnGroup {
		startable := 0
		for _, m := range c.members(g) {
			mc, ok := c.config(m)
			if !ok || mc.Deleted || mc.Start == windows.SERVICE_DISABLED {
				continue
			}
			if err := c.plan(mc, plan, path); err == windows.ERROR_CIRCULAR_DEPENDENCY {
				return err
			} else if err == 0 {
				startable++
			}
		}
		if startable == 0 {
			return windows.ERROR_SERVICE_DEPENDENCY_FAIL
		}
	}
	return 0
}

// depState is whether a dependency is met, failed, or still coming.
type depState int

const (
	depPending depState = iota
	depMet
	depFailed
)

func (c *Core) serviceState(name string) depState {
	s, ok := c.services[strings.ToLower(name)]
	if !ok {
		if c.waits[strings.ToLower(name)] != nil {
			return depPending
		}
		return depFailed
	}
	switch {
	case s.status.CurrentState == windows.SERVICE_RUNNING || s.status.CurrentState == windows.SERVICE_PAUSED ||
		s.status.CurrentState == windows.SERVICE_CONTINUE_PENDING || s.status.CurrentState == windows.SERVICE_PAUSE_PENDING:
		return depMet
	case c.waits[strings.ToLower(name)] != nil || s.outcome == starting:
		return depPending
	}
	return depFailed
}

// depsOf is whether everything cfg depends on is met, and if not, the first
// dependency that failed.
func (c *Core) depsOf(cfg Config) (depState, string) {
	state := depMet
	for _, d := range cfg.DependOnService {
		switch c.serviceState(d) {
		case depFailed:
			return depFailed, d
		case depPending:
			state = depPending
		}
	}
	for _, g := range cfg.DependOnGroup {
		group := depFailed
		for _, m := range c.members(g) {
			switch c.serviceState(m) {
			case depMet:
				group = depMet
			case depPending:
				if group != depMet {
					group = depPending
				}
			}
		}
		switch group {
		case depFailed:
			return depFailed, "+" + g
		case depPending:
			state = depPending
		}
	}
	return state, ""
}

// settle starts every held-back service whose dependencies are now met and
// fails those whose dependencies failed, until nothing more moves.
func (c *Core) settle(now time.Time) []Action {
	var acts []Action
	for moved := true; moved; {
		moved = false
		keys := make([]string, 0, len(c.waits))
		for key := range c.waits {
			keys = append(keys, key)
		}
		sort.Strings(keys) // launch in a stable order
		for _, key := range keys {
			w := c.waits[key]
			if w == nil {
				continue
			}
			state, failed := c.depsOf(w.cfg)
			switch state {
			case depMet:
				delete(c.waits, key)
				acts = append(acts, c.startNow(now, w.req, w.cfg, w.args, w.reason)...)
				moved = true
			case depFailed:
				delete(c.waits, key)
				s := c.svc(w.cfg.Name)
				s.outcome = startFailed
				why := windows.ERROR_SERVICE_DEPENDENCY_FAIL
				if w.req != 0 {
					acts = append(acts, reply(w.req, why, s.status))
				}
				acts = append(acts, Event{ID: 7001, Type: EventError, Service: w.cfg.Name,
					Inserts: []string{DisplayName, strings.TrimPrefix(failed, "+"), c.failureText(failed)}})
				moved = true
			}
		}
	}
	return acts
}

// failureText is why a dependency failed, for 7001.
func (c *Core) failureText(name string) string {
	if s, ok := c.services[strings.ToLower(strings.TrimPrefix(name, "+"))]; ok && s.status.Win32ExitCode != 0 &&
		s.status.Win32ExitCode != uint32(windows.ERROR_SERVICE_NEVER_STARTED) {
		return winerror.Text(s.status.Win32ExitCode)
	}
	return winerror.Text(uint32(windows.ERROR_SERVICE_DEPENDENCY_FAIL))
}

// Dependents returns, sorted, the services that are not stopped and depend
// on name, directly or through a group it is in.
func (c *Core) Dependents(name string) []string {
	cfg, ok := c.config(name)
	if !ok {
		return nil
	}
	self := strings.ToLower(name)
	keys := c.dependedOn()[self]
	if cfg.Group != "" {
		keys = append(slices.Clip(keys), c.dependedOn()["+"+strings.ToLower(cfg.Group)]...)
	}
	var out []string
	for _, key := range keys {
		if s := c.services[key]; s != nil && s.running() && key != self && !slices.Contains(out, s.name) {
			out = append(out, s.name)
		}
	}
	sort.Strings(out)
	return out
}

// dependedOn indexes the configurations by what they depend on: a
// service's lower-case name, or "+" and a group's, to the lower-case names
// of the services that name it. It is made again after a configuration
// changes.
func (c *Core) dependedOn() map[string][]string {
	if c.dependents != nil {
		return c.dependents
	}
	idx := map[string][]string{}
	for key, cfg := range c.configs {
		for _, d := range cfg.DependOnService {
			idx[strings.ToLower(d)] = append(idx[strings.ToLower(d)], key)
		}
		for _, g := range cfg.DependOnGroup {
			idx["+"+strings.ToLower(g)] = append(idx["+"+strings.ToLower(g)], key)
		}
	}
	c.dependents = idx
	return idx
}
