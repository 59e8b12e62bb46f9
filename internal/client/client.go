// Package client connects to scmd. One Conn is one connection, and so one
// client in the SCM's eyes: the handles opened through it live until they are
// closed or the Conn is.
//
// A Conn makes Connect's unary calls over HTTP/1.1 on the unix socket, one
// at a time, with nothing but the socket between the caller and scmd: no
// HTTP/2 framing, no goroutine per connection. A command-line tool starts
// in little more than a Go program's own start-up, and a status query
// costs two system calls.
package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/openscm/scm/internal/api/scmmsg"
	"golang.org/x/sys/unix"
)

// rpcServerUnavailable is RPC_S_SERVER_UNAVAILABLE, what a call that
// reaches no scmd fails with. (This package sits under windows, which
// declares it: windows' raw service calls are made through it.)
const rpcServerUnavailable = syscall.Errno(1722)

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

// Conn is a connection to scmd. A call is made on a socket no other call
// is using: when all are busy (a goroutine waits for a service while
// another queries it), the Conn opens another, up to MaxSockets, which
// joins the first one's session, so that all share the handles.
type Conn struct {
	path  string // the unix socket, for this machine's SCM
	host  string // another machine's, reached through BridgeCommand
	route bool   // the process's shared connection: requests for other machines go there (route.go)

	mu      sync.Mutex
	idle    []*wire // sockets no call is using
	busy    map[*wire]bool
	open    int        // sockets in all
	token   string     // the session's, once the first socket has it
	ready   *sync.Cond // a socket came free, or the token came
	closed  bool
	gen     int  // counts Closes and lost sessions: a socket of an older one is not reused
	joining bool // the first socket's first call is under way
}

// MaxSockets bounds the sockets one Conn opens.
const MaxSockets = 8

// wire is one socket to scmd.
type wire struct {
	fd   int
	sock *os.File
	r    *bufio.Reader
	gen  int
	used bool // a call has been made on it
}

// Dial returns a connection to the SCM listening on the unix socket at
// path. The connection is made by the first call, which fails with
// RPC_S_SERVER_UNAVAILABLE if nothing listens there, as a call to a machine
// whose SCM is down does on Windows.
func Dial(path string) *Conn {
	c := &Conn{path: path, busy: map[*wire]bool{}}
	c.ready = sync.NewCond(&c.mu)
	return c
}

// Close ends the connection, and with it every handle opened through it.
// Sockets are closed outright, calls under way or not: the SCM must see the
// client go.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for w := range c.busy {
		// A read under way holds the file open; shutting the socket
		// down ends it, and scmd sees the client go at once.
		unix.Shutdown(w.fd, unix.SHUT_RDWR)
	}
	c.forget()
	return nil
}

// forget closes the idle sockets and starts a new session: the handles of
// the old one go when its last socket closes. c.mu is held.
func (c *Conn) forget() {
	for _, w := range c.idle {
		w.sock.Close()
	}
	c.open -= len(c.idle)
	c.idle, c.token = nil, ""
	c.gen++
	c.ready.Broadcast()
}

// Shared is the process's connection to the SCM at SocketPath, made on
// first use: handles are the process's, as on Windows, whichever package
// opened them (windows' raw calls, mgr, eventlog, registry). Should
// SCM_SOCKET name another scmd, a new connection is made to it.
func Shared() *Conn {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if path := SocketPath(); shared == nil || shared.path != path {
		if shared != nil {
			shared.Close()
		}
		shared = Dial(path)
		shared.route = true
	}
	return shared
}

var (
	sharedMu sync.Mutex
	shared   *Conn
)

// SessionToken is the token another socket of this process joins the
// Conn's session with; empty before the first call.
func (c *Conn) SessionToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// ErrClosed is the error of a call on a closed Conn.
var ErrClosed = errors.New("scm: connection closed")

// take returns a socket for one call, and the session header its request
// carries: "new" on the session's first call, the token on another
// socket's first.
func (c *Conn) take() (*wire, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case c.closed:
			return nil, "", ErrClosed
		case len(c.idle) > 0:
			w := c.idle[len(c.idle)-1]
			c.idle = c.idle[:len(c.idle)-1]
			c.busy[w] = true
			return w, "", nil
		case c.open == 0:
			w, err := c.dial()
			if err != nil {
				return nil, "", err
			}
			c.joining = true
			return w, "new", nil
		case c.token != "" && c.open < MaxSockets:
			w, err := c.dial()
			if err != nil {
				return nil, "", err
			}
			return w, c.token, nil
		}
		c.ready.Wait() // the first call has not brought the token yet, or all sockets are busy
	}
}

