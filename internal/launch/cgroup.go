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
)

// cgroups puts each service process in a cgroup v2 group of its own, so
// that everything it starts can be found and killed, however it daemonized.
// Without a writable cgroup v2 hierarchy the launcher falls back to process
// groups (and its subreaper collects what escapes them).
type cgroups struct {
	base string // a directory under the SCM's own cgroup
}

// newCgroups finds the cgroup2 mount and the SCM's own group in it, and
// makes a directory for services there; nil if that is not possible.
func newCgroups(name string) *cgroups {
	mount := cgroup2Mount()
	if mount == "" {
		return nil
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	var rel string
	for _, line := range strings.Split(string(own), "\n") {
		if strings.HasPrefix(line, "0::") {
			rel = strings.TrimPrefix(line, "0::")
		}
	}
	base := filepath.Join(mount, rel, name)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil
	}
	return &cgroups{base: base}
}

func cgroup2Mount() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		for i, field := range fields {
			if field == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" {
				return fields[4]
			}
		}
	}
	return ""
}

// create makes the group for one process and returns it open, for
// clone3's CLONE_INTO_CGROUP: the child is in the group before it runs.
func (c *cgroups) create(id uint64) (string, *os.File, error) {
	dir := filepath.Join(c.base, strconv.FormatUint(id, 10))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", nil, err
	}
	f, err := os.Open(dir)
	if err != nil {
		return "", nil, err
	}
	return dir, f, nil
}

// kill ends every process in a group: cgroup.kill where the kernel has it,
// else SIGKILL to each member until none is left.
func killGroup(dir string) {
	if err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0); err == nil {
		return
	}
	for i := 0; i < 100; i++ {
		pids := members(dir)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func members(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// removeGroup removes an empty group; it fails while members remain.
func removeGroup(dir string) error {
	if err := os.Remove(dir); err != nil {
		return fmt.Errorf("removing cgroup %s: %w", dir, err)
	}
	return nil
}
