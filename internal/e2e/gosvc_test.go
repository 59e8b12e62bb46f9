package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/internal/scmtest"
)

// github.com/judwhite/go-svc ports by the import prefix: its Windows file
// (renamed from svc_windows.go, its build constraint dropped) builds against
// this module, its own Windows tests pass, and its example runs as a
// service under scmd, started with net start and stopped with net stop.
func TestGoSvc(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads and builds a module")
	}
	const version = "v1.2.1"
	src := downloadModule(t, "github.com/judwhite/go-svc@"+version)
	extra := map[string]string{}
	for _, name := range []string{"example/main.go", "example/server.go"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		extra[name] = string(b)
	}
	work := portModule(t, "github.com/judwhite/go-svc", src, map[string]string{
		"svc.go": "svc.go", "svc_test.go": "svc_test.go",
		"svc_windows.go": "svc_scm.go", "svc_windows_test.go": "svc_scm_test.go",
	}, extra)
	test := exec.Command("go", "test", "-count=1", ".")
	test.Dir = work
	test.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := test.CombinedOutput(); err != nil {
		t.Fatalf("go-svc %s's own Windows tests: %v\n%s", version, err, out)
	}
	bin := goBuild(t, work, "./example")

	scmtest.Start(t).Manager.WaitBoot()
	exe := filepath.Join(bin, "example")
	runTool(t, "sc", "create", "go-svc-example", "binpath=", exe, "start=", "auto", "DisplayName=", "go-svc-example")
	if out := runTool(t, "net", "start", "go-svc-example"); !strings.Contains(out, "was started successfully") {
		t.Errorf("net start: %s", out)
	}
	if out := runTool(t, "sc", "query", "go-svc-example"); !strings.Contains(out, "RUNNING") {
		t.Errorf("sc query after net start:\n%s", out)
	}
	runTool(t, "net", "stop", "go-svc-example")
	// The example writes example.log only when it runs as a service.
	log, err := os.ReadFile(filepath.Join(bin, "example.log"))
	if err != nil || !strings.Contains(string(log), "Starting...") || !strings.Contains(string(log), "Stopped.") {
		t.Errorf("the example's log (%v):\n%s", err, log)
	}
	runTool(t, "sc", "delete", "go-svc-example")
}
