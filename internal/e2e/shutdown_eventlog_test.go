package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// TestEventLogDuringShutdown: services write their last events from their
// PRESHUTDOWN and SHUTDOWN handlers while scmd shuts down, as on Windows,
// where the event log outlives the services; the events are in the log
// when scmd starts again.
func TestEventLogDuringShutdown(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	cmd := startSCMD(t, state, sock)
	logPath := filepath.Join(t.TempDir(), "svc.log")
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(binDir, "testsvc")
	for name, args := range map[string][]string{
		"preshut": {"-mode", "log-at-shutdown", "-preshutdown", "stop"},
		"shut":    {"-mode", "log-at-shutdown"},
	} {
		s, err := m.CreateService(name, exe, mgr.Config{}, append([]string{"-log", logPath}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
		s.Close()
	}
	m.Disconnect()

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("scmd did not exit")
	}
	svcLog, _ := os.ReadFile(logPath)

	cmd = startSCMD(t, state, sock)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	events, err := exec.Command(filepath.Join(binDir, "wevtutil"), "qe", "Application", "/f:text").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, events)
	}
	for _, want := range []string{"preshut stopping on PRESHUTDOWN", "shut stopping on SHUTDOWN"} {
		if !strings.Contains(string(events), want) {
			t.Errorf("%q is not in the log:\n%s\nthe services saw:\n%s", want, events, svcLog)
		}
	}
}
