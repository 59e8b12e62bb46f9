package launch

import (
	"os/exec"
	"testing"
)

// A child's start time taken from the clock around its fork is the one
// /proc gives it.
func TestStartTimeOfChild(t *testing.T) {
	if ticksPerSecond == 0 {
		t.Fatal("no AT_CLKTCK in the auxiliary vector")
	}
	bracketed := 0
	for range 30 {
		before := bootTicks()
		cmd := exec.Command("/bin/sleep", "30")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := bootTicks()
		got, err1 := startTimeOfChild(cmd.Process.Pid, before, after)
		want, err2 := StartTime(cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got != want {
			t.Fatalf("start time %d from the clock (%d..%d), %d from /proc", got, before, after, want)
		}
		if before == after {
			bracketed++
		}
	}
	if bracketed == 0 {
		t.Fatal("every fork straddled a tick: the clock was never used")
	}
}
