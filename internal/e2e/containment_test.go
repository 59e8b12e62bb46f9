package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// Containment: everything a service starts goes with it, on a host with a
// writable cgroup v2 hierarchy and on one without (cgroup v1 only), and
// nothing of one service is ever killed with another.

// hostKind is a way to run scmd: on this machine as it is, as on a host
// without cgroup v2, or as on one without any cgroup hierarchy.
type hostKind struct {
	name  string
	start func(t *testing.T, state, sock string) *exec.Cmd
}

var hostKinds = []hostKind{
	{"cgroup2", func(t *testing.T, state, sock string) *exec.Cmd { return startSCMD(t, state, sock) }},
	{"cgroup1-only", func(t *testing.T, state, sock string) *exec.Cmd {
		skipWithoutCgroup1(t)
		return startSCMDHiding(t, state, sock, "cgroup2")
	}},
	{"no-cgroup", func(t *testing.T, state, sock string) *exec.Cmd {
		return startSCMDHiding(t, state, sock, "cgroup2", "cgroup")
	}},
}

// startOn starts scmd on a kind of host with fresh state, points
// SCM_SOCKET at it and connects: the state directory, a directory of the
// test's own for the socket and other files, the socket, scmd and the
// connection.
func startOn(t *testing.T, host hostKind) (state, tmp, sock string, cmd *exec.Cmd, m *mgr.Mgr) {
	t.Helper()
	state, tmp = t.TempDir(), t.TempDir()
	sock = filepath.Join(tmp, "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	cleanupGroups(t, sock)
	cmd = host.start(t, state, sock)
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	return state, tmp, sock, cmd, m
}

// startSCMDHiding runs scmd in a private mount namespace where the mounts
// of the given file system types are unmounted: scmd sees the machine as a
// host without them. The machine's own mounts are not touched.
func startSCMDHiding(t *testing.T, state, sock string, fstypes ...string) *exec.Cmd {
	t.Helper()
	args := []string{"--mount", "--propagation", "private", "sh", "-c",
		`while [ "$1" != -- ]; do umount "$1" || exit 1; shift; done; shift; exec "$@"`, "sh"}
	for _, fstype := range fstypes {
		args = append(args, mountsOf(fstype)...)
	}
	args = append(args, "--", filepath.Join(binDir, "scmd"), "--state-dir", state, "--socket", sock)
	cmd := exec.Command("unshare", args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopSCMD(cmd) })
	waitForSocketT(t, sock)
	// unshare and sh exec: the process is scmd itself, in its namespace.
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "mountinfo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fstype := range fstypes {
		if strings.Contains(string(b), " - "+fstype+" ") {
			t.Fatalf("scmd still sees a %s mount", fstype)
		}
	}
	return cmd
}

// mountsOf lists the mount points of a file system type, as this test sees them.
// skipWithoutCgroup1 skips a test of the cgroup v1 way on a machine with
// no v1 hierarchy scmd would use (freezer or pids): hiding cgroup2 there
// would make a host with no cgroups at all, a kind tested on its own.
func skipWithoutCgroup1(t *testing.T) {
	t.Helper()
	for _, h := range hierarchies() {
		for _, c := range h.controllers {
			if h.fstype == "cgroup" && (c == "freezer" || c == "pids") {
				return
			}
		}
	}
	t.Skip("no cgroup v1 freezer or pids hierarchy on this machine")
}

func mountsOf(fstype string) []string {
	var dirs []string
	for _, h := range hierarchies() {
		if h.fstype == fstype {
			dirs = append(dirs, h.mount)
		}
	}
	return dirs
}

// hierarchy is a cgroup mount: cgroup2, or a v1 hierarchy and its controllers.
type hierarchy struct {
	mount, fstype string
	controllers   []string // v1: cpu, freezer, name=systemd, ...
}

