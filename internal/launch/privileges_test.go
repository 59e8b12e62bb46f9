package launch

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// The table names every privilege RequiredPrivileges accepts, once.
func TestPrivilegeTableIsComplete(t *testing.T) {
	inTable := map[string]int{}
	for _, p := range privilegeTable {
		inTable[p.name]++
	}
	for _, name := range services.Privileges {
		if inTable[name] != 1 {
			t.Errorf("%s appears %d times in the table", name, inTable[name])
		}
	}
	if len(privilegeTable) != len(services.Privileges) {
		t.Errorf("the table has %d privileges, Windows %d", len(privilegeTable), len(services.Privileges))
	}
	for _, list := range [][]string{localServicePrivileges, networkServicePrivileges, userPrivileges} {
		for _, name := range list {
			if inTable[name] != 1 {
				t.Errorf("an account holds %s, which the table does not know", name)
			}
		}
	}
}

func TestPrivilegeCaps(t *testing.T) {
	cases := []struct {
		privs []string
		want  capSet
	}{
		{[]string{"SeChangeNotifyPrivilege"}, 0},
		{[]string{"SeBackupPrivilege"}, caps(unix.CAP_DAC_READ_SEARCH)},
		{[]string{"SeRestorePrivilege"}, caps(unix.CAP_DAC_OVERRIDE, unix.CAP_CHOWN, unix.CAP_FOWNER, unix.CAP_FSETID)},
		{[]string{"SeDebugPrivilege"}, caps(unix.CAP_SYS_PTRACE, unix.CAP_KILL)},
		{[]string{"SeShutdownPrivilege"}, caps(unix.CAP_SYS_BOOT)},
		{[]string{"SeSystemtimePrivilege"}, caps(unix.CAP_SYS_TIME)},
		{[]string{"SeLoadDriverPrivilege"}, caps(unix.CAP_SYS_MODULE)},
		{[]string{"SeTakeOwnershipPrivilege"}, caps(unix.CAP_CHOWN, unix.CAP_FOWNER)},
		{[]string{"SeIncreaseBasePriorityPrivilege"}, caps(unix.CAP_SYS_NICE)},
		{[]string{"SeLockMemoryPrivilege"}, caps(unix.CAP_IPC_LOCK)},
		{[]string{"SeImpersonatePrivilege"}, caps(unix.CAP_SETUID, unix.CAP_SETGID)},
		{[]string{"SeAssignPrimaryTokenPrivilege"}, caps(unix.CAP_SETUID, unix.CAP_SETGID)},
		{[]string{"SeSecurityPrivilege"}, caps(unix.CAP_AUDIT_CONTROL, unix.CAP_AUDIT_READ)},
		{[]string{"sebackupprivilege", "SESHUTDOWNPRIVILEGE"}, caps(unix.CAP_DAC_READ_SEARCH, unix.CAP_SYS_BOOT)},
	}
	for _, c := range cases {
		if got := privilegeCaps(c.privs); got != c.want {
			t.Errorf("%v: %v, want %v", c.privs, got, c.want)
		}
	}
	// Every privilege together stands for no capability that is not a
	// kernel capability.
	if all := privilegeCaps(nil); all>>uint(unix.CAP_LAST_CAP+1) != 0 {
		t.Errorf("every privilege: %v", all)
	}
	if got := caps(unix.CAP_DAC_READ_SEARCH, unix.CAP_SYS_BOOT).String(); got != "CAP_DAC_READ_SEARCH|CAP_SYS_BOOT" {
		t.Errorf("String: %s", got)
	}
}

