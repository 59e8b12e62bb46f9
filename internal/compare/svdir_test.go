package compare

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// s6, runit and daemontools share daemontools' design: a scanner runs a
// supervisor for each service directory under it; the supervisor takes
// commands, one byte each, on the fifo supervise/control and keeps the
// service's state in the binary file supervise/status, which it replaces
// by a rename on each change. The in-process client here is that: it
// writes the byte and watches the file with inotify.

// flavor is what sets one of the three apart.
type flavor struct {
	name string
	// scanner is the command line that runs the scanner on dir.
	scanner func(b *testing.B, dir string, n int) []string
	// notify: the service says it is ready (s6's notification-fd), and up
	// means ready.
	notify bool
	// ok: the supervisor also reads the fifo supervise/ok, which its
	// command-line tools open before they act (runit, daemontools).
	ok bool
	// up and down read a status file.
	up, down func(st []byte) bool
	// The command-line tools on service directory dir.
	cliStart, cliStop, cliStatus func(b *testing.B, dir string)
	// startPause is how long a supervisor takes no command after it
	// starts its service.
	startPause time.Duration
}

var s6 = &flavor{
	name: "s6",
	scanner: func(b *testing.B, dir string, n int) []string {
		return []string{tool(b, "s6", "s6-svscan"), "-c", strconv.Itoa(max(2*n, 500)), dir}
	},
	notify: true,
	// s6 2.11: TAI64N stamp, ready stamp, pid as 8 bytes big-endian, wait
	// status, flags (finishing 2, ready 8) in the last byte; later versions
	// put the process group before the wait status.
	up: func(st []byte) bool {
		return len(st) >= 35 && binary.BigEndian.Uint64(st[24:]) != 0 && st[len(st)-1]&8 != 0
	},
	down: func(st []byte) bool {
		return len(st) >= 35 && binary.BigEndian.Uint64(st[24:]) == 0 && st[len(st)-1]&2 == 0
	},
	cliStart: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "s6", "s6-svc"), "-uwU", "-T", "10000", dir)
	},
	cliStop: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "s6", "s6-svc"), "-dwD", "-T", "10000", dir)
	},
	cliStatus: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "s6", "s6-svstat"), dir)
	},
}

var runit = &flavor{
	name: "runit",
	ok:   true,
	scanner: func(b *testing.B, dir string, n int) []string {
		return []string{tool(b, "runit", "runsvdir"), dir}
	},
	// runit: TAI64N stamp, pid as 4 bytes little-endian, paused, want,
	// got TERM, and 1 for run or 2 for finish.
	up: func(st []byte) bool {
		return len(st) == 20 && binary.LittleEndian.Uint32(st[12:]) != 0 && st[19] == 1
	},
	down: func(st []byte) bool {
		return len(st) == 20 && binary.LittleEndian.Uint32(st[12:]) == 0
	},
	cliStart: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "runit", "sv"), "-w", "10", "start", dir)
	},
	cliStop: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "runit", "sv"), "-w", "10", "stop", dir)
	},
	cliStatus: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "runit", "sv"), "status", dir)
	},
}

var daemontools = &flavor{
	name: "daemontools",
	ok:   true,
	scanner: func(b *testing.B, dir string, n int) []string {
		return []string{tool(b, "daemontools", "svscan"), dir}
	},
	// daemontools: TAI64N stamp, pid as 4 bytes little-endian, paused,
	// want.
	up: func(st []byte) bool {
		return len(st) == 18 && binary.LittleEndian.Uint32(st[12:]) != 0
	},
	down: func(st []byte) bool {
		return len(st) == 18 && binary.LittleEndian.Uint32(st[12:]) == 0
	},
	// svc does not wait: svstat is asked until it says so.
	cliStart: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "daemontools", "svc"), "-u", dir)
		untilOutput(b, ": up ", tool(b, "daemontools", "svstat"), dir)
	},
	cliStop: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "daemontools", "svc"), "-d", dir)
		untilOutput(b, ": down ", tool(b, "daemontools", "svstat"), dir)
	},
	cliStatus: func(b *testing.B, dir string) {
		runCLI(b, tool(b, "daemontools", "svstat"), dir)
	},
	// supervise sleeps a second after each start, so that a service that
	// exits at once is not started in a tight loop.
	startPause: time.Second,
}

