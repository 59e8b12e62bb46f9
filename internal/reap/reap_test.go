package reap

import (
	"os/exec"
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
