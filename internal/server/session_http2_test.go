package server

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/manager"
)

// serveManager serves a fresh database with the default timeouts, and
// gives the server and its manager to look into.
func serveManager(t *testing.T) (string, *Server, *manager.Manager) {
	return serve(t, IdleTimeout, RequestReadTimeout)
}

func hpackLit(b []byte, k, v string) []byte {
	b = append(b, 0x00, byte(len(k)))
	b = append(b, k...)
	b = append(b, byte(len(v)))
	return append(b, v...)
}

func frame(typ, flags byte, stream uint32, payload []byte) []byte {
	h := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[5:], stream)
	return append(h, payload...)
}

// h2CallAndHangUp sends one HTTP/2 OpenSCManager call and closes the
// connection at once.
func h2CallAndHangUp(t *testing.T, sock, session string) {
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var hb []byte
	hb = hpackLit(hb, ":method", "POST")
	hb = hpackLit(hb, ":scheme", "http")
	hb = hpackLit(hb, ":path", "/scm.v1.ServiceControlManager/OpenSCManager")
	hb = hpackLit(hb, ":authority", "scm")
	hb = hpackLit(hb, "content-type", "application/proto")
	if session != "" {
		hb = hpackLit(hb, "scm-session", session)
	}
	msg := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	msg = append(msg, frame(0x4, 0, 0, nil)...)
	msg = append(msg, frame(0x1, 0x5, 1, hb)...)
	c.Write(msg)
	c.Close()
}

// Handles opened by HTTP/2 calls whose connection hung up at once go
// with it.
func TestHTTP2HandlesGoWithTheirConnection(t *testing.T) {
	sock, s, m := serveManager(t)
	for i := 0; i < 300; i++ {
		h2CallAndHangUp(t, sock, "")
	}
	until(t, func() bool { return m.HandleCount() == 0 }, func() string {
		return fmt.Sprintf("%d handles left with no connection open", m.HandleCount())
	})
	_ = s
}

// An HTTP/2 call may still run after its connection closed: one that
// joins a session then must not keep the session, or its handles, alive.
func TestSessionNotJoinedAfterClose(t *testing.T) {
	sock, s, m := serveManager(t)
	conn := client.Dial(sock)
	if _, err := conn.OpenSCManager(&pb.OpenSCManagerRequest{DesiredAccess: 1}); err != nil {
		t.Fatal(err)
	}
	tok := conn.SessionToken()
	if tok == "" {
		t.Fatal("no token")
	}
	for i := 0; i < 300; i++ {
		h2CallAndHangUp(t, sock, tok)
	}
	conn.Close()
	sessions := func() int {
		s.sessions.mu.Lock()
		defer s.sessions.mu.Unlock()
		return len(s.sessions.byID)
	}
	until(t, func() bool { return sessions() == 0 && m.HandleCount() == 0 }, func() string {
		return fmt.Sprintf("after every connection closed: %d sessions, %d handles left", sessions(), m.HandleCount())
	})
}

// until waits for cond, for at most 30 s, and fails with what() if it
// never holds.
func until(t *testing.T, cond func() bool, what func() string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
	}
}
