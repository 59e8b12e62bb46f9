package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// TestPowerEvents runs scmd against a real dbus-daemon on which a
// stand-in for systemd-logind (this machine has no systemd) hands out the
// sleep inhibitor and sends PrepareForSleep as logind does. A service that
// accepts POWEREVENT hears of the suspend before scmd lets go of its
// inhibitor lock, and of the resume after; one that does not accept it
// hears nothing.
func TestPowerEvents(t *testing.T) {
	addr := startSystemBus(t)
	logind := startLogind(t, addr)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	m := startSCMDShortTimeouts(t)

	dir := t.TempDir()
	watchLog, blindLog := filepath.Join(dir, "watch.log"), filepath.Join(dir, "blind.log")
	watch := installTestService(t, m, "powerwatch", "-power", "-log", watchLog)
	blind := installTestService(t, m, "powerblind", "-log", blindLog)
	for _, s := range []*mgr.Service{watch, blind} {
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, s, "running", running)
	}

	// scmd holds the inhibitor: a suspend waits for it.
	waitFor(t, logind.held)
	logind.prepareForSleep(t, true)
	waitFor(t, func() bool { return !logind.held() })
	// Released only once the service had answered PBT_APMSUSPEND.
	if b, _ := os.ReadFile(watchLog); !strings.Contains(string(b), "power event=4\n") {
		t.Fatalf("the inhibitor was released before the service heard of the suspend; its log:\n%s", b)
	}

	logind.prepareForSleep(t, false)
	waitFor(t, func() bool {
		b, _ := os.ReadFile(watchLog)
		return strings.Contains(string(b), "power event=18\n") && strings.Contains(string(b), "power event=7\n")
	})
	// After a resume scmd takes the lock again, for the next suspend.
	waitFor(t, logind.held)
	if b, _ := os.ReadFile(blindLog); strings.Contains(string(b), "power event") {
		t.Errorf("POWEREVENT went to a service that does not accept it:\n%s", b)
	}
	for _, s := range []*mgr.Service{watch, blind} {
		s.Control(svc.Stop)
	}
}

// startSystemBus runs a dbus-daemon of the system bus's kind on a socket
// of the test's, and returns its address.
func startSystemBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("no dbus-daemon (Debian: apt-get install dbus-daemon)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "system_bus_socket")
	conf := filepath.Join(dir, "system.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`, sock)), 0o644)
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// The address is printed once the bus listens.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	return strings.TrimSpace(line)
}

// fakeLogind owns org.freedesktop.login1 and does what scmd needs of
// logind: Inhibit hands out the write end of a pipe, which the holder
// closes to release the lock, and PrepareForSleep is sent on demand.
type fakeLogind struct {
	conn  *dbus.Conn
	inode atomic.Uint64 // the inode of the pipe the current lock is on

	mu       sync.Mutex
	fds      []int                   // write ends handed out, closed when the test ends
	sessions map[string]*fakeSession // by logind's session id
}

func startLogind(t *testing.T, addr string) *fakeLogind {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	l := &fakeLogind{conn: conn, sessions: map[string]*fakeSession{}}
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, fd := range l.fds {
			syscall.Close(fd)
		}
	})
	if err := conn.Export(inhibitor{l}, "/org/freedesktop/login1", "org.freedesktop.login1.Manager"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning org.freedesktop.login1: %v %v", r, err)
	}
	return l
}

type inhibitor struct{ l *fakeLogind }

// Inhibit is logind's method. The pipe's read end is dropped at once:
// whether the lock is held is read from which other processes have the
// write end open (this one keeps its copy until the test ends, as the
// reply carrying it may still be on its way).
func (i inhibitor) Inhibit(what, who, why, mode string) (dbus.UnixFD, *dbus.Error) {
	if what != "sleep" || mode != "delay" {
		return 0, dbus.MakeFailedError(fmt.Errorf("unexpected inhibitor %s/%s", what, mode))
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	syscall.Close(p[0])
	var st syscall.Stat_t
	syscall.Fstat(p[1], &st)
	i.l.inode.Store(st.Ino)
	i.l.mu.Lock()
	i.l.fds = append(i.l.fds, p[1])
	i.l.mu.Unlock()
	return dbus.UnixFD(p[1]), nil
}

// held reports whether a process other than this test holds the current
// lock.
func (l *fakeLogind) held() bool {
	inode := l.inode.Load()
	if inode == 0 {
		return false
	}
	want := fmt.Sprintf("pipe:[%d]", inode)
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	self := fmt.Sprintf("/proc/%d/", os.Getpid())
	for _, fd := range fds {
		if strings.HasPrefix(fd, self) {
			continue
		}
		if target, err := os.Readlink(fd); err == nil && target == want {
			return true
		}
	}
	return false
}

func (l *fakeLogind) prepareForSleep(t *testing.T, start bool) {
	t.Helper()
	if err := l.conn.Emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", start); err != nil {
		t.Fatal(err)
	}
}
