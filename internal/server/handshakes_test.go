package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/remote"
)

// peer is a connection from an address, as accept gives it.
type peer struct {
	net.Conn
	addr   net.Addr
	closed bool
}

func (p *peer) RemoteAddr() net.Addr { return p.addr }
func (p *peer) Close() error         { p.closed = true; return nil }

func from(ip string) *peer { return &peer{addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}} }

func TestNetworkOf(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.17":             "192.0.2.0/24",
		"192.0.2.250":            "192.0.2.0/24",
		"::ffff:192.0.2.1":       "192.0.2.0/24",
		"2001:db8:1:2:3:4:5:6":   "2001:db8:1::/48",
		"2001:db8:1:ff:ffff::1":  "2001:db8:1::/48",
		"127.0.0.1":              "loopback",
		"127.9.8.7":              "loopback",
		"::1":                    "loopback",
		"2001:db8:2:3:3:4:5:6":   "2001:db8:2::/48",
		"198.51.100.1":           "198.51.100.0/24",
		"198.51.101.1":           "198.51.101.0/24",
		"fe80::1234:5678:9abc:1": "fe80::/48",
	} {
		if got := networkOf(from(ip).addr); got != want {
			t.Errorf("%s counts in %s, want %s", ip, got, want)
		}
	}
}

// One network holds at most MaxHandshakesPerNetwork; when all handshakes
// are taken, a newcomer from a lighter network takes the oldest of the
// heaviest, and one from a network as heavy as any is refused.
func TestHandshakeGateSharesByNetwork(t *testing.T) {
	g := newHandshakeGate()
	var first []*peer
	for i := 0; i < MaxHandshakesPerNetwork+5; i++ {
		p := from("192.0.2.1")
		if _, ok := g.admit(p); ok != (i < MaxHandshakesPerNetwork) {
			t.Fatalf("connection %d from one network admitted: %v", i, ok)
		}
		first = append(first, p)
	}
	// Fill the rest from networks of one connection each.
	for i := 0; g.pending < MaxHandshakes; i++ {
		if _, ok := g.admit(from(fmt.Sprintf("198.51.%d.1", i))); !ok {
			t.Fatalf("network %d refused with %d pending", i, g.pending)
		}
	}
	// A newcomer takes the heaviest network's oldest.
	if _, ok := g.admit(from("203.0.113.1")); !ok {
		t.Fatal("a newcomer was refused while one network held eight")
	}
	if !first[0].closed || first[1].closed {
		t.Errorf("evicted: oldest %v, next %v; want the oldest alone", first[0].closed, first[1].closed)
	}
	if g.pending != MaxHandshakes {
		t.Errorf("%d pending, want %d", g.pending, MaxHandshakes)
	}
	// Once every network holds one, a new one's newcomer is refused.
	for g.networks["192.0.2.0/24"] != nil {
		if _, ok := g.admit(from(fmt.Sprintf("203.0.%d.1", 114+len(g.networks)))); !ok {
			break
		}
	}
	if _, ok := g.admit(from("100.64.0.1")); ok {
		t.Error("a newcomer evicted a network holding no more than its own would")
	}
}

func TestHandshakeGateDone(t *testing.T) {
	g := newHandshakeGate()
	p, ok := g.admit(from("192.0.2.1"))
	if !ok {
		t.Fatal("refused")
	}
	g.done(p)
	g.done(p) // evicted and then done: counted once
	if g.pending != 0 || len(g.networks) != 0 {
		t.Errorf("after done: %d pending, %d networks", g.pending, len(g.networks))
	}
}

// A network starts at most HandshakeBurst handshakes at once, then
// HandshakeRate a second.
func TestHandshakeGateRate(t *testing.T) {
	g := newHandshakeGate()
	now := time.Unix(1e9, 0)
	g.now = func() time.Time { return now }
	admitted := 0
	for i := 0; i < 2*HandshakeBurst; i++ {
		if p, ok := g.admit(from("192.0.2.1")); ok {
			admitted++
			g.done(p)
		}
	}
	if admitted != HandshakeBurst {
		t.Errorf("%d admitted at once, want %d", admitted, HandshakeBurst)
	}
	if _, ok := g.admit(from("198.51.100.1")); !ok {
		t.Error("another network was refused")
	}
	now = now.Add(time.Second)
	admitted = 0
	for i := 0; i < 2*HandshakeRate; i++ {
		if p, ok := g.admit(from("192.0.2.1")); ok {
			admitted++
			g.done(p)
		}
	}
	if admitted != HandshakeRate {
		t.Errorf("%d admitted a second later, want %d", admitted, HandshakeRate)
	}
}

// A peer that connects and sends nothing, or starts its hello and stalls,
// gives its handshake up after HelloTimeout, long before HandshakeTimeout,
// on a real TLS listener.
func TestSilentPeerLosesItsPlace(t *testing.T) {
	dir := t.TempDir()
	if _, err := remote.InitCA(dir, "test CA"); err != nil {
		t.Fatal(err)
	}
	if err := remote.IssueServer(dir, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := remote.ServerConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := newTLSListener(l, cfg, func(tls.ConnectionState) remoteIdentity { return remoteIdentity{} })
	defer tl.Close()
	var conns []net.Conn
	for i := 0; i < MaxHandshakesPerNetwork; i++ {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i%2 == 1 {
			// A record header promising 512 bytes of hello, and no more.
			c.Write([]byte{0x16, 3, 1, 0x02, 0x00, 1})
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		closedByServer(t, c, HandshakeTimeout-time.Second)
	}
}

// A remote connection whose certificate is unmapped is closed at once,
// with whatever stream it holds, while one whose mapping did not change
// stays.
func TestRemappedRemoteConnectionClosed(t *testing.T) {
	sock, s, m := serve(t, time.Minute, time.Minute)
	conn := client.Dial(sock)
	defer conn.Close()
	// Any answer, even a refusal, says the listener is up.
	client.Call(conn.QueryServiceLockStatus, &pb.HandleRequest{})
	remote := func(account string) (*clientConn, net.Conn) {
		ours, theirs := net.Pipe()
		rc := &remoteConn{remoteIdentity: remoteIdentity{account: account, commonName: account, fingerprint: "SHA256:" + account}}
		rc.checked.Store(m.RegistryGeneration())
		s.mu.Lock()
		ll := s.listeners[0]
		s.mu.Unlock()
		c := &clientConn{Conn: ours, l: ll, rconn: rc, remote: true}
		ll.mu.Lock()
		ll.conns[c] = true
		ll.open++
		ll.mu.Unlock()
		return c, theirs
	}
	_, revoked := remote("root")
	_, kept := remote("daemon")
	if _, err := client.Call(conn.RegCreateKey, &pb.RegKeyRequest{Path: manager.RemoteAccountsKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Call(conn.RegSetValue, &pb.RegSetValueRequest{Path: manager.RemoteAccountsKey,
		Value: &pb.RegValue{Name: "root", Type: uint32(registry.SZ), Data: []byte{}}}); err != nil {
		t.Fatal(err)
	}
	closedByServer(t, revoked, 10*time.Second)
	kept.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := kept.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a connection whose mapping did not change: %v, want it open", err)
	}
}
