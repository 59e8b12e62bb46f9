package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/godbus/dbus/v5"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc/mgr"
)

// fakeSession is a session of the stand-in logind: its object's
// org.freedesktop.login1.Session properties.
type fakeSession struct {
	l     *fakeLogind
	id    string
	path  dbus.ObjectPath
	props map[string]dbus.Variant
}

// GetAll is org.freedesktop.DBus.Properties' method on a session object.
func (s *fakeSession) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	out := map[string]dbus.Variant{}
	for k, v := range s.props {
		out[k] = v
	}
	return out, nil
}

// ListSessions is logind's method: id, uid, user, seat and object path.
func (i inhibitor) ListSessions() ([]struct {
	ID   string
	UID  uint32
	User string
	Seat string
	Path dbus.ObjectPath
}, *dbus.Error) {
	i.l.mu.Lock()
	defer i.l.mu.Unlock()
	var out []struct {
		ID   string
		UID  uint32
		User string
		Seat string
		Path dbus.ObjectPath
	}
	ids := make([]string, 0, len(i.l.sessions))
	for id := range i.l.sessions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := i.l.sessions[id]
		out = append(out, struct {
			ID   string
			UID  uint32
			User string
			Seat string
			Path dbus.ObjectPath
		}{id, s.props["User"].Value().([]any)[0].(uint32), s.props["Name"].Value().(string), s.props["Seat"].Value().([]any)[0].(string), s.path})
	}
	return out, nil
}

// TerminateSession is logind's method: the session ends, as at a logoff.
func (i inhibitor) TerminateSession(id string) *dbus.Error {
	i.l.mu.Lock()
	s := i.l.sessions[id]
	delete(i.l.sessions, id)
	i.l.mu.Unlock()
	if s == nil {
		return dbus.MakeFailedError(fmt.Errorf("no session %s", id))
	}
	i.l.conn.Export(nil, s.path, "org.freedesktop.DBus.Properties")
	i.l.conn.Emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.SessionRemoved", id, s.path)
	return nil
}

