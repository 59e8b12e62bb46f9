// Package server serves the SCM's API on a unix socket. Each connection is
// one client: its peer credentials (SO_PEERCRED) make the caller's token, and
// when the connection closes, however the client ended, its handles close.
package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os/user"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/api/scmv1/scmv1connect"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// Server is the API endpoint of one Manager.
type Server struct {
	m     *manager.Manager
	owner uint32 // the uid scmd runs as

	nextClient atomic.Uint64
	conns      sync.Map // net.Conn → manager.ClientID, for connections not from the listener
	sessions   sessions
	http       *http.Server
	maxConns   int // client connections in all, administrators' reserve included

	// The timeouts of limits.go, fields so that tests can shorten them.
	idleTimeout, requestReadTimeout time.Duration

	releasing atomic.Bool // a release of memory to the system is under way

	mu        sync.Mutex
	listeners []*limitListener // what Serve accepts on, for Close
	closed    bool
}

type (
	callerKey struct{}
	connKey   struct{}
)

// New returns a server for m; owner is the uid of the process serving it.
func New(m *manager.Manager, owner uint32) *Server {
	s := &Server{m: m, owner: owner, maxConns: connectionBudget(),
		idleTimeout: IdleTimeout, requestReadTimeout: RequestReadTimeout}
	m.OnRegistryWrite(s.closeRemapped)
	mux := http.NewServeMux()
	// Replies are small and the socket is local: compressing costs more
	// than it saves, except for big enumerations.
	mux.Handle(scmv1connect.NewServiceControlManagerHandler(&handler{m},
		connect.WithCompressMinBytes(64<<10),
		connect.WithReadMaxBytes(MaxRequestBytes)))
	mux.Handle("/metrics", s.metricsHandler())
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s.http = &http.Server{
		Handler:   s.bounded(mux),
		Protocols: protocols,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: MaxStreamsPerConn,
			// Small receive windows: what a client may push ahead of
			// scmd's reading stays small on every connection.
			MaxReceiveBufferPerConnection: 64 << 10,
			MaxReceiveBufferPerStream:     64 << 10,
		},
		MaxHeaderBytes:    MaxHeaderBytes,
		ReadHeaderTimeout: ReadHeaderTimeout,
		// No ReadTimeout or IdleTimeout: both would also end connections
		// that hold handles, and ReadTimeout would cut long calls over
		// HTTP/1.1. The listener reaps idle connections instead, and
		// bounded times each request's body.
		ConnContext: s.connContext,
		ConnState:   s.connState,
	}
	return s
}

// Serve accepts connections on l until Close, within the caps of limits.go.
// Each is served by serveConn (http1.go), which hands to net/http what is
// not a plain unary call.
func (s *Server) Serve(l net.Listener) error {
	ll := newLimitListener(l, s.owner, s.maxConns, s.idleTimeout,
		func() manager.ClientID { return manager.ClientID(s.nextClient.Add(1)) },
		s.m.HoldsHandles)
	handoff := newHandoffListener(l.Addr())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ll.Close()
		return nil
	}
	s.listeners = append(s.listeners, ll)
	s.mu.Unlock()
	defer ll.Close()
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(handoff) }()
	calls := unaryCalls(&handler{s.m})
	var err error
	for {
		var c net.Conn
		if c, err = ll.Accept(); err != nil {
			break
		}
		go s.serveConn(c.(*clientConn), calls, handoff)
	}
	handoff.Close()
	<-served
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil
	}
	return err
}

// Close stops serving and closes every connection.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	listeners := s.listeners
	s.mu.Unlock()
	err := s.http.Close()
	for _, ll := range listeners {
		ll.Close()
		ll.closeAll()
	}
	return err
}

// clientOf is the admitted connection c is, or serves.
func clientOf(c net.Conn) (*clientConn, bool) {
	switch c := c.(type) {
	case *clientConn:
		return c, true
	case *handedConn:
		return c.clientConn, true
	}
	return nil, false
}

func (s *Server) connContext(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := clientOf(c); ok {
		cc.token = tokenOf(cc.cred, s.owner, cc.remote)
		return context.WithValue(ctx, connKey{}, cc)
	}
	id := manager.ClientID(s.nextClient.Add(1))
	s.conns.Store(c, id)
	cred := peerCred(c)
	caller := manager.Caller{Client: id, Token: tokenOf(cred, s.owner, false)}
	if cred != nil {
		caller.Pid = uint32(cred.Pid)
	}
	return context.WithValue(ctx, callerKey{}, caller)
}

