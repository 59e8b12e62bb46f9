// Package reap collects a process's exited children: scmd's service
// processes and helpers, scm-wrap's program. A child subreaper also gets
// the orphans its children leave behind; it must collect them too, or they
// stay zombies.
package reap

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reaper collects children on every SIGCHLD and hands each watched one's
// wait status to the function watching it.
type Reaper struct {
	all bool // collect every child, watched or not

	mu      sync.Mutex
	watched map[int]func(int, syscall.WaitStatus)
}

// New starts a reaper. With subreaper the process becomes a child
// subreaper and every child is collected, orphans included; without, only
// the children it watches are, so that a process with children of its own
// (a test running an SCM) keeps theirs.
func New(subreaper bool) (*Reaper, error) {
	if subreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("becoming a child subreaper: %w", err)
		}
	}
	r := &Reaper{all: subreaper, watched: map[int]func(int, syscall.WaitStatus){}}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD)
	go func() {
		for range sigs {
			r.collect()
		}
	}()
	return r, nil
}

// Start runs fork, which starts a child and returns its pid, and watches
// that child: exited gets its pid and wait status once it has exited. The reaper
// is held meanwhile, so a child that exits at once is not collected before
// it is watched.
func (r *Reaper) Start(fork func() (int, error), exited func(int, syscall.WaitStatus)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := fork()
	if err == nil {
		r.watched[pid] = exited
	}
	return pid, err
}

// collect waits for what has exited, then tells the watchers, with the
// reaper no longer held: a watcher may start another child.
func (r *Reaper) collect() {
	type exit struct {
		pid     int
		ws      syscall.WaitStatus
		watcher func(int, syscall.WaitStatus)
	}
	var exits []exit
	r.mu.Lock()
	got := func(pid int, ws syscall.WaitStatus) {
		if w := r.watched[pid]; w != nil {
			delete(r.watched, pid)
			exits = append(exits, exit{pid, ws, w})
		}
	}
	if r.all {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || pid <= 0 {
				break
			}
			got(pid, ws)
		}
	} else {
		for pid := range r.watched {
			var ws syscall.WaitStatus
			if p, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && p == pid {
				got(pid, ws)
			}
		}
	}
	r.mu.Unlock()
	for _, e := range exits {
		e.watcher(e.pid, e.ws)
	}
}