// login makes a session and signals SessionNew, as logind does for a new
// login: a seat's (seat non-empty) or a remote one.
func (l *fakeLogind) login(t *testing.T, id, user string, uid uint32, seat string, remote bool) {
	t.Helper()
	path := dbus.ObjectPath("/org/freedesktop/login1/session/_3" + id)
	seatPath := dbus.ObjectPath("/") // logind's for a session of no seat
	if seat != "" {
		seatPath = dbus.ObjectPath("/org/freedesktop/login1/seat/" + seat)
	}
	s := &fakeSession{l: l, id: id, path: path, props: map[string]dbus.Variant{
		"Id": dbus.MakeVariant(id), "Name": dbus.MakeVariant(user),
		"User":   dbus.MakeVariant([]any{uid, dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/login1/user/_%d", uid))}),
		"Seat":   dbus.MakeVariant([]any{seat, seatPath}),
		"Remote": dbus.MakeVariant(remote), "RemoteHost": dbus.MakeVariant(map[bool]string{true: "192.0.2.8"}[remote]),
		"Active": dbus.MakeVariant(true), "LockedHint": dbus.MakeVariant(false), "Class": dbus.MakeVariant("user"),
		"State": dbus.MakeVariant("active"), "TTY": dbus.MakeVariant(map[bool]string{true: "pts/3", false: "tty2"}[remote]),
		"Display": dbus.MakeVariant(""), "Leader": dbus.MakeVariant(uint32(0)), "Type": dbus.MakeVariant("tty"),
	}}
	if err := l.conn.Export(s, path, "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	l.sessions[id] = s
	l.mu.Unlock()
	if err := l.conn.Emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.SessionNew", id, path); err != nil {
		t.Fatal(err)
	}
}

// set changes a session's property and signals PropertiesChanged.
func (l *fakeLogind) set(t *testing.T, id, prop string, v any) {
	t.Helper()
	l.mu.Lock()
	s := l.sessions[id]
	s.props[prop] = dbus.MakeVariant(v)
	l.mu.Unlock()
	err := l.conn.Emit(s.path, "org.freedesktop.DBus.Properties.PropertiesChanged", "org.freedesktop.login1.Session",
		map[string]dbus.Variant{prop: dbus.MakeVariant(v)}, []string{})
	if err != nil {
		t.Fatal(err)
	}
}

// logout removes a session and signals SessionRemoved.
func (l *fakeLogind) logout(t *testing.T, id string) {
	t.Helper()
	l.mu.Lock()
	s := l.sessions[id]
	delete(l.sessions, id)
	l.mu.Unlock()
	l.conn.Export(nil, s.path, "org.freedesktop.DBus.Properties")
	if err := l.conn.Emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.SessionRemoved", id, s.path); err != nil {
		t.Fatal(err)
	}
}

// withLogind starts a system bus of the test's own with the stand-in
// logind on it, and has the scmd started next use it.
func withLogind(t *testing.T) *fakeLogind {
	t.Helper()
	addr := startSystemBus(t)
	l := startLogind(t, addr)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	return l
}

// scmSocket is the path of scmd's socket in dir, set as SCM_SOCKET.
func scmSocket(t *testing.T, dir string) string {
	sock := filepath.Join(dir, "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	return sock
}

// TestSessionChange: a service that accepts SESSIONCHANGE hears a seat
// login's connect and logon, its lock and unlock, a remote login, and the
// logoffs, with the session ids WTSEnumerateSessions lists; one that does
// not accept it hears nothing. logind is a stand-in on a private bus.
func TestSessionChange(t *testing.T) {
	logind := withLogind(t)
	m := startSCMDShortTimeouts(t)
	dir := t.TempDir()
	watchLog, blindLog := filepath.Join(dir, "watch.log"), filepath.Join(dir, "blind.log")
	watch := installTestService(t, m, "sessionwatch", "-session", "-log", watchLog)
	blind := installTestService(t, m, "sessionblind", "-log", blindLog)
	for _, s := range []*mgr.Service{watch, blind} {
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, s, "running", running)
	}
	logged := func(lines ...string) {
		t.Helper()
		waitFor(t, func() bool {
			b, _ := os.ReadFile(watchLog)
			for _, l := range lines {
				if !strings.Contains(string(b), l+"\n") {
					return false
				}
			}
			return true
		})
	}

	logind.login(t, "3", "alice", 1000, "seat0", false)
	logged("session event=1 id=1 size=8", "session event=5 id=1 size=8")
	logind.set(t, "3", "LockedHint", true)
	logged("session event=7 id=1 size=8")
	logind.set(t, "3", "LockedHint", false)
	logged("session event=8 id=1 size=8")
	// Anyone on the system bus may send a PropertiesChanged for the
	// session's path; only logind's counts. The forged lock goes before
	// bob's login, which shows when it would have been heard.
	forger, err := dbus.Connect(os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"))
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	forger.Emit("/org/freedesktop/login1/session/_33", "org.freedesktop.DBus.Properties.PropertiesChanged",
		"org.freedesktop.login1.Session", map[string]dbus.Variant{"LockedHint": dbus.MakeVariant(true)}, []string{})
	logind.login(t, "c7", "bob", 1001, "", true)
	logged("session event=3 id=2 size=8", "session event=5 id=2 size=8")
	if b, _ := os.ReadFile(watchLog); strings.Count(string(b), "session event=7 id=1") != 1 {
		t.Errorf("a forged lock was believed:\n%s", b)
	}

	var list *windows.WTS_SESSION_INFO
	var count uint32
	if err := windows.WTSEnumerateSessions(windows.WTS_CURRENT_SERVER_HANDLE, 0, 1, &list, &count); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range unsafe.Slice(list, count) {
		got = append(got, fmt.Sprintf("%d %s %d", s.SessionID, windows.UTF16PtrToString(s.WindowStationName), s.State))
	}
	if want := []string{"0 Services 4", "1 Console 0", "2 ssh#2 0"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("WTSEnumerateSessions: %q, want %q", got, want)
	}
	out, err := exec.Command(filepath.Join(binDir, "qwinsta")).CombinedOutput()
	if err != nil {
		t.Fatalf("qwinsta: %v\n%s", err, out)
	}
	wantList := " SESSIONNAME       USERNAME                 ID  STATE   TYPE        DEVICE\n" +
		">services                                    0  Disc\n" +
		" console           alice                     1  Active              tty2\n" +
		" ssh#2             bob                       2  Active              pts/3\n"
	if string(out) != wantList {
		t.Errorf("qwinsta:\n%s\nwant\n%s", out, wantList)
	}
	if out, err := exec.Command(filepath.Join(binDir, "qwinsta"), "bob").CombinedOutput(); err != nil || !strings.HasSuffix(string(out), " ssh#2             bob                       2  Active              pts/3\n") {
		t.Errorf("qwinsta bob: %v\n%s", err, out)
	}
	if out, err := exec.Command(filepath.Join(binDir, "qwinsta"), "nobody").CombinedOutput(); err == nil || string(out) != "No session exists for nobody\n" {
		t.Errorf("qwinsta nobody: %v\n%s", err, out)
	}
	if c := windows.WTSGetActiveConsoleSessionId(); c != 1 {
		t.Errorf("console session %d, want 1", c)
	}
	st, err := watch.Query()
	if err != nil {
		t.Fatal(err)
	}
	var sid uint32 = 99
	if err := windows.ProcessIdToSessionId(st.ProcessId, &sid); err != nil || sid != 0 {
		t.Errorf("a service's session: %d, %v; want 0", sid, err)
	}
	if err := windows.ProcessIdToSessionId(0, &sid); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("pid 0: %v", err)
	}

	logind.logout(t, "c7")
	logged("session event=6 id=2 size=8", "session event=4 id=2 size=8")
	logind.logout(t, "3")
	logged("session event=6 id=1 size=8", "session event=2 id=1 size=8")
	if b, _ := os.ReadFile(blindLog); strings.Contains(string(b), "session event") {
		t.Errorf("a service that does not accept SESSIONCHANGE heard:\n%s", b)
	}
}

// TestPythonSessionChange: a pywin32 service that accepts SESSIONCHANGE
// gets the events in SvcOtherEx with (sessionId,) as data, and win32ts
// lists the sessions.
func TestPythonSessionChange(t *testing.T) {
	python := realPython(t)
	logind := withLogind(t)
	startSCMD(t, t.TempDir(), scmSocket(t, t.TempDir()))
	dir := pythonDir(t)
	out := filepath.Join(t.TempDir(), "events")
	script := fmt.Sprintf(`
import sys, win32serviceutil, win32service
sys.argv = [%q, "install"]
win32serviceutil.HandleCommandLine(__import__("devices").DeviceSvc)
win32serviceutil.SetServiceCustomOption("PyDevices", "OutFile", %q)
import win32api, win32con
k = win32api.RegOpenKey(win32con.HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Services\\PyDevices")
win32api.RegSetValueEx(k, "Environment", 0, win32con.REG_MULTI_SZ, ["PYTHONPATH=%s:%s"])
win32serviceutil.StartService("PyDevices")
win32serviceutil.WaitForServiceStatus("PyDevices", win32service.SERVICE_RUNNING, 30)
`, filepath.Join(dir, "tests", "services", "devices.py"), out, dir, filepath.Join(dir, "tests", "services"))
	runPython(t, python, dir, script)
	t.Cleanup(func() {
		runPython(t, python, dir, `import win32serviceutil; win32serviceutil.StopService("PyDevices")`)
	})
	waitFor(t, func() bool { b, _ := os.ReadFile(out); return strings.Contains(string(b), "registered\n") })

	logind.login(t, "4", "carol", 1002, "seat0", false)
	waitFor(t, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "control 14 1 (1,)\ncontrol 14 5 (1,)\n")
	})
	logind.set(t, "4", "LockedHint", true)
	logind.set(t, "4", "LockedHint", false)
	waitFor(t, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "control 14 7 (1,)\ncontrol 14 8 (1,)\n")
	})
	got := runPython(t, python, dir, `
import win32ts
print(win32ts.WTSEnumerateSessions())
print(win32ts.WTSQuerySessionInformation(win32ts.WTS_CURRENT_SERVER_HANDLE, 1, win32ts.WTSUserName))
print(win32ts.WTSQuerySessionInformation(0, 1, win32ts.WTSConnectState), win32ts.WTSGetActiveConsoleSessionId())
try:
    win32ts.WTSQuerySessionInformation(0, 9, win32ts.WTSUserName)
except win32ts.error as e:
    print(e.winerror, e.funcname)
`)
	want := "({'SessionId': 0, 'WinStationName': 'Services', 'State': 4}, {'SessionId': 1, 'WinStationName': 'Console', 'State': 0})\n" +
		"carol\n0 1\n7022 WTSQuerySessionInformation\n"
	if got != want {
		t.Errorf("win32ts:\n%s\nwant\n%s", got, want)
	}
	// An administrator logs the session off (logind ends it); a session
	// cannot be disconnected.
	if got := runPython(t, python, dir, `
import win32ts
try:
    win32ts.WTSDisconnectSession(0, 1, False)
except win32ts.error as e:
    print(e.winerror, e.funcname)
win32ts.WTSLogoffSession(win32ts.WTS_CURRENT_SERVER_HANDLE, 1, False)
`); got != "50 WTSDisconnectSession\n" {
		t.Errorf("win32ts: %q", got)
	}
	waitFor(t, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "control 14 6 (1,)\ncontrol 14 2 (1,)\n")
	})
}

