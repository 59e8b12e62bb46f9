package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// startSCMDShortTimeouts runs scmd with ServicesPipeTimeout and
// WaitToKillServiceTimeout at one second, so that tests of what the SCM does
// when a service misbehaves do not wait Windows' full defaults.
func startSCMDShortTimeouts(t *testing.T) *mgr.Mgr {
	t.Helper()
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, state, sock)
	for _, args := range [][]string{
		{"add", `HKLM\SYSTEM\CurrentControlSet\Control`, "/v", "ServicesPipeTimeout", "/t", "REG_DWORD", "/d", "1000", "/f"},
		{"add", `HKLM\SYSTEM\CurrentControlSet\Control`, "/v", "WaitToKillServiceTimeout", "/d", "1000", "/f"},
	} {
		if out, err := exec.Command(filepath.Join(binDir, "reg"), args...).CombinedOutput(); err != nil {
			t.Fatalf("reg %v: %v\n%s", args, err, out)
		}
	}
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Disconnect() })
	return m
}

func installTestService(t *testing.T, m *mgr.Mgr, name string, args ...string) *mgr.Service {
	t.Helper()
	s, err := m.CreateService(name, filepath.Join(binDir, "testsvc"), mgr.Config{}, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitStatus waits until cond holds for the service's status.
func waitStatus(t *testing.T, s *mgr.Service, what string, cond func(svc.Status) bool) svc.Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := s.Query()
		if err != nil {
			t.Fatal(err)
		}
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never happened; status %+v", s.Name, what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func stoppedWith(code windows.Errno) func(svc.Status) bool {
	return func(st svc.Status) bool { return st.State == svc.Stopped && st.Win32ExitCode == uint32(code) }
}

func TestCrashAtEveryStage(t *testing.T) {
	m := startSCMDShortTimeouts(t)

	// Before registering: the service never answered the start, and the
	// caller of StartService gets 1053, as from Windows.
	s := installTestService(t, m, "before", "-mode", "crash-before-register")
	if err := s.Start(); err != windows.ERROR_SERVICE_REQUEST_TIMEOUT {
		t.Errorf("crash before registering: Start = %v, want 1053", err)
	}
	waitStatus(t, s, "stopped with 1053", stoppedWith(windows.ERROR_SERVICE_REQUEST_TIMEOUT))

	// Never registering: 1053 after ServicesPipeTimeout, and the process is killed.
	s = installTestService(t, m, "silent", "-mode", "never-register")
	if err := s.Start(); err != windows.ERROR_SERVICE_REQUEST_TIMEOUT {
		t.Errorf("never registering: Start = %v, want 1053", err)
	}

	// While START_PENDING, while RUNNING, while STOP_PENDING: 1067.
	for _, mode := range []string{"crash-start-pending", "crash-running"} {
		s = installTestService(t, m, mode, "-mode", mode)
		if err := s.Start(); err != nil {
			t.Fatalf("%s: Start = %v", mode, err)
		}
		waitStatus(t, s, "stopped with 1067", stoppedWith(windows.ERROR_PROCESS_ABORTED))
	}
	s = installTestService(t, m, "stoppending", "-mode", "crash-stop-pending")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
	if _, err := s.Control(svc.Stop); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "stopped with 1067", stoppedWith(windows.ERROR_PROCESS_ABORTED))

	// The SCM keeps serving everyone else throughout.
	ok := installTestService(t, m, "fine")
	if err := ok.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ok, "running", func(st svc.Status) bool { return st.State == svc.Running })
}

func TestNeverReportsIsHungNotKilled(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	s := installTestService(t, m, "hang", "-mode", "hang-start")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, s, "start pending", func(st svc.Status) bool { return st.State == svc.StartPending && st.CheckPoint == 1 })
	// Hung is reported through notifications (see net's test); the process
	// is left alone.
	if st.ProcessId == 0 || !alive(int(st.ProcessId)) {
		t.Fatalf("a hung service was killed: %+v", st)
	}
}

func TestIgnoresStopIsKilledAfterWaitToKill(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	s := installTestService(t, m, "stubborn", "-mode", "ignore-stop")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
	if _, err := s.Control(svc.Stop); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "killed", stoppedWith(windows.ERROR_PROCESS_ABORTED))
	if alive(int(st.ProcessId)) {
		t.Errorf("pid %d survived", st.ProcessId)
	}
}

func TestGrandchildrenDoNotEscape(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	pids := filepath.Join(t.TempDir(), "pids")
	s := installTestService(t, m, "forker", "-mode", "fork", "-pids", pids)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "gone", stoppedWith(windows.ERROR_PROCESS_ABORTED))
	b, err := os.ReadFile(pids)
	grandchildren := strings.Fields(string(b))
	if err != nil || len(grandchildren) != 2 {
		t.Fatalf("the service's grandchildren: %q %v, want two pids", b, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		for _, p := range grandchildren {
			if alive(atoiSafe(p)) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchildren escaped: %v", left)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFloodAndHostileHosts(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	flood := installTestService(t, m, "flood", "-mode", "flood")
	if err := flood.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, flood, "running after the flood", func(st svc.Status) bool { return st.State == svc.Running })

	hostile := installTestService(t, m, "hostile", "-mode", "hostile")
	err := hostile.Start()
	if err != windows.ERROR_PROCESS_ABORTED {
		t.Errorf("hostile: Start = %v, want 1067", err)
	}
	waitStatus(t, hostile, "dropped", stoppedWith(windows.ERROR_PROCESS_ABORTED))
	// Everyone else is still served.
	if st, err := flood.Control(svc.Interrogate); err != nil || st.State != svc.Running {
		t.Errorf("after a hostile host: %+v, %v", st, err)
	}
}

func TestSharedHost(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	var ss []*mgr.Service
	for _, name := range []string{"shareA", "shareB"} {
		s, err := m.CreateService(name, filepath.Join(binDir, "testsvc"), mgr.Config{ServiceType: windows.SERVICE_WIN32_SHARE_PROCESS}, "-share", "shareA,shareB")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ss = append(ss, s)
	}
	for _, s := range ss {
		if err := s.Start(); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
	}
	a := waitStatus(t, ss[0], "running", func(st svc.Status) bool { return st.State == svc.Running })
	b := waitStatus(t, ss[1], "running", func(st svc.Status) bool { return st.State == svc.Running })
	if a.ProcessId != b.ProcessId {
		t.Fatalf("two hosts: %d and %d", a.ProcessId, b.ProcessId)
	}
	ss[0].Control(svc.Stop)
	waitStatus(t, ss[0], "stopped", stoppedWith(0))
	if !alive(int(b.ProcessId)) {
		t.Fatal("the host went while shareB still runs in it")
	}
	ss[1].Control(svc.Stop)
	waitStatus(t, ss[1], "stopped", stoppedWith(0))
	deadline := time.Now().Add(10 * time.Second)
	for alive(int(b.ProcessId)) {
		if time.Now().After(deadline) {
			t.Fatal("the host did not exit after its last service stopped")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// A zombie has exited; only its parent's wait is missing.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func processesWith(marker string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cl := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if strings.Contains(cl, marker) {
			if pid := atoiSafe(e.Name()); pid > 0 && alive(pid) {
				found = append(found, e.Name()+": "+cl)
			}
		}
	}
	return found
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoiSafe(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
