package server

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/windows"
)

// serveWithTimeouts serves a fresh database on a socket with the idle and
// request body timeouts shortened.
func serveWithTimeouts(t *testing.T, idle, body time.Duration) string {
	t.Helper()
	sock, _, _ := serve(t, idle, body)
	return sock
}

// serve serves a fresh database with the given timeouts.
func serve(t *testing.T, idle, body time.Duration) (string, *Server, *manager.Manager) {
	t.Helper()
	dir := t.TempDir()
	store, err := registry.Open(filepath.Join(dir, "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manager.Open(store, time.Now, uint32(os.Geteuid()))
	if err != nil {
		t.Fatal(err)
	}
	s := New(m, uint32(os.Geteuid()))
	s.idleTimeout, s.requestReadTimeout = idle, body
	sock := filepath.Join(dir, "scm.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		<-done
		store.Close()
	})
	return sock, s, m
}

// closedByServer waits for the server to close c, within bound, and
// returns what it sent before.
func closedByServer(t *testing.T, c net.Conn, bound time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(bound))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("the server did not close the connection within %v: %v", bound, err)
	}
	return string(got)
}

// An HTTP/2 connection that made no call and holds no handle is closed once
// idle; HTTP/2 has no header timeout to do it.
func TestIdleConnectionClosed(t *testing.T) {
	sock := serveWithTimeouts(t, 200*time.Millisecond, RequestReadTimeout)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The HTTP/2 preface and an empty SETTINGS frame, then nothing.
	io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
	closedByServer(t, c, 10*time.Second)
}

// A connection holding a handle is never closed for idleness: the handle
// lives as long as its client.
func TestIdleConnectionWithHandlesKept(t *testing.T) {
	idle := 200 * time.Millisecond
	sock := serveWithTimeouts(t, idle, RequestReadTimeout)
	conn := client.Dial(sock)
	defer conn.Close()
	h, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_QUERY_LOCK_STATUS})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * idle) // time passing is what is tested
	if _, err := client.Call(conn.QueryServiceLockStatus, &pb.HandleRequest{Handle: h.Handle}); err != nil {
		t.Fatalf("the handle after %v idle: %v", 5*idle, err)
	}
}

// A request whose body stalls is answered with deadline_exceeded when its
// time is up, and the connection, idle then, is closed.
func TestStalledBodyDropped(t *testing.T) {
	sock := serveWithTimeouts(t, 300*time.Millisecond, 300*time.Millisecond)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /scm.v1.ServiceControlManager/EnumEventLogs HTTP/1.1\r\nHost: scm\r\n"+
		"Content-Type: application/proto\r\nContent-Length: 100\r\n\r\n0123456789")
	if got := closedByServer(t, c, 10*time.Second); !strings.Contains(got, "deadline_exceeded") {
		t.Errorf("a stalled request got %q, want deadline_exceeded", got)
	}
}

// A client whose idle connection scmd closed (it held no handle) makes its
// next call on a new one, without an error: the request sent on the
// closed one was never read.
func TestClientRedialsAfterIdleClose(t *testing.T) {
	sock := serveWithTimeouts(t, 200*time.Millisecond, RequestReadTimeout)
	conn := client.Dial(sock)
	defer conn.Close()
	if _, err := client.Call(conn.EnumEventLogs, &pb.Empty{}); err != nil {
		t.Fatal(err)
	}
	// A connection idle since after the client's: once scmd has closed
	// it, it has closed the client's too.
	later, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	io.WriteString(later, "POST /scm.v1.ServiceControlManager/EnumEventLogs HTTP/1.1\r\nHost: scm\r\nContent-Type: application/proto\r\nContent-Length: 0\r\n\r\n")
	if got := closedByServer(t, later, 10*time.Second); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("the later connection's call: %q", got)
	}
	if _, err := client.Call(conn.EnumEventLogs, &pb.Empty{}); err != nil {
		t.Fatalf("the call after scmd closed the idle connection: %v", err)
	}
}
