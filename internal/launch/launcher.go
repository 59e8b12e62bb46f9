// Package launch starts service processes and carries the service process
// protocol to and from them. Each process gets one end of a SOCK_SEQPACKET
// socketpair as descriptor 3, a session of its own, its account's
// credentials, and a cgroup where the system has one to give; the SCM is a
// child subreaper, so what a service leaves behind comes back to it to be
// reaped.
package launch

import (
	"errors"
	"fmt"
	"github.com/openscm/scm/internal/cmdline"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/reap"
	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// Events receives what service processes do. Its methods are called from
// the launcher's goroutines, never while the launcher holds a lock. For each
// Start, Launched or LaunchFailed comes first, before anything else about
// that process.
type Events interface {
	Launched(id core.ProcID, pid uint32)
	LaunchFailed(id core.ProcID, err windows.Errno)
	Message(id core.ProcID, msg any)
	BadMessage(id core.ProcID, err error)
	Exited(id core.ProcID, status int)
}

// Options configure a Launcher.
type Options struct {
	Owner       uint32 // the uid scmd runs as
	SocketPath  string // given to services as SCM_SOCKET
	ReapOrphans bool   // the process is scmd: subreaper, and it reaps every child
	CgroupName  string // directory for service cgroups under the SCM's own
	TrackFile   string // without cgroups: where which process is whose is recorded, for a restarted scmd
	Logf        func(format string, args ...any)
}

// Spec is what a launch needs.
type Spec struct {
	Service string
	Image   string // ImagePath, as stored
	Account string
	Env     []string   // extra NAME=value pairs
	Nice    int        // scheduling priority, as nice(1); 0 leaves it
	Files   []*os.File // given to the process from descriptor 4 on; Start closes them

	// RequiredPrivileges are the Windows privileges the process gets
	// (privileges.go); none means all its account holds.
	RequiredPrivileges []string
	RestrictedSID      bool // SERVICE_SID_TYPE_RESTRICTED: set no_new_privs
}

// Launcher starts and watches service processes.
type Launcher struct {
	ev   Events
	opts Options
	cg   *cgroups
	cpu  *cpuGroup // where services are scheduled as one; nil without a v1 cpu hierarchy
	// tracker attributes processes to hosts where there is no cgroup
	// hierarchy to use; nil where there is, or without process events.
	tracker *processTracker

	reaper *reap.Reaper

	mu     sync.Mutex
	procs  map[core.ProcID]*proc
	byPID  map[int]*proc
	closed bool

	// Kills and group removals still under way (on l.mu), which Close
	// waits for: cleaned is signalled when cleaning drops.
	cleaning int
	cleaned  *sync.Cond

	starting sync.WaitGroup // launches under way

	hostListener *net.UnixListener
}

type proc struct {
	id     core.ProcID
	pid    int
	conn   *net.UnixConn
	out    chan []byte // what the writer is to send: see Send
	queued int         // messages in out not yet written; l.mu
	cgroup string
	start  uint64 // the process's start time, which its tokens bind it to
	exited bool
	killed bool
	status int           // exit status, once exited
	reaped chan struct{} // closed when the reaper has the exit status
}

// New returns a launcher. With ReapOrphans it makes the process a child
// subreaper.
func New(ev Events, opts Options) (*Launcher, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	reaper, err := reap.New(opts.ReapOrphans)
	if err != nil {
		return nil, err
	}
	l := &Launcher{ev: ev, opts: opts, reaper: reaper, procs: map[core.ProcID]*proc{}, byPID: map[int]*proc{}}
	l.cleaned = sync.NewCond(&l.mu)
	if opts.CgroupName != "" {
		l.cg = newCgroups(opts.CgroupName)
		avoid := "" // a v1 hierarchy the services' own groups are in
		if l.cg != nil && l.cg.v1 {
			avoid = l.cg.mount
		}
		l.cpu = newCPUGroup(avoid, opts.Logf)
	}
	if l.cg == nil && opts.ReapOrphans {
		t, err := newProcessTracker(opts.Logf, opts.TrackFile)
		if err != nil {
			opts.Logf("no cgroup to contain services in, and %v: what a service leaves in a session of its own after its process exits may outlive it", err)
		}
		l.tracker = t
	}
	return l, nil
}

// Contained reports whether services get cgroups of their own.
func (l *Launcher) Contained() bool { return l.cg != nil }

// Start launches a service process in the background: resolving the
// account can wait on a directory service, and making a cgroup and forking
// take their time, none of which the SCM's other callers should wait for.
// The outcome reaches Events as Launched with the pid, or LaunchFailed with
// the Win32 code Windows gives: 2 for a missing program, 193 for a file that
// cannot be run, 5 where permission is refused, 1069 for an account that
// cannot be used.
func (l *Launcher) Start(id core.ProcID, spec Spec) {
	l.starting.Add(1)
	go func() {
		defer l.starting.Done()
		defer closeAll(spec.Files)
		p, pid, code := l.start(id, spec)
		if code != 0 {
			l.ev.LaunchFailed(id, code)
			return
		}
		l.ev.Launched(id, pid)
		go l.read(p)
		go l.write(p)
	}()
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// start does Start's work.
func (l *Launcher) start(id core.ProcID, spec Spec) (*proc, uint32, windows.Errno) {
	argv, err := cmdline.ResolveImage(spec.Image)
	if err != nil {
		return nil, 0, windows.ERROR_FILE_NOT_FOUND
	}
	if !filepath.IsAbs(argv[0]) {
		return nil, 0, windows.ERROR_FILE_NOT_FOUND
	}
	if fi, err := os.Stat(argv[0]); err != nil {
		return nil, 0, windows.ERROR_FILE_NOT_FOUND
	} else if !fi.Mode().IsRegular() {
		return nil, 0, windows.ERROR_BAD_EXE_FORMAT
	}
	who, err := resolveAccount(spec.Account, l.opts.Owner)
	if err != nil {
		return nil, 0, windows.ERROR_SERVICE_LOGON_FAILED
	}
	privs, code := planPrivileges(spec, who)
	if code != 0 {
		return nil, 0, code
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, 0, windows.ERROR_NOT_ENOUGH_MEMORY
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "scm-control"), os.NewFile(uintptr(fds[1]), "service-control")
	defer theirs.Close()
	fc, err := net.FileConn(ours)
	ours.Close()
	conn, _ := fc.(*net.UnixConn)
	if conn == nil {
		if fc != nil {
			fc.Close()
		}
		return nil, 0, windows.ERROR_NOT_ENOUGH_MEMORY
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		conn.Close()
		return nil, 0, windows.ERROR_NOT_ENOUGH_MEMORY
	}
	defer devnull.Close()

	attr := &syscall.ProcAttr{
		Dir:   "/",
		Env:   l.environment(spec, who),
		Files: append([]uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd(), theirs.Fd()}, fdsOf(spec.Files)...),
		Sys: &syscall.SysProcAttr{
			Setsid:     true,
			Credential: who.credential(l.opts.Owner),
		},
	}
	privs.apply(attr.Sys)
	var cgroupDir string
	if l.cg != nil {
		dir, err := l.cg.create(uint64(id))
		if err != nil {
			l.opts.Logf("%s: %v", spec.Service, err)
			conn.Close()
			if errors.Is(err, os.ErrExist) {
				return nil, 0, windows.ERROR_ALREADY_EXISTS
			}
			return nil, 0, windows.ERROR_NOT_ENOUGH_MEMORY
		}
		cgroupDir = dir
	}

	// The fork runs without l.mu: it lasts until the child has exec'd,
	// which on a busy machine is milliseconds, and Send and Kill must not
	// wait for it. (The reaper, which holds its own lock through a fork,
	// collects exits after it.) The reaper hands the exit straight to p,
	// however soon it comes; until the fork returns the child cannot be
	// collected, so its start time read here is its own.
	p := &proc{id: id, conn: conn, out: make(chan []byte, 256), cgroup: cgroupDir, reaped: make(chan struct{})}
	pid, err := l.reaper.Start(func() (int, error) {
		before := bootTicks()
		pid, err := l.forkExec(cgroupDir, attr, privs, func() (int, error) { return syscall.ForkExec(argv[0], argv, attr) })
		if err == nil {
			p.pid = pid
			p.start, _ = startTimeOfChild(pid, before, bootTicks())
		}
		return pid, err
	}, func(_ int, ws syscall.WaitStatus) { l.hostExited(p, ws) })
	if err != nil {
		conn.Close()
		if cgroupDir != "" {
			removeGroup(cgroupDir)
		}
		return nil, 0, execError(err)
	}
	if l.tracker != nil {
		l.tracker.assign(pid, id)
	}
	if spec.Nice != 0 {
		syscall.Setpriority(syscall.PRIO_PROCESS, pid, spec.Nice)
	}
	l.mu.Lock()
	l.procs[id] = p // even if it has exited already: a Kill still clears up after it
	if !p.exited {
		l.byPID[pid] = p
	}
	l.mu.Unlock()
	return p, uint32(pid), 0
}

func execError(err error) windows.Errno {
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENOTDIR):
		return windows.ERROR_FILE_NOT_FOUND
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return windows.ERROR_ACCESS_DENIED
	case errors.Is(err, syscall.ENOEXEC):
		return windows.ERROR_BAD_EXE_FORMAT
	}
	return windows.ERROR_BAD_EXE_FORMAT
}

