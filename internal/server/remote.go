package server

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os/user"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/openscm/scm/internal/remote"
	"golang.org/x/sys/unix"
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
// the credentials a local peer has; cred is nil if it stands for none here.
func (s *Server) identify(cs tls.ConnectionState) remoteIdentity {
	if len(cs.PeerCertificates) == 0 {
		return remoteIdentity{}
	}
	leaf := cs.PeerCertificates[0]
	id := remoteIdentity{fingerprint: remote.Fingerprint(leaf), commonName: leaf.Subject.CommonName,
		gen: s.m.RegistryGeneration()}
	name, ok := s.m.RemoteAccount(id.fingerprint, id.commonName)
	if !ok {
		return id
	}
	u, err := user.Lookup(name)
	if err != nil {
		return id
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return id
	}
	id.account, id.cred = name, &unix.Ucred{Uid: uint32(uid), Gid: uint32(gid)}
	return id
}

// closeRemapped closes the remote connections whose certificate no longer
// stands for the account they were made as: a stream they hold (a
// NotifyServiceStatusChange, a WaitServiceStatus) ends with them, and
// their handles close, as Windows closes a revoked session's.
func (s *Server) closeRemapped() {
	s.mu.Lock()
	listeners := append([]*limitListener(nil), s.listeners...)
	s.mu.Unlock()
	for _, ll := range listeners {
		ll.mu.Lock()
		var remote []*clientConn
		for c := range ll.conns {
			if c.rconn != nil {
				remote = append(remote, c)
			}
		}
		ll.mu.Unlock()
		for _, c := range remote {
			if !s.stillMapped(c) {
				c.Close()
			}
		}
	}
}

// remoteIdentity is whom a remote connection's certificate stood for when
// it was mapped, at the registry's generation gen.
type remoteIdentity struct {
	cred                    *unix.Ucred
	account                 string
	fingerprint, commonName string
	gen                     uint64
}

// remoteConn is a connection from another machine, its handshake done:
// cred is the account its certificate maps to, nil when it maps to none,
// and then every call it makes is refused with ERROR_ACCESS_DENIED.
type remoteConn struct {
	*tls.Conn
	remoteIdentity
	checked atomic.Uint64 // the registry generation the mapping was last found unchanged at
}

// stillMapped reports whether c's certificate still stands for the account
// it was mapped to. A write to the registry makes the next call look again,
// so that a certificate unmapped or remapped (RemoteAccounts) stops acting
// as its old account then, rather than when its connection ends.
func (s *Server) stillMapped(c *clientConn) bool {
	rc := c.rconn
	if rc == nil {
		return true
	}
	gen := s.m.RegistryGeneration()
	if rc.checked.Load() == gen {
		return true
	}
	name, ok := s.m.RemoteAccount(rc.fingerprint, rc.commonName)
	if !ok || name != rc.account {
		return false
	}
	rc.checked.Store(gen)
	return true
}

// tlsListener completes handshakes off the accept loop and hands on the
// connections that finished theirs.
type tlsListener struct {
	net.Listener
	cfg      *tls.Config
	identify func(tls.ConnectionState) remoteIdentity
	gate     *handshakeGate

	ready chan net.Conn
	done  chan struct{}
	err   error // why accepting ended, once done is closed
}

func newTLSListener(l net.Listener, cfg *tls.Config, identify func(tls.ConnectionState) remoteIdentity) *tlsListener {
	t := &tlsListener{Listener: l, cfg: cfg, identify: identify, gate: newHandshakeGate(),
		ready: make(chan net.Conn), done: make(chan struct{})}
	go t.accept()
	return t
}

func (t *tlsListener) accept() {
	for {
		c, err := acceptRetrying(t.Listener)
		if err != nil {
			t.err = err
			close(t.done)
			return
		}
		p, ok := t.gate.admit(c)
		if !ok {
			c.Close()
			continue
		}
		go func() {
			tc := t.handshake(c)
			// The handshake's place is free before the account is looked
			// up: a slow name service holds no one else's handshake.
			t.gate.done(p)
			if tc != nil {
				rc := &remoteConn{Conn: tc, remoteIdentity: t.identify(tc.ConnectionState())}
				rc.checked.Store(rc.gen)
				select {
				case t.ready <- rc:
				case <-t.done:
					rc.Close()
				}
			}
		}()
	}
}

func (t *tlsListener) handshake(c net.Conn) *tls.Conn {
	start := time.Now()
	// The client's hello first, whole, within HelloTimeout: a peer that
	// connects and says nothing, or starts and stalls, gives its place up
	// soon.
	c.SetDeadline(start.Add(HelloTimeout))
	first, err := readHello(c)
	if err != nil {
		c.Close()
		return nil
	}
	c.SetDeadline(start.Add(HandshakeTimeout))
	tc := tls.Server(&helloConn{Conn: c, first: first}, t.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		return nil
	}
	c.SetDeadline(time.Time{})
	return tc
}

// readHello reads the first TLS record, which holds the ClientHello: a
// handshake record of at most 2^14 bytes.
func readHello(c net.Conn) ([]byte, error) {
	header := make([]byte, 5)
	if _, err := io.ReadFull(c, header); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(header[3:5]))
	if header[0] != 0x16 || n == 0 || n > 1<<14 {
		return nil, errors.New("not a TLS handshake")
	}
	record := make([]byte, 5+n)
	copy(record, header)
	if _, err := io.ReadFull(c, record[5:]); err != nil {
		return nil, err
	}
	return record, nil
}

// helloConn gives back the record read to see that the hello had come.
type helloConn struct {
	net.Conn
	first []byte
}

func (h *helloConn) Read(b []byte) (int, error) {
	if len(h.first) > 0 && len(b) > 0 {
		n := copy(b, h.first)
		h.first = h.first[n:]
		return n, nil
	}
	return h.Conn.Read(b)
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
