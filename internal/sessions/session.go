// Package sessions is the machine's login sessions as Windows sessions:
// each gets a session id that stays its own while it lives (session 0 is
// the services' own and has no user), a connect state, and the
// WTS_SESSION_* changes a service that accepts SERVICE_CONTROL_SESSIONCHANGE
// hears of. The sessions come from systemd-logind where it runs, from utmp
// otherwise; the Model turns each list of them into the changes since the
// one before, and does no I/O.
package sessions

import (
	"sort"
	"strings"

	"github.com/openscm/scm/windows"
)

// Login is a login session as its source reports it.
type Login struct {
	Key     string // the source's own name for it: logind's session id, or utmp's line and pid
	User    string
	UID     uint32
	Remote  bool // an ssh or other network login
	Active  bool // in the foreground of its seat (a remote one always is)
	Locked  bool
	TTY     string // the terminal, for a text session
	Display string // X11 display or Wayland socket, for a graphical one
	Host    string // where a remote login comes from
	Seat    string
	Leader  uint32 // the session's first process

	path string // logind's object of it
}

// Session is a login session as a Windows session.
type Session struct {
	Login
	ID uint32
}

// Name is the session's WinStationName: "Console" for a seat's session,
// as Windows names the one on the physical console; a remote one is named
// by its protocol and number, as "RDP-Tcp#3" is.
func (s *Session) Name() string {
	if s.Remote {
		return "ssh#" + itoa(s.ID)
	}
	if s.Seat != "" {
		return "Console"
	}
	if s.TTY != "" {
		return s.TTY
	}
	return "Session" + itoa(s.ID)
}

// State is the session's WTS connect state: a session on the console or a
// remote one is active; a seat's session in the background (another user
// switched in) is disconnected, as on Windows.
func (s *Session) State() uint32 {
	if s.Active {
		return windows.WTSActive
	}
	return windows.WTSDisconnected
}

// Change is one SESSIONCHANGE: an event type and the session it is about.
type Change struct {
	Event   uint32
	Session uint32
}

// Model keeps the sessions and their ids between updates.
type Model struct {
	ids    map[string]uint32 // by Login.Key
	now    map[uint32]Session
	nextID uint32
}

// NewModel starts with no sessions; the first id handed out is 1.
func NewModel() *Model {
	return &Model{ids: map[string]uint32{}, now: map[uint32]Session{}, nextID: 1}
}

// Update takes the sessions there are now and returns the changes since
// the last update, in the order Windows sends them: a login's connect then
// its logon; a logoff then its disconnect.
func (m *Model) Update(logins []Login) []Change {
	var changes []Change
	seen := map[string]bool{}
	sort.Slice(logins, func(i, j int) bool { return logins[i].Key < logins[j].Key })
	for _, l := range logins {
		seen[l.Key] = true
		id, known := m.ids[l.Key]
		if !known {
			id = m.nextID
			m.nextID++
			m.ids[l.Key] = id
			s := Session{Login: l, ID: id}
			m.now[id] = s
			if l.Active {
				changes = append(changes, Change{connectEvent(l.Remote), id})
			}
			changes = append(changes, Change{windows.WTS_SESSION_LOGON, id})
			if l.Locked {
				changes = append(changes, Change{windows.WTS_SESSION_LOCK, id})
			}
			continue
		}
		was := m.now[id]
		m.now[id] = Session{Login: l, ID: id}
		if l.Active != was.Active {
			if l.Active {
				changes = append(changes, Change{connectEvent(l.Remote), id})
			} else {
				changes = append(changes, Change{connectEvent(l.Remote) + 1, id})
			}
		}
		if l.Locked != was.Locked {
			if l.Locked {
				changes = append(changes, Change{windows.WTS_SESSION_LOCK, id})
			} else {
				changes = append(changes, Change{windows.WTS_SESSION_UNLOCK, id})
			}
		}
	}
	for _, key := range sortedKeys(m.ids) {
		if seen[key] {
			continue
		}
		id := m.ids[key]
		was := m.now[id]
		delete(m.ids, key)
		delete(m.now, id)
		changes = append(changes, Change{windows.WTS_SESSION_LOGOFF, id})
		if was.Active {
			changes = append(changes, Change{connectEvent(was.Remote) + 1, id})
		}
	}
	return changes
}

// Sessions are the sessions now, by id.
func (m *Model) Sessions() []Session {
	out := make([]Session, 0, len(m.now))
	for _, s := range m.now {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Console is the id of the session on the physical console: the active
// session of seat0, or 0xFFFFFFFF when there is none, as
// WTSGetActiveConsoleSessionId says while the console is being switched.
func (m *Model) Console() uint32 {
	best := uint32(0xFFFFFFFF)
	for _, s := range m.now {
		if !s.Remote && s.Active && (s.Seat == "seat0" || s.Seat == "" && strings.HasPrefix(s.TTY, "tty")) && s.ID < best {
			best = s.ID
		}
	}
	return best
}

func connectEvent(remote bool) uint32 {
	if remote {
		return windows.WTS_REMOTE_CONNECT
	}
	return windows.WTS_CONSOLE_CONNECT
}

func sortedKeys(m map[string]uint32) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func itoa(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
