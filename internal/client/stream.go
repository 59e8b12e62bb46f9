package client

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"golang.org/x/sys/unix"
)

// NotifyStream is a server stream of NotifyServiceStatusChange: the
// service's status now, then each change, or (an SCM handle) services
// created and deleted. It holds a socket of its own, outside the pool, in
// the Conn's session so that the handle is valid on it.
type NotifyStream struct {
	w    *wire
	body *chunkReader
}

// maxStreamMessage bounds one message of a stream.
const maxStreamMessage = 1 << 20

// NotifyServiceStatusChange opens a stream of notifications for a handle,
// filtered by mask (SERVICE_NOTIFY_*; 0 for all).
func (c *Conn) NotifyServiceStatusChange(req *pb.NotifyRequest) (*NotifyStream, error) {
	if c.route {
		rc, tag, rreq, err := route(req)
		if err != nil {
			return nil, err
		}
		if tag != 0 {
			return rc.NotifyServiceStatusChange(rreq.(*pb.NotifyRequest))
		}
	}
	token := c.SessionToken()
	if token == "" {
		return nil, syscall.Errno(6) // ERROR_INVALID_HANDLE: no call has opened one
	}
	w, err := c.connect()
	if err != nil {
		return nil, err
	}
	msg, err := pb.Marshal(req)
	if err != nil {
		w.sock.Close()
		return nil, err
	}
	head := fmt.Sprintf("POST /scm.v1.ServiceControlManager/NotifyServiceStatusChange HTTP/1.1\r\nHost: scm\r\n"+
		"Content-Type: application/connect+proto\r\nConnect-Protocol-Version: 1\r\n%s: %s\r\nContent-Length: %d\r\n\r\n",
		sessionHeader, token, 5+len(msg))
	env := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg)))
	if _, err := w.sock.Write(append(append([]byte(head), env...), msg...)); err != nil {
		w.sock.Close()
		return nil, rpcServerUnavailable
	}
	status, chunked, win32, err := readHead(w.r)
	if err != nil {
		w.sock.Close()
		return nil, rpcServerUnavailable
	}
	if status != 200 || !chunked {
		w.sock.Close()
		if n, perr := strconv.ParseUint(win32, 10, 32); perr == nil {
			return nil, syscall.Errno(n)
		}
		return nil, &CallError{Status: status, Code: "unknown"}
	}
	return &NotifyStream{w: w, body: &chunkReader{r: w.r}}, nil
}

// Recv waits for the next notification. A stream the server ended with a
// Win32 error returns that error; one that ended otherwise, io.EOF.
func (s *NotifyStream) Recv() (*pb.ServiceNotification, error) {
	var head [5]byte
	if _, err := io.ReadFull(s.body, head[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, err
		}
		return nil, io.EOF
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > maxStreamMessage {
		return nil, fmt.Errorf("scm: stream message of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(s.body, body); err != nil {
		return nil, io.ErrUnexpectedEOF // cut short inside a message
	}
	if head[0]&2 != 0 { // end of stream: a JSON object, with the error if any
		return nil, endStreamError(body)
	}
	res := new(pb.ServiceNotification)
	if err := res.UnmarshalBinary(body); err != nil {
		return nil, err
	}
	return res, nil
}

// Close ends the stream; a Recv under way returns.
func (s *NotifyStream) Close() error {
	unix.Shutdown(s.w.fd, unix.SHUT_RDWR)
	return s.w.sock.Close()
}

// endStreamError reads the error of an end-of-stream message; its
// metadata carries the Win32 code as the unary calls' header does.
func endStreamError(body []byte) error {
	s := string(body)
	i := strings.Index(strings.ToLower(s), `"`+strings.ToLower(win32ErrorHeader)+`":["`)
	if i >= 0 {
		rest := s[i+len(win32ErrorHeader)+5:]
		if end := strings.IndexByte(rest, '"'); end > 0 {
			if n, err := strconv.ParseUint(rest[:end], 10, 32); err == nil {
				return syscall.Errno(n)
			}
		}
	}
	if code := jsonString(body, "code"); code != "" {
		return &CallError{Status: 200, Code: code, Message: jsonString(body, "message")}
	}
	return io.EOF
}

// readHead reads a response's status line and headers.
func readHead(r *bufio.Reader) (status int, chunked bool, win32 string, err error) {
	line, err := readLine(r)
	if err != nil {
		return 0, false, "", err
	}
	_, rest, _ := strings.Cut(line, " ")
	if len(rest) < 3 {
		return 0, false, "", fmt.Errorf("scm: bad status line %q", line)
	}
	if status, err = strconv.Atoi(rest[:3]); err != nil {
		return 0, false, "", fmt.Errorf("scm: bad status line %q", line)
	}
	for {
		line, err := readLine(r)
		if err != nil {
			return 0, false, "", err
		}
		if line == "" {
			return status, chunked, win32, nil
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "transfer-encoding":
			chunked = strings.EqualFold(v, "chunked")
		case strings.ToLower(win32ErrorHeader):
			win32 = v
		}
	}
}

// chunkReader reads a chunked body as it arrives.
type chunkReader struct {
	r    *bufio.Reader
	left uint64 // of the current chunk
	done bool
}

var errBadChunk = errors.New("scm: bad chunk")

func (c *chunkReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := readLine(c.r)
		if err != nil {
			return 0, err
		}
		if line == "" { // the CRLF that ends the chunk before
			continue
		}
		size, _, _ := strings.Cut(line, ";")
		if c.left, err = strconv.ParseUint(strings.TrimSpace(size), 16, 31); err != nil {
			return 0, errBadChunk
		}
		if c.left == 0 {
			c.done = true
		}
	}
	if uint64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= uint64(n)
	return n, err
}
