package server

// Connect's unary calls over HTTP/1.1, served on the connection's own
// goroutine. net/http serves each request with a second goroutine that
// watches the connection while the handler runs, and hands the connection
// between the two: on a unix socket that costs more than the call itself.
// The calls internal/client and the Python module make (POST,
// application/proto or application/json, a Content-Length, no
// compression), which are what sc, net, the windows/... mirror and pywin32's
// modules send, are read, bounded and answered here; at the first request
// that is anything else (a stream, HTTP/2's preface) the connection is
// handed to net/http, which serves it from that request on.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/openscm/scm/internal/api/scmv1/scmv1connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// unaryCall is one of the API's unary calls: the request's body in, the
// reply's out, in protobuf's binary form or (asJSON) Connect's JSON, which
// the Python module speaks.
type unaryCall func(ctx context.Context, body []byte, asJSON bool) ([]byte, error)

// As connect-go's JSON codec: unknown fields are ignored.
var (
	jsonIn  = protojson.UnmarshalOptions{DiscardUnknown: true}
	jsonOut = protojson.MarshalOptions{}
)

func unary[Req, Res any, PReq interface {
	*Req
	proto.Message
}, PRes interface {
	*Res
	proto.Message
}](fn func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) unaryCall {
	return func(ctx context.Context, body []byte, asJSON bool) ([]byte, error) {
		req := PReq(new(Req))
		var err error
		if asJSON {
			err = jsonIn.Unmarshal(body, req)
		} else {
			err = proto.Unmarshal(body, req)
		}
		if err != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, err)
		}
		res, err := fn(ctx, connect.NewRequest((*Req)(req)))
		if err != nil {
			return nil, err
		}
		if asJSON {
			return jsonOut.Marshal(PRes(res.Msg))
		}
		return proto.Marshal(PRes(res.Msg))
	}
}

