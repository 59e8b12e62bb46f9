package e2e

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

var soakStarts = flag.Int("soak-starts", 500, "service starts in each phase of TestResourceSoak")

// TestResourceSoak flaps 50 services (each crashes 50 ms after RUNNING
// and its failure action restarts it) and checks that scmd gives back what
// each flap costs: measured at rest after a first phase and again after a
// second, its descriptors and cgroups are the same, it has no zombie child,
// and its resident memory has not grown past what the Go heap's slack
// explains. docs/reliability.md lists the figures of a long run.
func TestResourceSoak(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	scmd := startSCMD(t, state, sock)
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	logPath := filepath.Join(t.TempDir(), "soak.log")
	var all []*mgr.Service
	for i := 0; i < 50; i++ {
		s, err := m.CreateService(fmt.Sprintf("flap%02d", i), filepath.Join(binDir, "testsvc"), mgr.Config{}, "-mode", "crash-running", "-log", logPath)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		all = append(all, s)
	}
	flapUntil := func(starts int) {
		t.Helper()
		for _, s := range all {
			setStartType(t, s, mgr.StartManual)
			if err := s.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 100 * time.Millisecond}}, 0); err != nil {
				t.Fatal(err)
			}
			// A restart its failure action scheduled before the rest may
			// come due now that the service may start again, and start
			// it first.
			if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
				t.Fatal(err)
			}
		}
		eventually(t, 5*time.Minute, func() string {
			return fmt.Sprintf("only %d of %d starts", countStarts(logPath), starts)
		}, func() bool { return countStarts(logPath) >= starts })
		// Rest: every service stopped, and none restarted: a restart
		// already scheduled finds its service disabled (1058).
		for _, s := range all {
			setStartType(t, s, mgr.StartDisabled)
		}
		for _, s := range all {
			waitStatus(t, s, "stopped", func(st svc.Status) bool { return st.State == svc.Stopped })
		}
		// The groups of finished hosts go once their last process has;
		// measure after that.
		eventually(t, 30*time.Second, func() string {
			return fmt.Sprintf("service cgroups left at rest: %v", subgroups(sock))
		}, func() bool { return len(subgroups(sock)) == 0 })

	}

	flapUntil(*soakStarts)
	before := measure(t, scmd.Process.Pid, sock)
	flapUntil(2 * *soakStarts)
	after := measure(t, scmd.Process.Pid, sock)
	t.Logf("after %d starts: %s; after %d: %s", *soakStarts, before, 2**soakStarts, after)

	if after.fds > before.fds+2 { // a descriptor or two may be in flight
		t.Errorf("descriptors grew from %d to %d", before.fds, after.fds)
	}
	if before.zombies+after.zombies != 0 {
		t.Errorf("zombie children: %d, then %d", before.zombies, after.zombies)
	}
	if before.cgroups+after.cgroups != 0 {
		t.Errorf("service cgroups at rest: %d, then %d", before.cgroups, after.cgroups)
	}
	if after.rssKB > before.rssKB+16<<10 {
		t.Errorf("resident memory grew from %d kB to %d kB", before.rssKB, after.rssKB)
	}
}

func (u usage) String() string {
	return fmt.Sprintf("RSS %d kB, %d descriptors, %d zombies, %d service cgroups", u.rssKB, u.fds, u.zombies, u.cgroups)
}

func setStartType(t *testing.T, s *mgr.Service, start uint32) {
	t.Helper()
	c, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	c.StartType = start
	if err := s.UpdateConfig(c); err != nil {
		t.Fatal(err)
	}
}

func countStarts(logPath string) int {
	b, _ := os.ReadFile(logPath)
	return strings.Count(string(b), "process pid=")
}

type usage struct {
	rssKB, fds, zombies, cgroups int
}

// measure reads what scmd holds: resident memory, open descriptors, the
// children it has not reaped, and the cgroups it has left for services.
func measure(t *testing.T, pid int, sock string) usage {
	t.Helper()
	u := usage{rssKB: memoryKB(t, pid, "VmRSS"), fds: openFiles(t, pid), cgroups: len(subgroups(sock))}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, child := range strings.Fields(string(b)) {
			stat, err := os.ReadFile("/proc/" + child + "/stat")
			if err != nil {
				continue
			}
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				u.zombies++
			}
		}
	}
	return u
}
