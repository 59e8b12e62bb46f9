package console

import (
	"strings"
	"testing"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/regdata"
)

// servicesKey is a Services key as RegQueryKey returns it: each service's
// DependOnService, DependOnGroup and Group.
func servicesKey(svcs map[string][3][]string) *pb.RegKey {
	k := &pb.RegKey{Path: `HKLM\SYSTEM\CurrentControlSet\Services`}
	for name, v := range svcs {
		sub := &pb.RegKey{Path: k.Path + `\` + name}
		add := func(val regdata.Value) {
			sub.Values = append(sub.Values, &pb.RegValue{Name: val.Name, Type: uint32(val.Type), Data: val.Data})
		}
		add(regdata.StringValue("DisplayName", strings.ToUpper(name)))
		if len(v[0]) > 0 {
			add(regdata.MultiStringValue("DependOnService", v[0]))
		}
		if len(v[1]) > 0 {
			add(regdata.MultiStringValue("DependOnGroup", v[1]))
		}
		if len(v[2]) > 0 {
			add(regdata.StringValue("Group", v[2][0]))
		}
		k.Subkeys = append(k.Subkeys, sub)
	}
	return k
}

// render writes a tree one line per node, indented by depth.
func render(n *depNode) string {
	var sb strings.Builder
	var walk func(n *depNode, depth int)
	walk = func(n *depNode, depth int) {
		sb.WriteString(strings.Repeat("  ", depth) + n.Name)
		if n.Group {
			sb.WriteString(" (group)")
		}
		if n.Missing {
			sb.WriteString(" (missing)")
		}
		sb.WriteString("\n")
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return sb.String()
}

func TestDependencyTrees(t *testing.T) {
	g := readDepGraph(servicesKey(map[string][3][]string{
		"web":   {{"db", "cache"}, nil, nil},
		"db":    {{"disk"}, {"Net"}, nil},
		"cache": {{"ghost"}, nil, nil},
		"disk":  {nil, nil, nil},
		"eth":   {nil, nil, {"Net"}},
		"wifi":  {nil, nil, {"net"}},
		"loopa": {{"loopb"}, nil, nil},
		"loopb": {{"loopa"}, nil, nil},
	}))
	on := (&tree{g: g}).dependsOn("WEB")
	want := `web
  db
    disk
    Net (group)
      eth
      wifi
  cache
    ghost (missing)
`
	if got := render(on); got != want {
		t.Errorf("web depends on:\n%s\nwant:\n%s", got, want)
	}
	by := (&tree{g: g}).dependents("eth")
	want = `eth
  db
    web
`
	if got := render(by); got != want {
		t.Errorf("what depends on eth:\n%s\nwant:\n%s", got, want)
	}
	// A cycle ends where a path would repeat itself.
	want = `loopa
  loopb
    loopa
`
	if got := render((&tree{g: g}).dependsOn("loopa")); got != want {
		t.Errorf("loopa depends on:\n%s\nwant:\n%s", got, want)
	}
}

// A graph where every path doubles stops at maxDepNodes lines.
func TestDependencyTreeBound(t *testing.T) {
	svcs := map[string][3][]string{}
	const levels = 20
	for i := 0; i < levels; i++ {
		next := []string{"a" + string(rune('a'+i+1)), "b" + string(rune('a'+i+1))}
		if i == levels-1 {
			next = nil
		}
		svcs["a"+string(rune('a'+i))] = [3][]string{next, nil, nil}
		svcs["b"+string(rune('a'+i))] = [3][]string{next, nil, nil}
	}
	tr := &tree{g: readDepGraph(servicesKey(svcs))}
	root := tr.dependsOn("aa")
	if n := strings.Count(render(root), "\n"); n > maxDepNodes {
		t.Errorf("%d lines, want at most %d", n, maxDepNodes)
	}
}

func TestParseStartType(t *testing.T) {
	for in, want := range map[string][2]uint32{"auto": {2, 0}, "delayed": {2, 1}, "manual": {3, 0}, "disabled": {4, 0}} {
		start, delayed, ok := parseStartType(in)
		if !ok || start != want[0] || boolDWORD(delayed) != want[1] {
			t.Errorf("%s: %d %v %v", in, start, delayed, ok)
		}
	}
	if _, _, ok := parseStartType("sometimes"); ok {
		t.Error("an unknown startup type was taken")
	}
}
