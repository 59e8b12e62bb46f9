package manager

import (
	"encoding/binary"
	"maps"
	"slices"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/sessions"
	"github.com/openscm/scm/windows"
)

// Sessions is where the manager learns the machine's login sessions (the
// daemon's sessions.Watcher); nil until the daemon gives one, and then
// only session 0 exists.
type Sessions interface {
	Sessions() []sessions.Session
	Session(id uint32) (sessions.Session, bool)
	Console() uint32
	Source() string
	SessionOf(pid uint32) (uint32, error)
	Place(pid, id uint32)
	Unplace(pid uint32)
}

// SetSessions gives the manager its view of the login sessions.
func (m *Manager) SetSessions(s Sessions) {
	m.mu.Lock()
	m.sessions = s
	m.mu.Unlock()
}

func (m *Manager) sessionSource() Sessions {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions
}

// userSession is a login session by its id. Session 0, the services' own,
// has no user and no desktop, and like one that does not exist it is
// ERROR_CTX_WINSTATION_NOT_FOUND.
func (m *Manager) userSession(id uint32) (sessions.Session, error) {
	src := m.sessionSource()
	if src == nil || id == 0 {
		return sessions.Session{}, windows.ERROR_CTX_WINSTATION_NOT_FOUND
	}
	s, ok := src.Session(id)
	if !ok {
		return sessions.Session{}, windows.ERROR_CTX_WINSTATION_NOT_FOUND
	}
	return s, nil
}

// EnumerateSessions lists session 0, the services' own, then the login
// sessions, as WTSEnumerateSessions does; any caller may.
func (m *Manager) EnumerateSessions(c Caller) (*pb.SessionList, error) {
	out := &pb.SessionList{Console: 0xFFFFFFFF,
		Sessions: []*pb.SessionInfo{{Id: 0, Name: "Services", State: windows.WTSDisconnected}}}
	src := m.sessionSource()
	if src == nil {
		return out, nil
	}
	out.Console, out.Source = src.Console(), src.Source()
	for _, s := range src.Sessions() {
		out.Sessions = append(out.Sessions, &pb.SessionInfo{Id: s.ID, Name: s.Name(), State: s.State(), User: s.User,
			Uid: s.UID, ClientHost: s.Host, Remote: s.Remote, Locked: s.Locked, Tty: s.TTY, Display: s.Display})
	}
	return out, nil
}

// ProcessIdToSessionId is the session a process runs in: 0 for services.
func (m *Manager) ProcessIdToSessionId(c Caller, pid uint32) (uint32, error) {
	src := m.sessionSource()
	if src == nil {
		if pid == 0 {
			return 0, windows.ERROR_INVALID_PARAMETER
		}
		return 0, nil
	}
	id, err := src.SessionOf(pid)
	if err != nil || pid == 0 {
		return 0, windows.ERROR_INVALID_PARAMETER // as Windows answers for a pid no process has
	}
	return id, nil
}

// SessionChanges sends SERVICE_CONTROL_SESSIONCHANGE for each change, in
// order, to the running services that accept it: the event type, and a
// WTSSESSION_NOTIFICATION (its size, then the session's id) as event data.
// Nothing waits for the answers.
func (m *Manager) SessionChanges(changes []sessions.Change) {
	services := m.runningAccepting(windows.SERVICE_ACCEPT_SESSIONCHANGE)
	keys := slices.Sorted(maps.Keys(services))
	for _, ch := range changes {
		data := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 8), ch.Session)
		for _, key := range keys {
			m.raise(key, windows.SERVICE_CONTROL_SESSIONCHANGE, ch.Event, data, nil)
		}
	}
}

// loggerOff is a session source that can end a session.
type loggerOff interface {
	Logoff(id uint32) error
}

// WTSLogoffSession logs a session off; administrators only.
func (m *Manager) WTSLogoffSession(c Caller, session uint32) error {
	if c.Token == nil || !c.Token.IsAdmin() {
		return windows.ERROR_ACCESS_DENIED
	}
	if session == 0 {
		return windows.ERROR_ACCESS_DENIED // the services' session is nobody's to log off
	}
	if _, err := m.userSession(session); err != nil {
		return err
	}
	lo, ok := m.sessionSource().(loggerOff)
	if !ok || lo.Logoff(session) != nil {
		return windows.ERROR_NOT_SUPPORTED
	}
	return nil
}

// WTSDisconnectSession would leave a session running with no terminal or
// display; a Linux login session has no such state.
func (m *Manager) WTSDisconnectSession(c Caller, session uint32) error {
	if c.Token == nil || !c.Token.IsAdmin() {
		return windows.ERROR_ACCESS_DENIED
	}
	if _, err := m.userSession(session); err != nil {
		return err
	}
	return windows.ERROR_NOT_SUPPORTED
}
