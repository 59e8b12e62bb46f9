package launch

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tracker keeps a process with the host it was forked under after it
// double-forks into a session of its own, and kills it with that host.
func TestTrackerFollowsDaemons(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("process events need root")
	}
	tr, err := newProcessTracker(t.Logf, "")
	if err != nil {
		t.Skip(err)
	}
	pidFile := t.TempDir() + "/pid"
	host := exec.Command("/bin/sh", "-c", `(setsid sh -c 'echo $$ > "$1"; exec sleep 1000' sh "$1" &) ; exec sleep 1000`, "sh", pidFile)
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	tr.assign(host.Process.Pid, 7)
	daemon := 0
	for deadline := time.Now().Add(10 * time.Second); daemon == 0; {
		b, _ := os.ReadFile(pidFile)
		daemon, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(func() { syscall.Kill(daemon, syscall.SIGKILL) })
	// The tracker knows it works once it has read the event of a fork of
	// ours; the daemon's arrives in the same batches, so wait for that.
	working := false
	for deadline := time.Now().Add(5 * time.Second); !working && time.Now().Before(deadline); {
		tr.mu.Lock()
		working = tr.working && tr.procs[daemon] != nil
		tr.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	if !working {
		syscall.Kill(host.Process.Pid, syscall.SIGKILL)
		host.Wait()
		t.Skip("no process events in this namespace")
	}
	if !tr.kill(7, 10*time.Second) {
		t.Fatal("kill timed out")
	}
	host.Wait()
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(daemon) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
		t.Fatalf("the daemon %d outlived its host's kill", daemon)
	}
}

// signalKill kills a process only if it is still the one that started at
// the recorded time: a pid reused by another process is left alone.
func TestSignalKillChecksStartTime(t *testing.T) {
	cmd := exec.Command("/bin/sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	start, err := StartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	signalKill(cmd.Process.Pid, start+1) // another process that had the pid
	signalKill(cmd.Process.Pid, 0)       // one that was gone when first seen
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("a process with another start time was killed: %v", err)
	}
	signalKill(cmd.Process.Pid, start)
	if st, _ := cmd.Process.Wait(); st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the process itself was not killed: %v", st)
	}
}
