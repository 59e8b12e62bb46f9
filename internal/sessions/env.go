package sessions

import (
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// Environment is what a program of the session's user sees there:
// the user's name and home, and the session's desktop.
func Environment(s Session) []string {
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "USER=" + s.User, "LOGNAME=" + s.User}
	if u, err := user.LookupId(strconv.FormatUint(uint64(s.UID), 10)); err == nil {
		env = append(env, "HOME="+u.HomeDir)
	}
	env = append(env, DesktopEnvironment(s)...)
	if id, ok := strings.CutPrefix(s.Key, "logind:"); ok {
		env = append(env, "XDG_SESSION_ID="+id)
	}
	return env
}

// DesktopEnvironment is how a program reaches the session's desktop: its
// runtime directory, session bus and display. It looks up no user, so it
// is cheap enough to ask while a service starts.
func DesktopEnvironment(s Session) []string {
	var env []string
	runtime := "/run/user/" + strconv.FormatUint(uint64(s.UID), 10)
	if fi, err := os.Stat(runtime); err == nil && fi.IsDir() {
		env = append(env, "XDG_RUNTIME_DIR="+runtime)
		if _, err := os.Stat(runtime + "/bus"); err == nil {
			env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+runtime+"/bus")
		}
		if _, err := os.Stat(runtime + "/wayland-0"); err == nil {
			env = append(env, "WAYLAND_DISPLAY=wayland-0")
		}
	}
	if s.Display != "" {
		env = append(env, "DISPLAY="+s.Display)
	}
	return env
}

// HasBus reports whether the session's user has a session bus, as a
// graphical session does.
func HasBus(s Session) bool {
	_, err := os.Stat("/run/user/" + strconv.FormatUint(uint64(s.UID), 10) + "/bus")
	return err == nil
}

// WriteToTerminal writes a message to a session's terminal, as wall does:
// a bell, the title, the text.
func WriteToTerminal(tty, title, message string) error {
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