// svdirRig is a scanner over n service directories.
type svdirRig struct {
	f    *flavor
	root string
	scan string
	dirs []string
	argv []string
	d    *daemon
	w    *watcher
	// lastUp is when a service was last seen up after a start.
	lastUp time.Time
}

func newSvdir(f *flavor) func(b *testing.B, n int, auto bool) rig {
	return func(b *testing.B, n int, auto bool) rig {
		r := &svdirRig{f: f, root: b.TempDir()}
		r.scan = filepath.Join(r.root, "scan")
		r.argv = f.scanner(b, r.scan, n)
		run := bin(b, "readysvc")
		for i := 0; i < n; i++ {
			dir := filepath.Join(r.scan, serviceName(i))
			// supervise/ is made here, not by the supervisor, so that it
			// can be watched from the start.
			must(b, os.MkdirAll(filepath.Join(dir, "supervise"), 0o700))
			// The run file is the program itself: no shell in between.
			must(b, os.Symlink(run, filepath.Join(dir, "run")))
			if f.notify {
				must(b, os.WriteFile(filepath.Join(dir, "notification-fd"), []byte("3\n"), 0o644))
			}
			if !auto {
				must(b, os.WriteFile(filepath.Join(dir, "down"), nil, 0o644))
			}
			r.dirs = append(r.dirs, dir)
		}
		// runsvdir puts off reading a directory changed within the current
		// second; a machine's service directory is older than that.
		old := time.Now().Add(-time.Hour)
		must(b, os.Chtimes(r.scan, old, old))
		r.w = newWatcher(b, r.dirs)
		return r
	}
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

func (r *svdirRig) launch(b *testing.B) {
	r.d = startDaemon(b, filepath.Join(r.root, "scanner.log"), r.argv...)
}

// ready waits until every service's supervisor reads its control fifo, and
// supervise/ok where its tools open that first (sv would fail without it).
func (r *svdirRig) ready(b *testing.B) {
	deadline := time.Now().Add(stepTimeout + time.Duration(len(r.dirs))*20*time.Millisecond)
	for _, dir := range r.dirs {
		for {
			err := control(dir, "")
			if err == nil && r.f.ok {
				err = fifoRead(dir, "ok")
			}
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("no supervisor for %s: %v\n%s", dir, err, r.d.tail())
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func (r *svdirRig) waitAllUp(b *testing.B) {
	all := make([]int, len(r.dirs))
	for i := range all {
		all[i] = i
	}
	r.wait(b, all, r.f.up, "up", stepTimeout+time.Duration(len(all))*50*time.Millisecond)
	r.lastUp = time.Now()
}

// settle waits out the supervisor's pause after the last start: there is
// no sign of it to wait on.
func (r *svdirRig) settle(b *testing.B) {
	time.Sleep(time.Until(r.lastUp.Add(r.f.startPause)))
}

func (r *svdirRig) wait(b *testing.B, which []int, cond func([]byte) bool, what string, timeout time.Duration) {
	err := r.w.wait(which, func(i int) bool { return cond(r.status(i)) }, time.Now().Add(timeout))
	if err != nil {
		b.Fatalf("%s: not %s: %v\n%s", r.f.name, what, err, r.d.tail())
	}
}

func (r *svdirRig) status(i int) []byte {
	st, _ := os.ReadFile(filepath.Join(r.dirs[i], "supervise", "status"))
	return st
}

func (r *svdirRig) start(b *testing.B, i int) {
	if err := control(r.dirs[i], "u"); err != nil {
		b.Fatal(err)
	}
	r.wait(b, []int{i}, r.f.up, "up", stepTimeout)
	r.lastUp = time.Now()
}

func (r *svdirRig) stop(b *testing.B, i int) {
	if err := control(r.dirs[i], "d"); err != nil {
		b.Fatal(err)
	}
	r.wait(b, []int{i}, r.f.down, "down", stepTimeout)
}

func (r *svdirRig) query(b *testing.B, i int) {
	if st := r.status(i); !r.f.up(st) {
		b.Fatalf("%s: status of a running service reads %x", r.f.name, st)
	}
}

func (r *svdirRig) cliStart(b *testing.B, i int) {
	r.f.cliStart(b, r.dirs[i])
	r.lastUp = time.Now()
}

func (r *svdirRig) cliStop(b *testing.B, i int)   { r.f.cliStop(b, r.dirs[i]) }
func (r *svdirRig) cliStatus(b *testing.B, i int) { r.f.cliStatus(b, r.dirs[i]) }

// close takes every service down and, once all are down, kills the
// scanner and its supervisors. The three scanners each stop in a way of
// their own (svscan not at all, runsv only a second after the last start
// of its service); with nothing left to supervise, killing them is quick
// and leaves nothing behind.
func (r *svdirRig) close(b *testing.B) {
	if r.d != nil {
		all := make([]int, len(r.dirs))
		for i, dir := range r.dirs {
			control(dir, "d")
			all[i] = i
		}
		err := r.w.wait(all, func(i int) bool { return r.f.down(r.status(i)) }, time.Now().Add(stepTimeout+r.f.startPause))
		if err != nil {
			b.Errorf("%s: services not down: %v\n%s", r.f.name, err, r.d.tail())
		}
		r.d.kill(b)
		r.d = nil
	}
	if r.w != nil {
		r.w.close()
		r.w = nil
	}
	os.RemoveAll(r.root)
}

// control writes commands to a service's supervisor, as svc, sv and
// s6-svc do; with none it only checks that a supervisor is reading.
func control(dir, cmds string) error {
	fd, err := unix.Open(filepath.Join(dir, "supervise", "control"), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if cmds != "" {
		_, err = unix.Write(fd, []byte(cmds))
	}
	return err
}

// fifoRead reports whether the supervisor has a fifo of supervise/ open
// for reading: a writer's non-blocking open fails until it has.
func fifoRead(dir, name string) error {
	fd, err := unix.Open(filepath.Join(dir, "supervise", name), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

// watcher tells when the supervise directories of a set of services
// change.
type watcher struct {
	fd  int
	wd  map[uint32]int // watch descriptor: service
	n   int
	buf []byte
}

func newWatcher(b *testing.B, dirs []string) *watcher {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		b.Fatal(err)
	}
	w := &watcher{fd: fd, wd: map[uint32]int{}, n: len(dirs), buf: make([]byte, 64<<10)}
	for i, dir := range dirs {
		wd, err := unix.InotifyAddWatch(fd, filepath.Join(dir, "supervise"), unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE)
		if err != nil {
			w.close()
			b.Fatal(err)
		}
		w.wd[uint32(wd)] = i
	}
	return w
}

func (w *watcher) close() { unix.Close(w.fd) }

// wait returns once cond holds for every service in which, checking each
// again whenever its directory changes.
func (w *watcher) wait(which []int, cond func(int) bool, deadline time.Time) error {
	left := map[int]bool{}
	for _, i := range which {
		if !cond(i) {
			left[i] = true
		}
	}
	for len(left) > 0 {
		ms := time.Until(deadline).Milliseconds()
		if ms <= 0 {
			return fmt.Errorf("%d of %d services still waited for", len(left), len(which))
		}
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}, int(ms))
		if err != nil && err != unix.EINTR {
			return err
		}
		for {
			n, err := unix.Read(w.fd, w.buf)
			if err == unix.EAGAIN {
				break
			}
			if err != nil && err != unix.EINTR {
				return err
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				wd := binary.NativeEndian.Uint32(w.buf[off:])
				mask := binary.NativeEndian.Uint32(w.buf[off+4:])
				off += unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(w.buf[off+12:]))
				if mask&unix.IN_Q_OVERFLOW != 0 {
					for i := range left {
						if cond(i) {
							delete(left, i)
						}
					}
					continue
				}
				if i, ok := w.wd[wd]; ok && left[i] && cond(i) {
					delete(left, i)
				}
			}
		}
	}
	return nil
}
