package svc_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/openscm/scm/internal/scmtest"
)

// golang.org/x/sys/windows/svc's own tests pass against this package: the
// example service is built, started with arguments, interrogated, stopped,
// and what it wrote is read back with wevtutil.exe, which is this module's
// wevtutil under Windows' name.
func TestUpstreamSvcTests(t *testing.T) {
	tools := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(tools, "wevtutil.exe"), "github.com/openscm/scm/cmd/wevtutil").CombinedOutput(); err != nil {
		t.Fatalf("building wevtutil: %v\n%s", err, out)
	}
	scmtest.Start(t)
	scmtest.Upstream(t, "windows/svc", []string{"upstream_test.go"}, nil,
		[]string{"TestExample", "TestIsAnInteractiveSession", "TestIsWindowsService", "TestIsWindowsServiceWhenParentExits"},
		"GO_BUILDER_NAME=scm", "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"))
}
