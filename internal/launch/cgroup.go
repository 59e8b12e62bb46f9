package launch

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroups puts each service process in a cgroup of its own, so that
// everything it starts can be found and killed however it daemonized
// (setsid, double fork, a process group of its own): on Windows a service
// cannot leave processes behind that the SCM does not know of, since a job
// object or the process tree names them all. A cgroup v2 hierarchy is used
// where the kernel offers a writable one; otherwise a cgroup v1 hierarchy
// with the freezer controller (so a group is killed frozen, and nothing in
// it forks meanwhile) or the pids controller. Without either the launcher
// falls back to process groups, and its subreaper collects what escapes
// them.
//
// Group names carry the generation of the scmd that made them (its pid and
// start time), so an scmd started after another was killed never makes, and
// never joins, a group that holds an adopted host: killing one service's
// group cannot touch another's.
type cgroups struct {
	mount   string // where the hierarchy is mounted
	v1      bool   // a v1 hierarchy: joined by a thread, not by CLONE_INTO_CGROUP
	freezer bool   // v1 with the freezer controller
	control string // v1: the controller that names the hierarchy in /proc/PID/cgroup
	home    string // the SCM's own group, where a joining thread returns (v1)
	base    string // the SCM's directory of service groups, under home
	gen     string // this scmd's generation: the prefix of the groups it makes
}

// newCgroups finds a writable hierarchy (v2, else v1 freezer, else v1
// pids) and the SCM's own group in it, and makes the directory for its
// services' groups there; nil if that is not possible.
func newCgroups(name string) *cgroups {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	start, err := StartTime(os.Getpid())
	if err != nil {
		return nil
	}
	gen := fmt.Sprintf("%d.%d", os.Getpid(), start)
	mounts := cgroupMounts()
	candidates := []*cgroups{}
	for _, m := range mounts {
		if m.fstype == "cgroup2" {
			candidates = append(candidates, &cgroups{mount: m.dir})
			break
		}
	}
	for _, controller := range []string{"freezer", "pids"} {
		for _, m := range mounts {
			if m.fstype == "cgroup" && m.has(controller) {
				candidates = append(candidates, &cgroups{mount: m.dir, v1: true, freezer: controller == "freezer", control: controller})
				break
			}
		}
	}
	for _, c := range candidates {
		rel, ok := c.groupIn(string(own))
		if !ok {
			continue
		}
		c.home = filepath.Join(c.mount, rel)
		c.base = filepath.Join(c.home, name)
		c.gen = gen
		if err := os.MkdirAll(c.base, 0o755); err == nil {
			return c
		}
	}
	return nil
}

type cgroupMount struct {
	dir, fstype string
	options     []string // the super block's options: a v1 hierarchy's controllers
}

func (m cgroupMount) has(option string) bool {
	for _, o := range m.options {
		if o == option {
			return true
		}
	}
	return false
}

func cgroupMounts() []cgroupMount {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var mounts []cgroupMount
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		for i, field := range fields {
			if field == "-" && i+3 < len(fields) && (fields[i+1] == "cgroup2" || fields[i+1] == "cgroup") {
				mounts = append(mounts, cgroupMount{dir: fields[4], fstype: fields[i+1], options: strings.Split(fields[i+3], ",")})
			}
		}
	}
	return mounts
}

// groupIn finds this hierarchy's line in the text of a /proc/PID/cgroup and
// returns the group it names.
func (c *cgroups) groupIn(procCgroup string) (string, bool) {
	for _, line := range strings.Split(procCgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if !c.v1 && parts[0] == "0" && parts[1] == "" {
			return parts[2], true
		}
		if c.v1 {
			for _, controller := range strings.Split(parts[1], ",") {
				if controller == c.control {
					return parts[2], true
				}
			}
		}
	}
	return "", false
}

// groupOf finds the group a process is in, if it is one of this SCM's
// services' groups (of this scmd or an earlier one).
func (c *cgroups) groupOf(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return ""
	}
	rel, ok := c.groupIn(string(b))
	if !ok {
		return ""
	}
	dir := filepath.Join(c.mount, rel)
	if !strings.HasPrefix(dir, c.base+"/") {
		return ""
	}
	// The service's own group, should the process have made subgroups.
	return filepath.Join(c.base, strings.SplitN(strings.TrimPrefix(dir, c.base+"/"), "/", 2)[0])
}

