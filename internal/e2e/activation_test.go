package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/windows/svc"
)

// TestSocketActivation: scmd holds a TCP port for a stopped service with a
// port-open trigger; a byte sent before the service existed reaches it,
// through scm-wrap, on a socket it gets in systemd's LISTEN_FDS form.
func TestSocketActivation(t *testing.T) {
	python := systemPython(t)
	m := startSCMDShortTimeouts(t)
	out := filepath.Join(t.TempDir(), "got")
	prog := filepath.Join(t.TempDir(), "activated.py")
	os.WriteFile(prog, []byte(`import os, socket
assert os.environ["LISTEN_FDS"] == "1" and os.environ["LISTEN_PID"] == str(os.getpid())
l = socket.socket(fileno=3)
c, _ = l.accept()
data = c.recv(100)
open(`+"'"+out+"'"+`, "w").write(data.decode() + " " + os.environ["LISTEN_FDNAMES"])
c.sendall(b"ok")
c.close()
import time
time.sleep(1000)
`), 0o644)
	s := wrapped(t, m, "activated", nil, python, prog)
	if o, err := exec.Command(filepath.Join(binDir, "sc"), "triggerinfo", "activated", "start/portopen/18767;TCP").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, o)
	}
	var conn net.Conn
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:18767")
		if err != nil {
			return false
		}
		conn = c
		return true
	})
	if _, err := conn.Write([]byte("early bird")); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 2)
	if _, err := conn.Read(reply); err != nil || string(reply) != "ok" {
		t.Fatalf("reply %q, %v", reply, err)
	}
	b, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(b), "early bird tcp:18767") {
		t.Errorf("the service got %q", b)
	}
	waitStatus(t, s, "running", running)
	s.Control(svc.Stop)
	waitStatus(t, s, "stopped", func(st svc.Status) bool { return st.State == svc.Stopped })
	// Stopped again, the service is started again by the next connection.
	c2, err := net.Dial("tcp", "127.0.0.1:18767")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Write([]byte("second"))
	waitFor(t, func() bool { b, _ := os.ReadFile(out); return strings.HasPrefix(string(b), "second") })
}
