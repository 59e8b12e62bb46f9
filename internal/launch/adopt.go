package launch

import (
	"net"
	"os"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/protocol"
	"golang.org/x/sys/unix"
)

// Reattacher receives hosts that reconnect after the SCM restarted.
type Reattacher interface {
	// Reattach decides whether to adopt a host; it calls Adopt to do so and
	// returns false to have the connection dropped.
	Reattach(pid uint32, starttime uint64, conn *net.UnixConn, msg *protocol.Reattach) bool
}

// ListenHosts accepts reattaching hosts on a SOCK_SEQPACKET socket at path.
func (l *Launcher) ListenHosts(path string, r Reattacher) error {
	os.Remove(path)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return err
	}
	// Services run as other users too; the token, not the socket's mode,
	// says who may reattach.
	os.Chmod(path, 0o666)
	l.mu.Lock()
	l.hostListener = ln
	l.mu.Unlock()
	go func() {
		for {
			conn, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go l.reattach(conn, r)
		}
	}()
	return nil
}

func (l *Launcher) reattach(conn *net.UnixConn, r Reattacher) {
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, protocol.MaxMessage+1)
	n, err := conn.Read(buf)
	if err != nil {
		conn.Close()
		return
	}
	conn.SetReadDeadline(time.Time{})
	msg, err := protocol.Decode(buf[:n])
	re, ok := msg.(*protocol.Reattach)
	if err != nil || !ok {
		conn.Close()
		return
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return
	}
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) { cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) })
	if err != nil || cred == nil {
		conn.Close()
		return
	}
	start, err := StartTime(int(cred.Pid))
	if err != nil || !r.Reattach(uint32(cred.Pid), start, conn, re) {
		conn.Close()
	}
}

// Adopt takes over a host process this launcher did not start: its
// messages arrive through conn, and since it is not a child, its exit is
// watched through a pidfd (its exit status is not known: -1).
func (l *Launcher) Adopt(id core.ProcID, pid uint32, conn *net.UnixConn) error {
	pidfd, err := unix.PidfdOpen(int(pid), 0)
	if err != nil {
		return err
	}
	start, _ := StartTime(int(pid))
	p := &proc{id: id, pid: int(pid), conn: conn, out: make(chan []byte, 256), reaped: make(chan struct{}), cgroup: l.cgroupOf(int(pid)), start: start}
	l.mu.Lock()
	l.procs[id] = p
	l.mu.Unlock()
	if l.tracker != nil {
		l.tracker.adopt(int(pid), id)
	}
	go func() {
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		unix.Close(pidfd)
		l.mu.Lock()
		p.exited, p.status = true, -1
		close(p.out)
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		close(p.reaped)
		l.forget(p)
		l.mu.Unlock()
	}()
	go l.read(p)
	go l.write(p)
	return nil
}

// cgroupOf finds the group a process is in, if it is one of this SCM's.
func (l *Launcher) cgroupOf(pid int) string {
	if l.cg == nil {
		return ""
	}
	return l.cg.groupOf(pid)
}
