package manager

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/sessions"
	"github.com/openscm/scm/windows"
)

// MaxMessageText bounds a message's title and text together, as Windows
// bounds a message box's.
const MaxMessageText = 64 << 10

// MaxBoxesPerUser bounds the message boxes on show at once in one user's
// sessions: each is a helper process.
const MaxBoxesPerUser = 8

// boxGrace is how long past its timeout a box may take to answer, and how
// long one not waited for may take to be shown, before its helper is
// ended: the session's user runs it and may stop it.
const boxGrace = 10 * time.Second

// WTSSendMessage shows a message box in a session: in a graphical one (it
// has a session bus) a desktop notification with the box's buttons, shown
// by scm-sessionmsg as the session's user; in a text one, the text on its
// terminal, which has no buttons: OK for an OK box, else the timeout. An
// administrator may send to any session, a user to their own.
func (m *Manager) WTSSendMessage(ctx context.Context, c Caller, session uint32, title, message string, style, timeout uint32, wait bool) (uint32, error) {
	if len(title)+len(message) > MaxMessageText {
		return 0, windows.ERROR_INVALID_PARAMETER
	}
	s, err := m.userSession(session)
	if err != nil {
		return 0, err
	}
	if c.Token == nil || !c.Token.IsAdmin() && c.Token.User != security.UserSID(s.UID) {
		return 0, windows.ERROR_ACCESS_DENIED
	}
	if sessions.HasBus(s) {
		return m.sessionBox(ctx, s, title, message, style, timeout, wait)
	}
	if s.TTY == "" || sessions.WriteToTerminal(s.TTY, title, message) != nil {
		return 0, windows.ERROR_NOT_SUPPORTED // nowhere to show it
	}
	switch {
	case !wait:
		return windows.IDASYNC, nil
	case style&0xF == 0: // MB_OK: shown is answered
		return windows.IDOK, nil
	case timeout == 0:
		return windows.IDTIMEOUT, nil // nobody can answer a terminal: no use waiting for ever
	}
	select {
	case <-time.After(time.Duration(timeout) * time.Second):
	case <-ctx.Done():
	}
	return windows.IDTIMEOUT, nil
}

// sessionBox has scm-sessionmsg show the box as the session's user and
// reads its answer; the call's end (the caller gone) ends it.
func (m *Manager) sessionBox(ctx context.Context, s sessions.Session, title, message string, style, timeout uint32, wait bool) (uint32, error) {
	m.mu.Lock()
	runner, _ := m.launcher.(userRunner)
	if m.boxes == nil {
		m.boxes = map[uint32]int{}
	}
	full := m.boxes[s.UID] >= MaxBoxesPerUser
	if !full {
		m.boxes[s.UID]++
	}
	m.mu.Unlock()
	if full {
		return 0, windows.ERROR_NO_SYSTEM_RESOURCES
	}
	defer func() {
		m.mu.Lock()
		if m.boxes[s.UID]--; m.boxes[s.UID] == 0 {
			delete(m.boxes, s.UID)
		}
		m.mu.Unlock()
	}()
	if runner == nil {
		return 0, windows.ERROR_NOT_SUPPORTED
	}
	callCtx := ctx
	switch {
	case !wait:
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, boxGrace)
		defer cancel()
	case timeout > 0:
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeout)*time.Second+boxGrace)
		defer cancel()
	}
	input, _ := json.Marshal(struct {
		Title, Message string
		Style, Timeout uint32
		Wait           bool
	}{title, message, style, timeout, wait})
	out, err := runner.Converse(ctx, s.UID, "scm-sessionmsg", sessions.Environment(s), input)
	if callCtx.Err() != nil {
		return 0, callCtx.Err() // the caller went
	}
	if ctx.Err() != nil {
		if wait {
			return windows.IDTIMEOUT, nil // the box outlived its timeout: nobody answered
		}
		return windows.IDASYNC, nil
	}
	n, perr := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 32)
	if err != nil || perr != nil {
		return 0, windows.ERROR_NOT_SUPPORTED // no notification server answers on the session's bus
	}
	return uint32(n), nil
}
