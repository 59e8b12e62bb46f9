package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openscm/scm/windows"
)

// publicDir is a directory every user may write in, gone when the test
// ends: t.TempDir's parent is root's alone.
func publicDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	return dir
}

// asNobody runs a command as nobody, with env added to nobody's own.
func asNobody(name string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/tmp"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return cmd
}

// startDesktop gives nobody a graphical session's parts: an X server
// (Xvfb), the session bus at /run/user/65534/bus, and a notification
// server on it (dunst), all from Debian. It returns the display and the
// bus address.
func startDesktop(t *testing.T) (string, string) {
	t.Helper()
	for _, p := range []string{"Xvfb", "dunst", "dunstctl", "dbus-daemon"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("no %s (Debian: apt-get install xvfb dunst dbus-daemon)", p)
		}
	}
	runtime := "/run/user/65534"
	if _, err := os.Stat(runtime); os.IsNotExist(err) {
		if _, err := os.Stat("/run/user"); os.IsNotExist(err) {
			if err := os.Mkdir("/run/user", 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Remove("/run/user") }) // after the one below: cleanups run last first
		}
		if err := os.Mkdir(runtime, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chown(runtime, 65534, 65534)
		t.Cleanup(func() { os.RemoveAll(runtime) })
	} else {
		t.Skip(runtime + " is in use on this machine")
	}
	bus := "unix:path=" + runtime + "/bus"
	start := func(cmd *exec.Cmd) {
		t.Helper()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	start(asNobody("dbus-daemon", nil, "--session", "--address="+bus, "--nofork", "--nopidfile"))
	display := fmt.Sprintf(":%d", 70+os.Getpid()%200)
	start(exec.Command("Xvfb", display, "-nolisten", "tcp"))
	waitFor(t, func() bool {
		_, err1 := os.Stat(runtime + "/bus")
		_, err2 := os.Stat("/tmp/.X11-unix/X" + display[1:])
		return err1 == nil && err2 == nil
	})
	start(asNobody("dunst", []string{"DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus}))
	waitFor(t, func() bool {
		return asNobody("dunstctl", []string{"DBUS_SESSION_BUS_ADDRESS=" + bus}, "count").Run() == nil
	})
	return display, bus
}

// displayed is how many notifications dunst shows.
func displayed(t *testing.T, bus string) int {
	out, _ := asNobody("dunstctl", []string{"DBUS_SESSION_BUS_ADDRESS=" + bus}, "count", "displayed").Output()
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

// TestWTSSendMessage: a message box to a graphical session is a desktop
// notification with the box's buttons, shown by a real notification server;
// the user's choice comes back (the default button when the notification
// is clicked, Cancel when it is dismissed), IDTIMEOUT when nobody answers,
// IDASYNC at once without waiting. In a text session the text goes to the
// terminal. A user may not send to another's session.
func TestWTSSendMessage(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("sessions of other users take root")
	}
	display, bus := startDesktop(t)
	logind := withLogind(t)
	sock := scmSocket(t, publicDir(t, "sessionmsg")) // nobody must reach the socket
	startSCMD(t, t.TempDir(), sock)
	logind.login(t, "5", "nobody", 65534, "seat0", false)
	logind.set(t, "5", "Display", display)
	waitFor(t, func() bool { return windows.WTSGetActiveConsoleSessionId() == 1 })

	send := func(style, timeout uint32, wait bool) (chan uint32, chan error) {
		answer, failed := make(chan uint32, 1), make(chan error, 1)
		go func() {
			title, text := windows.StringToUTF16("Disk"), windows.StringToUTF16("Replace the disk?")
			var r uint32
			err := windows.WTSSendMessage(windows.WTS_CURRENT_SERVER_HANDLE, 1, &title[0], uint32(2*len(title)), &text[0], uint32(2*len(text)), style, timeout, &r, wait)
			if err != nil {
				failed <- err
				return
			}
			answer <- r
		}()
		return answer, failed
	}
	answer := func(a chan uint32, f chan error) uint32 {
		t.Helper()
		select {
		case r := <-a:
			return r
		case err := <-f:
			t.Fatal(err)
		case <-time.After(60 * time.Second):
			t.Fatal("no answer")
		}
		return 0
	}
	dunstctl := func(args ...string) {
		t.Helper()
		if out, err := asNobody("dunstctl", []string{"DBUS_SESSION_BUS_ADDRESS=" + bus}, args...).CombinedOutput(); err != nil {
			t.Fatalf("dunstctl %v: %v %s", args, err, out)
		}
	}

	for _, c := range []struct {
		style uint32
		act   []string
		want  uint32
	}{
		{windows.MB_YESNO | windows.MB_ICONQUESTION, []string{"action", "0"}, windows.IDYES},
		{windows.MB_YESNO | windows.MB_DEFBUTTON2, []string{"action", "0"}, windows.IDNO},
		{windows.MB_OKCANCEL, []string{"close"}, windows.IDCANCEL},
	} {
		a, f := send(c.style, 60, true)
		waitFor(t, func() bool {
			select {
			case err := <-f:
				t.Fatalf("style %#x: %v", c.style, err)
			case r := <-a:
				t.Fatalf("style %#x: answered %d before it was shown", c.style, r)
			default:
			}
			return displayed(t, bus) == 1
		})
		dunstctl(c.act...)
		if got := answer(a, f); got != c.want {
			t.Errorf("style %#x, dunstctl %v: %d, want %d", c.style, c.act, got, c.want)
		}
		waitFor(t, func() bool { return displayed(t, bus) == 0 })
	}
	if got := answer(send(windows.MB_OKCANCEL, 1, true)); got != windows.IDTIMEOUT {
		t.Errorf("nobody answering: %d, want IDTIMEOUT", got)
	}
	if got := answer(send(windows.MB_OK, 0, false)); got != windows.IDASYNC {
		t.Errorf("not waiting: %d, want IDASYNC", got)
	}
	waitFor(t, func() bool { return displayed(t, bus) == 1 })
	dunstctl("close-all")
	if py := runPython(t, realPython(t), pythonDir(t), `
import win32ts, win32con
print(win32ts.WTSSendMessage(win32ts.WTS_CURRENT_SERVER_HANDLE, 1, "From Python", "Hello", 0, 0, False))
`); py != "32001\n" {
		t.Errorf("win32ts.WTSSendMessage without waiting: %q, want IDASYNC", py)
	}
	waitFor(t, func() bool { return displayed(t, bus) == 1 })
	dunstctl("close-all")

	// A text session: the text on its terminal, a pty here.
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	var unlock int32
	unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, int(unlock))
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pts.Close()
	logind.login(t, "6", "daemon", 1, "", true)
	logind.set(t, "6", "TTY", fmt.Sprintf("pts/%d", n))
	var sessions *windows.WTS_SESSION_INFO
	var count uint32
	waitFor(t, func() bool {
		windows.WTSEnumerateSessions(0, 0, 1, &sessions, &count)
		return count == 3
	})
	title, text := windows.StringToUTF16("Notice"), windows.StringToUTF16("The backup is done.")
	var r uint32
	if err := windows.WTSSendMessage(0, 2, &title[0], uint32(2*len(title)), &text[0], uint32(2*len(text)), windows.MB_OK, 0, &r, true); err != nil || r != windows.IDOK {
		t.Errorf("to a terminal: %d, %v", r, err)
	}
	buf := make([]byte, 256)
	ptm.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, _ := ptm.Read(buf)
	if s := string(buf[:got]); !strings.Contains(s, "Notice") || !strings.Contains(s, "The backup is done.") {
		t.Errorf("the terminal got %q", s)
	}
	// pywin32's call waits without a bound when its timeout is 0.
	if py := runPython(t, realPython(t), pythonDir(t), `
import win32ts
print(win32ts.WTSSendMessage(win32ts.WTS_CURRENT_SERVER_HANDLE, 2, "Notice", "From Python", 0, 0, True))
print(win32ts.WTSSendMessage(win32ts.WTS_CURRENT_SERVER_HANDLE, 2, "Notice", "Again", 0, 0, True))
`); py != "1\n1\n" {
		t.Errorf("win32ts.WTSSendMessage waiting, to a terminal: %q, want IDOK twice", py)
	}

	// nobody may not send to daemon's session, nor anyone to session 0.
	out, err := asNobody(filepath.Join(binDir, "attack"), []string{"SCM_SOCKET=" + sock}, "sendmessage", "2").CombinedOutput()
	if err != nil || string(out) != "5\n" {
		t.Errorf("nobody to another's session: %v %q, want ERROR_ACCESS_DENIED", err, out)
	}
	if err := windows.WTSSendMessage(0, 0, &title[0], 2, &text[0], 2, 0, 0, &r, false); err != windows.Errno(7022) {
		t.Errorf("to session 0: %v", err)
	}
}

// TestSessionAgent: scm-agent, run in a user's session, starts what the
// machine's Run key and the user's own Run and RunOnce keys list, as that
// user; a RunOnce value runs once.
func TestSessionAgent(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the agent runs as another user")
	}
	dir := publicDir(t, "scmagent")
	sock := scmSocket(t, dir)
	startSCMD(t, t.TempDir(), sock)
	reg := func(asNobodyToo bool, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(binDir, "reg"), args...)
		if asNobodyToo {
			cmd = asNobody(filepath.Join(binDir, "reg"), []string{"SCM_SOCKET=" + sock}, args...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("reg %v: %v\n%s", args, err, out)
		}
	}
	run := `SOFTWARE\Microsoft\Windows\CurrentVersion\Run`
	reg(false, "add", `HKLM\`+run, "/v", "Probe", "/d", `/bin/sh -c "id -u > `+dir+`/machine"`, "/f")
	reg(true, "add", `HKCU\`+run, "/v", "Mine", "/t", "REG_EXPAND_SZ", "/d", `/bin/sh -c "echo %USER% > `+dir+`/user"`, "/f")
	reg(true, "add", `HKCU\`+run+"Once", "/v", "Once", "/d", `/bin/sh -c "echo once >> `+dir+`/once"`, "/f")
	agent := func() {
		t.Helper()
		cmd := asNobody(filepath.Join(binDir, "scm-agent"), []string{"SCM_SOCKET=" + sock, "USER=nobody"})
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scm-agent: %v\n%s", err, out)
		}
	}
	agent()
	waitFor(t, func() bool {
		for _, f := range []string{"machine", "user", "once"} {
			if b, _ := os.ReadFile(filepath.Join(dir, f)); len(b) == 0 {
				return false
			}
		}
		return true
	})
	for f, want := range map[string]string{"machine": "65534\n", "user": "nobody\n", "once": "once\n"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != want {
			t.Errorf("%s: %q, want %q", f, b, want)
		}
	}
	os.Remove(filepath.Join(dir, "machine"))
	agent() // a second logon: Run again, RunOnce not
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(dir, "machine")); return err == nil })
	if b, _ := os.ReadFile(filepath.Join(dir, "once")); string(b) != "once\n" {
		t.Errorf("RunOnce ran again: %q", b)
	}
}