func TestPlanPrivileges(t *testing.T) {
	own, err := threadCaps()
	if err != nil {
		t.Fatal(err)
	}
	if !own.effective.has(unix.CAP_SETPCAP) {
		t.Skip("needs CAP_SETPCAP")
	}
	root := &identity{uid: 0}
	nonRoot := &identity{uid: 65534}
	cases := []struct {
		name    string
		spec    Spec
		who     *identity
		want    capSet
		bound   bool
		ambient bool
		err     windows.Errno
	}{
		{"LocalSystem keeps all", Spec{Account: "LocalSystem"}, root, own.permitted, false, false, 0},
		{"LocalSystem, notify only", Spec{Account: "LocalSystem", RequiredPrivileges: []string{"SeChangeNotifyPrivilege"}}, root, 0, true, false, 0},
		{"LocalSystem, backup", Spec{Account: "LocalSystem", RequiredPrivileges: []string{"SeBackupPrivilege"}}, root, caps(unix.CAP_DAC_READ_SEARCH), true, false, 0},
		{"LocalService's own", Spec{Account: `NT AUTHORITY\LocalService`}, nonRoot,
			caps(unix.CAP_AUDIT_WRITE, unix.CAP_SYS_RESOURCE, unix.CAP_SYS_TIME), false, true, 0},
		{"NetworkService's own", Spec{Account: `NT AUTHORITY\NetworkService`}, nonRoot,
			caps(unix.CAP_AUDIT_WRITE, unix.CAP_SYS_RESOURCE), false, true, 0},
		{"LocalService impersonates without setuid", Spec{Account: `NT AUTHORITY\LocalService`, RequiredPrivileges: []string{"SeImpersonatePrivilege"}}, nonRoot, 0, true, false, 0},
		{"LocalService cannot back up", Spec{Account: `NT AUTHORITY\LocalService`, RequiredPrivileges: []string{"SeBackupPrivilege"}}, nonRoot, 0, false, false, windows.ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE},
		{"a user has none", Spec{Account: `.\nobody`}, nonRoot, 0, false, false, 0},
		{"a user cannot shut down", Spec{Account: `.\nobody`, RequiredPrivileges: []string{"SeShutdownPrivilege"}}, nonRoot, 0, false, false, windows.ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE},
	}
	for _, c := range cases {
		p, err := planPrivileges(c.spec, c.who)
		if err != c.err {
			t.Errorf("%s: error %v, want %v", c.name, err, c.err)
			continue
		}
		if err != 0 {
			continue
		}
		want := c.want & own.permitted
		if p.caps != want || p.bound != c.bound || p.ambient != (c.ambient && want != 0) || p.noNewPrivs {
			t.Errorf("%s: %+v, want caps %v bound %v ambient %v", c.name, p, want, c.bound, c.ambient)
		}
	}
	if p, _ := planPrivileges(Spec{Account: "LocalSystem", RestrictedSID: true}, root); !p.noNewPrivs {
		t.Error("a restricted SID does not set no_new_privs")
	}

	// An SCM that cannot cut the bounding set refuses a root service with
	// a list rather than run it with everything. A thread of its own,
	// without CAP_SETPCAP, stands for that SCM.
	code := make(chan windows.Errno)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is spent
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		unix.Capget(&hdr, &data[0])
		data[0].Effective &^= 1 << unix.CAP_SETPCAP
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			t.Error(err)
		}
		_, err := planPrivileges(Spec{Account: "LocalSystem", RequiredPrivileges: []string{"SeBackupPrivilege"}}, root)
		code <- err
	}()
	if err := <-code; err != windows.ERROR_PRIVILEGE_NOT_HELD {
		t.Errorf("without CAP_SETPCAP: %v, want 1314", err)
	}
}

// A restricted fork gives the child the plan's bounding set and
// no_new_privs, and leaves every thread the caller goes on using as it was.
func TestRestrictedFork(t *testing.T) {
	own, _ := threadCaps()
	if !own.effective.has(unix.CAP_SETPCAP) {
		t.Skip("needs CAP_SETPCAP")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	plan := privilegePlan{caps: caps(unix.CAP_SYS_BOOT), bound: true, noNewPrivs: true}
	attr := &syscall.ProcAttr{Files: []uintptr{0, w.Fd(), 2}}
	pid, err := plan.fork(func() (int, error) {
		return syscall.ForkExec("/bin/cat", []string{"cat", "/proc/self/status"}, attr)
	})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	out := make([]byte, 1<<16)
	n, _ := r.Read(out)
	status := string(out[:n])
	for _, want := range []string{"CapBnd:\t0000000000400000", "CapEff:\t0000000000400000", "NoNewPrivs:\t1"} {
		if !strings.Contains(status, want) {
			t.Errorf("child lacks %q:\n%s", want, status)
		}
	}
	// Many goroutines, many threads: none has lost anything.
	done := make(chan capabilities)
	for i := 0; i < 20; i++ {
		go func() { c, _ := threadCaps(); done <- c }()
	}
	for i := 0; i < 20; i++ {
		if c := <-done; c != own {
			t.Fatalf("a thread has %+v after the fork, had %+v", c, own)
		}
	}
	var nnp int
	if v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err == nil {
		nnp = v
	}
	if nnp != 0 {
		t.Error("no_new_privs leaked into the caller's thread")
	}
}

// docs/privileges.md shows the table the code uses.
func TestPrivilegeTableDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/privileges.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "|")
		if len(f) == 5 && strings.HasPrefix(strings.TrimSpace(f[1]), "Se") {
			documented[strings.TrimSpace(f[1])] = strings.TrimSpace(f[2])
		}
	}
	for _, p := range privilegeTable {
		want := strings.ReplaceAll(p.caps.String(), "|", ", ")
		if got, ok := documented[p.name]; !ok || got != want {
			t.Errorf("docs/privileges.md: %s maps to %q, the code to %q", p.name, got, want)
		}
	}
}

// BenchmarkFork measures what a restricted start costs over a plain one:
// a thread of its own, spent, and the capability calls.
func BenchmarkFork(b *testing.B) {
	own, _ := threadCaps()
	if !own.effective.has(unix.CAP_SETPCAP) {
		b.Skip("needs CAP_SETPCAP")
	}
	for _, c := range []struct {
		name string
		plan privilegePlan
	}{
		{"plain", privilegePlan{}},
		{"restricted", privilegePlan{caps: caps(unix.CAP_SYS_BOOT), bound: true, noNewPrivs: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			attr := &syscall.ProcAttr{}
			for i := 0; i < b.N; i++ {
				pid, err := c.plan.fork(func() (int, error) { return syscall.ForkExec("/bin/true", []string{"true"}, attr) })
				if err != nil {
					b.Fatal(err)
				}
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
			}
		})
	}
}
