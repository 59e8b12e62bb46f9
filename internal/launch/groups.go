package launch

import (
	"errors"
	"syscall"
	"time"
)

// How long a killed group may take to empty before it is killed again, and
// how long the SCM waits for what an earlier scmd's dead hosts left.
const (
	retireTimeout   = 10 * time.Second
	leftoverTimeout = 5 * time.Second
)

// forkExec starts a service process with its privileges (restrict.go),
// inside its group when it has one, and in the services' CPU group
// (cpugroup.go). The v1 groups and the privileges are attributes of the
// thread that forks: on v1 the one thread takes them all.
func (l *Launcher) forkExec(group string, attr *syscall.ProcAttr, privs privilegePlan, fork func() (int, error)) (int, error) {
	restricted := privs.bound || privs.noNewPrivs
	v1 := group != "" && l.cg.v1
	switch {
	case l.cpu == nil:
	case restricted || v1:
		fork = l.cpu.joinFirst(fork) // on a thread of its own, retired after
	default:
		fork = l.cpu.forking(fork)
	}
	if v1 {
		var spend func() error
		if restricted {
			spend = privs.restrictThread
		}
		if l.cpu != nil && spend == nil {
			// The thread was in the services' CPU group: it is retired
			// rather than trusted to have left it.
			spend = func() error { return nil }
		}
		return forkFromThreadInV1Group(group, l.cg.home, spend, fork)
	}
	if group == "" {
		return privs.fork(fork)
	}
	return l.cg.forkExecV2(group, attr, func() (int, error) { return privs.fork(fork) })
}

// killContained kills everything a host started: its group, or the
// processes the tracker knows are its, or (with neither) the processes
// still under it in the process tree. Its process group is the caller's.
func (l *Launcher) killContained(p *proc) {
	switch {
	case p.cgroup != "":
		l.cg.kill(p.cgroup)
	case l.tracker != nil:
		l.mu.Lock()
		l.inBackground(func() {
			if !l.tracker.kill(p.id, retireTimeout) {
				l.opts.Logf("processes of service process %d do not die", p.id)
			}
		})
		l.mu.Unlock()
	default:
		l.mu.Lock()
		exited := p.exited
		l.mu.Unlock()
		if !exited { // else its pid may name another process by now
			for _, pid := range descendants(p.pid) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// retire removes the group of a host that exited and was killed, once the
// last of its processes is gone; nothing waits for it but Close.
func (l *Launcher) retire(group string) {
	l.inBackground(func() {
		if !waitEmpty(group, retireTimeout) {
			l.cg.kill(group)
			waitEmpty(group, retireTimeout)
		}
		if err := removeEmptyGroup(group, retireTimeout); err != nil {
			l.opts.Logf("%v", err)
		}
	})
}

// removeEmptyGroup removes a group that has no process left, retrying
// while the kernel still counts one that has exited but is not yet
// released (rmdir fails with EBUSY until then).
func removeEmptyGroup(group string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := removeGroup(group)
		if err == nil || !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// inBackground runs a kill or a removal that Close waits for. l.mu is held.
func (l *Launcher) inBackground(f func()) {
	l.cleaning++
	go func() {
		f()
		l.mu.Lock()
		l.cleaning--
		l.cleaned.Broadcast()
		l.mu.Unlock()
	}()
}

// HasLeftovers reports whether processes an earlier scmd's hosts started
// are left in groups that no adopted host claims.
func (l *Launcher) HasLeftovers() bool {
	if l.tracker != nil {
		return len(l.tracker.leftovers()) > 0
	}
	if l.cg == nil {
		return false
	}
	for _, group := range l.cg.leftovers(l.claimedGroups()) {
		if len(members(group)) > 0 {
			return true
		}
	}
	return false
}

func (l *Launcher) claimedGroups() map[string]bool {
	claimed := map[string]bool{}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.procs {
		if p.cgroup != "" {
			claimed[p.cgroup] = true
		}
	}
	return claimed
}

// KillLeftovers kills whatever an earlier scmd's hosts left in their groups
// that no adopted host claims (a host that died while no scmd watched, and
// the programs it started), waits for it to be gone, and removes those
// groups. Call it once the hosts that come back have been adopted, before
// failure actions start anything again: a service must never run twice.
func (l *Launcher) KillLeftovers() {
	if l.tracker != nil {
		if left := l.tracker.killLeftovers(leftoverTimeout); len(left) > 0 {
			l.opts.Logf("killed %d processes left by hosts that are gone", len(left))
		}
	}
	if l.cg == nil {
		return
	}
	for _, group := range l.cg.leftovers(l.claimedGroups()) {
		if pids := members(group); len(pids) > 0 {
			l.opts.Logf("killing %d processes left in %s by a host that is gone", len(pids), group)
		}
		l.cg.kill(group)
		if !waitEmpty(group, leftoverTimeout) {
			l.opts.Logf("processes left in %s do not die", group)
			continue
		}
		if err := removeEmptyGroup(group, leftoverTimeout); err != nil {
			l.opts.Logf("%v", err)
		}
	}
}
