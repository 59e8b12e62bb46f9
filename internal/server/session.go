package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/windows"
)

// A client process may reach scmd over several connections that share one
// set of handles: a session. internal/client makes one call at a time on a
// connection, so when a call is under way it opens another that joins the
// first one's session; goroutines sharing a Mgr then do not wait on each
// other, as threads sharing SCM handles do not on Windows. The handles
// close when the session's last connection does.
//
// A connection asks for its session's token with the header
// "Scm-Session: new" and gets it back in the same header; another
// connection of the same process (the same peer pid and uid) joins with
// "Scm-Session: <token>" on its first call.
const SessionHeader = "Scm-Session"

type session struct {
	id     manager.ClientID
	secret string
	pid    int32
	uid    uint32
	conns  int // connections in the session
}

type sessions struct {
	mu   sync.Mutex
	byID map[manager.ClientID]*session
}

// serveSession handles a request's session header. It reports false when
// it has answered the request itself (a join refused).
func (s *Server) serveSession(w http.ResponseWriter, r *http.Request, c *clientConn) bool {
	token, status := s.joinSession(c, r.Header.Get(SessionHeader))
	switch status {
	case 0:
		if token != "" {
			w.Header().Set(SessionHeader, token)
		}
		return true
	case http.StatusForbidden:
		w.Header().Set(Win32ErrorHeader, strconv.Itoa(int(windows.ERROR_ACCESS_DENIED)))
	}
	http.Error(w, sessionRefusals[status], status)
	return false
}

var sessionRefusals = map[int]string{
	http.StatusGone:      "connection closed",
	http.StatusForbidden: "not a connection of this session's process",
}

// joinSession applies a call's session header h: "new" makes the
// connection's client a session and gives back its token, a token joins
// that session. The status is 0, or the HTTP status refusing the call:
// only a fresh connection of the session's own process may join.
func (s *Server) joinSession(c *clientConn, h string) (token string, status int) {
	if h == "" || c.cred == nil {
		return "", 0
	}
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if c.gone {
		// Over HTTP/2 a call may still run after its connection closed;
		// a session made or joined now would never be left.
		return "", http.StatusGone
	}
	if s.sessions.byID == nil {
		s.sessions.byID = map[manager.ClientID]*session{}
	}
	if h == "new" {
		id := c.clientID()
		sess := s.sessions.byID[id]
		if sess == nil {
			b := make([]byte, 16)
			rand.Read(b)
			sess = &session{id: id, secret: hex.EncodeToString(b), pid: c.cred.Pid, uid: c.cred.Uid, conns: 1}
			s.sessions.byID[id] = sess
			c.session = sess
		}
		return strconv.FormatUint(uint64(id), 10) + "." + sess.secret, 0
	}
	idText, secret, _ := strings.Cut(h, ".")
	n, _ := strconv.ParseUint(idText, 10, 64)
	sess := s.sessions.byID[manager.ClientID(n)]
	switch {
	case c.session == sess && sess != nil:
		return "", 0 // joined already
	case sess == nil || sess.secret != secret || sess.pid != c.cred.Pid || sess.uid != c.cred.Uid ||
		c.session != nil || c.calls.Load() > 1:
		return "", http.StatusForbidden
	}
	sess.conns++
	c.session = sess
	c.client.Store(uint64(sess.id))
	return "", 0
}

// leave takes a closed connection out of its session, and reports the
// clients whose handles must go: the connection's own, and its session's
// once its last connection has gone.
func (s *Server) leave(c *clientConn) []manager.ClientID {
	gone := []manager.ClientID{c.ownID}
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	c.gone = true
	if sess := c.session; sess != nil {
		sess.conns--
		if sess.conns == 0 {
			delete(s.sessions.byID, sess.id)
			if sess.id != c.ownID {
				gone = append(gone, sess.id)
			}
		} else if sess.id == c.ownID {
			gone = nil // the session's first connection: its handles stay
		}
	}
	return gone
}

// afterClose lists, for a call that has just ended, the clients whose
// handles go because its connection closed while it ran: the
// connection's own, and its session's if that has ended.
func (s *Server) afterClose(c *clientConn) []manager.ClientID {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if !c.gone {
		return nil
	}
	sess := c.session
	switch {
	case sess == nil:
		return []manager.ClientID{c.ownID}
	case s.sessions.byID[sess.id] == sess: // it lives on in other connections
		if sess.id == c.ownID {
			return nil
		}
		return []manager.ClientID{c.ownID}
	case sess.id == c.ownID:
		return []manager.ClientID{sess.id}
	}
	return []manager.ClientID{c.ownID, sess.id}
}
