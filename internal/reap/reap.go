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
	"time"

	"golang.org/x/sys/unix"
)

// Reaper collects children on every SIGCHLD and hands each watched one's
// wait status to the function watching it.
//
// Waiting for any child makes the kernel look at every child, which with
// thousands of services costs more than the rest of a stop. So a child
// its watcher says is exiting (a service process whose control channel
// closed, a helper that runs to its end) is waited for by its pid; a
// SIGCHLD that such a wait explains leaves the look at every child, for
// orphans, to a moment later, once for all the exits in between.
type Reaper struct {
	all bool // collect every child, watched or not

	mu       sync.Mutex
	watched  map[int]func(int, syscall.WaitStatus)
	exiting  map[int]bool // watched children said to be exiting
	byPid    int          // children collected by pid since the last SIGCHLD
	scanSoon bool         // a look at every child is due within OrphanDelay
}

// OrphanDelay bounds how long a child that nobody said was exiting (an
// orphan) stays a zombie after a SIGCHLD that an exiting child explained.
const OrphanDelay = 100 * time.Millisecond

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
	r := &Reaper{all: subreaper, watched: map[int]func(int, syscall.WaitStatus){}, exiting: map[int]bool{}}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD)
	go func() {
		for range sigs {
			r.collect(onSignal)
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

// Exiting says that a watched child is to be collected by its pid: one
// whose end has come (a service process whose control channel closed), or
// one that only runs to its end (a helper). It is collected now if it is
// done, else at the SIGCHLD its end brings.
func (r *Reaper) Exiting(pid int) {
	r.mu.Lock()
	if r.watched[pid] == nil {
		r.mu.Unlock()
		return
	}
	r.exiting[pid] = true
	r.mu.Unlock()
	r.collect(exitingOnly)
}

// exit is a watched child's end, for its watcher.
type exit struct {
	pid     int
	ws      syscall.WaitStatus
	watcher func(int, syscall.WaitStatus)
}

// What a collect looks at.
type collecting int

const (
	onSignal    collecting = iota // the exiting children, else every child
	exitingOnly                   // the exiting children
	everyChild                    // every child
)

// collect waits for what has exited, then tells the watchers, with the
// reaper no longer held: a watcher may start another child.
func (r *Reaper) collect(how collecting) {
	var exits []exit
	r.mu.Lock()
	got := func(pid int, ws syscall.WaitStatus) {
		delete(r.exiting, pid)
		if w := r.watched[pid]; w != nil {
			delete(r.watched, pid)
			exits = append(exits, exit{pid, ws, w})
		}
	}
	for pid := range r.exiting {
		var ws syscall.WaitStatus
		p, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		switch {
		case err == nil && p == pid:
			got(pid, ws)
			r.byPid++
		case err == syscall.ECHILD:
			delete(r.exiting, pid) // collected by a look at every child
		}
	}
	// A SIGCHLD is explained by the children collected by pid since the
	// last one: their signals may come after they are collected.
	explained := how == onSignal && r.byPid > 0
	if how == onSignal {
		r.byPid = 0
	}
	switch {
	case how == exitingOnly:
	case !r.all:
		for pid := range r.watched {
			var ws syscall.WaitStatus
			if p, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && p == pid {
				got(pid, ws)
			}
		}
	case how == everyChild || !explained:
		r.scanSoon = false
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
	case !r.scanSoon:
		r.scanSoon = true
		time.AfterFunc(OrphanDelay, func() { r.collect(everyChild) })
	}
	r.mu.Unlock()
	for _, e := range exits {
		e.watcher(e.pid, e.ws)
	}
}
