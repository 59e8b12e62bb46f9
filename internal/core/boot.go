package core

import (
	"sort"
	"strings"

	"github.com/openscm/scm/windows"
)

// GroupOrder is the order the boot starts load-order groups in
// (ServiceGroupOrder\List) and, by lower-case group name, the order of the
// tags within each group (GroupOrderList).
type GroupOrder struct {
	Groups []string
	Tags   map[string][]uint32
}

// SetGroupOrder gives the core the Control key's group order.
func (c *Core) SetGroupOrder(o GroupOrder) { c.groupOrder = o }

// BootPlan orders the automatic services for the boot (or, with delayed,
// the delayed automatic ones, which start once AutoStartDelay has passed),
// as Windows' SCM does: the groups ServiceGroupOrder\List names, in its
// order; then the groups it does not name; then the services in no group.
// Within a group, services whose tag GroupOrderList gives go first, in its
// order. Each list of the plan starts together, once the one before it
// has settled; dependencies within and across lists are the starts' own
// business. Drivers and services marked for delete are not started.
func (c *Core) BootPlan(delayed bool) [][]string {
	o := c.groupOrder
	type entry struct {
		name, group string // group lower case
		rank, tag   int
	}
	var list []entry
	for _, cfg := range c.configs {
		if cfg.Start != windows.SERVICE_AUTO_START || cfg.Deleted || cfg.Type&windows.SERVICE_DRIVER != 0 || cfg.Delayed != delayed {
			continue
		}
		e := entry{name: cfg.Name, group: strings.ToLower(cfg.Group), rank: len(o.Groups) + 1, tag: 1 << 30}
		if cfg.Group != "" {
			e.rank = len(o.Groups) // a group the list does not name
			for i, g := range o.Groups {
				if strings.EqualFold(g, cfg.Group) {
					e.rank = i
					break
				}
			}
		}
		if order, ok := o.Tags[e.group]; ok && cfg.Tag != 0 {
			for i, tag := range order {
				if tag == cfg.Tag {
					e.tag = i
					break
				}
			}
		}
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		switch {
		case a.rank != b.rank:
			return a.rank < b.rank
		case a.group != b.group:
			return a.group < b.group
		case a.tag != b.tag:
			return a.tag < b.tag
		}
		return strings.ToLower(a.name) < strings.ToLower(b.name)
	})
	var plan [][]string
	for i, e := range list {
		if i == 0 || e.rank != list[i-1].rank || e.group != list[i-1].group {
			plan = append(plan, nil)
		}
		plan[len(plan)-1] = append(plan[len(plan)-1], e.name)
	}
	return plan
}
