package launch

import (
	"encoding/json"
	"os"
	"time"

	"github.com/openscm/scm/internal/core"
	"golang.org/x/sys/unix"
)

// The tracker's record: which process belongs to which host, kept in a
// file so that a restarted scmd knows what a host that died while no scmd
// watched left behind (its orphans went to init, out of the process tree
// the new scmd can walk), and what an adopted host's processes are. It is
// rewritten after each change (at most every recordInterval); a process
// forked in the last moments before scmd died may be missing from it.

// recordedProc is one process of the record: it and its host, each named
// for good by pid and start time.
type recordedProc struct {
	PID       int    `json:"pid"`
	Start     uint64 `json:"start"`
	Host      int    `json:"host"`
	HostStart uint64 `json:"hostStart"`
}

const recordInterval = 20 * time.Millisecond

// loadRecord reads what an earlier scmd recorded, keeping the processes
// that still run (same pid, same start time).
func (t *processTracker) loadRecord() {
	b, err := os.ReadFile(t.file)
	if err != nil {
		return
	}
	var recs []recordedProc
	if json.Unmarshal(b, &recs) != nil {
		return
	}
	for _, r := range recs {
		if start, err := StartTime(r.PID); err == nil && start == r.Start {
			t.earlier = append(t.earlier, r)
		}
	}
}

// noteChange asks for the record to be rewritten. t.mu is held.
func (t *processTracker) noteChange() {
	if t.file == "" {
		return
	}
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

func (t *processTracker) writeRecords() {
	for range t.dirty {
		t.mu.Lock()
		recs := append([]recordedProc(nil), t.earlier...)
		hostPID := map[core.ProcID]int{}
		for pid, p := range t.procs {
			if p.host != 0 && p.parent == t.self {
				hostPID[p.host] = pid
			}
		}
		type entry struct{ pid, host int }
		var entries []entry
		for pid, p := range t.procs {
			if h := t.hostOf(p); h != 0 && hostPID[h] != 0 {
				entries = append(entries, entry{pid, hostPID[h]})
			}
		}
		t.mu.Unlock()
		for _, e := range entries {
			start, err1 := StartTime(e.pid)
			hostStart, err2 := StartTime(e.host)
			if err1 == nil && err2 == nil {
				recs = append(recs, recordedProc{PID: e.pid, Start: start, Host: e.host, HostStart: hostStart})
			}
		}
		b, _ := json.Marshal(recs)
		tmp := t.file + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err == nil {
			os.Rename(tmp, t.file)
		}
		time.Sleep(recordInterval) // the changes meanwhile make one write
	}
}

// claimEarlier gives an adopted host back the processes the record says
// are its: they are killed with it, though they may have left its tree.
func (t *processTracker) claimEarlier(host int, id core.ProcID) {
	hostStart, err := StartTime(host)
	if err != nil {
		return
	}
	kept := t.earlier[:0]
	for _, r := range t.earlier {
		if r.Host == host && r.HostStart == hostStart {
			if t.procs[r.PID] == nil {
				t.procs[r.PID] = &trackedProc{parent: host, host: id, start: r.Start}
			}
			continue
		}
		kept = append(kept, r)
	}
	t.earlier = kept
	t.noteChange()
}

// leftovers lists the recorded processes of hosts no one adopted that
// still run.
func (t *processTracker) leftovers() []recordedProc {
	t.mu.Lock()
	defer t.mu.Unlock()
	var left []recordedProc
	for _, r := range t.earlier {
		if start, err := StartTime(r.PID); err == nil && start == r.Start {
			left = append(left, r)
		}
	}
	return left
}

// killLeftovers kills the recorded processes of hosts no one adopted and
// waits, up to timeout, for them to be gone.
func (t *processTracker) killLeftovers(timeout time.Duration) []recordedProc {
	left := t.leftovers()
	var fds []unix.PollFd
	for _, r := range left {
		fd, ok := pidfdOf(r.PID, r.Start)
		if !ok {
			continue
		}
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	deadline := time.Now().Add(timeout)
	for _, fd := range fds {
		if ms := time.Until(deadline).Milliseconds(); ms > 0 {
			unix.Poll([]unix.PollFd{fd}, int(ms))
		}
		unix.Close(int(fd.Fd))
	}
	t.mu.Lock()
	t.earlier = nil
	t.noteChange()
	t.mu.Unlock()
	return left
}