func hierarchies() []hierarchy {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var hs []hierarchy
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		for i, field := range fields {
			if field != "-" || i+3 >= len(fields) {
				continue
			}
			h := hierarchy{mount: fields[4], fstype: fields[i+1]}
			if h.fstype == "cgroup" {
				for _, opt := range strings.Split(fields[i+3], ",") {
					if opt != "rw" && opt != "ro" && !strings.HasPrefix(opt, "release_agent") && opt != "clone_children" {
						h.controllers = append(h.controllers, opt)
					}
				}
			}
			if h.fstype == "cgroup" || h.fstype == "cgroup2" {
				hs = append(hs, h)
			}
		}
	}
	return hs
}

// groupIn finds, in the text of a /proc/PID/cgroup, the group in a hierarchy.
func (h hierarchy) groupIn(cgroupFile string) (string, bool) {
	for _, line := range strings.Split(cgroupFile, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if h.fstype == "cgroup2" && parts[0] == "0" && parts[1] == "" {
			return parts[2], true
		}
		if h.fstype == "cgroup" && parts[1] != "" && strings.Join(h.controllers, ",") == parts[1] {
			return parts[2], true
		}
	}
	return "", false
}

// scmCgroupDirs are the directories an scmd serving on sock may use for its
// services' groups, in each cgroup hierarchy of this machine: scmd starts in
// the test's own groups, and names its directory after its socket.
func scmCgroupDirs(sock string) []string {
	sum := sha256.Sum256([]byte(sock))
	name := "scm-" + hex.EncodeToString(sum[:6])
	own, _ := os.ReadFile("/proc/self/cgroup")
	var dirs []string
	for _, h := range hierarchies() {
		if rel, ok := h.groupIn(string(own)); ok {
			dirs = append(dirs, filepath.Join(h.mount, rel, name))
		}
	}
	return dirs
}

// groupsOf lists the SCM groups (under an scm-* directory) a process is in.
func groupsOf(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return nil
	}
	var dirs []string
	for _, h := range hierarchies() {
		if rel, ok := h.groupIn(string(b)); ok && serviceGroup.MatchString(rel) {
			dirs = append(dirs, filepath.Join(h.mount, rel))
		}
	}
	return dirs
}

// serviceGroup matches the path of a group an scmd made for one service
// process: under its scm-<hash> directory. The group all services share
// for the CPU (scm-services) is none.
var serviceGroup = regexp.MustCompile(`/scm-[0-9a-f]{12}/`)

// subgroups lists the groups left under the SCM's directories.
func subgroups(sock string) []string {
	var left []string
	for _, dir := range scmCgroupDirs(sock) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() {
				left = append(left, filepath.Join(dir, e.Name()))
			}
		}
	}
	return left
}

// existing lists the directories that exist.
func existing(dirs []string) []string {
	var found []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			found = append(found, d)
		}
	}
	return found
}

// descendantPIDs reads what mode descendants' processes wrote, once all
// four have.
func descendantPIDs(t *testing.T, path string) map[string]int {
	t.Helper()
	var pids map[string]int
	waitFor(t, func() bool {
		pids = map[string]int{}
		b, _ := os.ReadFile(path)
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				pids[f[0]], _ = strconv.Atoi(f[1])
			}
		}
		return len(pids) == 4
	})
	for kind, pid := range pids {
		if !alive(pid) {
			t.Fatalf("descendant %s (%d) is not running", kind, pid)
		}
	}
	// Whatever happens to the test, they do not outlive it.
	t.Cleanup(func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return pids
}

