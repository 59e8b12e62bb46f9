package sessions

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultUtmp is where glibc keeps the logins.
const DefaultUtmp = "/run/utmp"

// A glibc utmp record on 64-bit Linux: 384 bytes.
const (
	utmpSize    = 384
	userProcess = 7 // USER_PROCESS: a login
)

// readUtmp lists the logins utmp records whose process still runs.
func readUtmp(path string) ([]Login, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var logins []Login
	for off := 0; off+utmpSize <= len(b); off += utmpSize {
		r := b[off : off+utmpSize]
		if int16(binary.LittleEndian.Uint16(r[0:])) != userProcess {
			continue
		}
		pid := binary.LittleEndian.Uint32(r[4:])
		if pid == 0 || syscall.Kill(int(pid), 0) == syscall.ESRCH {
			continue // a stale record: its login is gone
		}
		line, name, host := cstring(r[8:40]), cstring(r[44:76]), cstring(r[76:332])
		l := Login{Key: "utmp:" + line + ":" + strconv.FormatUint(uint64(pid), 10), User: name, Leader: pid,
			TTY: line, Host: host, Active: true}
		// An X display in the host field is a local graphical login;
		// anything else there is where a network login comes from.
		if host != "" && !strings.HasPrefix(host, ":") {
			l.Remote = true
		} else if host != "" {
			l.Display = host
			l.Host = ""
		}
		if !l.Remote && strings.HasPrefix(line, "tty") {
			l.Seat = "seat0"
		}
		u, err := user.Lookup(name)
		if err != nil {
			continue // whose it is is not known (a name utmp cut short): no token, no message for it
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		l.UID = uint32(uid)
		logins = append(logins, l)
	}
	return logins, nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// utmpWatch follows changes to utmp's directory.
type utmpWatch struct {
	path string
	f    *os.File
	ctx  context.Context
}

// openUtmp watches the directory utmp is in: the file is replaced as
// often as it is written.
func openUtmp(ctx context.Context, path string) (*utmpWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("sessions: inotify: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), unix.IN_CLOSE_WRITE|unix.IN_MODIFY|unix.IN_MOVED_TO|unix.IN_CREATE); err != nil {
		f.Close()
		return nil, fmt.Errorf("sessions: watching %s: %w", filepath.Dir(path), err)
	}
	context.AfterFunc(ctx, func() { f.Close() })
	return &utmpWatch{path: path, f: f, ctx: ctx}, nil
}

// run reports utmp's logins to update whenever the file is written or
// replaced, until the context ends. Start has read it as it was.
func (w *utmpWatch) run(update func([]Login)) error {
	defer w.f.Close()
	read := func() {
		logins, err := readUtmp(w.path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return
		}
		update(logins)
	}
	name := filepath.Base(w.path)
	buf := make([]byte, 4096)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if w.ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("sessions: reading inotify: %w", err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			if cstring(nameBytes) == name {
				read()
				break
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}
