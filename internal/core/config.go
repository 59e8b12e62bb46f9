package core

import (
	"sort"
	"strings"

	"github.com/openscm/scm/windows"
)

// The core keeps its own copy of what it needs of each service's
// configuration, told to it as events: the database's owner calls
// Configure whenever a service is created or its configuration changes
// (including its being marked for delete), and Remove when it leaves the
// database. Nothing in the core reads the database during a step, so the
// core can live on a goroutine of its own.

// Configure records a service's configuration as the database now has it.
// A change of failure actions applies from the service's next failure;
// everything else from its next start, as on Windows.
func (c *Core) Configure(cfg Config) {
	key := strings.ToLower(cfg.Name)
	if old, ok := c.configs[key]; ok && !strings.EqualFold(old.Group, cfg.Group) {
		c.leaveGroup(old.Group, key)
	}
	c.configs[key] = cfg
	c.dependents = nil
	if cfg.Group != "" {
		g := strings.ToLower(cfg.Group)
		if c.groups[g] == nil {
			c.groups[g] = map[string]bool{}
		}
		c.groups[g][key] = true
	}
	if s, ok := c.services[key]; ok {
		s.cfg.Recovery = cfg.Recovery
	}
}

// Remove drops a service that left the database. What the core knows of
// its running goes too if it is stopped; a service still running keeps
// its state until it stops, but can no longer be started.
func (c *Core) Remove(name string) {
	key := strings.ToLower(name)
	if old, ok := c.configs[key]; ok {
		c.leaveGroup(old.Group, key)
		delete(c.configs, key)
		c.dependents = nil
	}
	if s, ok := c.services[key]; ok && s.status.CurrentState == windows.SERVICE_STOPPED {
		delete(c.services, key)
	}
}

func (c *Core) leaveGroup(group, key string) {
	if group == "" {
		return
	}
	g := strings.ToLower(group)
	delete(c.groups[g], key)
	if len(c.groups[g]) == 0 {
		delete(c.groups, g)
	}
}

// config returns a service's configuration, found by name ignoring case.
func (c *Core) config(name string) (Config, bool) {
	cfg, ok := c.configs[strings.ToLower(name)]
	return cfg, ok
}

// members lists the services of a load-order group in name order.
func (c *Core) members(group string) []string {
	g := c.groups[strings.ToLower(group)]
	names := make([]string, 0, len(g))
	for key := range g {
		names = append(names, c.configs[key].Name)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	return names
}
