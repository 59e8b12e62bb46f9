package e2e

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/windows/svc/mgr"
)

// TestKilledClientLeaksNothing SIGKILLs an sc that holds the database lock;
// the SCM must release the lock and close its handles when its connection
// drops.
func TestKilledClientLeaksNothing(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, state, sock)

	lock := exec.Command(filepath.Join(binDir, "sc"), "lock")
	stdin, err := lock.StdinPipe() // held open: sc waits for "u"
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := lock.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := lock.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() && !strings.Contains(lines.Text(), "Active LOCK on database") {
	}

	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	if st, err := m.LockStatus(); err != nil || !st.IsLocked {
		t.Fatalf("while sc lock runs: %+v, %v", st, err)
	}
	lock.Process.Kill()
	lock.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := m.LockStatus()
		if err != nil {
			t.Fatal(err)
		}
		if !st.IsLocked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock outlived the killed client")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
