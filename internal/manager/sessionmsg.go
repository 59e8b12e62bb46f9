package manager

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/sessions"
	"github.com/openscm/scm/windows"
)

// The answers of WTSSendMessage's message box.
const (
	IDOK      = 1
	IDTIMEOUT = 32000
	IDASYNC   = 32001
)

// MaxMessageText bounds a message's title and text together, as Windows
// bounds a message box's.
const MaxMessageText = 64 << 10

// WTSSendMessage shows a message box in a session: in a graphical one (it
// has a session bus) a desktop notification with the box's buttons, shown
// by scm-sessionmsg as the session's user; in a text one, the text on its
// terminal, which has no buttons: OK for an OK box, else the timeout. An
// administrator may send to any session, a user to their own.
func (m *Manager) WTSSendMessage(ctx context.Context, c Caller, session uint32, title, message string, style, timeout uint32, wait bool) (uint32, error) {
	if len(title)+len(message) > MaxMessageText {
		return 0, windows.ERROR_INVALID_PARAMETER
	}
	src := m.sessionSource()
	if src == nil || session == 0 {
		return 0, windows.Errno(7022) // ERROR_CTX_WINSTATION_NOT_FOUND: session 0 has no desktop
	}
	s, ok := src.Session(session)
	if !ok {
		return 0, windows.Errno(7022)
	}
	if c.Token == nil || !c.Token.IsAdmin() && c.Token.User != security.UserSID(s.UID) {
		return 0, windows.ERROR_ACCESS_DENIED
	}
	bus := "/run/user/" + strconv.FormatUint(uint64(s.UID), 10) + "/bus"
	if _, err := os.Stat(bus); err == nil {
		return m.sessionBox(ctx, s, title, message, style, timeout, wait)
	}
	if s.TTY == "" {
		return 0, windows.ERROR_NOT_SUPPORTED // nowhere to show it
	}
	if err := writeToTerminal(s.TTY, title, message); err != nil {
		return 0, windows.ERROR_NOT_SUPPORTED
	}
	switch {
	case !wait:
		return IDASYNC, nil
	case style&0xF == 0: // MB_OK: shown is answered
		return IDOK, nil
	case timeout == 0:
		return IDTIMEOUT, nil // nobody can answer a terminal: no use waiting for ever
	}
	select {
	case <-time.After(time.Duration(timeout) * time.Second):
	case <-ctx.Done():
	}
	return IDTIMEOUT, nil
}

// sessionBox runs scm-sessionmsg as the session's user and reads its answer;
// the call's end (the caller gone) ends it.
func (m *Manager) sessionBox(ctx context.Context, s sessions.Session, title, message string, style, timeout uint32, wait bool) (uint32, error) {
	m.mu.Lock()
	runner, _ := m.launcher.(userRunner)
	m.mu.Unlock()
	exe, err := os.Executable()
	if runner == nil || err != nil {
		return 0, windows.ERROR_NOT_SUPPORTED
	}
	helper := filepath.Join(filepath.Dir(exe), "scm-sessionmsg")
	if _, err := os.Stat(helper); err != nil {
		return 0, windows.ERROR_NOT_SUPPORTED
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return 0, windows.ERROR_NO_SYSTEM_RESOURCES
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return 0, windows.ERROR_NO_SYSTEM_RESOURCES
	}
	defer outR.Close()
	done := make(chan struct{})
	pid, err := runner.RunAs(s.UID, []string{helper}, sessionEnvironment(s), "", []*os.File{inR, outW, nil}, func() { close(done) })
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		return 0, windows.ERROR_NOT_SUPPORTED
	}
	json.NewEncoder(inW).Encode(struct {
		Title, Message string
		Style, Timeout uint32
		Wait           bool
	}{title, message, style, timeout, wait})
	inW.Close()
	stop := context.AfterFunc(ctx, func() { syscall.Kill(pid, syscall.SIGKILL) })
	defer stop()
	line, _ := bufio.NewReader(outR).ReadString('\n')
	<-done
	n, err := strconv.ParseUint(strings.TrimSpace(line), 10, 32)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, windows.ERROR_NOT_SUPPORTED // no notification server answers on the session's bus
	}
	return uint32(n), nil
}

// writeToTerminal writes the message to a session's terminal, as wall
// does: a bell, the title, the text.
func writeToTerminal(tty, title, message string) error {
	if strings.Contains(tty, "..") {
		return os.ErrInvalid
	}
	f, err := os.OpenFile("/dev/"+tty, os.O_WRONLY|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	text := "\r\n\a" + title + "\r\n\r\n" + strings.ReplaceAll(message, "\n", "\r\n") + "\r\n"
	_, err = f.WriteString(text)
	return err
}
