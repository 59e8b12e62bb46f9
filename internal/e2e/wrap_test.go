package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/internal/wrap"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// wrapped installs a program under scm-wrap with parameters and returns
// the service, opened.
func wrapped(t *testing.T, m *mgr.Mgr, name string, params []string, program ...string) *mgr.Service {
	t.Helper()
	args := append([]string{"install", name}, params...)
	args = append(append(args, "--"), program...)
	if out, err := exec.Command(filepath.Join(binDir, "scm-wrap"), args...).CombinedOutput(); err != nil {
		t.Fatalf("scm-wrap %v: %v\n%s", args, err, out)
	}
	s, err := m.OpenService(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Control(svc.Stop); s.Close() })
	return s
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prog.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func running(st svc.Status) bool { return st.State == svc.Running }

func TestWrapShellScriptLogs(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.log")
	prog := script(t, "echo \"args: $*\"\necho oops >&2\nexec sleep 1000\n")
	s := wrapped(t, m, "shell", []string{"--AppStdout", out, "--AppStderr", out}, prog, "one", "two words")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "running", running)
	waitFor(t, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "args: one two words") && strings.Contains(string(b), "oops")
	})
	if _, err := s.Control(svc.Stop); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "stopped", stoppedWith(0))
	if left := processesWith(prog); len(left) > 0 {
		t.Errorf("left running: %v", left)
	}
}

// systemPython is the distribution's python3, as a service would run it
// (a per-user shim such as pyenv's needs the user's shell environment).
func systemPython(t *testing.T) string {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	return "/usr/bin/python3"
}

func TestWrapPythonHTTPServer(t *testing.T) {
	python := systemPython(t)
	m := startSCMDShortTimeouts(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("served by a wrapped python"), 0o644)
	s := wrapped(t, m, "web", []string{"--AppDirectory", dir}, python, "-m", "http.server", "18765", "--bind", "127.0.0.1")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "running", running)
	var body []byte
	var lastErr error
	defer func() {
		if t.Failed() {
			t.Logf("last error: %v", lastErr)
		}
	}()
	waitFor(t, func() bool {
		resp, err := http.Get("http://127.0.0.1:18765/index.html")
		if err != nil {
			lastErr = err
			return false
		}
		defer resp.Body.Close()
		body = make([]byte, 100)
		n, _ := resp.Body.Read(body)
		body = body[:n]
		return true
	})
	if string(body) != "served by a wrapped python" {
		t.Errorf("got %q", body)
	}
	s.Control(svc.Stop)
	waitStatus(t, s, "stopped", stoppedWith(0))
	if _, err := http.Get("http://127.0.0.1:18765/"); err == nil {
		t.Error("the server still answers after the service stopped")
	}
}

// A program that ignores SIGINT and SIGTERM and forks grandchildren, one in
// a session of its own: the stop escalates to SIGKILL after the configured
// waits, with checkpoints, and nothing survives.
func TestWrapStopEscalation(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	marker := fmt.Sprintf("scmwrapgrandchild%d", os.Getpid())
	dir := t.TempDir()
	for _, n := range []string{"a", "b"} {
		if err := os.Symlink("/bin/sleep", filepath.Join(dir, marker+"-"+n)); err != nil {
			t.Fatal(err)
		}
	}
	prog := script(t, fmt.Sprintf("trap '' INT TERM\n%s/%s-a 1000 &\nsetsid %s/%s-b 1000 &\nwhile true; do sleep 0.05; done\n", dir, marker, dir, marker))
	s := wrapped(t, m, "stubborn", []string{"--AppStopMethodConsole", "300", "--AppStopMethodWindow", "300"}, prog)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "running", running)
	waitFor(t, func() bool { return len(processesWith(marker)) == 2 })
	t0 := time.Now()
	if _, err := s.Control(svc.Stop); err != nil {
		t.Fatal(err)
	}
	var checkpoints []uint32
	waitStatus(t, s, "stopped", func(st svc.Status) bool {
		if st.State == svc.StopPending && (len(checkpoints) == 0 || checkpoints[len(checkpoints)-1] != st.CheckPoint) {
			checkpoints = append(checkpoints, st.CheckPoint)
		}
		return st.State == svc.Stopped
	})
	// Both waits were honoured: SIGINT, 300 ms, SIGTERM, 300 ms, SIGKILL.
	if d := time.Since(t0); d < 600*time.Millisecond {
		t.Errorf("stopped after %v, before the configured waits", d)
	}
	if len(checkpoints) < 2 {
		t.Errorf("checkpoints seen while stopping: %v", checkpoints)
	}
	if left := processesWith(marker); len(left) > 0 {
		t.Errorf("survivors: %v", left)
	}
}

func TestWrapExitActionsAndThrottle(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	// Exit 3 stops the service with 3 as its service-specific exit code.
	s := wrapped(t, m, "exits", []string{"--AppThrottle", "0"}, script(t, "exit 3\n"))
	exec.Command(filepath.Join(binDir, "scm-wrap"), "set", "exits", "AppExit", "3", "Exit").Run()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, s, "stopped", func(st svc.Status) bool { return st.State == svc.Stopped })
	if st.Win32ExitCode != uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR) || st.ServiceSpecificExitCode != 3 {
		t.Errorf("exit codes %+v", st)
	}

	// A program that dies at once is throttled: PAUSED, with the delay as hint.
	count := filepath.Join(t.TempDir(), "count")
	quick := wrapped(t, m, "quick", nil, script(t, "echo x >> "+count+"\nexit 1\n"))
	if err := quick.Start(); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, quick, "throttled", func(st svc.Status) bool { return st.State == svc.Paused })
	if st.WaitHint < 1000 {
		t.Errorf("throttle wait hint %d", st.WaitHint)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(count); return strings.Count(string(b), "x") >= 2 })
	quick.Control(svc.Stop)
	waitStatus(t, quick, "stopped", stoppedWith(0))

	// Ignore: the service stays up without its program.
	ign := wrapped(t, m, "ignores", nil, script(t, "exit 4\n"))
	exec.Command(filepath.Join(binDir, "scm-wrap"), "set", "ignores", "AppExit", "Default", "Ignore").Run()
	if err := ign.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ign, "running", running)
	if st, err := ign.Control(svc.Interrogate); err != nil || st.State != svc.Running {
		t.Errorf("ignored exit: %+v %v", st, err)
	}
}

