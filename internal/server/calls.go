package server

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openscm/scm/internal/api/scmv1/scmv1connect"
)

// userLoad is what one ordinary user holds across all its connections.
type userLoad struct {
	conns  int           // connections admitted; guarded by the listener's mutex
	calls  atomic.Int32  // calls in flight
	bodies chan struct{} // one token per request body being received
	large  chan struct{} // one token per call whose reply may be large
}

func newUserLoad() *userLoad {
	return &userLoad{bodies: make(chan struct{}, MaxBodiesPerUser), large: make(chan struct{}, MaxLargeRepliesPerUser)}
}

// largeReplies are the calls whose reply grows with what scmd holds rather
// than with the request: a whole event log, every service. A user has few
// of them in flight at once, so that replies built and not yet read cost
// at most MaxLargeRepliesPerUser of them.
var largeReplies = map[string]bool{
	scmv1connect.ServiceControlManagerReadEventLogProcedure:       true,
	scmv1connect.ServiceControlManagerEnumServicesStatusProcedure: true,
	scmv1connect.ServiceControlManagerClearEventLogProcedure:      true,
	"/metrics": true, // every service's series
}

// bounded wraps the API handler with the per-call bounds: a user's calls in
// flight, the request body's size and the time it may take to arrive. It
// also tells the idle reaper when a connection is in use.
func (s *Server) bounded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(connKey{}).(*clientConn)
		if c == nil {
			next.ServeHTTP(w, r)
			return
		}
		// Over HTTP/2 a call may end after its connection has closed and
		// its handles have gone: what it opened then goes too.
		defer func() {
			for _, id := range s.afterClose(c) {
				s.m.ClientGone(id)
			}
		}()
		if !s.stillMapped(c) {
			// A connection handed to net/http (HTTP/2, streams) ends as the
			// fast path's does: refused, and closed with everything on it.
			w.Header().Set(Win32ErrorHeader, "5")
			w.Header().Set("Connection", "close")
			http.Error(w, "the certificate's mapping has changed", http.StatusForbidden)
			http.NewResponseController(w).Flush()
			c.Close()
			return
		}
		started := c.callStarted()
		defer c.callDone()
		if !started {
			// Read as the connection was being closed for idleness: not
			// made. The client sends it again on a new connection.
			w.Header().Set("Connection", "close")
			http.Error(w, "the connection is closing", http.StatusServiceUnavailable)
			return
		}
		if !s.serveSession(w, r, c) {
			return
		}
		if u := c.user; u != nil {
			if u.calls.Add(1) > MaxCallsPerUser {
				u.calls.Add(-1)
				// Windows' RPC runtime answers RPC_S_SERVER_TOO_BUSY here;
				// over HTTP that is 503, which clients report as the
				// server being unavailable.
				http.Error(w, "too many calls in flight for this user", http.StatusServiceUnavailable)
				return
			}
			defer u.calls.Add(-1)
		}
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(s.requestReadTimeout)
		rc.SetReadDeadline(deadline)
		body := &boundedBody{
			ReadCloser: http.MaxBytesReader(w, r.Body, MaxRequestBytes+maxEnvelopeSlack),
			rc:         rc,
		}
		if u := c.user; u != nil {
			// A user receives few bodies at once, so that stalled or huge
			// ones cost at most MaxBodiesPerUser × MaxRequestBytes.
			t := time.NewTimer(s.requestReadTimeout)
			select {
			case u.bodies <- struct{}{}:
				t.Stop()
				body.release = func() { <-u.bodies }
			case <-t.C:
				http.Error(w, "request body not received in time", http.StatusRequestTimeout)
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer body.done()
		r.Body = body
		if u := c.user; u != nil && largeReplies[r.URL.Path] {
			select {
			case u.large <- struct{}{}:
				defer func() { <-u.large }()
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// maxEnvelopeSlack is what a request may carry beyond MaxRequestBytes
// around its message (gRPC's 5-byte envelope), so that Connect, which
// enforces MaxRequestBytes on the message itself, reports an oversized one.
const maxEnvelopeSlack = 16 << 10

// boundedBody is a request body read under a deadline. Once it has been
// read to its end (or the call is over) the deadline is lifted, so that a
// long call (a start waiting on its service) is not cut short, and the
// user's body token is given back. A body that failed (too slow, too big)
// leaves the deadline expired: the server then gives up on the rest of it
// rather than wait for it, and closes the connection.
type boundedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	release func()
	once    sync.Once
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.finish(time.Time{})
	} else if err != nil {
		b.finish(time.Now())
	}
	return n, err
}

// done ends the body's reading when the call is over, however far it got.
func (b *boundedBody) done() { b.finish(time.Time{}) }

func (b *boundedBody) finish(deadline time.Time) {
	b.once.Do(func() {
		b.rc.SetReadDeadline(deadline)
		if b.release != nil {
			b.release()
		}
	})
}
