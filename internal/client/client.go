// Package client connects to scmd. One Conn is one connection, and so one
// client in the SCM's eyes: the handles opened through it live until they are
// closed or the Conn is.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"

	"connectrpc.com/connect"
	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/api/scmv1/scmv1connect"
	"github.com/openscm/scm/windows"
)

// DefaultSocket is where the machine's SCM listens.
const DefaultSocket = "/run/scm/scm.sock"

// SocketPath is the socket named by SCM_SOCKET, or the machine's.
func SocketPath() string {
	if p := os.Getenv("SCM_SOCKET"); p != "" {
		return p
	}
	return DefaultSocket
}

// UnreachableHint is what the command-line tools add, on standard error,
// after Windows' own 1722 text when no scmd answers on the local socket:
// which socket they tried, and how to point them at another.
func UnreachableHint() string {
	return fmt.Sprintf("No SCM answers on %s: start scmd, or set SCM_SOCKET to the socket it serves on.\n", SocketPath())
}

// Conn is a connection to scmd.
type Conn struct {
	scmv1connect.ServiceControlManagerClient
	transport *http.Transport

	mu      sync.Mutex
	sockets []net.Conn // what the transport dialed, closed by Close
}

// Dial connects to the SCM listening on the unix socket at path. The
// connection is made by the first call, which fails with
// RPC_S_SERVER_UNAVAILABLE if nothing listens there, as a call to a machine
// whose SCM is down does on Windows.
func Dial(path string) *Conn {
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	c := &Conn{}
	t := &http.Transport{
		Protocols: protocols,
		// One connection only: the SCM ties handles to it.
		MaxConnsPerHost: 1,
		HTTP2:           &http.HTTP2Config{StrictMaxConcurrentRequests: true},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			sock, err := d.DialContext(ctx, "unix", path)
			if err == nil {
				c.mu.Lock()
				c.sockets = append(c.sockets, sock)
				c.mu.Unlock()
			}
			return sock, err
		},
		DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("scm: no TLS on a unix socket")
		},
		TLSClientConfig: &tls.Config{},
	}
	c.transport = t
	c.ServiceControlManagerClient = scmv1connect.NewServiceControlManagerClient(&http.Client{Transport: t}, "http://scm")
	return c
}

// Close ends the connection, and with it every handle opened through it.
// The socket is closed outright: the SCM must see the client go even if a
// call is still in flight.
func (c *Conn) Close() error {
	c.transport.CloseIdleConnections()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sockets {
		s.Close()
	}
	c.sockets = nil
	return nil
}

// Errno extracts the Win32 code from an error a call returned: the code scmd
// sent, or RPC_S_SERVER_UNAVAILABLE when scmd could not be reached.
func Errno(err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return windows.RPC_S_SERVER_UNAVAILABLE
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if w, ok := v.(*pb.Win32Error); ok {
				return windows.Errno(w.Code)
			}
		}
	}
	if ce.Code() == connect.CodeUnavailable {
		return windows.RPC_S_SERVER_UNAVAILABLE
	}
	return err
}

// Call runs one call and returns its reply, with any error as a windows.Errno.
func Call[Req, Res any](fn func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error), req *Req) (*Res, error) {
	res, err := fn(context.Background(), connect.NewRequest(req))
	if err != nil {
		return nil, Errno(err)
	}
	return res.Msg, nil
}
