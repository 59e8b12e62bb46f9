package sessions

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// ErrNoProcess is a pid no process has.
var ErrNoProcess = errors.New("sessions: no such process")

// SessionOf is the session a process runs in, as ProcessIdToSessionId
// says: 0 for scmd's own descendants (the services) and for processes of
// no login session; otherwise the login session logind puts it in (its
// cgroup's session-N.scope), or whose leader it descends from.
func (w *Watcher) SessionOf(pid uint32) (uint32, error) {
	if _, err := os.Stat("/proc/" + strconv.FormatUint(uint64(pid), 10)); err != nil {
		return 0, ErrNoProcess
	}
	self := uint32(os.Getpid())
	w.mu.Lock()
	current := w.current
	placed := make(map[uint32]uint32, len(w.placed))
	for p, id := range w.placed {
		placed[p] = id
	}
	w.mu.Unlock()
	byKey := map[string]uint32{}
	byLeader := map[uint32]uint32{}
	for _, s := range current {
		byKey[s.Key] = s.ID
		if s.Leader != 0 {
			byLeader[s.Leader] = s.ID
		}
	}
	p := pid
	for i := 0; i < 64 && p > 1; i++ {
		if id, ok := placed[p]; ok {
			return id, nil // started in the session by CreateProcessAsUser
		}
		if p == self {
			return 0, nil // a service, or something a service started
		}
		if id, ok := byLeader[p]; ok {
			return id, nil
		}
		if id, ok := byKey["logind:"+logindSessionOf(p)]; ok {
			return id, nil
		}
		next, err := parentOf(p)
		if err != nil {
			break
		}
		p = next
	}
	return 0, nil
}

// logindSessionOf is the logind session id in a process's cgroup path
// (…/session-3.scope), or "".
func logindSessionOf(pid uint32) string {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, "/session-"); i >= 0 {
			rest := line[i+len("/session-"):]
			if j := strings.Index(rest, ".scope"); j > 0 {
				return rest[:j]
			}
		}
	}
	return ""
}

// parentOf reads a process's parent from /proc/pid/stat, after the
// command's closing parenthesis (the command may hold any character).
func parentOf(pid uint32) (uint32, error) {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("sessions: bad stat")
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 {
		return 0, errors.New("sessions: bad stat")
	}
	ppid, err := strconv.ParseUint(fields[1], 10, 32)
	return uint32(ppid), err
}

// Place records that pid runs in session id, for a process started there
// on a service's behalf (CreateProcessAsUser): scmd is its parent, but it
// and what it starts are the session's. Unplace forgets it when it exits.
func (w *Watcher) Place(pid, id uint32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.placed == nil {
		w.placed = map[uint32]uint32{}
	}
	w.placed[pid] = id
}

// Unplace forgets a process Place recorded.
func (w *Watcher) Unplace(pid uint32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.placed, pid)
}

// Session is one session by id.
func (w *Watcher) Session(id uint32) (Session, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.current {
		if s.ID == id {
			return s, true
		}
	}
	return Session{}, false
}

// Ancestors is a process and its ancestors, nearest first, up to init.
func Ancestors(pid uint32) []uint32 {
	var out []uint32
	for p := pid; p > 1 && len(out) < 64; {
		out = append(out, p)
		next, err := parentOf(p)
		if err != nil {
			break
		}
		p = next
	}
	return out
}
