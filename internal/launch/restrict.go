package launch

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// privilegePlan is what a service process gets of the SCM's capabilities.
type privilegePlan struct {
	caps       capSet // the process's permitted and effective sets after exec
	bound      bool   // the bounding set is reduced to caps: the service named its privileges
	ambient    bool   // the account is not root, so caps travel as ambient capabilities
	noNewPrivs bool   // the service SID is restricted: exec never adds privileges
}

// planPrivileges works out a service's capabilities as Windows works out
// its token. With no RequiredPrivileges the process keeps every privilege
// its account holds (LocalSystem: root with all the SCM's capabilities).
// With a list, it gets those privileges and SeChangeNotifyPrivilege, and
// nothing else, ever: the bounding set is cut to them, so not even a
// set-user-ID program gets more. A listed privilege the account does not
// hold fails the start with ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE (1297), as
// Windows' SCM does. The SCM cannot give what it does not have: everything
// is limited to its own permitted set; and a root service with a list that
// the SCM cannot bound (it lacks CAP_SETPCAP) fails with
// ERROR_PRIVILEGE_NOT_HELD (1314) rather than run with everything.
func planPrivileges(spec Spec, who *identity) (privilegePlan, windows.Errno) {
	held := heldPrivileges(spec.Account, who.uid)
	names := held
	if len(spec.RequiredPrivileges) > 0 {
		for _, n := range spec.RequiredPrivileges {
			if !holds(held, n) {
				return privilegePlan{}, windows.ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE
			}
		}
		names = append(append([]string(nil), spec.RequiredPrivileges...), alwaysKept)
	}
	set := privilegeCaps(names)
	if names == nil {
		set = ^capSet(0) // every privilege, and what no privilege stands for
	}
	if who.uid != 0 {
		set &^= rootOnlyCaps
	}
	own, err := threadCaps()
	if err != nil {
		own = capabilities{}
	}
	set &= own.permitted
	plan := privilegePlan{
		caps:       set,
		bound:      len(spec.RequiredPrivileges) > 0 && own.effective.has(unix.CAP_SETPCAP),
		ambient:    who.uid != 0 && set != 0,
		noNewPrivs: spec.RestrictedSID,
	}
	if len(spec.RequiredPrivileges) > 0 && who.uid == 0 && !plan.bound {
		// exec gives a root process its whole bounding set: without
		// CAP_SETPCAP to cut it, the list cannot be honoured, and a
		// service is never started with more than it asked for.
		return privilegePlan{}, windows.ERROR_PRIVILEGE_NOT_HELD
	}
	return plan, 0
}

// apply puts what can be said in SysProcAttr there: a non-root account's
// capabilities are raised as ambient ones in the child, after it has
// changed user, so that they survive exec.
func (p privilegePlan) apply(sys *syscall.SysProcAttr) {
	if !p.ambient {
		return
	}
	for _, c := range p.caps.list() {
		sys.AmbientCaps = append(sys.AmbientCaps, uintptr(c))
	}
}

// fork runs forkExec so that the child starts with the plan's bounding set,
// inheritable set and no_new_privs. syscall.ForkExec has no hook between
// fork and exec, but those three are attributes of a thread, which a child
// inherits from the thread that forked it. So forkExec runs on a thread of
// its own, locked to a goroutine that changes them first and then ends
// without unlocking: the Go runtime discards a thread whose goroutine exits
// locked, so no other goroutine ever runs with what was taken from it (and
// the runtime never clones a new thread from a locked one).
func (p privilegePlan) fork(forkExec func() (int, error)) (int, error) {
	if !p.bound && !p.noNewPrivs {
		return forkExec()
	}
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread is spent
		if err := p.restrictThread(); err != nil {
			done <- result{0, err}
			return
		}
		pid, err := forkExec()
		done <- result{pid, err}
	}()
	r := <-done
	return r.pid, r.err
}

// restrictThread changes the calling thread, which must be locked and
// never be used again.
func (p privilegePlan) restrictThread() error {
	if p.bound {
		// The inheritable set first: for a root child, exec makes the
		// permitted set inheritable|bounding, and ambient capabilities
		// outside the inheritable set go with it.
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			return fmt.Errorf("reading the thread's capabilities: %w", err)
		}
		data[0].Inheritable &= uint32(p.caps)
		data[1].Inheritable &= uint32(p.caps >> 32)
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			return fmt.Errorf("lowering the inheritable set: %w", err)
		}
		for c := 0; c <= lastCap(); c++ {
			if p.caps.has(c) {
				continue
			}
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				return fmt.Errorf("dropping %s from the bounding set: %w", capSet(1)<<uint(c), err)
			}
		}
	}
	if p.noNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("setting no_new_privs: %w", err)
		}
	}
	return nil
}

type capabilities struct{ permitted, effective capSet }

// threadCaps reads the calling thread's capabilities; every thread of the
// SCM has the same, but for the ones fork spends.
func threadCaps() (capabilities, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return capabilities{}, err
	}
	return capabilities{
		permitted: capSet(data[0].Permitted) | capSet(data[1].Permitted)<<32,
		effective: capSet(data[0].Effective) | capSet(data[1].Effective)<<32,
	}, nil
}

var lastCapOnce = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return n
		}
	}
	return unix.CAP_LAST_CAP
})

// lastCap is the highest capability the running kernel knows.
func lastCap() int { return lastCapOnce() }