// unaryCalls are the calls served here, by path.
func unaryCalls(h *handler) map[string]unaryCall {
	return map[string]unaryCall{
		scmv1connect.ServiceControlManagerOpenSCManagerProcedure:              unary(h.OpenSCManager),
		scmv1connect.ServiceControlManagerCloseServiceHandleProcedure:         unary(h.CloseServiceHandle),
		scmv1connect.ServiceControlManagerCreateServiceProcedure:              unary(h.CreateService),
		scmv1connect.ServiceControlManagerOpenServiceProcedure:                unary(h.OpenService),
		scmv1connect.ServiceControlManagerDeleteServiceProcedure:              unary(h.DeleteService),
		scmv1connect.ServiceControlManagerQueryServiceConfigProcedure:         unary(h.QueryServiceConfig),
		scmv1connect.ServiceControlManagerChangeServiceConfigProcedure:        unary(h.ChangeServiceConfig),
		scmv1connect.ServiceControlManagerQueryServiceConfig2Procedure:        unary(h.QueryServiceConfig2),
		scmv1connect.ServiceControlManagerChangeServiceConfig2Procedure:       unary(h.ChangeServiceConfig2),
		scmv1connect.ServiceControlManagerQueryServiceStatusProcedure:         unary(h.QueryServiceStatus),
		scmv1connect.ServiceControlManagerEnumerateSessionsProcedure:          unary(h.EnumerateSessions),
		scmv1connect.ServiceControlManagerProcessIdToSessionIdProcedure:       unary(h.ProcessIdToSessionId),
		scmv1connect.ServiceControlManagerWTSQueryUserTokenProcedure:          unary(h.WTSQueryUserToken),
		scmv1connect.ServiceControlManagerCreateProcessAsUserProcedure:        unary(h.CreateProcessAsUser),
		scmv1connect.ServiceControlManagerWTSSendMessageProcedure:             unary(h.WTSSendMessage),
		scmv1connect.ServiceControlManagerGetProcessWindowStationProcedure:    unary(h.GetProcessWindowStation),
		scmv1connect.ServiceControlManagerWTSLogoffSessionProcedure:           unary(h.WTSLogoffSession),
		scmv1connect.ServiceControlManagerWTSDisconnectSessionProcedure:       unary(h.WTSDisconnectSession),
		scmv1connect.ServiceControlManagerEnumServicesStatusProcedure:         unary(h.EnumServicesStatus),
		scmv1connect.ServiceControlManagerEnumDependentServicesProcedure:      unary(h.EnumDependentServices),
		scmv1connect.ServiceControlManagerGetServiceKeyNameProcedure:          unary(h.GetServiceKeyName),
		scmv1connect.ServiceControlManagerGetServiceDisplayNameProcedure:      unary(h.GetServiceDisplayName),
		scmv1connect.ServiceControlManagerLockServiceDatabaseProcedure:        unary(h.LockServiceDatabase),
		scmv1connect.ServiceControlManagerUnlockServiceDatabaseProcedure:      unary(h.UnlockServiceDatabase),
		scmv1connect.ServiceControlManagerQueryServiceLockStatusProcedure:     unary(h.QueryServiceLockStatus),
		scmv1connect.ServiceControlManagerQueryServiceObjectSecurityProcedure: unary(h.QueryServiceObjectSecurity),
		scmv1connect.ServiceControlManagerSetServiceObjectSecurityProcedure:   unary(h.SetServiceObjectSecurity),
		scmv1connect.ServiceControlManagerStartServiceProcedure:               unary(h.StartService),
		scmv1connect.ServiceControlManagerControlServiceProcedure:             unary(h.ControlService),
		scmv1connect.ServiceControlManagerWaitServiceStatusProcedure:          unary(h.WaitServiceStatus),
		scmv1connect.ServiceControlManagerRegisterEventSourceProcedure:        unary(h.RegisterEventSource),
		scmv1connect.ServiceControlManagerReportEventProcedure:                unary(h.ReportEvent),
		scmv1connect.ServiceControlManagerReadEventLogProcedure:               unary(h.ReadEventLog),
		scmv1connect.ServiceControlManagerClearEventLogProcedure:              unary(h.ClearEventLog),
		scmv1connect.ServiceControlManagerGetEventLogInfoProcedure:            unary(h.GetEventLogInfo),
		scmv1connect.ServiceControlManagerEnumEventLogsProcedure:              unary(h.EnumEventLogs),
		scmv1connect.ServiceControlManagerFireCustomTriggerProcedure:          unary(h.FireCustomTrigger),
		scmv1connect.ServiceControlManagerGetDeviceInterfacesProcedure:        unary(h.GetDeviceInterfaces),
		scmv1connect.ServiceControlManagerRequestDeviceRemovalProcedure:       unary(h.RequestDeviceRemoval),
		scmv1connect.ServiceControlManagerRegQueryKeyProcedure:                unary(h.RegQueryKey),
		scmv1connect.ServiceControlManagerRegCreateKeyProcedure:               unary(h.RegCreateKey),
		scmv1connect.ServiceControlManagerRegDeleteKeyProcedure:               unary(h.RegDeleteKey),
		scmv1connect.ServiceControlManagerRegSetValueProcedure:                unary(h.RegSetValue),
		scmv1connect.ServiceControlManagerRegDeleteValueProcedure:             unary(h.RegDeleteValue),
	}
}

// waitingCalls end early when their client goes: a watcher reads the
// connection while they run, as net/http's does for every call.
var waitingCalls = map[string]bool{
	scmv1connect.ServiceControlManagerWaitServiceStatusProcedure: true,
	scmv1connect.ServiceControlManagerWTSSendMessageProcedure:    true,
}

// request is what serveConn reads of a request before its body.
type request struct {
	head    []byte // as read, to hand on to net/http
	path    string
	length  int
	session string
	close   bool
	ours    bool // a call served here
	json    bool // its body is Connect's JSON, not protobuf
}

// serveConn serves c until it closes or is handed to net/http.
func (s *Server) serveConn(c *clientConn, calls map[string]unaryCall, handoff *handoffListener) {
	c.token = tokenOf(c.cred, s.owner, c.remote)
	ctx := context.WithValue(context.Background(), connKey{}, c)
	br := bufio.NewReader(c)
	handed := false
	defer func() {
		if !handed {
			c.Close()
			s.connClosed(c)
		}
	}()
	for {
		// The next request may be long in coming: the idle reaper, not
		// a deadline, ends a connection that waits for nothing.
		if _, err := br.Peek(1); err != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(ReadHeaderTimeout))
		r, err := readRequest(br, calls)
		switch {
		case errors.Is(err, errHeaderTooLarge):
			writeStatus(c, 431, "request headers too large", "")
			return
		case err != nil:
			return
		case c.remote && c.cred == nil:
			// A certificate the CA issued that maps to no account here:
			// nothing is served, not even to look.
			writeStatus(c, 403, "the certificate maps to no account", Win32ErrorHeader+": 5\r\n")
			return
		case !s.stillMapped(c):
			writeStatus(c, 403, "the certificate's mapping has changed", Win32ErrorHeader+": 5\r\n")
			return
		case !r.ours:
			handed = true
			handoff.deliver(&handedConn{clientConn: c, r: io.MultiReader(bytes.NewReader(r.head), br)})
			return
		}
		if !s.serveCall(ctx, c, br, r, calls) || r.close {
			return
		}
	}
}

