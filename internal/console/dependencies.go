package console

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/regdata"
	"github.com/openscm/scm/windows"
)

// The Dependencies tab: "This service depends on the following system
// components" and "The following system components depend on this
// service", each a tree a user unfolds. Both come from one read of the
// Services key, where every service's DependOnService, DependOnGroup and
// Group values are: the whole graph in one call.

// depNode is one line of a tree: a service, or a load order group whose
// members are its children.
type depNode struct {
	Name        string     `json:"name"`
	DisplayName string     `json:"displayName,omitempty"`
	Group       bool       `json:"group,omitempty"`
	Missing     bool       `json:"missing,omitempty"` // named but not installed
	Children    []*depNode `json:"children,omitempty"`
}

// maxDepNodes bounds a tree's size: a dependency graph shared by many
// services unfolds into a tree that grows with every path through it.
const maxDepNodes = 4096

// depGraph is the dependency graph as the Services key states it.
type depGraph struct {
	display map[string]string   // lower-case name → display name
	names   map[string]string   // lower-case name → name as created
	on      map[string][]string // service → services it depends on
	onGroup map[string][]string // service → groups it depends on
	group   map[string]string   // service → its group (lower case)
	members map[string][]string // group (lower case) → member services
}

func readDepGraph(k *pb.RegKey) *depGraph {
	g := &depGraph{display: map[string]string{}, names: map[string]string{}, on: map[string][]string{},
		onGroup: map[string][]string{}, group: map[string]string{}, members: map[string][]string{}}
	for _, sub := range k.Subkeys {
		name := lastElem(sub.Path)
		id := strings.ToLower(name)
		g.names[id] = name
		for _, v := range sub.Values {
			val := regdata.Value{Type: regdata.ValueType(v.Type), Data: v.Data}
			switch strings.ToLower(v.Name) {
			case "displayname":
				g.display[id] = val.String()
			case "dependonservice":
				g.on[id] = val.Strings()
			case "dependongroup":
				g.onGroup[id] = val.Strings()
			case "group":
				if grp := strings.ToLower(val.String()); grp != "" {
					g.group[id] = grp
					g.members[grp] = append(g.members[grp], name)
				}
			}
		}
	}
	for _, m := range g.members {
		sort.Slice(m, func(i, j int) bool { return strings.ToLower(m[i]) < strings.ToLower(m[j]) })
	}
	return g
}

// tree unfolds from a service along next, cutting a path where it would
// repeat a node already on it and stopping at maxDepNodes in all.
type tree struct {
	g     *depGraph
	count int
}

func (t *tree) service(name string, next func(string) []*depNode, path map[string]bool) *depNode {
	id := strings.ToLower(name)
	n := &depNode{Name: name}
	if real, ok := t.g.names[id]; ok {
		n.Name, n.DisplayName = real, t.g.display[id]
	} else {
		n.Missing = true
	}
	t.count++
	if path[id] || t.count >= maxDepNodes {
		return n
	}
	path[id] = true
	n.Children = next(id)
	delete(path, id)
	return n
}

// dependsOn is the first tree: what a service needs, services and groups.
func (t *tree) dependsOn(name string) *depNode {
	path := map[string]bool{}
	var next func(id string) []*depNode
	next = func(id string) []*depNode {
		var out []*depNode
		for _, d := range t.g.on[id] {
			if t.count >= maxDepNodes {
				break
			}
			out = append(out, t.service(d, next, path))
		}
		for _, grp := range t.g.onGroup[id] {
			if t.count >= maxDepNodes {
				break
			}
			gn := &depNode{Name: grp, Group: true}
			t.count++
			for _, m := range t.g.members[strings.ToLower(grp)] {
				if t.count >= maxDepNodes {
					break
				}
				gn.Children = append(gn.Children, t.service(m, next, path))
			}
			out = append(out, gn)
		}
		return out
	}
	return t.service(name, next, path)
}