// runPython runs a Python program with the package on its path; its
// output.
func runPython(t *testing.T, python, dir, program string) string {
	t.Helper()
	cmd := exec.Command(python, "-c", program)
	cmd.Dir = filepath.Join(dir, "tests", "services")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir+string(os.PathListSeparator)+cmd.Dir)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, b)
	}
	return string(b)
}

// TestCreateProcessAsUser: LocalSystem takes the token of a user's session
// and starts a program with it, which runs as that user, with the
// session's environment, in the session; an ordinary user is refused the
// token, and session 0 has none.
func TestCreateProcessAsUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("LocalSystem is root")
	}
	logind := withLogind(t)
	// Where nobody may write and reach the socket: t.TempDir's parent is
	// root's alone.
	dir := publicDir(t, "usertoken")
	sock := scmSocket(t, dir)
	startSCMD(t, t.TempDir(), sock)
	logind.login(t, "8", "nobody", 65534, "seat0", false)
	waitFor(t, func() bool { return windows.WTSGetActiveConsoleSessionId() == 1 })

	var tok windows.Token
	if err := windows.WTSQueryUserToken(0, &tok); err != windows.Errno(1008) {
		t.Errorf("session 0's token: %v, want ERROR_NO_TOKEN", err)
	}
	if err := windows.WTSQueryUserToken(9, &tok); err != windows.Errno(7022) {
		t.Errorf("session 9's token: %v, want ERROR_CTX_WINSTATION_NOT_FOUND", err)
	}
	if err := windows.WTSQueryUserToken(1, &tok); err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	out := filepath.Join(dir, "out")
	cmd := windows.StringToUTF16Ptr(`/bin/sh -c "id -u > ` + out + `.tmp; echo $XDG_SESSION_ID $USER >> ` + out + `.tmp; mv ` + out + `.tmp ` + out + `; exec sleep 100"`)
	var pi windows.ProcessInformation
	if err := windows.CreateProcessAsUser(tok, nil, cmd, nil, nil, false, 0, nil, nil, &windows.StartupInfo{}, &pi); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscallKill(int(pi.ProcessId))
		windows.CloseHandle(pi.Process)
	}()
	waitFor(t, func() bool { _, err := os.Stat(out); return err == nil })
	b, _ := os.ReadFile(out)
	if string(b) != "65534\n8 nobody\n" {
		t.Errorf("the process saw:\n%s", b)
	}
	var sid uint32
	if err := windows.ProcessIdToSessionId(pi.ProcessId, &sid); err != nil || sid != 1 {
		t.Errorf("its session: %d, %v; want 1", sid, err)
	}
	if err := windows.CreateProcessAsUser(tok, nil, windows.StringToUTF16Ptr("/no/such/program"), nil, nil, false, 0, nil, nil, &windows.StartupInfo{}, &pi); err != windows.ERROR_FILE_NOT_FOUND {
		t.Errorf("a program that is not there: %v", err)
	}

	// The same from Python, with pywin32's calls.
	pyOut := filepath.Join(dir, "pyout")
	py := runPython(t, realPython(t), pythonDir(t), fmt.Sprintf(`
import os, time, win32ts, win32process, win32api
tok = win32ts.WTSQueryUserToken(1)
hp, ht, pid, tid = win32process.CreateProcessAsUser(tok, None, '/bin/sh -c "id -u > %[1]s.tmp; mv %[1]s.tmp %[1]s; exec sleep 100"',
    None, None, False, 0, None, None, win32process.STARTUPINFO())
print(pid == win32process.GetProcessId(hp), win32ts.ProcessIdToSessionId(pid))
deadline = time.monotonic() + 20
while not os.path.exists(%[1]q) and time.monotonic() < deadline:
    time.sleep(0.01)
win32process.TerminateProcess(hp, 0)
win32api.CloseHandle(tok)
try:
    win32ts.WTSQueryUserToken(0)
except win32ts.error as e:
    print(e.winerror, e.funcname)
`, pyOut))
	if py != "True 1\n1008 WTSQueryUserToken\n" {
		t.Errorf("from Python: %q", py)
	}
	if b, _ := os.ReadFile(pyOut); string(b) != "65534\n" {
		t.Errorf("the Python-started process saw %q", b)
	}

	// A process of a login session has its interactive window station. It
	// runs the system's python3: nobody may not enter root's home, where a
	// python3 of root's own may be.
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	stOut := filepath.Join(dir, "station")
	prog := filepath.Join(dir, "station.py")
	// The package, where nobody may read it: the checkout may be in root's home.
	pkg := filepath.Join(dir, "pkg")
	os.Mkdir(pkg, 0o755)
	mods, _ := filepath.Glob(filepath.Join(pythonDir(t), "*.py"))
	for _, m := range mods {
		b, _ := os.ReadFile(m)
		os.WriteFile(filepath.Join(pkg, filepath.Base(m)), b, 0o644)
	}
	os.WriteFile(prog, []byte(fmt.Sprintf(`
import os, win32service as ws
st = ws.GetProcessWindowStation()
line = "%%s %%d %%s %%s\n" %% (ws.GetUserObjectInformation(st, ws.UOI_NAME), ws.GetUserObjectInformation(st, ws.UOI_FLAGS)["Flags"],
    ws.GetUserObjectInformation(st, ws.UOI_USER_SID), ws.GetUserObjectInformation(ws.OpenInputDesktop(0, 0, 0), ws.UOI_NAME))
open(%[1]q + ".tmp", "w").write(line)
os.rename(%[1]q + ".tmp", %[1]q)
`, stOut)), 0o644)
	py = runPython(t, realPython(t), pythonDir(t), fmt.Sprintf(`
import sys, win32ts, win32process
tok = win32ts.WTSQueryUserToken(1)
win32process.CreateProcessAsUser(tok, None, '"/usr/bin/python3" "%s"', None, None, False, 0,
    {"PYTHONPATH": %q, "PATH": "/usr/bin:/bin", "SCM_SOCKET": %q}, None, win32process.STARTUPINFO())
print("started")
`, prog, pkg, sock))
	if py != "started\n" {
		t.Fatalf("from Python: %q", py)
	}
	waitFor(t, func() bool { _, err := os.Stat(stOut); return err == nil })
	if b, _ := os.ReadFile(stOut); string(b) != "WinSta0 1 PySID:S-1-22-1-65534 Default\n" {
		t.Errorf("a process in the session has %q", b)
	}

	got, err := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", filepath.Join(binDir, "attack"), "usertoken", "1").CombinedOutput()
	if err != nil || string(got) != "1314\n" {
		t.Errorf("an ordinary user asking for the token: %v %q, want ERROR_PRIVILEGE_NOT_HELD", err, got)
	}
	got, err = exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", filepath.Join(binDir, "attack"), "logoff", "1").CombinedOutput()
	if err != nil || string(got) != "5\n" {
		t.Errorf("an ordinary user logging a session off: %v %q, want ERROR_ACCESS_DENIED", err, got)
	}
}

