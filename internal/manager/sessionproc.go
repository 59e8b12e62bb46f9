package manager

import (
	"context"
	"os"

	"github.com/openscm/scm/internal/cmdline"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/sessions"
	"github.com/openscm/scm/windows"
)

// A service reaches a user's session through a process it starts there:
// WTSQueryUserToken gives LocalSystem a token for the session's user, and
// CreateProcessAsUser starts a program as that user, with the session's
// environment, in the session.

// userRunner starts programs as users; the daemon's launcher is one.
type userRunner interface {
	RunAs(uid uint32, argv, env []string, dir string, exited func()) (int, error)
	Converse(ctx context.Context, uid uint32, helper string, env []string, input []byte) ([]byte, error)
}

// WTSQueryUserToken opens a token handle for the user of a session. Only
// LocalSystem may (SE_TCB_NAME on Windows): ERROR_PRIVILEGE_NOT_HELD; a
// session that does not exist is ERROR_CTX_WINSTATION_NOT_FOUND, one with
// no user (session 0) ERROR_NO_TOKEN.
func (m *Manager) WTSQueryUserToken(c Caller, session uint32) (uint64, error) {
	if c.Token == nil || c.Token.User != security.LocalSystem {
		return 0, windows.ERROR_PRIVILEGE_NOT_HELD
	}
	if session == 0 {
		return 0, windows.Errno(1008) // ERROR_NO_TOKEN
	}
	if _, err := m.userSession(session); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.newHandle(c, &handle{kind: tokenHandle, session: session})
}

// CreateProcessAsUser starts a program as a token's user in the token's
// session: its command line split as Windows splits one (application, if
// given, is the program; otherwise the line's first word), in dir (the
// user's home when empty), with env or else the session's environment.
// The process is the session's: ProcessIdToSessionId says so.
func (m *Manager) CreateProcessAsUser(c Caller, token uint64, application, commandLine, dir string, env []string, hasEnv bool) (uint32, error) {
	if c.Token == nil || c.Token.User != security.LocalSystem {
		return 0, windows.ERROR_PRIVILEGE_NOT_HELD
	}
	m.mu.Lock()
	h, err := m.lookup(c, token, tokenHandle)
	runner, _ := m.launcher.(userRunner)
	m.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if runner == nil {
		return 0, windows.ERROR_CALL_NOT_IMPLEMENTED
	}
	s, err := m.userSession(h.session) // it may have ended since the token was taken
	if err != nil {
		return 0, err
	}
	argv := cmdline.Split(commandLine)
	if application != "" {
		if len(argv) == 0 {
			argv = []string{application}
		} else {
			argv[0] = application
		}
	}
	if len(argv) == 0 || len(commandLine)+len(application) > 32767 {
		return 0, windows.ERROR_INVALID_PARAMETER
	}
	if !hasEnv {
		env = sessions.Environment(s)
	}
	// The process may exit before RunAs returns: its exit waits for its
	// placing, so that what is forgotten was recorded first.
	src := m.sessionSource()
	placed := make(chan uint32, 1)
	pid, err := runner.RunAs(s.UID, argv, env, dir, func() {
		if p, ok := <-placed; ok {
			src.Unplace(p)
		}
	})
	if err != nil {
		close(placed)
		if os.IsNotExist(err) {
			return 0, windows.ERROR_FILE_NOT_FOUND
		}
		return 0, windows.ERROR_ACCESS_DENIED
	}
	src.Place(uint32(pid), s.ID)
	placed <- uint32(pid)
	return uint32(pid), nil
}
