package launch

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/windows"
)

// events is what a launcher reports, on channels.
type events struct {
	launched chan uint32
	exited   chan core.ProcID
}

func (e events) Launched(_ core.ProcID, pid uint32)      { e.launched <- pid }
func (e events) LaunchFailed(core.ProcID, windows.Errno) { e.launched <- 0 }
func (e events) Message(core.ProcID, any)                {}
func (e events) BadMessage(core.ProcID, error)           {}
func (e events) Exited(id core.ProcID, _ int)            { e.exited <- id }

// Every service process is born in the services' CPU group, whichever
// thread forks it: the forker, or a thread spent on a service's narrowed
// privileges. It may still schedule itself in real time, as beside scmd.
// Nothing else of scmd's runs in the group, and nothing of it is left
// there once the launcher is closed.
func TestServicesShareOneCPUGroup(t *testing.T) {
	if _, ok := ownCPUGroup(""); !ok {
		t.Skip("no writable cgroup v1 cpu hierarchy")
	}
	ev := events{launched: make(chan uint32, 1), exited: make(chan core.ProcID, 3)}
	l, err := New(ev, Options{CgroupName: fmt.Sprintf("scm-test-%d", os.Getpid()), Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed { // a failure: the services, group and workers must go all the same
			for i := range 3 {
				l.Kill(core.ProcID(i + 1))
			}
			l.Close()
		}
	}()
	if l.cpu == nil {
		t.Fatal("no CPU group for the services")
	}
	dir := l.cpu.dir
	specs := []struct {
		how  string
		spec Spec
	}{
		{"by the forker", Spec{Service: "a", Image: "/bin/sleep 30"}},
		{"by a spent thread", Spec{Service: "b", Image: "/bin/sleep 30", RequiredPrivileges: []string{"SeChangeNotifyPrivilege"}}},
		{"in real time", Spec{Service: "c", Image: "/usr/bin/chrt --fifo 1 /bin/sleep 30"}},
	}
	for i, c := range specs {
		l.Start(core.ProcID(i+1), c.spec)
		pid := <-ev.launched
		if pid == 0 {
			t.Fatalf("%s: launch failed", c.how)
		}
		if got := cpuGroupOf(t, int(pid)); got != dir {
			t.Errorf("forked %s: in cpu group %s, want %s", c.how, got, dir)
		}
		if got, want := l.StartTime(core.ProcID(i+1)), procStartTime(t, int(pid)); got != want {
			t.Errorf("forked %s: start time %d, /proc says %d", c.how, got, want)
		}
		if c.how == "in real time" {
			waitFIFO(t, int(pid))
		}
	}
	// The group holds the services and the forker, no other thread of
	// this process once the spent one has left.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		ours := threadsIn(t, dir)
		if ours == 1 {
			break
		}
		if time.Now().After(deadline) {
			tasks, _ := os.ReadFile(filepath.Join(dir, "tasks"))
			for _, tid := range strings.Fields(string(tasks)) {
				st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", os.Getpid(), tid))
				t.Logf("in the group: %s", st)
			}
			t.Fatalf("%d threads of the launcher's process in the group, want 1 (the forker)", ours)
		}
	}
	for i := range specs {
		l.Kill(core.ProcID(i + 1))
	}
	for range specs {
		select {
		case <-ev.exited:
		case <-time.After(10 * time.Second):
			t.Fatal("the services are not reported exited")
		}
	}
	l.Close()
	closed = true
	// Other tests' scmds may use the group still; if none does, it is gone.
	if tasks, err := os.ReadFile(filepath.Join(dir, "tasks")); err == nil {
		if len(strings.Fields(string(tasks))) == 0 {
			t.Errorf("the empty group %s is left after Close", dir)
		} else if n := threadsIn(t, dir); n != 0 {
			t.Errorf("%d threads of the launcher's process in the group after Close", n)
		}
	}
}

// waitFIFO waits until pid runs under SCHED_FIFO, failing if it exits
// first (chrt could not set it).
func waitFIFO(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("process %d is gone before it ran in real time", pid)
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 38 && fields[38] == "1" { // policy, 1 is SCHED_FIFO
			return
		}
		if len(fields) > 0 && fields[0] == "Z" || time.Now().After(deadline) {
			t.Fatalf("process %d does not run in real time: %s", pid, s)
		}
	}
}

// threadsIn counts the threads of this process in a v1 group.
func threadsIn(t *testing.T, dir string) int {
	tasks, err := os.ReadFile(filepath.Join(dir, "tasks"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tid := range strings.Fields(string(tasks)) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/task/%s", os.Getpid(), tid)); err == nil {
			n++
		}
	}
	return n
}

// cpuGroupOf is the directory of the cpu group pid is in.
func cpuGroupOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	rel, ok := (&cgroups{v1: true, control: "cpu"}).groupIn(string(b))
	if !ok {
		t.Fatalf("process %d is in no cpu group", pid)
	}
	for _, m := range cgroupMounts() {
		if m.fstype == "cgroup" && m.has("cpu") {
			return filepath.Join(m.dir, rel)
		}
	}
	t.Fatal("no cpu hierarchy")
	return ""
}

// The services' group takes the real-time budget its parent has and the
// parent's other children leave, per the parent's period, as the kernel
// counts it; with none left it is not used.
func TestCPUGroupRealTimeBudget(t *testing.T) {
	write := func(dir, name, value string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(value+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	budget := func(dir string) string {
		t.Helper()
		r, p, err := rtBandwidth(dir)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d/%d", r, p)
	}
	home := t.TempDir()
	g := &cpuGroup{home: home, dir: filepath.Join(home, CPUGroupName)}
	write(home, "cpu.rt_runtime_us", "950000")
	write(home, "cpu.rt_period_us", "1000000")
	write(g.dir, "cpu.rt_runtime_us", "0")
	write(g.dir, "cpu.rt_period_us", "1000000")
	// A sibling holding a fifth of its half-second period: a tenth.
	write(filepath.Join(home, "other"), "cpu.rt_runtime_us", "50000")
	write(filepath.Join(home, "other"), "cpu.rt_period_us", "500000")
	if err := g.inheritRealTime(); err != nil {
		t.Fatal(err)
	}
	if got := budget(g.dir); got != "850000/1000000" {
		t.Errorf("budget %s, want 850000/1000000 (0.95 - 0.1 of the period)", got)
	}

	// A parent period of its own is taken along.
	write(home, "cpu.rt_period_us", "2000000")
	write(home, "cpu.rt_runtime_us", "1900000")
	if err := g.inheritRealTime(); err != nil {
		t.Fatal(err)
	}
	if got := budget(g.dir); got != "1700000/2000000" {
		t.Errorf("budget %s, want 1700000/2000000", got)
	}

	// Nothing left: no group.
	write(filepath.Join(home, "other"), "cpu.rt_runtime_us", "475000")
	if err := g.inheritRealTime(); err == nil {
		t.Errorf("a budget taken whole by a sibling: no error, budget %s", budget(g.dir))
	}

	// Without RT group scheduling there is nothing to take.
	if err := (&cpuGroup{home: t.TempDir(), dir: t.TempDir()}).inheritRealTime(); err != nil {
		t.Errorf("without cpu.rt_runtime_us: %v", err)
	}
}