// serveCall serves one call within the bounds bounded applies to net/http's
// calls; false when the connection must close after it.
func (s *Server) serveCall(ctx context.Context, c *clientConn, br *bufio.Reader, r *request, calls map[string]unaryCall) bool {
	started := c.callStarted()
	defer c.callDone()
	if !started {
		// Read as the connection was being closed for idleness: not made.
		// The client sends it again on a new connection.
		writeStatus(c, 503, "the connection is closing", "")
		return false
	}
	token, refused := s.joinSession(c, r.session)
	if refused != 0 {
		writeStatus(c, refused, sessionRefusals[refused], Win32ErrorHeader+": 5\r\n")
		return false
	}
	if u := c.user; u != nil {
		if u.calls.Add(1) > MaxCallsPerUser {
			u.calls.Add(-1)
			writeError(c, connect.NewError(connect.CodeUnavailable, errors.New("too many calls in flight for this user")), token, true)
			return false
		}
		defer u.calls.Add(-1)
	}
	if r.length > MaxRequestBytes {
		writeError(c, connect.NewError(connect.CodeResourceExhausted, errors.New("request too large")), token, true)
		return false
	}
	body, ok := s.readBody(c, br, r.length)
	if !ok {
		return false
	}
	if u := c.user; u != nil && largeReplies[r.path] {
		u.large <- struct{}{}
		defer func() { <-u.large }()
	}
	if waitingCalls[r.path] {
		var stop func()
		ctx, stop = watch(ctx, c, br)
		defer stop() // after the reply is written: it need not wait for the watcher
	}
	reply, err := calls[r.path](ctx, body, r.json)
	if err != nil {
		return writeError(c, err, token, false) == nil
	}
	msg := make([]byte, 0, 128+len(reply))
	if r.json {
		msg = append(msg, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"...)
	} else {
		msg = append(msg, "HTTP/1.1 200 OK\r\nContent-Type: application/proto\r\n"...)
	}
	msg = appendSession(msg, token)
	msg = append(msg, "Content-Length: "...)
	msg = strconv.AppendInt(msg, int64(len(reply)), 10)
	msg = append(msg, "\r\n\r\n"...)
	msg = append(msg, reply...)
	_, err = c.Write(msg)
	return err == nil
}

// readBody reads a request's body within RequestReadTimeout. A body not
// yet received whole takes one of its user's body tokens while it arrives,
// so that stalled or huge ones cost at most MaxBodiesPerUser of them.
func (s *Server) readBody(c *clientConn, br *bufio.Reader, n int) ([]byte, bool) {
	if br.Buffered() < n {
		deadline := time.Now().Add(s.requestReadTimeout)
		c.SetReadDeadline(deadline)
		if u := c.user; u != nil {
			t := time.NewTimer(time.Until(deadline))
			select {
			case u.bodies <- struct{}{}:
				t.Stop()
				defer func() { <-u.bodies }()
			case <-t.C:
				writeStatus(c, 408, "request body not received in time", "")
				return nil, false
			}
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		if isTimeout(err) {
			writeError(c, connect.NewError(connect.CodeDeadlineExceeded, errors.New("request body not received in time")), "", true)
		}
		return nil, false
	}
	c.SetReadDeadline(time.Time{})
	return body, true
}

// watch gives a call that may wait a context that ends when the client
// closes the connection under it. stop ends the watching; it must be
// called before the connection is read again.
func watch(ctx context.Context, c *clientConn, br *bufio.Reader) (watched context.Context, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// A byte here is the client's next request, read ahead; an
		// error is the client gone, or the deadline stop sets.
		if _, err := br.Peek(1); err != nil && !isTimeout(err) {
			cancel()
		}
	}()
	return ctx, func() {
		c.SetReadDeadline(time.Unix(1, 0)) // ends the watcher's read
		wg.Wait()
		c.SetReadDeadline(time.Time{})
		cancel()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

var errHeaderTooLarge = errors.New("request headers too large")

// readRequest reads a request's line and headers, and decides whether it
// is a call served here.
func readRequest(br *bufio.Reader, calls map[string]unaryCall) (*request, error) {
	r := &request{length: -1}
	var line []byte
	ours := true
	for first := true; ; first = false {
		start := len(r.head)
		for {
			chunk, err := br.ReadSlice('\n')
			r.head = append(r.head, chunk...)
			if len(r.head) > MaxHeaderBytes {
				return nil, errHeaderTooLarge
			}
			if err == nil {
				break
			}
			if err != bufio.ErrBufferFull {
				return nil, err
			}
		}
		line = bytes.TrimRight(r.head[start:], "\r\n")
		if first {
			method, rest, _ := strings.Cut(string(line), " ")
			path, proto, _ := strings.Cut(rest, " ")
			r.path = path
			ours = method == "POST" && proto == "HTTP/1.1" && calls[path] != nil
			continue
		}
		if len(line) == 0 {
			break
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch strings.ToLower(string(k)) {
		case "content-type":
			r.json = string(v) == "application/json"
			ours = ours && (string(v) == "application/proto" || r.json)
		case "content-length":
			n, err := strconv.Atoi(string(v))
			ours = ours && err == nil && n >= 0 && r.length < 0
			r.length = n
		case "connection":
			r.close = strings.EqualFold(string(v), "close")
		case "scm-session":
			r.session = string(v)
		case "transfer-encoding", "content-encoding", "connect-timeout-ms", "expect":
			ours = false
		}
	}
	r.ours = ours && r.length >= 0
	return r, nil
}

func appendSession(msg []byte, token string) []byte {
	if token == "" {
		return msg
	}
	return append(append(append(msg, SessionHeader+": "...), token...), "\r\n"...)
}

// writeStatus answers with a bare HTTP status (and header, a line or
// none), and the connection closes.
func writeStatus(c net.Conn, status int, text, header string) {
	msg := "HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n" + header + "Content-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(text)+1) + "\r\n\r\n" + text + "\n"
	c.Write([]byte(msg))
}

// writeError answers with a Connect error as its unary protocol has it: an
// HTTP status for the code and a JSON body, the Win32 code in a header.
func writeError(c net.Conn, err error, token string, closing bool) error {
	ce := new(connect.Error)
	if !errors.As(err, &ce) {
		ce = connect.NewError(connect.CodeUnknown, err)
	}
	type detail struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	wire := struct {
		Code    string   `json:"code"`
		Message string   `json:"message,omitempty"`
		Details []detail `json:"details,omitempty"`
	}{Code: ce.Code().String(), Message: ce.Message()}
	for _, d := range ce.Details() {
		wire.Details = append(wire.Details, detail{Type: d.Type(), Value: base64.RawStdEncoding.EncodeToString(d.Bytes())})
	}
	body, _ := json.Marshal(wire)
	msg := make([]byte, 0, 256+len(body))
	msg = append(msg, "HTTP/1.1 "...)
	status := connectStatus(ce.Code())
	msg = strconv.AppendInt(msg, int64(status), 10)
	msg = append(msg, ' ')
	msg = append(msg, http.StatusText(status)...)
	msg = append(msg, "\r\nContent-Type: application/json\r\n"...)
	for k, vs := range ce.Meta() {
		for _, v := range vs {
			msg = append(append(append(append(msg, k...), ": "...), v...), "\r\n"...)
		}
	}
	msg = appendSession(msg, token)
	if closing {
		msg = append(msg, "Connection: close\r\n"...)
	}
	msg = append(msg, "Content-Length: "...)
	msg = strconv.AppendInt(msg, int64(len(body)), 10)
	msg = append(msg, "\r\n\r\n"...)
	msg = append(msg, body...)
	_, err = c.Write(msg)
	return err
}

// connectStatus is the HTTP status Connect's unary protocol gives a code.
func connectStatus(code connect.Code) int {
	switch code {
	case connect.CodeCanceled:
		return 499
	case connect.CodeInvalidArgument, connect.CodeFailedPrecondition, connect.CodeOutOfRange:
		return 400
	case connect.CodeDeadlineExceeded:
		return 504
	case connect.CodeNotFound:
		return 404
	case connect.CodeAlreadyExists, connect.CodeAborted:
		return 409
	case connect.CodePermissionDenied:
		return 403
	case connect.CodeResourceExhausted:
		return 429
	case connect.CodeUnimplemented:
		return 501
	case connect.CodeUnavailable:
		return 503
	case connect.CodeUnauthenticated:
		return 401
	}
	return 500
}

// handedConn is a connection net/http serves from a request this side
// has read: what was read is read again.
type handedConn struct {
	*clientConn
	r io.Reader
}

func (c *handedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// handoffListener gives net/http the connections handed to it.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
