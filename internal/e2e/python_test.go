package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPython runs the Python package's own tests (python/tests, the
// standard library's unittest) against a real scmd: pywin32's modules
// over scmd's API, and Python services under pythonservice.py speaking the
// service process protocol.
func TestPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for the Python package's tests (.ci/run installs it)")
	}
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	startSCMD(t, state, sock)
	tests, err := filepath.Abs("../../python/tests")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-m", "unittest", "discover", "-s", tests, "-t", tests, "-v")
	cmd.Env = append(os.Environ(), "SCM_SOCKET="+sock, "SCM_TEST_BIN="+binDir, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