// dependents is the second tree: what needs the service, by name or
// through its group.
func (t *tree) dependents(name string) *depNode {
	rev := map[string][]string{}
	for id, deps := range t.g.on {
		for _, d := range deps {
			rev[strings.ToLower(d)] = append(rev[strings.ToLower(d)], t.g.names[id])
		}
	}
	byGroup := map[string][]string{}
	for id, grps := range t.g.onGroup {
		for _, grp := range grps {
			byGroup[strings.ToLower(grp)] = append(byGroup[strings.ToLower(grp)], t.g.names[id])
		}
	}
	for _, m := range []map[string][]string{rev, byGroup} {
		for _, l := range m {
			sort.Slice(l, func(i, j int) bool { return strings.ToLower(l[i]) < strings.ToLower(l[j]) })
		}
	}
	path := map[string]bool{}
	var next func(id string) []*depNode
	next = func(id string) []*depNode {
		users := append([]string(nil), rev[id]...)
		if grp := t.g.group[id]; grp != "" {
			users = append(users, byGroup[grp]...)
		}
		var out []*depNode
		seen := map[string]bool{}
		for _, u := range users {
			// One line for a service that needs this one both by name and
			// through its group.
			if seen[strings.ToLower(u)] {
				continue
			}
			seen[strings.ToLower(u)] = true
			if t.count >= maxDepNodes {
				break
			}
			out = append(out, t.service(u, next, path))
		}
		return out
	}
	return t.service(name, next, path)
}

func (c *Console) getDependencies(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	k, err := client.Call(h.conn.RegQueryKey, &pb.RegKeyRequest{Path: `HKLM\SYSTEM\CurrentControlSet\Services`, Recursive: true})
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		// The registry is closed to this caller (a network user): the
		// trees as its rights on the services let it read them.
		on, by, err := h.depTreesByAPI(r.PathValue("name"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, map[string]*depNode{"dependsOn": on, "dependents": by})
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	g := readDepGraph(k)
	name := r.PathValue("name")
	if _, ok := g.names[strings.ToLower(name)]; !ok {
		writeError(w, windows.ERROR_SERVICE_DOES_NOT_EXIST)
		return
	}
	on, by := &tree{g: g}, &tree{g: g}
	writeJSON(w, map[string]*depNode{"dependsOn": on.dependsOn(name), "dependents": by.dependents(name)})
}

// depTreesByAPI builds the trees with the service API alone: what a
// service depends on from QueryServiceConfig, service by service (a load
// order group's members are not listed: that takes enumerating the SCM),
// and what depends on it from EnumDependentServices, in one level.
func (h *host) depTreesByAPI(name string) (on, by *depNode, err error) {
	count := 0
	var visit func(name string, path map[string]bool) *depNode
	visit = func(name string, path map[string]bool) *depNode {
		n := &depNode{Name: name}
		count++
		id := strings.ToLower(name)
		if path[id] || count >= maxDepNodes {
			return n
		}
		s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: name, DesiredAccess: windows.SERVICE_QUERY_CONFIG})
		if err != nil {
			n.Missing = errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST)
			return n
		}
		defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
		cfg, err := client.Call(h.conn.QueryServiceConfig, &pb.HandleRequest{Handle: s.Handle})
		if err != nil {
			return n
		}
		n.DisplayName = cfg.DisplayName
		path[id] = true
		defer delete(path, id)
		for _, d := range cfg.Dependencies {
			if count >= maxDepNodes {
				break
			}
			if group, ok := strings.CutPrefix(d, "+"); ok {
				count++
				n.Children = append(n.Children, &depNode{Name: group, Group: true})
				continue
			}
			n.Children = append(n.Children, visit(d, path))
		}
		return n
	}
	on = visit(name, map[string]bool{})
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: name, DesiredAccess: windows.SERVICE_ENUMERATE_DEPENDENTS})
	if err != nil {
		return nil, nil, err
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	deps, err := h.dependentServices(s.Handle, windows.SERVICE_STATE_ALL)
	if err != nil {
		return nil, nil, err
	}
	by = &depNode{Name: name, DisplayName: on.DisplayName}
	for _, d := range deps {
		by.Children = append(by.Children, &depNode{Name: d.ServiceName, DisplayName: d.DisplayName})
	}
	return on, by, nil
}
