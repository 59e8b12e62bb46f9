package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
	"golang.org/x/sys/unix"
)

// procCaps is what /proc/PID/status says of a process's capabilities.
type procCaps struct {
	Eff, Prm, Bnd, Inh, Amb uint64
	NoNewPrivs              bool
	PPid                    int
}

func capsOfPID(t *testing.T, pid uint32) procCaps {
	t.Helper()
	c, ok := capsOfTask(pid)
	if !ok {
		t.Fatalf("process %d is gone", pid)
	}
	return c
}

// capsOfTask reads a process's or thread's capabilities; false if it is
// gone.
func capsOfTask(pid uint32) (procCaps, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(int(pid)), "status"))
	if err != nil {
		return procCaps{}, false
	}
	var c procCaps
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, _ := strconv.ParseUint(f[1], 16, 64)
		switch f[0] {
		case "CapEff:":
			c.Eff = n
		case "CapPrm:":
			c.Prm = n
		case "CapBnd:":
			c.Bnd = n
		case "CapInh:":
			c.Inh = n
		case "CapAmb:":
			c.Amb = n
		case "PPid:":
			c.PPid, _ = strconv.Atoi(f[1])
		case "NoNewPrivs:":
			c.NoNewPrivs = f[1] == "1"
		}
	}
	return c, true
}

func capBits(list ...int) uint64 {
	var b uint64
	for _, c := range list {
		b |= 1 << uint(c)
	}
	return b
}

// privSC runs the sc command against the test's scmd.
func privSC(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(filepath.Join(binDir, "sc"), args...).CombinedOutput(); err != nil {
		t.Fatalf("sc %v: %v\n%s", args, err, out)
	}
}

// runningCaps starts a service, reads its process's capabilities while it
// runs, and stops it.
func runningCaps(t *testing.T, s *mgr.Service) procCaps {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	st := waitStatus(t, s, "running", func(st svc.Status) bool { return st.State == svc.Running })
	c := capsOfPID(t, st.ProcessId)
	s.Control(svc.Stop)
	waitStatus(t, s, "stopped", func(st svc.Status) bool { return st.State == svc.Stopped })
	return c
}

// TestRequiredPrivileges checks that a service's RequiredPrivileges are
// what its process gets, mapped to capabilities: a LocalSystem service
// that names only SeChangeNotifyPrivilege has no capability at all, not
// even in its bounding set; one that names backup and shutdown has exactly
// CAP_DAC_READ_SEARCH and CAP_SYS_BOOT; one that names none keeps all.
func TestRequiredPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the machine's SCM runs as root")
	}
	own := capsOfPID(t, uint32(os.Getpid()))
	m := startSCMDShortTimeouts(t)
	cases := []struct {
		name, privs string
		want        uint64 // effective, permitted and bounding
	}{
		{"privNotify", "SeChangeNotifyPrivilege", 0},
		{"privBackup", "SeBackupPrivilege/SeShutdownPrivilege", capBits(unix.CAP_DAC_READ_SEARCH, unix.CAP_SYS_BOOT) & own.Eff},
		{"privNice", "SeIncreaseBasePriorityPrivilege/SeDebugPrivilege", capBits(unix.CAP_SYS_NICE, unix.CAP_SYS_PTRACE, unix.CAP_KILL) & own.Eff},
		{"privAll", "", own.Eff}, // after the others: what they dropped stayed with them
	}
	var scmd int
	for _, c := range cases {
		s := installTestService(t, m, c.name)
		if c.privs != "" {
			privSC(t, "privs", c.name, c.privs)
		}
		got := runningCaps(t, s)
		scmd = got.PPid
		wantBnd := c.want
		if c.privs == "" {
			wantBnd = own.Bnd
		}
		if got.Eff != c.want || got.Prm != c.want || got.Bnd != wantBnd || got.Amb != 0 {
			t.Errorf("%s (%q): CapEff %x CapPrm %x CapBnd %x CapAmb %x; want %x, %x, %x, 0",
				c.name, c.privs, got.Eff, got.Prm, got.Bnd, got.Amb, c.want, c.want, wantBnd)
		}
		if got.NoNewPrivs {
			t.Errorf("%s: no_new_privs set for an unrestricted service", c.name)
		}
	}
	// The threads that forked restricted services end with the goroutine
	// that locked them; once they have, every thread scmd has left keeps
	// the full bounding set. A spent thread may take a moment to exit, so
	// wait for that, not for a fixed time.
	eventually(t, 10*time.Second, func() string {
		return fmt.Sprintf("scmd threads with capabilities dropped: %v", taintedThreads(t, scmd, own))
	}, func() bool { return len(taintedThreads(t, scmd, own)) == 0 })
}

