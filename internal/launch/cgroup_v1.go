package launch

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// forkFromThreadInV1Group runs fork on an OS thread that has joined a
// cgroup v1 group, so that the process it creates is born in the group:
// v1 has no CLONE_INTO_CGROUP, but there a thread (not only a whole
// process) has a group of its own, and a child starts in its parent
// thread's groups. Nothing the child does can precede its membership, as
// it would if the child were moved in after the fork.
//
// The thread is locked to a goroutine of its own for the whole of it and
// goes back to the SCM's group (home) afterwards; should that fail, the
// goroutine ends still locked, and the Go runtime retires the thread
// rather than run anything else of scmd's in a service's group. spend, if
// not nil, changes the thread further before the fork (the service's
// capabilities, restrict.go): the thread then goes back but is retired.
func forkFromThreadInV1Group(dir, home string, spend func() error, fork func() (int, error)) (int, error) {
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		tid := []byte(strconv.Itoa(unix.Gettid()))
		if err := os.WriteFile(filepath.Join(dir, "tasks"), tid, 0); err != nil {
			runtime.UnlockOSThread()
			done <- result{0, fmt.Errorf("moving a thread into cgroup %s: %w", dir, err)}
			return
		}
		pid, err := 0, error(nil)
		if spend != nil {
			err = spend()
		}
		if err == nil {
			pid, err = fork()
		}
		// Back home, even if spent: a thread left in the group would keep
		// it from being removed (the main thread is wedged, not retired).
		if os.WriteFile(filepath.Join(home, "tasks"), tid, 0) == nil && spend == nil {
			runtime.UnlockOSThread()
		}
		done <- result{pid, err}
	}()
	r := <-done
	return r.pid, r.err
}
