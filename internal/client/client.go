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

	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
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
	path string

	mu     sync.Mutex // one call at a time
	sock   *os.File   // nil until the first call, and after the connection broke
	r      *bufio.Reader
	closed bool
}

// Dial returns a connection to the SCM listening on the unix socket at
// path. The connection is made by the first call, which fails with
// RPC_S_SERVER_UNAVAILABLE if nothing listens there, as a call to a machine
// whose SCM is down does on Windows.
func Dial(path string) *Conn { return &Conn{path: path} }

// Close ends the connection, and with it every handle opened through it.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.drop()
	return nil
}

func (c *Conn) drop() {
	if c.sock != nil {
		c.sock.Close()
		c.sock, c.r = nil, nil
	}
}

func (c *Conn) dial() error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: c.path}); err != nil {
		unix.Close(fd)
		return err
	}
	c.sock = os.NewFile(uintptr(fd), c.path)
	c.r = bufio.NewReaderSize(c.sock, 16<<10)
	return nil
}

// ErrClosed is the error of a call on a closed Conn.
var ErrClosed = errors.New("scm: connection closed")

// unary makes one call: method of scm.v1.ServiceControlManager.
func (c *Conn) unary(method string, req, res proto.Message) error {
	body, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.sock == nil {
		if err := c.dial(); err != nil {
			return windows.RPC_S_SERVER_UNAVAILABLE
		}
	}
	msg := make([]byte, 0, 192+len(body))
	msg = append(msg, "POST /scm.v1.ServiceControlManager/"...)
	msg = append(msg, method...)
	msg = append(msg, " HTTP/1.1\r\nHost: scm\r\nContent-Type: application/proto\r\nConnect-Protocol-Version: 1\r\nContent-Length: "...)
	msg = strconv.AppendInt(msg, int64(len(body)), 10)
	msg = append(msg, "\r\n\r\n"...)
	msg = append(msg, body...)
	if _, err := c.sock.Write(msg); err != nil {
		c.drop()
		return windows.RPC_S_SERVER_UNAVAILABLE
	}
	reply, err := readResponse(c.r)
	if err != nil {
		c.drop()
		return windows.RPC_S_SERVER_UNAVAILABLE
	}
	if reply.close {
		c.drop()
	}
	if reply.status != 200 {
		return reply.err()
	}
	return proto.Unmarshal(reply.body, res)
}

// Errno is the Win32 code of an error a call returned: the code scmd sent,
// RPC_S_SERVER_UNAVAILABLE when scmd could not be reached, or err itself.
func Errno(err error) error {
	var ce *CallError
	if errors.As(err, &ce) && ce.Code == "unavailable" {
		return windows.RPC_S_SERVER_UNAVAILABLE
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
	status int
	win32  string // the Win32-Error header
	close  bool   // the server closes the connection after this
	body   []byte
}

// err turns a failed call's reply into its error.
func (r *response) err() error {
	if n, perr := strconv.ParseUint(r.win32, 10, 32); perr == nil {
		return windows.Errno(n)
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
		}
	}
	switch {
	case chunked:
		res.body, err = readChunked(r)
	case length >= 0:
		res.body = make([]byte, length)
		_, err = io.ReadFull(r, res.body)
	default:
		res.body, err = io.ReadAll(r)
		res.close = true
	}
	return res, err
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
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
