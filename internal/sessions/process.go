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
	byUID := map[uint32]uint32{}
	for _, s := range current {
		byKey[s.Key] = s.ID
		byUID[s.ID] = s.UID
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
		if sid, uid := logindSessionOf(p); sid != "" {
			if id, ok := byKey["logind:"+sid]; ok && byUID[id] == uid {
				return id, nil
			}
		}
		next, err := parentOf(p)
		if err != nil {
			break
		}
		p = next
	}
	return 0, nil
}

// logindSessionOf is the logind session a process is in: its cgroup is
// /user.slice/user-UID.slice/session-ID.scope exactly, and the process is
// UID's. A scope of that name a user makes elsewhere (systemd-run --scope
// --unit=session-N) claims nothing. "" if none.
func logindSessionOf(pid uint32) (id string, uid uint32) {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/cgroup")
	if err != nil {
		return "", 0
	}
	owner, ok := uidOf(pid)
	if !ok {
		return "", 0
	}
	if sid := sessionCgroup(string(b), owner); sid != "" {
		return sid, owner
	}
	return "", 0
}

// sessionCgroup is the session id in a /proc/pid/cgroup's content, if the
// process is in /user.slice/user-OWNER.slice/session-ID.scope.
func sessionCgroup(content string, owner uint32) string {
	for _, line := range strings.Split(content, "\n") {
		// 0::/path on cgroup v2; N:name=systemd:/path on v1.
		i := strings.LastIndexByte(line, ':')
		if i < 0 || !(strings.HasPrefix(line, "0::") || strings.Contains(line, ":name=systemd:")) {
			continue
		}
		parts := strings.Split(line[i+1:], "/")
		if len(parts) != 4 || parts[0] != "" || parts[1] != "user.slice" {
			continue
		}
		u, ok1 := strings.CutPrefix(parts[2], "user-")
		u, ok2 := strings.CutSuffix(u, ".slice")
		sid, ok3 := strings.CutPrefix(parts[3], "session-")
		sid, ok4 := strings.CutSuffix(sid, ".scope")
		n, err := strconv.ParseUint(u, 10, 32)
		if ok1 && ok2 && ok3 && ok4 && err == nil && uint32(n) == owner {
			return sid
		}
	}
	return ""
}

// uidOf is a process's real uid, from /proc/pid/status.
func uidOf(pid uint32) (uint32, bool) {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, err := strconv.ParseUint(f[0], 10, 32)
				return uint32(n), err == nil
			}
		}
	}
	return 0, false
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