func syscallKill(pid int) { exec.Command("kill", strconv.Itoa(pid)).Run() }

// TestInteractiveService: SERVICE_INTERACTIVE_PROCESS does nothing while
// NoInteractiveServices is 1, Windows' default: the service has its
// account's non-interactive window station. With 0, it has session 0's
// WinSta0, visible, and the console session's display.
func TestInteractiveService(t *testing.T) {
	python := realPython(t)
	logind := withLogind(t)
	startSCMD(t, t.TempDir(), scmSocket(t, t.TempDir()))
	logind.login(t, "2", "nobody", 65534, "seat0", false)
	logind.set(t, "2", "Display", ":33")
	waitFor(t, func() bool { return windows.WTSGetActiveConsoleSessionId() == 1 })
	dir := pythonDir(t)
	services := filepath.Join(dir, "tests", "services")
	out := filepath.Join(t.TempDir(), "station")
	runPython(t, python, dir, fmt.Sprintf(`
import sys, win32serviceutil, win32api, win32con
sys.argv = [%q, "--interactive", "install"]
win32serviceutil.HandleCommandLine(__import__("interactive").InteractiveSvc)
win32serviceutil.SetServiceCustomOption("PyInteractive", "OutFile", %q)
k = win32api.RegOpenKey(win32con.HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Services\\PyInteractive")
win32api.RegSetValueEx(k, "Environment", 0, win32con.REG_MULTI_SZ, ["PYTHONPATH=%s:%s"])
`, filepath.Join(services, "interactive.py"), out, dir, services))
	cycle := func(want string) {
		t.Helper()
		os.Remove(out)
		runPython(t, python, dir, `
import win32serviceutil, win32service
win32serviceutil.StartService("PyInteractive")
win32serviceutil.WaitForServiceStatus("PyInteractive", win32service.SERVICE_RUNNING, 30)
`)
		waitFor(t, func() bool { _, err := os.Stat(out); return err == nil })
		if b, _ := os.ReadFile(out); string(b) != want {
			t.Errorf("the service has %q, want %q", b, want)
		}
		runPython(t, python, dir, `
import win32serviceutil, win32service
win32serviceutil.StopService("PyInteractive")
win32serviceutil.WaitForServiceStatus("PyInteractive", win32service.SERVICE_STOPPED, 30)
`)
	}
	cycle("Service-0x0-3e7$ 0 -\n")
	if out, err := exec.Command(filepath.Join(binDir, "reg"), "add", `HKLM\SYSTEM\CurrentControlSet\Control\Windows`,
		"/v", "NoInteractiveServices", "/t", "REG_DWORD", "/d", "0", "/f").CombinedOutput(); err != nil {
		t.Fatalf("reg: %v %s", err, out)
	}
	cycle("WinSta0 1 :33\n")
}

// TestRealLogind: where systemd-logind runs, scmd's sessions are its
// user sessions, each with its user, as loginctl lists them. Machines
// without it (CI's) run the stand-in tests above instead.
func TestRealLogind(t *testing.T) {
	out, err := exec.Command("loginctl", "list-sessions", "--no-legend").Output()
	if err != nil {
		t.Skip("no systemd-logind here")
	}
	startSCMDShortTimeouts(t)
	var users []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			class, _ := exec.Command("loginctl", "show-session", f[0], "-p", "Class", "--value").Output()
			if strings.TrimSpace(string(class)) == "user" {
				users = append(users, f[2])
			}
		}
	}
	sort.Strings(users)
	waitFor(t, func() bool {
		var list *windows.WTS_SESSION_INFO
		var count uint32
		if windows.WTSEnumerateSessions(0, 0, 1, &list, &count) != nil {
			return false
		}
		return int(count) == len(users)+1
	})
}
