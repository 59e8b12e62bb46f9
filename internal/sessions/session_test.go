package sessions

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/openscm/scm/windows"
)

// The changes Windows sends: a console login connects then logs on; a lock
// and an unlock; a switch to another user disconnects the first; a logoff
// logs off then disconnects. Ids stay a session's own.
func TestModel(t *testing.T) {
	m := NewModel()
	alice := Login{Key: "logind:2", User: "alice", Seat: "seat0", Active: true, TTY: "tty2"}
	bob := Login{Key: "logind:5", User: "bob", Remote: true, Active: true, Host: "10.0.0.9"}
	steps := []struct {
		logins []Login
		want   []Change
	}{
		{[]Login{alice}, []Change{{windows.WTS_CONSOLE_CONNECT, 1}, {windows.WTS_SESSION_LOGON, 1}}},
		{[]Login{alice, bob}, []Change{{windows.WTS_REMOTE_CONNECT, 2}, {windows.WTS_SESSION_LOGON, 2}}},
		{[]Login{with(alice, func(l *Login) { l.Locked = true }), bob}, []Change{{windows.WTS_SESSION_LOCK, 1}}},
		{[]Login{alice, bob}, []Change{{windows.WTS_SESSION_UNLOCK, 1}}},
		{[]Login{with(alice, func(l *Login) { l.Active = false }), bob}, []Change{{windows.WTS_CONSOLE_DISCONNECT, 1}}},
		{[]Login{alice, bob}, []Change{{windows.WTS_CONSOLE_CONNECT, 1}}},
		{[]Login{alice}, []Change{{windows.WTS_SESSION_LOGOFF, 2}, {windows.WTS_REMOTE_DISCONNECT, 2}}},
		{[]Login{alice}, nil},
		{nil, []Change{{windows.WTS_SESSION_LOGOFF, 1}, {windows.WTS_CONSOLE_DISCONNECT, 1}}},
		{[]Login{bob}, []Change{{windows.WTS_REMOTE_CONNECT, 3}, {windows.WTS_SESSION_LOGON, 3}}}, // a new login, a new id
	}
	for i, step := range steps {
		if got := m.Update(step.logins); !reflect.DeepEqual(got, step.want) {
			t.Errorf("step %d: %v, want %v", i, got, step.want)
		}
	}
	if got := m.Sessions(); len(got) != 1 || got[0].ID != 3 || got[0].Name() != "ssh#3" || got[0].State() != windows.WTSActive {
		t.Errorf("sessions: %+v", got)
	}
	if c := m.Console(); c != 0xFFFFFFFF {
		t.Errorf("console %d with nobody at it", c)
	}
	m.Update([]Login{bob, alice})
	if c := m.Console(); c != 4 {
		t.Errorf("console %d, want alice's 4", c)
	}
}

func with(l Login, edit func(*Login)) Login {
	edit(&l)
	return l
}

// utmpRecord is a glibc USER_PROCESS record.
func utmpRecord(pid int, line, user, host string) []byte {
	r := make([]byte, utmpSize)
	binary.LittleEndian.PutUint16(r[0:], userProcess)
	binary.LittleEndian.PutUint32(r[4:], uint32(pid))
	copy(r[8:40], line)
	copy(r[44:76], user)
	copy(r[76:332], host)
	return r
}

// Where logind does not run, utmp's records are the sessions: those whose
// process lives, a host naming a remote one; a rewrite of the file is seen.
func TestUtmp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "utmp")
	write := func(records ...[]byte) {
		var b []byte
		for _, r := range records {
			b = append(b, r...)
		}
		tmp := path + ".new"
		os.WriteFile(tmp, b, 0o644)
		os.Rename(tmp, path) // as login programs do, whole
	}
	self := os.Getpid()
	write(utmpRecord(self, "tty1", "root", ""), utmpRecord(self, "pts/0", "root", "192.0.2.4"), utmpRecord(1<<22+7, "pts/1", "gone", "x"))
	logins, err := readUtmp(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(logins) != 2 || logins[0].Seat != "seat0" || logins[0].Remote || !logins[1].Remote || logins[1].Host != "192.0.2.4" || logins[0].UID != 0 {
		t.Fatalf("%+v", logins)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan []Login, 16)
	done := make(chan error, 1)
	w, err := openUtmp(ctx, path) // the watch is on when it returns
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- w.run(func(l []Login) { got <- l }) }()
	write(utmpRecord(self, "tty1", "root", ""))
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l := <-got:
			if len(l) == 1 {
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				return
			}
		case <-deadline:
			t.Fatal("the rewrite was not seen")
		}
	}
}

// A process belongs to a logind session only by the session's own cgroup
// path, and only if it is the session's user's: a scope of that name
// elsewhere claims nothing.
func TestSessionCgroup(t *testing.T) {
	for _, c := range []struct {
		content string
		owner   uint32
		want    string
	}{
		{"0::/user.slice/user-1000.slice/session-3.scope\n", 1000, "3"},
		{"1:name=systemd:/user.slice/user-1000.slice/session-c2.scope\n0::/\n", 1000, "c2"},
		{"0::/user.slice/user-1000.slice/session-3.scope\n", 1001, ""},
		{"0::/user.slice/user-1001.slice/user@1001.service/app.slice/session-3.scope\n", 1001, ""},
		{"0::/system.slice/scmd.service\n", 0, ""},
	} {
		if got := sessionCgroup(c.content, c.owner); got != c.want {
			t.Errorf("%q as %d: %q, want %q", c.content, c.owner, got, c.want)
		}
	}
}
