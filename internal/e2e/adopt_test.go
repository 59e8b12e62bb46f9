package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// TestAdoptionAfterKill SIGKILLs scmd with services running: the restarted
// scmd adopts the one still alive (same process, not started twice, still
// controllable), and reports the one whose process died meanwhile as
// stopped with 1067, and its failure actions run.
func TestAdoptionAfterKill(t *testing.T) {
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
	keep, err := m.CreateService("keeper", exe, mgr.Config{}, "-log", logPath)
	if err != nil {
		t.Fatal(err)
	}
	lost, err := m.CreateService("lost", exe, mgr.Config{}, "-log", logPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := lost.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 10 * time.Millisecond}}, 60); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*mgr.Service{keep, lost} {
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
	}
	kst := waitStatus(t, keep, "running", func(st svc.Status) bool { return st.State == svc.Running })
	lst := waitStatus(t, lost, "running", func(st svc.Status) bool { return st.State == svc.Running })
	m.Disconnect()

	cmd.Process.Kill()
	cmd.Wait()
	syscall.Kill(int(lst.ProcessId), syscall.SIGKILL)
	for alive(int(lst.ProcessId)) {
		time.Sleep(5 * time.Millisecond)
	}

	startSCMD(t, state, sock)
	m, err = mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	keep, _ = m.OpenService("keeper")
	defer keep.Close()
	lost, _ = m.OpenService("lost")
	defer lost.Close()

	st := waitStatus(t, keep, "adopted", func(st svc.Status) bool { return st.State == svc.Running && st.ProcessId != 0 })
	if st.ProcessId != kst.ProcessId {
		t.Errorf("keeper runs as %d, was %d: started twice", st.ProcessId, kst.ProcessId)
	}
	// The lost one crashed while nobody watched: restarted by its failure action.
	waitFor(t, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), `execute args=["lost"] reason=8`)
	})
	b, _ := os.ReadFile(logPath)
	if n := strings.Count(string(b), `execute args=["keeper"]`); n != 1 {
		t.Errorf("keeper started %d times", n)
	}

	// The adopted service still takes controls, through its new channel.
	if _, err := keep.Control(svc.Interrogate); err != nil {
		t.Fatalf("interrogate after adoption: %v", err)
	}
	if _, err := keep.Control(svc.Stop); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, keep, "stopped", func(st svc.Status) bool { return st.State == svc.Stopped && st.Win32ExitCode == 0 })
	if _, err := lost.Control(svc.Stop); err != nil && err != windows.ERROR_SERVICE_NOT_ACTIVE {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
