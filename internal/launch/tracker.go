package launch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openscm/scm/internal/core"
	"golang.org/x/sys/unix"
)

// processTracker attributes each process to the service process (host) it
// descends from where no cgroup hierarchy can be used, from the kernel's
// fork and exit events (the netlink process connector, root only). A
// process keeps the host it was forked under however it daemonizes: its
// parent may exit (it is reparented to scmd, the child subreaper) and it
// may make a session of its own, it still goes with its service, as
// everything a Windows service starts is in the SCM's reach.
//
// Only scmd's own descendants are kept; the events of the rest of the
// machine are read and dropped.
type processTracker struct {
	fd   int
	self int
	logf func(string, ...any)
	file string // the record for a restarted scmd (tracker_record.go); "" for none

	dirty chan struct{} // the record is to be rewritten

	mu      sync.Mutex
	procs   map[int]*trackedProc // by pid (tgid): scmd's live descendants
	changed chan struct{}        // closed and replaced when an exit is recorded
	working bool                 // an event about a child of scmd arrived: the connector serves this namespace
	lost    bool                 // events were dropped: a process may be missing
	earlier []recordedProc       // what an earlier scmd recorded, not yet claimed or killed
}

type trackedProc struct {
	parent int         // the process that forked it
	host   core.ProcID // its service process; 0 until known (a host, or one forked before it was named)
	start  uint64      // its start time (StartTime): with the pid, it names the process for good; 0 if gone
}

// tracked makes the entry of a process, reading its start time now, while
// its pid is surely still its own: a kill checks the time again before it
// signals, so a pid reused after an exit event was missed or is still on
// its way is never killed.
func tracked(pid, parent int, host core.ProcID) *trackedProc {
	start, _ := StartTime(pid)
	return &trackedProc{parent: parent, host: host, start: start}
}

// signalKill SIGKILLs the process pid names if it is still the one that
// started at start.
func signalKill(pid int, start uint64) {
	if fd, ok := pidfdOf(pid, start); ok {
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		unix.Close(fd)
	}
}

// pidfdOf opens a pidfd for the process pid names if it is still the one
// that started at start: what is then done through the pidfd is done to
// that process, never to one that took its pid later.
func pidfdOf(pid int, start uint64) (int, bool) {
	if start == 0 {
		return 0, false
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return 0, false
	}
	if now, err := StartTime(pid); err != nil || now != start {
		unix.Close(fd)
		return 0, false
	}
	return fd, true
}

// The process connector's constants (linux/connector.h, linux/cn_proc.h).
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1
	procEventFork     = 0x00000001
	procEventExit     = 0x80000000
	cnProcEventOffset = unix.SizeofNlMsghdr + 20 // nlmsghdr, then struct cn_msg
)

// eventBatchDelay is how long the tracker lets process events gather
// before it reads them: a kill waits up to that much longer for the exits
// it caused.
const eventBatchDelay = 10 * time.Millisecond

// newProcessTracker subscribes to the kernel's process events, and reads
// and keeps the record in file (none if "").
func newProcessTracker(logf func(string, ...any), file string) (*processTracker, error) {
	if os.Geteuid() != 0 {
		// The kernel ignores the subscription of a process without
		// CAP_NET_ADMIN, silently.
		return nil, errors.New("process events are for root only")
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("process events: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("process events: %w", err)
	}
	// A burst of forks elsewhere on the machine must not push ours out.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
	// Since Linux 6.6 the kernel drops the events nobody asked for (exec,
	// uid, comm, ...) before they are queued; before, the request must be
	// the bare operation.
	input := []uint32{procCnMcastListen}
	if kernelAtLeast(6, 6) {
		input = append(input, procEventFork|procEventExit)
	}
	msg := make([]byte, cnProcEventOffset+4*len(input))
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], unix.NLMSG_DONE)
	binary.NativeEndian.PutUint32(msg[12:], uint32(os.Getpid()))
	cn := msg[unix.SizeofNlMsghdr:]
	binary.NativeEndian.PutUint32(cn[0:], cnIdxProc)
	binary.NativeEndian.PutUint32(cn[4:], cnValProc)
	binary.NativeEndian.PutUint16(cn[16:], uint16(4*len(input)))
	for i, v := range input {
		binary.NativeEndian.PutUint32(cn[20+4*i:], v)
	}
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("process events: %w", err)
	}
	t := &processTracker{fd: fd, self: os.Getpid(), logf: logf, file: file, procs: map[int]*trackedProc{}, changed: make(chan struct{}), dirty: make(chan struct{}, 1)}
	if file != "" {
		t.loadRecord()
		go t.writeRecords()
	}
	// Through the runtime's poller: a burst of events is read in one
	// wake-up, not one thread wake-up per event.
	f := os.NewFile(uintptr(fd), "process-events")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("process events: %w", err)
	}
	go t.read(f, raw)
	return t, nil
}