// taintedThreads lists scmd's threads whose bounding or effective set is
// not scmd's own, or that have no_new_privs.
func taintedThreads(t *testing.T, scmd int, own procCaps) []string {
	t.Helper()
	tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(scmd), "task"))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("scmd's threads: %v", err)
	}
	var out []string
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if got, ok := capsOfTask(uint32(tid)); ok && (got.Bnd != own.Bnd || got.Eff != own.Eff || got.NoNewPrivs) {
			out = append(out, fmt.Sprintf("%d: CapBnd %x CapEff %x NoNewPrivs %v", tid, got.Bnd, got.Eff, got.NoNewPrivs))
		}
	}
	return out
}

// TestRestrictedSIDSetsNoNewPrivs checks that a service whose SID type is
// restricted runs with no_new_privs: no exec can give it more.
func TestRestrictedSIDSetsNoNewPrivs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the machine's SCM runs as root")
	}
	m := startSCMDShortTimeouts(t)
	s := installTestService(t, m, "privRestricted")
	privSC(t, "sidtype", "privRestricted", "restricted")
	if got := runningCaps(t, s); !got.NoNewPrivs {
		t.Errorf("restricted SID: NoNewPrivs is 0")
	}
	privSC(t, "sidtype", "privRestricted", "unrestricted")
	if got := runningCaps(t, s); got.NoNewPrivs {
		t.Errorf("unrestricted SID: NoNewPrivs is 1")
	}
}

// TestServiceAccountPrivileges checks LocalService: with no list it gets
// what Windows gives the account (Generate security audits, Adjust memory
// quotas, Shut down the system, Change the system time), as ambient
// capabilities of a non-root process; with a list, only that; and a
// privilege the account does not hold fails the start with 1297, as on
// Windows.
func TestServiceAccountPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the machine's SCM runs as root")
	}
	own := capsOfPID(t, uint32(os.Getpid()))
	m := startSCMDShortTimeouts(t)
	s, err := m.CreateService("privLocal", filepath.Join(binDir, "testsvc"), mgr.Config{ServiceStartName: `NT AUTHORITY\LocalService`})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	want := capBits(unix.CAP_AUDIT_WRITE, unix.CAP_SYS_RESOURCE, unix.CAP_SYS_TIME) & own.Eff
	got := runningCaps(t, s)
	if got.Eff != want || got.Prm != want || got.Amb != want || got.Bnd != own.Bnd {
		t.Errorf("LocalService: CapEff %x CapPrm %x CapAmb %x CapBnd %x; want %x, %x, %x, %x", got.Eff, got.Prm, got.Amb, got.Bnd, want, want, want, own.Bnd)
	}

	// SeShutdownPrivilege is held, so the service starts, but not as
	// CAP_SYS_BOOT, which would let it kexec a kernel of its own.
	privSC(t, "privs", "privLocal", "SeShutdownPrivilege/SeSystemtimePrivilege/SeImpersonatePrivilege")
	want = capBits(unix.CAP_SYS_TIME) & own.Eff
	got = runningCaps(t, s)
	if got.Eff != want || got.Prm != want || got.Amb != want || got.Bnd != want {
		t.Errorf("LocalService with SeShutdown, SeSystemtime: CapEff %x CapPrm %x CapAmb %x CapBnd %x; want %x in each", got.Eff, got.Prm, got.Amb, got.Bnd, want)
	}

	privSC(t, "privs", "privLocal", "SeBackupPrivilege")
	if err := s.Start(); err != windows.ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE {
		t.Errorf("LocalService requiring SeBackupPrivilege: start gave %v, want 1297", err)
	}
}

// TestSharedHostPrivileges checks that a share-process host gets the
// union of the privileges of the services configured to share it, from
// its first start, as Windows computes its token once for all of them.
func TestSharedHostPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the machine's SCM runs as root")
	}
	own := capsOfPID(t, uint32(os.Getpid()))
	m := startSCMDShortTimeouts(t)
	privs := map[string]string{"privShareA": "SeBackupPrivilege", "privShareB": "SeShutdownPrivilege"}
	var a *mgr.Service
	for _, name := range []string{"privShareA", "privShareB"} {
		s, err := m.CreateService(name, filepath.Join(binDir, "testsvc"), mgr.Config{ServiceType: windows.SERVICE_WIN32_SHARE_PROCESS}, "-share", "privShareA,privShareB")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		privSC(t, "privs", name, privs[name])
		if a == nil {
			a = s
		}
	}
	want := capBits(unix.CAP_DAC_READ_SEARCH, unix.CAP_SYS_BOOT) & own.Eff
	if got := runningCaps(t, a); got.Eff != want || got.Bnd != want {
		t.Errorf("shared host: CapEff %x CapBnd %x; want %x (the union)", got.Eff, got.Bnd, want)
	}
}
