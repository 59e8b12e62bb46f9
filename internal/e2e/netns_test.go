package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// TestIPAvailabilityTriggers runs scmd in a network namespace of its own,
// where no address exists: the first address starts the service with the
// networkon trigger, removing the last stops it (networkoff).
func TestIPAvailabilityTriggers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces take root")
	}
	ns := fmt.Sprintf("scmtest%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns: %v %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	inNS := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	cmd := exec.Command("ip", "netns", "exec", ns, filepath.Join(binDir, "scmd"), "--state-dir", state, "--socket", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopSCMD(cmd) })
	waitForSocketT(t, sock)

	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	s, err := m.CreateService("netsvc", filepath.Join(binDir, "testsvc"), mgr.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := exec.Command(filepath.Join(binDir, "sc"), "triggerinfo", "netsvc", "start/networkon", "stop/networkoff").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	inNS("ip", "tuntap", "add", "dev", "scmd0", "mode", "tap")
	inNS("ip", "link", "set", "scmd0", "up")
	inNS("ip", "addr", "add", "192.0.2.7/24", "dev", "scmd0")
	waitStatus(t, s, "started by the first address", running)
	inNS("ip", "addr", "del", "192.0.2.7/24", "dev", "scmd0")
	waitStatus(t, s, "stopped by the last address going", func(st svc.Status) bool { return st.State == svc.Stopped })
}

// TestNetBind: a service accepting NETBINDCHANGE hears an interface come,
// go up, go down and go away.
func TestNetBind(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("tap devices take root")
	}
	m := startSCMDShortTimeouts(t)
	logPath := filepath.Join(t.TempDir(), "svc.log")
	s := installTestService(t, m, "binder", "-netbind", "-log", logPath)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "running", running)
	name := fmt.Sprintf("scmnb%d", os.Getpid()%10000)
	for _, args := range [][]string{
		{"tuntap", "add", "dev", name, "mode", "tap"},
		{"link", "set", name, "up"},
		{"link", "set", name, "down"},
		{"tuntap", "del", "dev", name, "mode", "tap"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("ip %v: %v %s", args, err, out)
		}
	}
	waitFor(t, func() bool {
		b, _ := os.ReadFile(logPath)
		log := string(b)
		return strings.Contains(log, "control cmd=7 ") && strings.Contains(log, "control cmd=9 ") &&
			strings.Contains(log, "control cmd=10 ") && strings.Contains(log, "control cmd=8 ")
	})
	s.Control(svc.Stop)
}