func waitGone(t *testing.T, pids map[string]int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var left []string
		for kind, pid := range pids {
			if alive(pid) {
				left = append(left, kind+" "+strconv.Itoa(pid))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("survived: %v", left)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cleanupGroups removes what a failed run left in the cgroup hierarchies.
func cleanupGroups(t *testing.T, sock string) {
	t.Cleanup(func() {
		for _, dir := range subgroups(sock) {
			os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
		}
		removeSCMCgroupDirs(sock)
	})
}

// removeSCMCgroupDirs removes the empty directories an scmd serving on sock
// left: an scmd killed with SIGKILL cannot remove its own. The services'
// CPU group, which every scmd on the machine shares, goes too if no
// process is left in it.
func removeSCMCgroupDirs(sock string) {
	for _, dir := range subgroups(sock) {
		os.Remove(dir)
	}
	for _, dir := range scmCgroupDirs(sock) {
		os.Remove(dir)
	}
	own, _ := os.ReadFile("/proc/self/cgroup")
	for _, h := range hierarchies() {
		if rel, ok := h.groupIn(string(own)); ok && slices.Contains(h.controllers, "cpu") {
			os.Remove(filepath.Join(h.mount, rel, launch.CPUGroupName))
		}
	}
}

// TestContainmentMatrix starts a service whose descendants call setsid,
// double-fork, call setpgid and ignore SIGTERM, on each kind of host, and
// ends it with a stop and with scmd's own shutdown: every descendant is
// gone after either, and so are the service's cgroup directories.
func TestContainmentMatrix(t *testing.T) {
	for _, host := range hostKinds {
		for _, end := range []string{"net stop", "scmd shutdown"} {
			t.Run(host.name+"/"+strings.ReplaceAll(end, " ", "-"), func(t *testing.T) {
				_, tmp, sock, cmd, m := startOn(t, host)
				defer m.Disconnect()
				pidsPath := filepath.Join(tmp, "pids")
				s, err := m.CreateService("contained", filepath.Join(binDir, "testsvc"), mgr.Config{}, "-mode", "descendants", "-pids", pidsPath)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if err := s.Start(); err != nil {
					t.Fatal(err)
				}
				st := waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
				pids := descendantPIDs(t, pidsPath)
				if end == "net stop" {
					if out, err := exec.Command(filepath.Join(binDir, "net"), "stop", "contained").CombinedOutput(); err != nil {
						t.Fatalf("net stop: %v\n%s", err, out)
					}
					waitGone(t, pids)
					if alive(int(st.ProcessId)) {
						t.Errorf("the service process %d survived", st.ProcessId)
					}
					waitFor(t, func() bool { return len(subgroups(sock)) == 0 })
					return
				}
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
				waitGone(t, pids)
				if left := existing(scmCgroupDirs(sock)); len(left) != 0 {
					for _, g := range subgroups(sock) {
						procs, _ := os.ReadFile(filepath.Join(g, "cgroup.procs"))
						events, _ := os.ReadFile(filepath.Join(g, "cgroup.events"))
						t.Logf("left: %s, processes %q, events %q", g, procs, events)
					}
					t.Errorf("cgroup directories left after shutdown: %v", left)
				}
			})
		}
	}
}

// TestStopAfterRestartKillsOnlyItsService: a service adopted by a restarted
// scmd keeps running when another service, started by the new scmd, is
// stopped (the new one's group must not be the adopted one's).
func TestStopAfterRestartKillsOnlyItsService(t *testing.T) {
	for _, host := range hostKinds {
		t.Run(host.name, func(t *testing.T) {
			state, _, sock, cmd, m := startOn(t, host)
			exe := filepath.Join(binDir, "testsvc")
			for _, name := range []string{"a", "b"} {
				s, err := m.CreateService(name, exe, mgr.Config{})
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
			}
			a, _ := m.OpenService("a")
			b, _ := m.OpenService("b")
			for _, s := range []*mgr.Service{a, b} {
				if err := s.Start(); err != nil {
					t.Fatal(err)
				}
				waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
			}
			a.Control(svc.Stop)
			waitStatus(t, a, "stopped", stoppedWith(0))
			bst, _ := b.Query()
			a.Close()
			b.Close()
			m.Disconnect()

			cmd.Process.Kill()
			cmd.Wait()
			cmd = host.start(t, state, sock)
			m, err := mgr.Connect()
			if err != nil {
				t.Fatal(err)
			}
			defer m.Disconnect()
			a, _ = m.OpenService("a")
			defer a.Close()
			b, _ = m.OpenService("b")
			defer b.Close()
			waitStatus(t, b, "adopted", func(st svc.Status) bool { return st.State == svc.Running && st.ProcessId == bst.ProcessId })
			if err := a.Start(); err != nil {
				t.Fatal(err)
			}
			ast := waitStatus(t, a, "running", func(st svc.Status) bool { return st.State == svc.Running })
			aGroups := groupsOf(int(ast.ProcessId))
			a.Control(svc.Stop)
			waitStatus(t, a, "stopped", stoppedWith(0))
			// Once a's group is gone, whatever stopping a killed is dead.
			waitFor(t, func() bool { return !alive(int(ast.ProcessId)) && len(existing(aGroups)) == 0 })
			if !alive(int(bst.ProcessId)) {
				t.Fatalf("stopping a killed b (process %d)", bst.ProcessId)
			}
			if st, err := b.Control(svc.Interrogate); err != nil || st.State != svc.Running {
				t.Fatalf("b after a stopped: %+v, %v", st, err)
			}
			// Shutting down, the new scmd stops the adopted b too, and
			// leaves no group behind, the adopted one's included.
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			waitGone(t, map[string]int{"b": int(bst.ProcessId)})
			if left := existing(scmCgroupDirs(sock)); len(left) != 0 {
				t.Errorf("cgroup directories left after shutdown: %v", left)
			}
		})
	}
}

// waitTracked waits, on a host without cgroups, until scmd's record of
// whose process is which (processes.json) names a process: a process
// forked just before scmd is killed may be missing from it.
func waitTracked(t *testing.T, host hostKind, state string, pid int) {
	t.Helper()
	if host.name != "no-cgroup" {
		return
	}
	waitFor(t, func() bool {
		b, _ := os.ReadFile(filepath.Join(state, "processes.json"))
		return strings.Contains(string(b), `"pid":`+strconv.Itoa(pid)+",")
	})
}

// TestOrphansOfDeadHostKilledBeforeRestart: a host dies while scmd is down
// and leaves descendants running; the restarted scmd kills them before the
// service's failure action starts it again, so it never runs twice.
func TestOrphansOfDeadHostKilledBeforeRestart(t *testing.T) {
	for _, host := range hostKinds {
		t.Run(host.name, func(t *testing.T) {
			state, tmp, sock, cmd, m := startOn(t, host)
			pidsPath, logPath := filepath.Join(tmp, "pids"), filepath.Join(tmp, "log")
			s, err := m.CreateService("orphaner", filepath.Join(binDir, "testsvc"), mgr.Config{}, "-mode", "descendants", "-pids", pidsPath, "-log", logPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 10 * time.Millisecond}}, 60); err != nil {
				t.Fatal(err)
			}
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			st := waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
			pids := descendantPIDs(t, pidsPath)
			for _, pid := range pids {
				waitTracked(t, host, state, pid)
			}
			s.Close()
			m.Disconnect()

			cmd.Process.Kill()
			cmd.Wait()
			syscall.Kill(int(st.ProcessId), syscall.SIGKILL)
			waitFor(t, func() bool { return !alive(int(st.ProcessId)) })

			// The restarted copy forks descendants of its own as the test
			// ends; without cgroups, one forked as scmd stops may not be
			// tracked yet. They go after scmd has stopped (this cleanup
			// runs after scmd's), whatever scmd did.
			t.Cleanup(func() {
				b, _ := os.ReadFile(pidsPath)
				for _, line := range strings.Split(string(b), "\n") {
					if f := strings.Fields(line); len(f) == 2 {
						if pid, _ := strconv.Atoi(f[1]); pid > 0 && alive(pid) {
							syscall.Kill(pid, syscall.SIGKILL)
						}
					}
				}
			})
			host.start(t, state, sock)
			waitFor(t, func() bool {
				b, _ := os.ReadFile(logPath)
				return strings.Contains(string(b), `execute args=["orphaner"] reason=8`)
			})
			b, _ := os.ReadFile(logPath)
			if strings.Contains(string(b), "leftover alive") {
				t.Errorf("the restarted copy ran beside the first one's descendants:\n%s", b)
			}
			waitGone(t, pids)
		})
	}
}

// TestOrphanOfDeadWrapperKilledBeforeRestart: scm-wrap dies while scmd is
// down and the program it ran keeps running; the restarted scmd kills the
// program before the failure action starts the service, and so a second
// copy of the program.
func TestOrphanOfDeadWrapperKilledBeforeRestart(t *testing.T) {
	for _, host := range hostKinds {
		t.Run(host.name, func(t *testing.T) {
			state, tmp, sock, cmd, m := startOn(t, host)
			pidPath, logPath := filepath.Join(tmp, "pid"), filepath.Join(tmp, "log")
			// The program says whether the copy before it is still alive.
			prog := script(t, `old=$(cat "$1" 2>/dev/null)
if [ -n "$old" ] && [ "$(awk '{print $3}' /proc/$old/stat 2>/dev/null)" != "" ] && [ "$(awk '{print $3}' /proc/$old/stat)" != Z ]; then
	echo "leftover alive pid=$old" >> "$2"
fi
echo $$ > "$1"
echo "program started" >> "$2"
exec sleep 1000
`)
			s := wrapped(t, m, "wrapped", nil, prog, pidPath, logPath)
			if err := s.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 10 * time.Millisecond}}, 60); err != nil {
				t.Fatal(err)
			}
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			st := waitStatus(t, s, "running", running)
			var program int
			waitFor(t, func() bool {
				b, _ := os.ReadFile(pidPath)
				program, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return program != 0
			})
			t.Cleanup(func() { syscall.Kill(program, syscall.SIGKILL) })
			waitTracked(t, host, state, program)
			m.Disconnect()

			cmd.Process.Kill()
			cmd.Wait()
			syscall.Kill(int(st.ProcessId), syscall.SIGKILL)
			waitFor(t, func() bool { return !alive(int(st.ProcessId)) })
			if !alive(program) {
				t.Fatal("the program died with scm-wrap: nothing to test")
			}

			host.start(t, state, sock)
			waitFor(t, func() bool {
				b, _ := os.ReadFile(logPath)
				return strings.Count(string(b), "program started") == 2
			})
			b, _ := os.ReadFile(logPath)
			if strings.Contains(string(b), "leftover alive") {
				t.Errorf("the program ran twice:\n%s", b)
			}
			waitGone(t, map[string]int{"program": program})
		})
	}
}