func (t *processTracker) read(f *os.File, raw syscall.RawConn) {
	defer f.Close()
	buf := make([]byte, 64<<10)
	var failed error
	err := raw.Read(func(fd uintptr) bool {
		// Let the events of a busy machine gather: one wake-up then reads
		// many, and the wake-ups of the tracker stay few whatever the
		// machine's rate of forks. The events stay in order meanwhile.
		time.Sleep(eventBatchDelay)
		for {
			n, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			switch {
			case err == unix.EAGAIN:
				return false
			case err == unix.EINTR:
				continue
			case err == unix.ENOBUFS:
				t.mu.Lock()
				if !t.lost {
					t.logf("process events were lost: processes started by services may escape their stop")
				}
				t.lost = true
				t.mu.Unlock()
				continue
			case err != nil:
				failed = err
				return true
			}
			for b := buf[:n]; len(b) >= unix.SizeofNlMsghdr; {
				size := int(binary.NativeEndian.Uint32(b))
				if size < unix.SizeofNlMsghdr || size > len(b) {
					break
				}
				t.event(b[unix.SizeofNlMsghdr:size])
				next := (size + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
				if next >= len(b) {
					break
				}
				b = b[next:]
			}
		}
	})
	if failed == nil {
		failed = err
	}
	t.logf("process events: %v", failed)
}

// kernelAtLeast compares the running kernel's release with major.minor.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var maj, min int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &maj, &min)
	return maj > major || maj == major && min >= minor
}

func (t *processTracker) event(data []byte) {
	const at = cnProcEventOffset - unix.SizeofNlMsghdr + 16 // struct proc_event's union
	if len(data) < at+16 {
		return
	}
	what := binary.NativeEndian.Uint32(data[cnProcEventOffset-unix.SizeofNlMsghdr:])
	u := func(i int) int { return int(binary.NativeEndian.Uint32(data[at+4*i:])) }
	t.mu.Lock()
	defer t.mu.Unlock()
	switch what {
	case procEventFork:
		parent, child, childTgid := u(1), u(2), u(3)
		if child != childTgid {
			return // a new thread, not a process
		}
		if parent == t.self {
			t.working = true
			if t.procs[child] == nil {
				t.procs[child] = tracked(child, parent, 0)
			}
		} else if p := t.procs[parent]; p != nil && t.procs[child] == nil {
			t.procs[child] = tracked(child, parent, p.host)
			t.noteChange()
		}
	case procEventExit:
		pid, tgid := u(0), u(1)
		p := t.procs[pid]
		if pid != tgid || p == nil {
			return
		}
		delete(t.procs, pid)
		// Its children keep their ancestry through its parent.
		for _, c := range t.procs {
			if c.host == 0 && c.parent == pid {
				c.parent, c.host = p.parent, p.host
			}
		}
		close(t.changed)
		t.changed = make(chan struct{})
		t.noteChange()
	}
}

// assign names a host: it and whatever it forked so far belong to id.
func (t *processTracker) assign(pid int, id core.ProcID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.procs[pid]; p != nil {
		p.host = id
	} else {
		t.procs[pid] = tracked(pid, t.self, id)
	}
	for _, p := range t.procs {
		if p.host == 0 {
			p.host = t.hostOf(p)
		}
	}
	t.noteChange()
}

// adopt takes over a host an earlier scmd started, with the descendants it
// has now (forks before this scmd ran were never seen).
func (t *processTracker) adopt(pid int, id core.ProcID) {
	t.assign(pid, id)
	t.mu.Lock()
	t.claimEarlier(pid, id)
	t.mu.Unlock()
	for _, d := range descendants(pid) {
		t.mu.Lock()
		if t.procs[d] == nil {
			t.procs[d] = tracked(d, pid, id)
		}
		t.mu.Unlock()
	}
}

func (t *processTracker) hostOf(p *trackedProc) core.ProcID {
	for i := 0; p != nil && p.host == 0 && i < 1000; i++ {
		p = t.procs[p.parent]
	}
	if p == nil {
		return 0
	}
	return p.host
}

// members lists a host's processes with their start times.
func (t *processTracker) members(id core.ProcID) map[int]uint64 {
	pids := map[int]uint64{}
	for pid, p := range t.procs {
		if t.hostOf(p) == id {
			pids[pid] = p.start
		}
	}
	return pids
}

// kill SIGKILLs every process of a host until none is left: after each
// round it waits for the exits, by when whatever they forked meanwhile is
// known, and is killed in the next.
func (t *processTracker) kill(id core.ProcID, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		pids := t.members(id)
		if t.lost || !t.working {
			for pid, start := range pids {
				if start == 0 {
					continue
				}
				for _, d := range descendants(pid) {
					pids[d], _ = StartTime(d)
				}
			}
		}
		changed, working := t.changed, t.working
		t.mu.Unlock()
		if len(pids) == 0 {
			return true
		}
		for pid, start := range pids {
			signalKill(pid, start)
		}
		if !working {
			return true // no events come: nothing more is known to wait for
		}
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}

// descendants walks a process's tree through /proc/PID/task/TID/children:
// only the processes under pid are read.
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(p) + "/task")
		for _, task := range tasks {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/task/" + task.Name() + "/children")
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
					queue = append(queue, c)
				}
			}
		}
	}
	return out
}