// dial opens a socket of the pool. c.mu is held.
func (c *Conn) dial() (*wire, error) {
	w, err := c.connect()
	if err != nil {
		return nil, err
	}
	w.gen = c.gen
	c.open++
	c.busy[w] = true
	return w, nil
}

// connectSocket opens a socket to scmd at path.
func connectSocket(path string) (*wire, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, rpcServerUnavailable
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, rpcServerUnavailable
	}
	f := os.NewFile(uintptr(fd), path)
	return &wire{fd: fd, sock: f, r: bufio.NewReaderSize(f, 16<<10)}, nil
}

// put gives a socket back after a call; a broken one is closed. The first
// call of a session brings its token.
func (c *Conn) put(w *wire, broken bool, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joining && token != "" && w.gen == c.gen {
		c.token = token
	}
	if !w.used {
		c.joining = false
	}
	w.used = true
	delete(c.busy, w)
	switch {
	case broken || c.closed || w.gen != c.gen:
		w.sock.Close()
		c.open--
		if broken && c.open == 0 {
			c.forget() // the session is gone with its last socket
		}
	default:
		c.idle = append(c.idle, w)
	}
	c.ready.Broadcast()
}

// unary makes one call: method of scm.v1.ServiceControlManager.
func (c *Conn) unary(method string, req, res scmmsg.Message) error {
	if c.route {
		rc, tag, rreq, err := route(req)
		if err != nil {
			return err
		}
		if tag != 0 {
			if err := rc.unary(method, rreq, res); err != nil {
				return err
			}
			tagReply(res, tag)
			return nil
		}
	}
	body, err := scmmsg.Marshal(req)
	if err != nil {
		return err
	}
	for {
		w, session, err := c.take()
		if err != nil {
			return err
		}
		reused := w.used
		reply, err := c.callOnce(w, method, session, body)
		if errors.Is(err, errCallTimeout) {
			c.put(w, true, "")
			return rpcServerUnavailable
		}
		if err != nil {
			c.put(w, true, "")
			// scmd closes a connection that has been idle a while and
			// holds no handle; a request sent on it was never read, and
			// goes again on a new one.
			if reused && errors.Is(err, errUnanswered) {
				continue
			}
			return rpcServerUnavailable
		}
		if session != "" && session != "new" && reply.status == 403 {
			// The join was refused: scmd no longer knows the session
			// (its sockets were all closed). The call was not made; it
			// goes again, on a session of its own.
			c.put(w, true, "")
			c.lost()
			continue
		}
		if reply.close && reply.status == 503 && reused {
			// scmd was closing the idle socket as the request came: not
			// made, and made again on a new socket.
			c.put(w, true, "")
			continue
		}
		c.put(w, reply.close, reply.session)
		if reply.status != 200 {
			return reply.err()
		}
		return res.UnmarshalBinary(reply.body)
	}
}

// lost starts a new session: the old one is gone at scmd, its handles with
// it.
func (c *Conn) lost() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forget()
}

// errUnanswered is a call whose connection closed before any of the
// reply came.
var errUnanswered = errors.New("scm: connection closed before the reply")

// call sends one request on the socket and reads its reply.
func (w *wire) call(method, session string, body []byte) (*response, error) {
	msg := make([]byte, 0, 256+len(body))
	msg = append(msg, "POST /scm.v1.ServiceControlManager/"...)
	msg = append(msg, method...)
	msg = append(msg, " HTTP/1.1\r\nHost: scm\r\nContent-Type: application/proto\r\nConnect-Protocol-Version: 1\r\n"...)
	if session != "" {
		msg = append(msg, sessionHeader+": "+session+"\r\n"...)
	}
	msg = append(msg, "Content-Length: "...)
	msg = strconv.AppendInt(msg, int64(len(body)), 10)
	msg = append(msg, "\r\n\r\n"...)
	msg = append(msg, body...)
	if _, err := w.sock.Write(msg); err != nil {
		return nil, errUnanswered // EPIPE: closed before it could be read
	}
	if _, err := w.r.Peek(1); err != nil {
		return nil, errUnanswered
	}
	return readResponse(w.r)
}

// sessionHeader is internal/server's SessionHeader.
const sessionHeader = "Scm-Session"

// Errno is the Win32 code of an error a call returned: the code scmd sent,
// RPC_S_SERVER_UNAVAILABLE when scmd could not be reached, or err itself.
func Errno(err error) error {
	var ce *CallError
	if errors.As(err, &ce) && ce.Code == "unavailable" {
		return rpcServerUnavailable
	}
	return err
}

