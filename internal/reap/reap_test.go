package reap

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A watched child's status reaches its watcher, even when the child exits
// before the fork returns; a child the reaper does not watch is left to
// whoever started it.
func TestWatchedAndUnwatched(t *testing.T) {
	r, err := New(false)
	if err != nil {
		t.Fatal(err)
	}
	own := exec.Command("/bin/sh", "-c", "exit 7")
	if err := own.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan syscall.WaitStatus, 1)
	pid, err := r.Start(func() (int, error) {
		return syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 3"}, &syscall.ProcAttr{})
	}, func(p int, ws syscall.WaitStatus) {
		if p <= 0 {
			t.Errorf("pid %d", p)
		}
		got <- ws
	})
	if err != nil || pid <= 0 {
		t.Fatalf("start: %d, %v", pid, err)
	}
	select {
	case ws := <-got:
		if ws.ExitStatus() != 3 {
			t.Errorf("exit status %d, want 3", ws.ExitStatus())
		}
	case <-time.After(time.Minute):
		t.Fatal("the watched child was never reported")
	}
	if err := own.Wait(); err == nil || own.ProcessState.ExitCode() != 7 {
		t.Errorf("the unwatched child's own Wait: %v (%d)", err, own.ProcessState.ExitCode())
	}
}

// A child its watcher says is exiting is collected by its pid; a zombie
// nobody watches, whose SIGCHLD that exit explained, is still collected
// by the look at every child that follows. Run in a process of its own:
// a subreaper collects every child of the process.
func TestExitingAndOrphans(t *testing.T) {
	if os.Getenv("REAP_TEST_SUBREAPER") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestExitingAndOrphans$", "-test.v")
		cmd.Env = append(os.Environ(), "REAP_TEST_SUBREAPER=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	r, err := New(true)
	if err != nil {
		t.Fatal(err)
	}
	// The watched child exits when its stdin closes; the other, nobody's,
	// exits with it.
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan syscall.WaitStatus, 1)
	pid, err := r.Start(func() (int, error) {
		return syscall.ForkExec("/bin/sh", []string{"sh", "-c", "read x; exit 4"}, &syscall.ProcAttr{Files: []uintptr{rd.Fd(), 1, 2}})
	}, func(_ int, ws syscall.WaitStatus) { got <- ws })
	if err != nil {
		t.Fatal(err)
	}
	other, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "read x"}, &syscall.ProcAttr{Files: []uintptr{rd.Fd(), 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	rd.Close()
	r.Exiting(pid)
	wr.Close()
	select {
	case ws := <-got:
		if ws.ExitStatus() != 4 {
			t.Fatalf("exit status %d, want 4", ws.ExitStatus())
		}
	case <-time.After(time.Minute):
		t.Fatal("the exiting child was never reported")
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", other)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d, nobody's, is still a zombie", other)
		}
	}
}
