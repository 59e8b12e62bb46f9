package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// uidOf reads the real uid of a process.
func uidOf(t *testing.T, pid uint32) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(int(pid)), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			uid, _ := strconv.Atoi(f[1])
			return uid
		}
	}
	t.Fatal("no Uid line")
	return -1
}

// TestAccounts runs services as LocalSystem, LocalService and a named
// user, and checks whom their processes run as.
func TestAccounts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the machine's SCM runs as root")
	}
	m := startSCMDShortTimeouts(t)
	cases := []struct{ account, user string }{
		{"LocalSystem", "root"},
		{`NT AUTHORITY\LocalService`, "scm-localservice"},
		{`NT AUTHORITY\NetworkService`, "scm-networkservice"},
		{`.\nobody`, "nobody"},
	}
	for i, c := range cases {
		u, err := user.Lookup(c.user)
		if err != nil {
			t.Fatalf("%s: %v", c.user, err)
		}
		s, err := m.CreateService("acct"+strconv.Itoa(i), filepath.Join(binDir, "testsvc"), mgr.Config{ServiceStartName: c.account})
		if err != nil {
			t.Fatalf("%s: %v", c.account, err)
		}
		defer s.Close()
		if err := s.Start(); err != nil {
			t.Fatalf("%s: %v", c.account, err)
		}
		st := waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
		if got := uidOf(t, st.ProcessId); strconv.Itoa(got) != u.Uid {
			t.Errorf("%s runs as uid %d, want %s (%s)", c.account, got, u.Uid, c.user)
		}
		s.Control(svc.Stop)
	}
}

// TestEnvironmentAndDirectory checks what a service process starts with:
// the root directory, a clean environment, and its Environment value.
func TestEnvironmentAndDirectory(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	logPath := filepath.Join(t.TempDir(), "svc.log")
	s := installTestService(t, m, "envsvc", "-log", logPath)
	out, err := exec.Command(filepath.Join(binDir, "reg"), "add", `HKLM\SYSTEM\CurrentControlSet\Services\envsvc`,
		"/v", "Environment", "/t", "REG_MULTI_SZ", "/d", `SCMTEST=from the registry\0OTHER=x`, "/f").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
	b, _ := os.ReadFile(logPath)
	if !strings.Contains(string(b), `cwd=/ env="from the registry"`) {
		t.Errorf("log: %s", b)
	}
	s.Control(svc.Stop)
}

// TestDebugRun runs the example in a console: SIGINT becomes Stop.
func TestDebugRun(t *testing.T) {
	cmd := exec.Command(filepath.Join(binDir, "example"), "debug")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.Contains(lines.Text(), "beep") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	for lines.Scan() {
		seen = append(seen, lines.Text())
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%v: %q", err, seen)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("debug run did not stop: %q", seen)
	}
	all := strings.Join(seen, "\n")
	for _, want := range []string{"exampleservice.info(1): starting exampleservice service", "exampleservice.info(1): exampleservice-0", "exampleservice.info(1): exampleservice service stopped"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, seen)
		}
	}
}
