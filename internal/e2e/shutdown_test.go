package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// TestShutdownOrder sends scmd SIGTERM with services running: PRESHUTDOWN
// goes to dependents before what they depend on, a service that overruns
// its PreshutdownTimeout is recorded (7043) and passed over, SHUTDOWN comes
// after, and nothing is left running once scmd has exited.
func TestShutdownOrder(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	cmd := startSCMD(t, state, sock)
	logPath := filepath.Join(t.TempDir(), "order.log")
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(binDir, "testsvc")
	create := func(name string, c mgr.Config, args ...string) *mgr.Service {
		s, err := m.CreateService(name, exe, c, append([]string{"-log", logPath}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := create("base", mgr.Config{}, "-preshutdown", "stop")
	dep := create("dependent", mgr.Config{Dependencies: []string{"base"}}, "-preshutdown", "stop")
	slow := create("slow", mgr.Config{}, "-preshutdown", "hang")
	last := create("last", mgr.Config{}, "-mode", "shutdown-only")
	out, err := exec.Command(filepath.Join(binDir, "reg"), "add", `HKLM\SYSTEM\CurrentControlSet\Services\slow`,
		"/v", "PreshutdownTimeout", "/t", "REG_DWORD", "/d", "300", "/f").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var pids []uint32
	for _, s := range []*mgr.Service{dep, slow, last} {
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*mgr.Service{base, dep, slow, last} {
		st := waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
		pids = append(pids, st.ProcessId)
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
	for _, pid := range pids {
		if alive(int(pid)) {
			t.Errorf("pid %d outlived scmd", pid)
		}
	}
	b, _ := os.ReadFile(logPath)
	log := string(b)
	pre := controlsOrder(log, "cmd=15")
	if len(pre) != 3 || indexOf(pre, "dependent") > indexOf(pre, "base") {
		t.Errorf("preshutdown order %v", pre)
	}
	// SHUTDOWN goes to what still runs and accepts it: the one that overran
	// its preshutdown, and the one that only takes SHUTDOWN; after PRESHUTDOWN.
	sh := controlsOrder(log, "cmd=5")
	if len(sh) != 2 || indexOf(sh, "last") < 0 || indexOf(sh, "slow") < 0 {
		t.Errorf("shutdown went to %v", sh)
	}
	if strings.Index(log, "control cmd=5") < strings.LastIndex(log, "control cmd=15") {
		t.Errorf("SHUTDOWN before the last PRESHUTDOWN:\n%s", log)
	}

	cmd = startSCMD(t, state, sock)
	events, _ := exec.Command(filepath.Join(binDir, "wevtutil"), "qe", "System", "/f:text").CombinedOutput()
	if !strings.Contains(string(events), "The slow service did not shut down properly after receiving a preshutdown control.") {
		t.Errorf("no 7043 for slow: %s", events)
	}
	cmd.Process.Kill()
	cmd.Wait()
}

// controlsOrder lists, in log order, the services that logged a control.
func controlsOrder(log, control string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`control `+control+` context=\d+ service=(\w+)`).FindAllStringSubmatch(log, -1) {
		names = append(names, m[1])
	}
	return names
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