// TestRestrictedServiceInCgroup1Group: on a host with cgroup v1 only, the
// thread that forks a service both joins the service's group and takes
// its capabilities; the service has both, and no thread of scmd stays in
// the group or keeps the restriction.
func TestRestrictedServiceInCgroup1Group(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the machine's SCM runs as root")
	}
	skipWithoutCgroup1(t)
	own := capsOfPID(t, uint32(os.Getpid()))
	_, _, sock, cmd, m := startOn(t, hostKinds[1])
	defer m.Disconnect()
	s := installTestService(t, m, "restricted")
	privSC(t, "privs", "restricted", "SeChangeNotifyPrivilege")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
	if got := capsOfPID(t, st.ProcessId); got.Eff != 0 || got.Bnd != 0 {
		t.Errorf("CapEff %x CapBnd %x, want 0 and 0", got.Eff, got.Bnd)
	}
	if len(groupsOf(int(st.ProcessId))) == 0 {
		t.Errorf("service process %d is in no group of the SCM's", st.ProcessId)
	}
	scmd := cmd.Process.Pid
	waitFor(t, func() bool {
		tasks, _ := os.ReadDir(filepath.Join("/proc", strconv.Itoa(scmd), "task"))
		for _, task := range tasks {
			b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(scmd), "task", task.Name(), "cgroup"))
			if serviceGroup.Match(b) {
				return false
			}
		}
		return len(taintedThreads(t, scmd, own)) == 0
	})
	s.Control(svc.Stop)
	waitStatus(t, s, "stopped", stoppedWith(0))
	waitFor(t, func() bool { return len(subgroups(sock)) == 0 })
}