// environment is a service's environment: a clean one as Windows gives a
// service (not the SCM's own), the account's identity, the way back to this
// SCM, the protocol descriptor, and the service's own Environment values.
func (l *Launcher) environment(spec Spec, who *identity) []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + who.home,
		"USER=" + who.name,
		"LOGNAME=" + who.name,
		"LANG=C.UTF-8",
		"SCM_SOCKET=" + l.opts.SocketPath,
		protocol.EnvFD + "=" + strconv.Itoa(protocol.FD),
	}
	return append(env, spec.Env...)
}

// read turns the host's packets into events until the socket closes, and
// then reports the exit: what a host sent before it died is always heard
// before its death is.
func (l *Launcher) read(p *proc) {
	defer func() {
		// The channel closes as the process exits: it is collected by
		// its pid, without the reaper looking at every child.
		l.reaper.Exiting(p.pid)
		<-p.reaped
		p.conn.Close()
		l.ev.Exited(p.id, p.status)
	}()
	buf := make([]byte, protocol.MaxMessage+1)
	for {
		n, err := p.conn.Read(buf)
		if err != nil || n == 0 {
			return
		}
		msg, err := protocol.Decode(buf[:n])
		if err != nil {
			l.ev.BadMessage(p.id, err)
			// Drain without reading: only the exit is left to report.
			for {
				if _, err := p.conn.Read(buf); err != nil {
					return
				}
			}
		}
		l.ev.Message(p.id, msg)
	}
}