func (s *Server) connState(c net.Conn, state http.ConnState) {
	if state != http.StateClosed && state != http.StateHijacked {
		return
	}
	if cc, ok := clientOf(c); ok {
		s.connClosed(cc)
		return
	}
	if id, ok := s.conns.LoadAndDelete(c); ok {
		s.clientsGone([]manager.ClientID{id.(manager.ClientID)})
	}
}

// connClosed lets the handles of a closed connection go.
func (s *Server) connClosed(c *clientConn) { s.clientsGone(s.leave(c)) }

func (s *Server) clientsGone(gone []manager.ClientID) {
	for _, id := range gone {
		if s.m.ClientGone(id) >= manyHandles {
			s.releaseMemory()
		}
	}
}

// manyHandles is how many handles a client must have held for its leaving
// to be worth giving memory back to the system for.
const manyHandles = 4096

// releaseMemory returns freed memory to the system now rather than when
// the runtime gets round to it, so that a client that came, took much and
// went leaves scmd's resident size as it found it. At most one runs at a
// time.
func (s *Server) releaseMemory() {
	if !s.releasing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.releasing.Store(false)
		debug.FreeOSMemory()
	}()
}

// tokenOf builds the caller's token from the socket's peer credentials,
// a network logon's for a caller on another machine. Without them the
// caller is nobody in particular: Everyone only.
func tokenOf(cred *unix.Ucred, owner uint32, remote bool) *security.Token {
	if cred == nil {
		return &security.Token{User: security.Anonymous, Name: "ANONYMOUS LOGON", Groups: []string{security.Everyone}}
	}
	t := security.TokenFor(cred.Uid, cred.Gid, owner)
	if cred.Uid != 0 {
		if u, err := user.LookupId(strconv.FormatUint(uint64(cred.Uid), 10)); err == nil {
			var gids []uint32
			if ids, err := u.GroupIds(); err == nil {
				for _, g := range ids {
					if n, err := strconv.ParseUint(g, 10, 32); err == nil {
						gids = append(gids, uint32(n))
					}
				}
			}
			t.Account(u.Username, gids)
		}
	}
	if remote {
		t.FromNetwork()
	}
	return t
}

func callerOf(ctx context.Context) manager.Caller {
	if cc, ok := ctx.Value(connKey{}).(*clientConn); ok {
		c := manager.Caller{Client: cc.clientID(), Token: cc.token}
		if cc.cred != nil {
			c.Pid = uint32(cc.cred.Pid)
		}
		return c
	}
	c, _ := ctx.Value(callerKey{}).(manager.Caller)
	if c.Token == nil {
		c.Token = &security.Token{User: security.Anonymous, Groups: []string{security.Everyone}}
	}
	return c
}

// win32Error turns a manager error into a Connect error carrying the code.
// Win32ErrorHeader carries a failed call's Win32 code in the reply's
// headers, beside the error detail.
const Win32ErrorHeader = "Win32-Error"

func win32Error(err error) error {
	var code windows.Errno
	if !errors.As(err, &code) {
		return connect.NewError(connect.CodeInternal, err)
	}
	// The message is Windows' text: an Errno's own Error is syscall's.
	ce := connect.NewError(grpcCode(code), errors.New(winerror.Text(uint32(code))))
	if d, derr := connect.NewErrorDetail(&pb.Win32Error{Code: uint32(code)}); derr == nil {
		ce.AddDetail(d)
	}
	// The code again, as a header: a client that reads no JSON (the
	// command-line tools' unary client) finds it there.
	ce.Meta().Set(Win32ErrorHeader, strconv.FormatUint(uint64(code), 10))
	return ce
}

func grpcCode(e windows.Errno) connect.Code {
	switch e {
	case windows.ERROR_ACCESS_DENIED:
		return connect.CodePermissionDenied
	case windows.ERROR_SERVICE_DOES_NOT_EXIST, windows.ERROR_FILE_NOT_FOUND:
		return connect.CodeNotFound
	case windows.ERROR_SERVICE_EXISTS, windows.ERROR_DUPLICATE_SERVICE_NAME:
		return connect.CodeAlreadyExists
	case windows.ERROR_INVALID_PARAMETER, windows.ERROR_INVALID_NAME, windows.ERROR_INVALID_HANDLE, windows.ERROR_INVALID_LEVEL:
		return connect.CodeInvalidArgument
	}
	return connect.CodeFailedPrecondition
}