// create makes a new, empty group for one process. A group that exists
// already is an error, never joined: it may hold another service.
func (c *cgroups) create(id uint64) (string, error) {
	dir := filepath.Join(c.base, c.gen+"-"+strconv.FormatUint(id, 10))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("making cgroup for a service process: %w", err)
	}
	return dir, nil
}

// forkExecV2 runs fork with the process it creates born inside group dir,
// through clone3's CLONE_INTO_CGROUP: fork is called with attr (which it
// must pass to the fork) prepared. v1 has forkFromThreadInV1Group.
func (c *cgroups) forkExecV2(dir string, attr *syscall.ProcAttr, fork func() (int, error)) (int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	attr.Sys.UseCgroupFD = true
	attr.Sys.CgroupFD = int(f.Fd())
	return fork()
}

// kill ends every process in a group and its subgroups: cgroup.kill on v2
// where the kernel has it; on v1 the group is frozen first, so that no
// member forks between the reading of the list and the signals.
func (c *cgroups) kill(dir string) {
	if !c.v1 {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0); err == nil {
			return
		}
	}
	asked, frozen := false, false
	if c.freezer {
		asked, frozen = c.freeze(dir, "FROZEN")
	}
	for i := 0; i < 100; i++ {
		pids := members(dir)
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if frozen {
			break // all listed: none could fork; they die when thawed
		}
	}
	if asked {
		// Thawed even when freezing did not settle in time: a group left
		// FREEZING keeps its killed members alive for good.
		c.freeze(dir, "THAWED")
	}
}

// freeze sets a v1 freezer group's state and waits until it holds: asked
// reports whether the state was written, settled whether it took.
func (c *cgroups) freeze(dir, state string) (asked, settled bool) {
	path := filepath.Join(dir, "freezer.state")
	if err := os.WriteFile(path, []byte(state), 0); err != nil {
		return false, false
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		b, err := os.ReadFile(path)
		if err != nil {
			return true, false
		}
		if strings.TrimSpace(string(b)) == state {
			return true, true
		}
		time.Sleep(time.Millisecond) // FREEZING: the kernel has no event for the end of it
	}
	return true, false
}

// members lists the processes in a group and its subgroups; never scmd
// itself (a v1 group holds a thread of scmd while it forks a service).
func members(dir string) []int {
	var pids []int
	self := os.Getpid()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
		if err != nil {
			return nil
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid != self {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// waitEmpty waits until no process is left in a group (and its subgroups)
// or the timeout passes, watching the members' exits through pidfds.
func waitEmpty(dir string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if busy, known := populated(dir); known && !busy {
			return true
		}
		pids := members(dir)
		if len(pids) == 0 {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		var fds []unix.PollFd
		for _, pid := range pids {
			if fd, err := unix.PidfdOpen(pid, 0); err == nil {
				fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
			}
		}
		if len(fds) > 0 {
			unix.Poll(fds, int(left.Milliseconds())+1)
		} else {
			time.Sleep(time.Millisecond) // listed but gone already: the list catches up
		}
		for _, fd := range fds {
			unix.Close(int(fd.Fd))
		}
	}
}

// populated reports whether a v2 group or a subgroup of it has a process;
// known is false where the kernel does not say (v1).
func populated(dir string) (busy, known bool) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return false, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "populated "); ok {
			return v != "0", true
		}
	}
	return false, false
}

// remove removes a group and the subgroups a service made in it; it fails
// while processes remain. A group already gone is not an error.
func removeGroup(dir string) error {
	if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
		return nil // most groups have no subgroup: one rmdir
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeGroup(filepath.Join(dir, e.Name()))
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing cgroup %s: %w", dir, err)
	}
	return nil
}

// leftovers lists the groups under the SCM's directory that an earlier
// scmd made and that no host adopted since claims.
func (c *cgroups) leftovers(claimed map[string]bool) []string {
	entries, err := os.ReadDir(c.base)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, e := range entries {
		dir := filepath.Join(c.base, e.Name())
		if e.IsDir() && !strings.HasPrefix(e.Name(), c.gen+"-") && !claimed[dir] {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}
