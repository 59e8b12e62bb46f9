package devices

import (
	"bytes"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Uevents reads the kernel's device events.
type Uevents struct {
	f *os.File
}

// ListenUevents opens a NETLINK_KOBJECT_UEVENT socket on the kernel's
// multicast group.
func ListenUevents() (*Uevents, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, err
	}
	// A big buffer: a burst of devices must not be lost.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f, err := pollable(fd, "uevents")
	if err != nil {
		return nil, err
	}
	return &Uevents{f: f}, nil
}

// Next blocks for the next kernel uevent. After Close it fails with an
// error that wraps os.ErrClosed.
func (u *Uevents) Next() (Event, error) {
	buf := make([]byte, 64<<10)
	for {
		n, err := u.f.Read(buf)
		if err != nil {
			return Event{}, err
		}
		if ev, ok := ParseUevent(buf[:n]); ok {
			return ev, nil
		}
	}
}

// Close closes the socket; a Next under way returns.
func (u *Uevents) Close() error { return u.f.Close() }

// ParseUevent reads "ACTION@DEVPATH\0KEY=VALUE\0...". Messages from udev
// (which start with "libudev") are not the kernel's and are skipped.
func ParseUevent(b []byte) (Event, bool) {
	parts := bytes.Split(b, []byte{0})
	if len(parts) < 2 || bytes.HasPrefix(parts[0], []byte("libudev")) {
		return Event{}, false
	}
	ev := Event{Env: map[string]string{}}
	for _, p := range parts[1:] {
		if k, v, ok := strings.Cut(string(p), "="); ok {
			ev.Env[k] = v
		}
	}
	ev.Action, ev.DevPath, ev.Subsystem = ev.Env["ACTION"], ev.Env["DEVPATH"], ev.Env["SUBSYSTEM"]
	if ev.Action == "" || ev.DevPath == "" {
		return Event{}, false
	}
	return ev, true
}
