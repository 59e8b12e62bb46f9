package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/openscm/scm/"

// imports lists what a package imports directly.
func imports(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, module+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// importers lists the project's packages, tests included, that import pkg
// directly.
func importers(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-test", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	var list []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		name := strings.TrimPrefix(strings.Fields(strings.NewReplacer("[", " ", ".test", " ").Replace(f[0]))[0], module)
		for _, imp := range f[1:] {
			if imp == module+pkg && name != pkg && !seen[name] {
				seen[name] = true
				list = append(list, name)
			}
		}
	}
	return list
}

// TestDependencyRules holds the rules of docs/architecture.md.
func TestDependencyRules(t *testing.T) {
	osReaching := []string{"os", "os/exec", "net", "syscall", "golang.org/x/sys/unix"}
	rules := []struct {
		pkg    string
		banned []string // import paths, or module-relative ones ending in /...
		why    string
	}{
		{"internal/core", append([]string{"project-except-windows"}, osReaching...), "the core is pure: events in, actions out"},
		{"internal/supervisor", append([]string{"project-except-core-windows"}, osReaching...), "the supervisor does no I/O"},
		{"internal/protocol", []string{"project-except-windows"}, "the protocol stands alone, for services in any language"},
		{"internal/regdata", []string{"project"}, "clients and the store share the value codec"},
		{"internal/cmdline", []string{"project"}, "clients and the launcher share command-line parsing"},
		{"internal/metrics", []string{"project-except-windows"}, "the metrics' format stands alone: the manager hands it a snapshot"},
		{"internal/manager", []string{"os/exec", "syscall", "golang.org/x/sys/unix", module + "internal/server", module + "internal/daemon"}, "the manager runs no process; the launcher does"},
		{"internal/launch", []string{module + "internal/manager", module + "internal/server", module + "internal/registry", module + "internal/daemon"}, "the launcher reports events and decides nothing"},
	}
	for _, r := range rules {
		for _, imp := range imports(t, r.pkg) {
			for _, b := range r.banned {
				bad := imp == b
				switch b {
				case "project":
					bad = strings.HasPrefix(imp, module)
				case "project-except-windows":
					// windows and its error texts are x/sys's part: leaves.
					bad = strings.HasPrefix(imp, module) && imp != module+"windows" && imp != module+"internal/winerror"
				case "project-except-core-windows":
					bad = strings.HasPrefix(imp, module) && imp != module+"windows" && imp != module+"internal/core"
				}
				if bad {
					t.Errorf("%s imports %s: %s", r.pkg, imp, r.why)
				}
			}
		}
	}
	for _, who := range importers(t, "internal/daemon") {
		if who != "cmd/scmd" && who != "internal/scmtest" {
			t.Errorf("%s imports internal/daemon: only scmd and scmtest assemble an SCM", who)
		}
	}
}
