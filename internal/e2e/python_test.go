package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
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

// TestPythonServiceSurvivesRestart SIGKILLs scmd under a running Python
// service: its host reconnects with the START's token, the new scmd adopts
// it (same process, not started twice), and it still takes controls.
func TestPythonServiceSurvivesRestart(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for the Python package's tests (.ci/run installs it)")
	}
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	cmd := startSCMD(t, state, sock)
	dir := pythonDir(t)
	install := exec.Command(python, filepath.Join(dir, "tests", "services", "classic.py"), "install")
	install.Env = append(os.Environ(), "PYTHONPATH="+dir)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.OpenService("PyClassic")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	before := waitStatus(t, s, "running", running)
	m.Disconnect()

	cmd.Process.Kill()
	cmd.Wait()
	startSCMD(t, state, sock)
	m, err = mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	s, err = m.OpenService("PyClassic")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command(filepath.Join(binDir, "wevtutil"), "qe", "Application", "/rd:true", "/c:3", "/f:text").CombinedOutput()
			t.Logf("the Application log:\n%s", out)
		}
	})
	after := waitStatus(t, s, "adopted", func(st svc.Status) bool { return st.State == svc.Running && st.ProcessId != 0 })
	if after.ProcessId != before.ProcessId {
		t.Fatalf("the service runs as %d, was %d: started again, not adopted", after.ProcessId, before.ProcessId)
	}
	if _, err := s.Control(svc.Interrogate); err != nil {
		t.Fatalf("interrogate after adoption: %v", err)
	}
	if _, err := s.Control(svc.Stop); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "stopped", func(st svc.Status) bool { return st.State == svc.Stopped && st.Win32ExitCode == 0 })
	waitFor(t, func() bool { return !alive(int(before.ProcessId)) })
}