// write sends what Send could not send at once, in order.
func (l *Launcher) write(p *proc) {
	for b := range p.out {
		_, err := p.conn.Write(b)
		l.mu.Lock()
		p.queued--
		l.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// StartTime is the start time of a host's process (as /proc/PID/stat
// gives it), read as it was launched or adopted; 0 if unknown.
func (l *Launcher) StartTime(id core.ProcID) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.procs[id]; p != nil {
		return p.start
	}
	return 0
}

// Send sends a message to a host, at once if its socket has room and
// nothing is queued before it, else through its writer: the caller (the
// supervisor's loop) never waits for a host, and a message sent at once
// costs no hand-off to another goroutine. A host that lets its queue fill
// is not reading: that is reported as a bad message, never waited for.
func (l *Launcher) Send(id core.ProcID, msg any) {
	b, err := protocol.Encode(msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.procs[id]
	if p == nil || p.exited {
		return
	}
	if err != nil {
		go l.ev.BadMessage(id, err)
		return
	}
	if p.queued == 0 && p.sendNow(b) {
		return
	}
	select {
	case p.out <- b:
		p.queued++
	default:
		go l.ev.BadMessage(id, errors.New("the service process does not read its control channel"))
	}
}

// sendNow writes b to the host's socket unless that would wait. A packet
// socket takes a message whole or not at all. A host that is gone is left
// to its reader, which reports its exit; any other failure leaves b to
// the writer, whose failing write stops it, as the host's filling queue
// is then reported.
func (p *proc) sendNow(b []byte) bool {
	raw, err := p.conn.SyscallConn()
	if err != nil {
		return false
	}
	done := false
	raw.Write(func(fd uintptr) bool {
		_, err := unix.Write(int(fd), b)
		done = err == nil || err == unix.EPIPE || err == unix.ECONNRESET
		return true // never wait here
	})
	return done
}

// Kill ends a host and everything it started: its cgroup where it has one,
// and its session's process group.
func (l *Launcher) Kill(id core.ProcID) {
	l.mu.Lock()
	p := l.procs[id]
	l.mu.Unlock()
	if p == nil {
		return
	}
	l.killContained(p)
	syscall.Kill(-p.pid, syscall.SIGKILL)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !p.exited {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	p.killed = true
	l.forget(p)
}

// forget drops a host once it has both exited and been killed (so its
// leftovers are gone too). l.mu is held.
func (l *Launcher) forget(p *proc) {
	if !p.exited || !p.killed || l.procs[p.id] != p {
		return
	}
	delete(l.procs, p.id)
	if p.cgroup != "" {
		l.retire(p.cgroup)
	}
}

// hostExited takes a host's exit from the reaper.
func (l *Launcher) hostExited(p *proc, ws syscall.WaitStatus) {
	status := ws.ExitStatus()
	if ws.Signaled() {
		status = -int(ws.Signal())
	}
	l.mu.Lock()
	if l.byPID[p.pid] == p {
		delete(l.byPID, p.pid)
	}
	p.exited = true
	p.status = status
	close(p.out)
	reader := p.conn != nil
	if reader {
		// The reader reports the exit once it has read what is left;
		// a descendant still holding the socket must not delay that.
		p.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	}
	close(p.reaped)
	l.forget(p)
	l.mu.Unlock()
	if !reader {
		l.ev.Exited(p.id, status)
	}
}

// Running returns how many launched processes have not exited.
func (l *Launcher) Running() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byPID)
}

// KillAll kills every service process and everything they started.
func (l *Launcher) KillAll() {
	l.starting.Wait()
	l.mu.Lock()
	ids := make([]core.ProcID, 0, len(l.procs))
	for id := range l.procs {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	for _, id := range ids {
		l.Kill(id)
	}
}

// Close removes the SCM's cgroup directory once its services' groups are
// gone; call it after the last service process has been reaped.
func (l *Launcher) Close() {
	l.starting.Wait()
	l.mu.Lock()
	if l.hostListener != nil {
		l.hostListener.Close()
	}
	for l.cleaning > 0 {
		l.cleaned.Wait()
	}
	l.mu.Unlock()
	if l.cg != nil {
		// Every process is gone by now, but the exit of an adopted host
		// may not have been seen yet, and its group not retired: remove
		// what is left, then the base.
		subs, _ := os.ReadDir(l.cg.base)
		for _, sub := range subs {
			if sub.IsDir() {
				removeEmptyGroup(filepath.Join(l.cg.base, sub.Name()), retireTimeout)
			}
		}
		removeEmptyGroup(l.cg.base, retireTimeout)
	}
	if l.cpu != nil {
		l.cpu.close()
	}
}

// Run runs a helper program for the SCM (a failure command, wall): as the
// SCM's own user, in a session of its own, stdin from /dev/null and output
// appended to the named file (or discarded). done is called with its exit
// status; the reaper collects it like any service process.
func (l *Launcher) Run(argv []string, output string, done func(status int)) error {
	if !filepath.IsAbs(argv[0]) {
		p, err := lookPath(argv[0])
		if err != nil {
			return err
		}
		argv = append([]string{p}, argv[1:]...)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	out := devnull
	if output != "" {
		if err := os.MkdirAll(filepath.Dir(output), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(output, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	attr := &syscall.ProcAttr{
		Dir:   "/",
		Env:   []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SCM_SOCKET=" + l.opts.SocketPath},
		Files: []uintptr{devnull.Fd(), out.Fd(), out.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	pid, err := l.reaper.Start(func() (int, error) { return syscall.ForkExec(argv[0], argv, attr) }, func(_ int, ws syscall.WaitStatus) {
		status := ws.ExitStatus()
		if ws.Signaled() {
			status = -int(ws.Signal())
		}
		done(status)
	})
	if err == nil {
		l.reaper.Exiting(pid) // it runs to its end: collected by its pid
	}
	return err
}

// systemPath is where Run looks for a program named without a directory:
// the system's own directories, not the SCM's PATH.
var systemPath = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

func lookPath(name string) (string, error) {
	for _, dir := range systemPath {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, os.ErrNotExist)
}

func fdsOf(files []*os.File) []uintptr {
	var out []uintptr
	for _, f := range files {
		out = append(out, f.Fd())
	}
	return out
}
