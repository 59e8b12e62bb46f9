package server

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/security"
	"golang.org/x/sys/unix"
)

// limitListener admits connections within the caps of limits.go. The
// peer's credentials are read at accept (SO_PEERCRED), before any byte of
// HTTP, and a connection past a cap is closed at once: it costs neither a
// goroutine nor a descriptor beyond that moment.
type limitListener struct {
	net.Listener
	owner uint32
	total int // connections admitted at most, reserve included

	idleTimeout time.Duration

	newClient    func() manager.ClientID
	holdsHandles func(manager.ClientID) bool

	mu     sync.Mutex
	open   int                  // connections admitted and not yet closed
	byUser map[uint32]*userLoad // of which, per ordinary user
	conns  map[*clientConn]bool
	closed bool
	stop   chan struct{}
}

func newLimitListener(l net.Listener, owner uint32, total int, idleTimeout time.Duration, newClient func() manager.ClientID, holdsHandles func(manager.ClientID) bool) *limitListener {
	ll := &limitListener{
		Listener:     l,
		owner:        owner,
		total:        total,
		idleTimeout:  idleTimeout,
		newClient:    newClient,
		holdsHandles: holdsHandles,
		byUser:       map[uint32]*userLoad{},
		conns:        map[*clientConn]bool{},
		stop:         make(chan struct{}),
	}
	go ll.reapIdle()
	return ll
}

// clientConn is one admitted connection: its peer, and what the idle reaper
// needs to know about it.
type clientConn struct {
	net.Conn
	l      *limitListener
	cred   *unix.Ucred // nil: no peer credentials
	remote bool        // from another machine (ServeTLS); cred is its account's
	rconn  *remoteConn // the same connection, with its certificate's mapping
	admin  bool
	user   *userLoad // what the peer's uid holds in all; nil for administrators

	inFlight   atomic.Int32 // calls being served
	closing    atomic.Bool  // the idle reaper is closing it
	calls      atomic.Int32 // calls made, up to 2: whether it is fresh
	lastActive atomic.Int64 // unix nanoseconds of the last call's start or end
	ownID      manager.ClientID
	client     atomic.Uint64 // the client its calls are made as: its own, or its session's
	session    *session      // on Server.sessions.mu
	gone       bool          // closed, on Server.sessions.mu
	token      *security.Token
	closeOnce  sync.Once
}

// clientID is the client the connection's calls are made as.
func (c *clientConn) clientID() manager.ClientID { return manager.ClientID(c.client.Load()) }

// Accept returns the next connection within the caps, closing the ones past
// them.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := acceptRetrying(l.Listener)
		if err != nil {
			return nil, err
		}
		cc := &clientConn{Conn: c, l: l, cred: peerCred(c)}
		cc.rconn, cc.remote = c.(*remoteConn)
		cc.admin = cc.cred != nil && (cc.cred.Uid == 0 || cc.cred.Uid == l.owner)
		cc.lastActive.Store(time.Now().UnixNano())
		cc.ownID = l.newClient()
		cc.client.Store(uint64(cc.ownID))
		if !l.admit(cc) {
			c.Close()
			continue
		}
		return cc, nil
	}
}

// admit takes a slot for c if the caps allow: an ordinary user gets one
// while under MaxConnsPerUser and outside the administrators' reserve;
// an administrator gets any free slot.
func (l *limitListener) admit(c *clientConn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.total {
		return false
	}
	if !c.admin {
		if l.open >= l.total-AdminReserve {
			return false
		}
		u := l.byUser[c.uid()]
		if u == nil {
			u = newUserLoad()
			l.byUser[c.uid()] = u
		}
		if u.conns >= MaxConnsPerUser {
			return false
		}
		u.conns++
		c.user = u
	}
	l.open++
	l.conns[c] = true
	return true
}

// anonymousUID counts connections without peer credentials together.
const anonymousUID = ^uint32(0)

func (c *clientConn) uid() uint32 {
	if c.cred == nil {
		return anonymousUID
	}
	return c.cred.Uid
}

// Close closes the connection and gives its slot back, once.
func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		l := c.l
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.conns, c)
		l.open--
		if c.user != nil {
			if c.user.conns--; c.user.conns == 0 {
				delete(l.byUser, c.uid())
			}
		}
	})
	return err
}

// callStarted and callDone bracket each call, for the idle reaper.
// callStarted counts a call in; false if the idle reaper is closing the
// connection, which the call must then not use.
func (c *clientConn) callStarted() bool {
	c.inFlight.Add(1)
	if c.closing.Load() {
		return false
	}
	if c.calls.Load() < 2 {
		c.calls.Add(1)
	}
	c.lastActive.Store(time.Now().UnixNano())
	return true
}

func (c *clientConn) callDone() {
	c.lastActive.Store(time.Now().UnixNano())
	c.inFlight.Add(-1)
}

// unused reports whether c has had no call in flight, nor started or
// finished one, for the idle timeout. It is idle if it holds no handle
// either.
func (c *clientConn) unused(now time.Time) bool {
	return c.inFlight.Load() == 0 && now.UnixNano()-c.lastActive.Load() >= int64(c.l.idleTimeout)
}

// beginClose marks an idle connection as closing, unless a call came in
// meanwhile: of a call and the reaper, at least one sees the other.
func (c *clientConn) beginClose() bool {
	c.closing.Store(true)
	if c.inFlight.Load() > 0 {
		c.closing.Store(false)
		return false
	}
	return true
}

// reapIdle closes idle connections until the listener closes. The HTTP
// server's own idle timeout is not used: it would close connections whose
// handles the client still means to use.
func (l *limitListener) reapIdle() {
	t := time.NewTicker(l.idleTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case now := <-t.C:
			var unused []*clientConn
			l.mu.Lock()
			for c := range l.conns {
				if c.unused(now) {
					unused = append(unused, c)
				}
			}
			l.mu.Unlock()
			for _, c := range unused {
				if !l.holdsHandles(c.clientID()) && c.beginClose() {
					c.Close()
				}
			}
		}
	}
}

// closeAll closes every connection admitted and still open.
func (l *limitListener) closeAll() {
	l.mu.Lock()
	conns := make([]*clientConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Close stops accepting and stops the reaper.
func (l *limitListener) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.mu.Unlock()
	return l.Listener.Close()
}

// peerCred reads the credentials of a unix socket's peer, or those of the
// account a remote peer's certificate maps to; nil if there are none.
func peerCred(c net.Conn) *unix.Ucred {
	if rc, ok := c.(*remoteConn); ok {
		return rc.cred
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil {
		return nil
	}
	return cred
}

// acceptRetrying is l.Accept, waiting out the errors that pass: out of
// descriptors or memory, or a peer gone before it was accepted. Only a
// closed listener, or an error that will not pass, ends serving; a burst
// of connections that uses every descriptor for a moment does not.
func acceptRetrying(l net.Listener) (net.Conn, error) {
	delay := 5 * time.Millisecond
	for {
		c, err := l.Accept()
		if err == nil {
			return c, nil
		}
		if !transientAcceptError(err) {
			return nil, err
		}
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
}

func transientAcceptError(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
