// Command scm-remote carries the API calls of sc, reg, wevtutil and the
// windows/... mirror to the SCM of another machine. The client starts it
// with a socket as its standard input and output; it dials the host, makes
// a TLS 1.3 session with the caller's certificate (internal/remote's
// DefaultClientFiles) and passes the bytes both ways until either side
// closes.
//
// When the session cannot be made it answers the client's first request
// itself, with the Win32 code Windows gives: RPC_S_SERVER_UNAVAILABLE
// (1722) for a host that cannot be reached, ERROR_ACCESS_DENIED (5) for
// credentials the host refuses or a client that has none. It says why on
// standard error.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/openscm/scm/internal/remote"
	"golang.org/x/sys/unix"
)

// How long reaching the host may take, and when a silent one counts as
// gone: a call never hangs on a machine that went away.
const (
	dialTimeout      = 10 * time.Second
	handshakeTimeout = 10 * time.Second
	keepAliveIdle    = 15 * time.Second
	keepAliveEvery   = 5 * time.Second
	keepAliveProbes  = 3
)

const (
	accessDenied      = 5
	serverUnavailable = 1722
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: scm-remote HOST[:PORT]  (started by the scm clients, with a socket as standard input and output)")
		os.Exit(2)
	}
	address := remote.Address(os.Args[1])
	conn, code, err := dial(address)
	if err != nil {
		fmt.Fprintf(os.Stderr, "scm-remote: %s: %v\n", address, err)
		refuse(code, err.Error())
		return
	}
	carry(conn)
}

// dial makes the TLS session, or says which Win32 code its failure is.
func dial(address string) (*tls.Conn, int, error) {
	// The host first: one that cannot be reached is 1722 whatever the
	// caller holds.
	d := net.Dialer{Timeout: dialTimeout, KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: keepAliveIdle, Interval: keepAliveEvery, Count: keepAliveProbes}}
	c, err := d.Dial("tcp", address)
	if err != nil {
		return nil, serverUnavailable, err
	}
	cfg, err := remote.ClientConfig(remote.DefaultClientFiles(), address)
	if err != nil {
		c.Close()
		return nil, accessDenied, err
	}
	tc := tls.Client(c, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		if isNetwork(err) {
			return nil, serverUnavailable, err
		}
		return nil, accessDenied, err
	}
	return tc, 0, nil
}

// isNetwork tells a connection that broke or timed out from a TLS
// refusal (a certificate not trusted, an alert from the server).
func isNetwork(err error) bool {
	var ne net.Error
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return false
	}
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, unix.ECONNRESET)
}

// carry passes bytes both ways. With TLS 1.3 the server checks the
// client's certificate after the client's side of the handshake is done:
// a refusal comes as an alert in place of the first reply, and becomes
// ERROR_ACCESS_DENIED for the call that was waiting for it.
func carry(conn *tls.Conn) {
	go func() {
		io.Copy(conn, os.Stdin)
		// The client closed: so does the session, and scmd lets the
		// client's handles go.
		conn.Close()
	}()
	n, err := io.Copy(os.Stdout, conn)
	if n == 0 && err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "remote error" {
			fmt.Fprintf(os.Stderr, "scm-remote: %s refused the certificate: %v\n", conn.RemoteAddr(), op.Err)
			reply(accessDenied, op.Err.Error())
		}
	}
	unix.Shutdown(1, unix.SHUT_WR)
	conn.Close()
}

// refuse answers the client's first request with code, and then reads
// until the client closes.
func refuse(code int, why string) {
	reply(code, why)
	io.Copy(io.Discard, os.Stdin)
}

// reply writes a failed call's reply as scmd writes one (internal/server):
// Connect's error body, the Win32 code in its header.
func reply(code int, why string) {
	status, connectCode := 503, "unavailable"
	if code == accessDenied {
		status, connectCode = 403, "permission_denied"
	}
	body := fmt.Sprintf(`{"code":%q,"message":%q}`, connectCode, why)
	fmt.Fprintf(os.Stdout, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nWin32-Error: %d\r\nConnection: close\r\nContent-Length: %s\r\n\r\n%s",
		status, statusText(status), code, strconv.Itoa(len(body)), body)
}

func statusText(status int) string {
	if status == 403 {
		return "Forbidden"
	}
	return "Service Unavailable"
}
