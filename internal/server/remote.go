package server

import (
	"context"
	"crypto/tls"
	"net"
	"os/user"
	"strconv"
	"sync"
	"time"

	"github.com/openscm/scm/internal/remote"
	"golang.org/x/sys/unix"
)

// Bounds of the remote listener, before a caller is known: the TLS
// handshake is all an unauthenticated peer can make scmd do, and these
// keep what it costs small and shared fairly between addresses.
const (
	// HandshakeTimeout is how long a remote peer has to complete TLS.
	HandshakeTimeout = 10 * time.Second

	// MaxHandshakes is how many handshakes run at once; a connection past
	// it is closed at accept.
	MaxHandshakes = 64

	// MaxHandshakesPerAddress is how many of them one peer address may
	// hold, so that one host stalling handshakes leaves the others room.
	MaxHandshakesPerAddress = 8
)

// ServeTLS serves the API to other machines on l: each connection is a
// TLS 1.3 session under cfg, whose client certificate (required, and
// verified against the CA) names the account the caller acts as, through
// the manager's RemoteAccount. Past the handshake a remote caller is
// served as a local one is, with a network logon's token.
func (s *Server) ServeTLS(l net.Listener, cfg *tls.Config) error {
	return s.Serve(newTLSListener(l, cfg, s.identify))
}

// identify is the account a verified client certificate stands for, as
// the credentials a local peer has; nil if it stands for none here.
func (s *Server) identify(cs tls.ConnectionState) *unix.Ucred {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	leaf := cs.PeerCertificates[0]
	name, ok := s.m.RemoteAccount(remote.Fingerprint(leaf), leaf.Subject.CommonName)
	if !ok {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &unix.Ucred{Uid: uint32(uid), Gid: uint32(gid)}
}

// remoteConn is a connection from another machine, its handshake done:
// cred is the account its certificate maps to, nil when it maps to none,
// and then every call it makes is refused with ERROR_ACCESS_DENIED.
type remoteConn struct {
	*tls.Conn
	cred *unix.Ucred
}

// tlsListener completes handshakes off the accept loop and hands on the
// connections that finished theirs.
type tlsListener struct {
	net.Listener
	cfg      *tls.Config
	identify func(tls.ConnectionState) *unix.Ucred

	ready chan net.Conn
	done  chan struct{}
	err   error // why accepting ended, once done is closed

	mu        sync.Mutex
	pending   int
	byAddress map[string]int
}

func newTLSListener(l net.Listener, cfg *tls.Config, identify func(tls.ConnectionState) *unix.Ucred) *tlsListener {
	t := &tlsListener{Listener: l, cfg: cfg, identify: identify,
		ready: make(chan net.Conn), done: make(chan struct{}), byAddress: map[string]int{}}
	go t.accept()
	return t
}

func (t *tlsListener) accept() {
	for {
		c, err := t.Listener.Accept()
		if err != nil {
			t.err = err
			close(t.done)
			return
		}
		addr := peerAddress(c)
		if !t.reserve(addr) {
			c.Close()
			continue
		}
		go func() {
			defer t.release(addr)
			if rc := t.handshake(c); rc != nil {
				select {
				case t.ready <- rc:
				case <-t.done:
					rc.Close()
				}
			}
		}()
	}
}

func (t *tlsListener) handshake(c net.Conn) *remoteConn {
	tc := tls.Server(c, t.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
	defer cancel()
	c.SetDeadline(time.Now().Add(HandshakeTimeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		return nil
	}
	c.SetDeadline(time.Time{})
	return &remoteConn{Conn: tc, cred: t.identify(tc.ConnectionState())}
}

func (t *tlsListener) reserve(addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending >= MaxHandshakes || t.byAddress[addr] >= MaxHandshakesPerAddress {
		return false
	}
	t.pending++
	t.byAddress[addr]++
	return true
}

func (t *tlsListener) release(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending--
	if t.byAddress[addr]--; t.byAddress[addr] == 0 {
		delete(t.byAddress, addr)
	}
}

// Accept returns the next connection whose handshake is done.
func (t *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-t.ready:
		return c, nil
	case <-t.done:
		return nil, t.err
	}
}

func peerAddress(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}
