package launch

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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
// Where the kernel has no v1 cpu hierarchy (cgroup v2 alone), no such
// group is made: the services' groups are inside scmd's, which a service
// manager above scmd already keeps apart from the sessions.
//
// A v1 thread, not only a process, has a group of its own, and a child is
// born in its parent thread's. So services are forked by the forker, a
// thread that joined the group for good: forks run one at a time anyway
// (the reaper holds its lock through each). A thread made for one fork
// (restrict.go, forkFromThreadInV1Group) joins for the fork instead.
type cpuGroup struct {
	dir  string // the group's directory
	home string // scmd's own group

	forks     chan func()   // run on the forker
	quit      chan struct{} // closed to end the forker
	done      chan struct{} // closed once the forker has left the group
	closeOnce sync.Once
}

// CPUGroupName names the services' group, under scmd's own.
const CPUGroupName = "scm-services"

// newCPUGroup makes the services' group under scmd's own group in a
// writable v1 "cpu" hierarchy (other than the one at avoid, which holds
// the services' own groups), or finds it made, and starts the forker in
// it; nil where there is none.
func newCPUGroup(avoid string, logf func(string, ...any)) *cpuGroup {
	home, ok := ownCPUGroup(avoid)
	if !ok {
		return nil
	}
	g := &cpuGroup{dir: filepath.Join(home, CPUGroupName), home: home}
	// Another scmd may be removing the group as this one finds it, and
	// the real-time budget of a group removed a moment ago comes back only
	// after an RCU grace period: both pass.
	deadline := time.Now().Add(setUpWait)
	for {
		err := g.setUp()
		if err == nil {
			return g
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EBUSY) && !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			logf("services share the CPU with everything else, not as one group: %v", err)
			os.Remove(g.dir)
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// setUpWait is how long newCPUGroup tries: a grace period is milliseconds
// on an idle machine, and may be much longer on a busy one.
const setUpWait = 2 * time.Second

// ownCPUGroup finds scmd's group in a writable v1 "cpu" hierarchy.
func ownCPUGroup(avoid string) (string, bool) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", false
	}
	for _, m := range cgroupMounts() {
		if m.fstype != "cgroup" || !m.has("cpu") {
			continue
		}
		rel, ok := (&cgroups{v1: true, control: "cpu"}).groupIn(string(own))
		if !ok || m.dir == avoid || unix.Access(m.dir, unix.W_OK) != nil {
			return "", false
		}
		return filepath.Join(m.dir, rel), true
	}
	return "", false
}

// setUp makes or finds the group, gives it its real-time budget and starts
// the forker in it.
func (g *cpuGroup) setUp() error {
	if err := os.Mkdir(g.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if err := g.inheritRealTime(); err != nil {
		return err
	}
	g.forks, g.quit, g.done = make(chan func()), make(chan struct{}), make(chan struct{})
	joined := make(chan error)
	go g.forker(joined)
	return <-joined
}

// inheritRealTime gives the group the real-time CPU time scmd's group has
// and its other subgroups leave: with RT group scheduling a new group has
// none, and a service could not use SCHED_FIFO or SCHED_RR in it as it can
// beside scmd.
func (g *cpuGroup) inheritRealTime() error {
	budget, period, err := rtBandwidth(g.home)
	if errors.Is(err, os.ErrNotExist) {
		return nil // no RT group scheduling: a group changes nothing there
	}
	if err != nil {
		return err
	}
	// The kernel's sum: runtime/period, in fixed point, of every child
	// against the parent's.
	free := rtRatio(budget, period)
	siblings, _ := os.ReadDir(g.home)
	for _, s := range siblings {
		if !s.IsDir() || s.Name() == CPUGroupName {
			continue
		}
		if r, p, err := rtBandwidth(filepath.Join(g.home, s.Name())); err == nil {
			free -= rtRatio(r, p)
		}
	}
	want := free * period >> 20
	if want <= 0 {
		return errors.New("the real-time budget is held by other groups")
	}
	has, hasPeriod, err := rtBandwidth(g.dir)
	if err != nil {
		return err
	}
	if hasPeriod != period {
		if err := os.WriteFile(filepath.Join(g.dir, "cpu.rt_period_us"), []byte(strconv.FormatInt(period, 10)), 0); err != nil {
			return err
		}
	}
	if has == want {
		return nil
	}
	return os.WriteFile(filepath.Join(g.dir, "cpu.rt_runtime_us"), []byte(strconv.FormatInt(want, 10)), 0)
}

// rtBandwidth reads a group's real-time budget: so much CPU time (µs) in
// every period (µs).
func rtBandwidth(dir string) (budget, period int64, err error) {
	read := func(name string) (int64, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	if budget, err = read("cpu.rt_runtime_us"); err != nil {
		return 0, 0, err
	}
	period, err = read("cpu.rt_period_us")
	return budget, period, err
}

// rtRatio is the kernel's to_ratio: budget per period, shifted by 20.
func rtRatio(budget, period int64) int64 {
	if budget <= 0 || period <= 0 {
		return 0
	}
	return budget << 20 / period
}

// forker runs the forks handed to it, on a thread of the group, until
// close; then it leaves the group, and its thread ends.
func (g *cpuGroup) forker(joined chan<- error) {
	defer close(g.done)
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	err := g.join()
	joined <- err
	if err != nil {
		return
	}
	defer g.leave()
	for {
		select {
		case f := <-g.forks:
			f()
		case <-g.quit:
			return
		}
	}
}

// join moves the calling thread into the group; leave moves it back. The
// thread must be locked, and run nothing of scmd's but forks between.
func (g *cpuGroup) join() error {
	return os.WriteFile(filepath.Join(g.dir, "tasks"), []byte(strconv.Itoa(unix.Gettid())), 0)
}

func (g *cpuGroup) leave() error {
	return os.WriteFile(filepath.Join(g.home, "tasks"), []byte(strconv.Itoa(unix.Gettid())), 0)
}

// forking returns fork made to run on the forker, or, once the group is
// closed, where it is called.
func (g *cpuGroup) forking(fork func() (int, error)) func() (int, error) {
	return func() (int, error) {
		type result struct {
			pid int
			err error
		}
		done := make(chan result, 1)
		select {
		case g.forks <- func() {
			pid, err := fork()
			done <- result{pid, err}
		}:
		case <-g.done:
			return fork()
		}
		r := <-done
		return r.pid, r.err
	}
}

// joinFirst returns fork run from within the group, for a locked thread
// made for one fork and retired after it: it joins, forks and leaves, as
// it may be the main thread, which is wedged rather than retired and
// would keep the group from being removed. A join that fails costs the
// child its place in the group, not its start.
func (g *cpuGroup) joinFirst(fork func() (int, error)) func() (int, error) {
	return func() (int, error) {
		g.join()
		defer g.leave()
		return fork()
	}
}

// close ends the forker and removes the group, unless processes are left
// in it (adopted hosts, another scmd's services).
func (g *cpuGroup) close() {
	g.closeOnce.Do(func() {
		close(g.quit)
		<-g.done
		os.Remove(g.dir)
	})
}
