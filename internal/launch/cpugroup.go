package launch

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// cpuGroup is the one group, in a cgroup v1 "cpu" hierarchy, that every
// service process is born in. The scheduler shares the CPU between groups
// (and between login sessions, each an autogroup of its own) before it
// shares it between the processes inside them, so a hundred services
// starting at once claim the CPU as one rather than as a hundred: scmd,
// which must answer its callers while they start, and the users' own
// programs keep their share. systemd does the same with system.slice.
// Under cgroup v2 no such group is made: the services' groups are inside
// scmd's, which a service manager above scmd already keeps apart from the
// sessions.
//
// A v1 thread, not only a process, has a group of its own, and a child is
// born in its parent thread's. So launches run on workers, threads that
// joined the group for good: a launch is handed to a worker where it would
// otherwise have had a goroutine of its own, and costs no more. A thread
// made for one fork (restrict.go, forkFromThreadInV1Group) joins for the
// fork.
//
// The group outlives scmd, as system.slice outlives a service: every scmd
// under one group shares it, and one removed gives its real-time budget
// back only after an RCU grace period, which the next would wait for.
type cpuGroup struct {
	dir  string // the group's directory
	home string // scmd's own group, where the workers go at the end

	mu      sync.Mutex
	closed  bool
	work    chan func()
	workers sync.WaitGroup
}

// CPUGroupName names the services' group, under scmd's own.
const CPUGroupName = "scm-services"

// launchQueue bounds the launches waiting for a worker. The core's launch
// slots keep far fewer under way, so handing one over never waits.
const launchQueue = 1024

// newCPUGroup makes the services' group under scmd's own group in a
// writable v1 "cpu" hierarchy, or finds it made, and starts its workers
// there; nil where there is none.
func newCPUGroup() *cpuGroup {
	home, ok := ownCPUGroup()
	if !ok {
		return nil
	}
	g := &cpuGroup{dir: filepath.Join(home, CPUGroupName), home: home}
	// The group may have been removed a moment ago (RemoveCPUGroup), its
	// real-time budget not back yet.
	for deadline := time.Now().Add(setUpWait); !g.setUp(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return nil
		}
	}
	return g
}

// setUpWait is how long newCPUGroup tries.
const setUpWait = 500 * time.Millisecond

// ownCPUGroup finds scmd's group in a writable v1 "cpu" hierarchy.
func ownCPUGroup() (string, bool) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", false
	}
	for _, m := range cgroupMounts() {
		if m.fstype != "cgroup" || !m.has("cpu") {
			continue
		}
		rel, ok := (&cgroups{v1: true, control: "cpu"}).groupIn(string(own))
		if !ok || unix.Access(m.dir, unix.W_OK) != nil {
			return "", false
		}
		return filepath.Join(m.dir, rel), true
	}
	return "", false
}

// setUp makes or finds the group, gives it its real-time budget and starts
// the workers in it; if any of it fails, it leaves no worker behind.
func (g *cpuGroup) setUp() bool {
	if err := os.Mkdir(g.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return false
	}
	if !g.inheritRealTime() {
		return false
	}
	g.work = make(chan func(), launchQueue)
	for range runtime.GOMAXPROCS(0) {
		joined := make(chan error)
		g.workers.Add(1)
		go g.worker(joined)
		if err := <-joined; err != nil {
			close(g.work)
			g.workers.Wait()
			return false
		}
	}
	return true
}

// inheritRealTime gives the group scmd's budget of real-time CPU time.
// With RT group scheduling a new group has none, and a service could not
// use SCHED_FIFO or SCHED_RR in it as it can beside scmd. A group that
// cannot have the budget (another holds it) is not used.
func (g *cpuGroup) inheritRealTime() bool {
	budget, err := os.ReadFile(filepath.Join(g.home, "cpu.rt_runtime_us"))
	if errors.Is(err, os.ErrNotExist) {
		return true // no RT group scheduling: a group changes nothing there
	}
	if err != nil {
		return false
	}
	file := filepath.Join(g.dir, "cpu.rt_runtime_us")
	if has, err := os.ReadFile(file); err == nil && bytes.Equal(has, budget) {
		return true
	}
	return os.WriteFile(file, budget, 0) == nil
}

// worker runs launches on a thread of the group until close.
func (g *cpuGroup) worker(joined chan<- error) {
	defer g.workers.Done()
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	err := g.join()
	joined <- err
	if err != nil {
		return
	}
	for f := range g.work {
		f()
	}
	g.leave() // the thread itself ends some time after the goroutine
}

// join moves the calling thread into the group; leave moves it back. The
// thread must be locked, and run nothing of scmd's but launches between.
func (g *cpuGroup) join() error {
	return os.WriteFile(filepath.Join(g.dir, "tasks"), []byte(strconv.Itoa(unix.Gettid())), 0)
}

func (g *cpuGroup) leave() {
	os.WriteFile(filepath.Join(g.home, "tasks"), []byte(strconv.Itoa(unix.Gettid())), 0)
}

// launch runs f on a worker, or on a goroutine of its own once the group
// is closed.
func (g *cpuGroup) launch(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		go f()
		return
	}
	g.work <- f
}

// joinFirst returns fork run from within the group, for a thread made for
// one fork: it joins, forks and leaves, as it may be the main thread,
// which is never retired. A join that fails costs the child its place in
// the group, not its start.
func (g *cpuGroup) joinFirst(fork func() (int, error)) func() (int, error) {
	return func() (int, error) {
		g.join()
		defer g.leave()
		return fork()
	}
}

// close ends the workers once they have run what they were handed.
func (g *cpuGroup) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.work)
	}
	g.mu.Unlock()
	g.workers.Wait()
}

// RemoveCPUGroup removes the services' CPU group, if there is one and
// nothing is in it: scmd leaves it for the next one.
func RemoveCPUGroup() error {
	home, ok := ownCPUGroup()
	if !ok {
		return nil
	}
	err := os.Remove(filepath.Join(home, CPUGroupName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