// Call runs one call and returns its reply; its error is a windows.Errno
// whenever scmd gave a Win32 code.
func Call[Req, Res any](fn func(*Req) (*Res, error), req *Req) (*Res, error) {
	return fn(req)
}

// CallError is a failed call that carries no Win32 code: scmd refused it
// for its own reasons (too many calls in flight, a request too large).
type CallError struct {
	Status  int    // the HTTP status
	Code    string // Connect's code: resource_exhausted, unavailable, ...
	Message string
}

func (e *CallError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("scm: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("scm: %s (HTTP %d)", e.Code, e.Status)
}

// win32ErrorHeader carries a failed call's Win32 code (internal/server).
const win32ErrorHeader = "win32-error"

type response struct {
	status  int
	win32   string // the Win32-Error header
	session string // the Scm-Session header
	close   bool   // the server closes the connection after this
	body    []byte
}

// err turns a failed call's reply into its error.
func (r *response) err() error {
	if n, perr := strconv.ParseUint(r.win32, 10, 32); perr == nil {
		return syscall.Errno(n)
	}
	return &CallError{Status: r.status, Code: jsonString(r.body, "code"), Message: jsonString(r.body, "message")}
}

// readResponse reads one HTTP/1.1 response, its body whole.
func readResponse(r *bufio.Reader) (*response, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	_, rest, ok := strings.Cut(line, " ")
	if !ok || len(rest) < 3 {
		return nil, fmt.Errorf("scm: bad status line %q", line)
	}
	res := &response{}
	if res.status, err = strconv.Atoi(rest[:3]); err != nil {
		return nil, fmt.Errorf("scm: bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		line, err := readLine(r)
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "content-length":
			if length, err = strconv.Atoi(v); err != nil || length < 0 {
				return nil, fmt.Errorf("scm: bad content length %q", v)
			}
		case "transfer-encoding":
			chunked = strings.EqualFold(v, "chunked")
		case "connection":
			res.close = strings.EqualFold(v, "close")
		case win32ErrorHeader:
			res.win32 = v
		case "scm-session":
			res.session = v
		}
	}
	switch {
	case chunked:
		res.body, err = readChunked(r)
	case length > maxReply:
		return nil, errReplyTooLarge
	case length >= 0:
		res.body = make([]byte, length)
		_, err = io.ReadFull(r, res.body)
	default:
		res.body, err = io.ReadAll(io.LimitReader(r, maxReply+1))
		if len(res.body) > maxReply {
			return nil, errReplyTooLarge
		}
		res.close = true
	}
	return res, err
}

// maxReply bounds a reply a client accepts: scmd's largest (a whole event
// log, every service) are far smaller, and another machine's server is
// not trusted with the client's memory.
const maxReply = 256 << 20

// maxLine bounds a status or header line.
const maxLine = 64 << 10

var errReplyTooLarge = errors.New("scm: reply too large")

func readLine(r *bufio.Reader) (string, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		if len(line)+len(frag) > maxLine {
			return "", errReplyTooLarge
		}
		line = append(line, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(line), "\r\n"), nil
	}
}

// readChunked reads a chunked body to its end.
func readChunked(r *bufio.Reader) ([]byte, error) {
	var body []byte
	for {
		line, err := readLine(r)
		if err != nil {
			return nil, err
		}
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseUint(strings.TrimSpace(size), 16, 31)
		if err != nil {
			return nil, fmt.Errorf("scm: bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, then the blank line
				if line, err := readLine(r); err != nil || line == "" {
					return body, err
				}
			}
		}
		if uint64(len(body))+n > maxReply {
			return nil, errReplyTooLarge
		}
		start := len(body)
		body = append(body, make([]byte, n)...)
		if _, err := io.ReadFull(r, body[start:]); err != nil {
			return nil, err
		}
		if _, err := readLine(r); err != nil {
			return nil, err
		}
	}
}

// jsonString finds a top-level string field of a Connect error body
// without a JSON decoder: the bodies scmd sends are flat.
func jsonString(body []byte, field string) string {
	s := string(body)
	i := strings.Index(s, `"`+field+`":`)
	if i < 0 {
		return ""
	}
	s = strings.TrimLeft(s[i+len(field)+3:], " ")
	if !strings.HasPrefix(s, `"`) {
		return ""
	}
	for end := 1; end < len(s); end++ {
		switch s[end] {
		case '\\':
			end++
		case '"':
			v, _ := strconv.Unquote(s[:end+1])
			return v
		}
	}
	return ""
}
