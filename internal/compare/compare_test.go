// Package compare measures scm beside s6, runit, daemontools and
// supervisord on one machine in one run: a service started until it is up,
// its status asked, and it stopped until it is gone, each through the
// supervisor's command-line tools and through a client in the benchmark's
// own process; and many services brought up by the supervisor's start and
// then stopped one by one. Each figure comes with a floor measured in the
// same rounds, the least any supervisor could take for the step, and its
// ratio to that floor.
//
// scm runs as users run it: scmd, sc and net built from this tree, scmd on
// a state directory of its own, serving on a socket that SCM_SOCKET names.
// The others run from their installed commands (Debian packages s6, runit,
// daemontools and supervisor); a supervisor that is not installed is
// skipped. Every supervisor runs on a temporary directory, and it and every
// process it started are gone by the end of its benchmark.
//
// The service is the same small Go program everywhere: scmsvc, on
// windows/svc, under scm; readysvc, which says it is ready in the
// supervisor's own way where there is one, under the others and for the
// floors.
//
// BenchmarkMany uses -compare-n services, 20 unless told:
//
//	go test -run '^$' -bench . -benchtime 10x ./internal/compare
//	go test -run '^$' -bench Many -benchtime 1x -timeout 30m ./internal/compare -compare-n 1000
//
// The figures are the metrics: p50 and p90 of the step, the floor's p50,
// and x-floor, the ratio of the two p50s; ns/op, the time of a whole round
// with its floor and whatever the round needs besides, is not one of them.
// runit and daemontools have no readiness protocol: their service is up
// once forked, before the program has run, so their start can go under
// the floor.
package compare

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// manyN is small by default so that the package runs in about a minute
// on two cores, as part of the test suite.
var manyN = flag.Int("compare-n", 20, "services in BenchmarkMany")

// stepTimeout bounds every wait for one service; a supervisor that takes
// longer fails its benchmark.
const stepTimeout = 10 * time.Second

func TestMain(m *testing.M) {
	flag.Parse()
	// The processes a supervisor leaves behind when it exits come to this
	// process, which reaps them: see reapOrphans.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "becoming a child subreaper:", err)
		os.Exit(1)
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// bin is the path of a command built from this tree. The commands are
// built on first use, so that runs with no benchmarks build nothing.
func bin(b *testing.B, name string) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scm-compare")
		if err != nil {
			buildErr = err
			return
		}
		os.Chmod(dir, 0o755)
		binDir = dir
		out, err := exec.Command("go", "build", "-o", dir,
			"github.com/openscm/scm/cmd/scmd", "github.com/openscm/scm/cmd/sc", "github.com/openscm/scm/cmd/net",
			"github.com/openscm/scm/internal/compare/readysvc", "github.com/openscm/scm/internal/compare/scmsvc").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building the commands: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// serviceName names service i alike under every supervisor.
func serviceName(i int) string { return fmt.Sprintf("svc%05d", i) }

// samples are the durations of one step, one a round.
type samples []time.Duration

// pct is the p-th percentile.
func (s samples) pct(p int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := append(samples(nil), s...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c[(len(c)-1)*p/100]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// report gives a step's p50 and p90 in µs and, with a floor, the floor's
// p50 and the ratio of the p50s.
func report(b *testing.B, step, floor samples) {
	b.ReportMetric(micros(step.pct(50)), "p50-µs")
	b.ReportMetric(micros(step.pct(90)), "p90-µs")
	if floor != nil {
		b.ReportMetric(micros(floor.pct(50)), "floor-p50-µs")
		b.ReportMetric(float64(step.pct(50))/float64(floor.pct(50)), "x-floor")
	}
}

// tool is the path of an installed command; a missing one skips the
// benchmark, naming the Debian package that has it.
func tool(b *testing.B, pkg, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		b.Skipf("%s is not installed (Debian package %s)", name, pkg)
	}
	return p
}

// runCLI runs a command to its end and returns its output; a failure, or
// a run longer than stepTimeout, fails the benchmark.
func runCLI(b *testing.B, argv ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// untilOutput runs a command again and again until its output holds want.
func untilOutput(b *testing.B, want string, argv ...string) {
	deadline := time.Now().Add(stepTimeout)
	for {
		out := runCLI(b, argv...)
		if strings.Contains(out, want) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s never said %q; last: %s", strings.Join(argv, " "), want, out)
		}
	}
}

// pollPause is how long to wait before asking a supervisor again about
// every service, after an answer that took d: four times d, so that the
// asking takes a fifth of the supervisor's time at most, but no more than
// 20ms, as an answer is also slow when the supervisor was too busy to
// give it, which does not make it costly.
func pollPause(d time.Duration) time.Duration {
	return min(max(time.Millisecond, 4*d), 20*time.Millisecond)
}

// waitCmd waits for a process this benchmark started; one still running
// after timeout is killed, with its process group when it has one of its
// own, and fails the benchmark.
func waitCmd(b *testing.B, cmd *exec.Cmd, timeout time.Duration) {
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-time.After(timeout):
	}
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.Setpgid {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.Process.Kill()
	<-done
	b.Errorf("%s did not exit within %v; killed", cmd.Path, timeout)
}

// daemon is a supervisor this benchmark runs, in a process group of its
// own, with its output in a log file.
type daemon struct {
	cmd *exec.Cmd
	log string
}

func startDaemon(b *testing.B, log string, argv ...string) *daemon {
	f, err := os.Create(log)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = filepath.Dir(log)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return &daemon{cmd: cmd, log: log}
}

// stop stops the supervisor the way it is meant to be stopped, with sig,
// which also stops its services, and waits for everything it started.
func (d *daemon) stop(b *testing.B, sig syscall.Signal) {
	d.cmd.Process.Signal(sig)
	waitCmd(b, d.cmd, 30*time.Second)
	reapOrphans(b, d.cmd.Process.Pid)
}

// kill kills the supervisor's process group and waits for everything it
// started.
func (d *daemon) kill(b *testing.B) {
	syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	waitCmd(b, d.cmd, stepTimeout)
	reapOrphans(b, d.cmd.Process.Pid)
}

// tail is the end of the supervisor's log, for failure messages.
func (d *daemon) tail() string {
	out, _ := os.ReadFile(d.log)
	if len(out) > 2000 {
		out = out[len(out)-2000:]
	}
	return string(out)
}

// reapOrphans waits until this process has no children left: with the
// supervisor gone, those are what it left behind (its helpers and the
// services they ran, orphaned to this process, a child subreaper), which
// go as the supervisor's stop told them to. What is still
// there after a grace period is killed, and so is the supervisor's process
// group. It must be called with no other child of this process running.
func reapOrphans(b *testing.B, pgid int) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-time.After(15 * time.Second):
		}
		b.Errorf("processes outlived supervisor %d; killing them", pgid)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			syscall.Kill(-pgid, syscall.SIGKILL)
			for _, pid := range children() {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.ECHILD {
			return
		}
		if err != nil && err != syscall.EINTR {
			b.Errorf("reaping: %v", err)
			return
		}
	}
}

// children lists this process's children, from its own threads' entries
// in /proc.
func children() []int {
	var pids []int
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		b, _ := os.ReadFile(filepath.Join("/proc/self/task", t.Name(), "children"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