// A program that writes fast loses nothing; logs rotate by size with the
// newest kept, and by age.
func TestWrapLogCaptureAndRotation(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.log")
	s := wrapped(t, m, "fast", []string{"--AppStdout", big}, script(t, "head -c 20000000 /dev/zero\nexec sleep 1000\n"))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { fi, err := os.Stat(big); return err == nil && fi.Size() == 20000000 })

	rot := filepath.Join(dir, "rot.log")
	r := wrapped(t, m, "rotating", []string{"--AppStdout", rot, "--AppRotateOnline", "1", "--AppRotateBytes", "1000", "--AppRotateKeep", "2"},
		script(t, "i=0; while [ $i -lt 200 ]; do echo line $i of a rotating log; i=$((i+1)); done\nexec sleep 1000\n"))
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(rot); return strings.Contains(string(b), "line 199 ") })
	if old := wrap.Rotated(rot); len(old) != 2 {
		t.Errorf("rotated files kept: %v", old)
	}

	aged := filepath.Join(dir, "aged.log")
	a := wrapped(t, m, "aging", []string{"--AppStdout", aged, "--AppRotateOnline", "1", "--AppRotateSeconds", "1"},
		script(t, "while true; do echo tick; sleep 0.1; done\n"))
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(wrap.Rotated(aged)) >= 1 })
}

// An sd_notify daemon is RUNNING only once it says READY=1. Its
// NOTIFY_SOCKET goes when the service stops.
func TestWrapNotifyReadiness(t *testing.T) {
	python := systemPython(t)
	m := startSCMDShortTimeouts(t)
	gate := filepath.Join(t.TempDir(), "gate")
	told := filepath.Join(t.TempDir(), "notify_socket")
	daemon := filepath.Join(t.TempDir(), "daemon.py")
	os.WriteFile(daemon, []byte(`import os, socket, time
open(`+"'"+told+"'"+`, "w").write(os.environ["NOTIFY_SOCKET"])
while not os.path.exists(`+"'"+gate+"'"+`):
    time.sleep(0.02)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=warming up\nREADY=1", os.environ["NOTIFY_SOCKET"])
time.sleep(1000)
`), 0o644)
	s := wrapped(t, m, "notifier", []string{"--AppNotify", "1"}, python, daemon)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Query(); st.State != svc.StartPending {
		t.Fatalf("running before READY=1: %+v", st)
	}
	os.WriteFile(gate, nil, 0o644)
	waitStatus(t, s, "running", running)
	out, _ := exec.Command(filepath.Join(binDir, "wevtutil"), "qe", "Application", "/q:*[System[Provider[@Name='notifier']]]", "/f:text").CombinedOutput()
	if !strings.Contains(string(out), "warming up") {
		t.Errorf("STATUS= not logged: %s", out)
	}
	sock, err := os.ReadFile(told)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Dir(string(sock))); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("NOTIFY_SOCKET %s is not in a directory of the wrapper's own: %v %v", sock, fi, err)
	}
	if _, err := s.Control(svc.Stop); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "stopped", func(st svc.Status) bool { return st.State == svc.Stopped })
	if _, err := os.Stat(filepath.Dir(string(sock))); !os.IsNotExist(err) {
		t.Errorf("NOTIFY_SOCKET's directory is left after the stop: %v", err)
	}
}

// PAUSE and CONTINUE become SIGSTOP and SIGCONT when configured, and a
// user-defined control becomes the signal AppControls names.
func TestWrapPauseAndControls(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	out := filepath.Join(t.TempDir(), "out.log")
	prog := script(t, "trap 'echo reloaded' HUP\nwhile true; do sleep 0.05; done\n")
	s := wrapped(t, m, "pausable", []string{"--AppStdout", out, "--AppPauseContinue", "1"}, prog)
	if o, err := exec.Command(filepath.Join(binDir, "scm-wrap"), "set", "pausable", "AppControls", "129", "SIGHUP").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, o)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, s, "running", running)
	if st.Accepts&svc.AcceptPauseAndContinue == 0 {
		t.Fatalf("does not accept pause: %+v", st)
	}
	if _, err := s.Control(svc.Pause); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "paused", func(st svc.Status) bool { return st.State == svc.Paused })
	pid := childOf(t, st.ProcessId)
	waitFor(t, func() bool { return procState(pid) == "T" })
	if _, err := s.Control(svc.Continue); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return procState(pid) != "T" })
	if _, err := s.Control(svc.Cmd(129)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(out); return strings.Contains(string(b), "reloaded") })
}

// childOf finds the program scm-wrap runs (its child).
func childOf(t *testing.T, wrapper uint32) int {
	t.Helper()
	var pid int
	waitFor(t, func() bool {
		for _, p := range processesWith("prog.sh") {
			n := atoiSafe(strings.SplitN(p, ":", 2)[0])
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n)); err == nil {
				s := string(b)
				f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
				if len(f) > 1 && f[1] == fmt.Sprint(wrapper) {
					pid = n
					return true
				}
			}
		}
		return false
	})
	return pid
}

func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}
