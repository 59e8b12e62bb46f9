package launch

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Windows gives a process privileges in its token; Linux gives it
// capabilities. A service's RequiredPrivileges (SERVICE_CONFIG_REQUIRED_
// PRIVILEGES_INFO) names Windows privileges, so the SCM maps each to the
// capabilities that let a Linux process do what the privilege lets a
// Windows process do, and gives the service exactly those. The table below
// is the whole mapping; docs/privileges.md explains each choice.
//
// A privilege that stands for nothing Linux guards with a capability (any
// user may create a symbolic link or a shared-memory object, there is no
// Terminal Services global namespace, no domain to join) maps to none.
// Capabilities that no privilege stands for (CAP_NET_BIND_SERVICE,
// CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_CHROOT, ...) belong only to a root
// service that names no privileges: Windows guards those operations by
// group membership (Administrators), not by privilege, so a service that
// gave its privileges up has given them up too.
var privilegeTable = []struct {
	name string
	caps capSet
}{
	// Replace a process-level token: start a process as another user.
	{"SeAssignPrimaryTokenPrivilege", caps(unix.CAP_SETUID, unix.CAP_SETGID)},
	// Generate security audits: write records to the audit log.
	{"SeAuditPrivilege", caps(unix.CAP_AUDIT_WRITE)},
	// Back up files and directories: read any file whatever its ACL.
	{"SeBackupPrivilege", caps(unix.CAP_DAC_READ_SEARCH)},
	// Bypass traverse checking: every process has it; Windows never removes it.
	{"SeChangeNotifyPrivilege", 0},
	// Create global objects (the Terminal Services global namespace).
	{"SeCreateGlobalPrivilege", 0},
	// Create a pagefile: swapon(2).
	{"SeCreatePagefilePrivilege", caps(unix.CAP_SYS_ADMIN)},
	// Create permanent shared objects: any Linux process may (shm, mqueue).
	{"SeCreatePermanentPrivilege", 0},
	// Create symbolic links: any Linux process may.
	{"SeCreateSymbolicLinkPrivilege", 0},
	// Create a token object: a token for any identity.
	{"SeCreateTokenPrivilege", caps(unix.CAP_SETUID, unix.CAP_SETGID)},
	// Debug programs: open, trace and end any process.
	{"SeDebugPrivilege", caps(unix.CAP_SYS_PTRACE, unix.CAP_KILL)},
	// Obtain a token for another user in the same session.
	{"SeDelegateSessionUserImpersonatePrivilege", caps(unix.CAP_SETUID, unix.CAP_SETGID)},
	// Trust accounts for Kerberos delegation (a domain's business).
	{"SeEnableDelegationPrivilege", 0},
	// Impersonate a client after authentication: act as another user.
	{"SeImpersonatePrivilege", caps(unix.CAP_SETUID, unix.CAP_SETGID)},
	// Increase scheduling priority.
	{"SeIncreaseBasePriorityPrivilege", caps(unix.CAP_SYS_NICE)},
	// Adjust memory quotas for a process: raise resource limits.
	{"SeIncreaseQuotaPrivilege", caps(unix.CAP_SYS_RESOURCE)},
	// Increase a process working set: every user has it; nothing to guard.
	{"SeIncreaseWorkingSetPrivilege", 0},
	// Load and unload device drivers: kernel modules.
	{"SeLoadDriverPrivilege", caps(unix.CAP_SYS_MODULE)},
	// Lock pages in memory.
	{"SeLockMemoryPrivilege", caps(unix.CAP_IPC_LOCK)},
	// Add workstations to a domain.
	{"SeMachineAccountPrivilege", 0},
	// Perform volume maintenance tasks: mount, trim, file system ioctls.
	{"SeManageVolumePrivilege", caps(unix.CAP_SYS_ADMIN)},
	// Profile a single process: performance monitoring of any process.
	{"SeProfileSingleProcessPrivilege", caps(unix.CAP_PERFMON)},
	// Modify an object label (integrity labels): the MAC policy's labels.
	{"SeRelabelPrivilege", caps(unix.CAP_MAC_ADMIN)},
	// Force shutdown from a remote system: checked in a remote caller's token.
	{"SeRemoteShutdownPrivilege", 0},
	// Restore files and directories: write any file, set any owner and mode.
	{"SeRestorePrivilege", caps(unix.CAP_DAC_OVERRIDE, unix.CAP_CHOWN, unix.CAP_FOWNER, unix.CAP_FSETID)},
	// Manage auditing and the security log: audit rules, reading the log.
	{"SeSecurityPrivilege", caps(unix.CAP_AUDIT_CONTROL, unix.CAP_AUDIT_READ)},
	// Shut down the system.
	{"SeShutdownPrivilege", caps(unix.CAP_SYS_BOOT)},
	// Synchronize directory service data (a domain's business).
	{"SeSyncAgentPrivilege", 0},
	// Modify firmware environment values: EFI variables, which efivarfs
	// keeps immutable, and the other firmware interfaces.
	{"SeSystemEnvironmentPrivilege", caps(unix.CAP_SYS_ADMIN, unix.CAP_LINUX_IMMUTABLE)},
	// Profile system performance.
	{"SeSystemProfilePrivilege", caps(unix.CAP_PERFMON)},
	// Change the system time.
	{"SeSystemtimePrivilege", caps(unix.CAP_SYS_TIME)},
	// Take ownership of files or other objects.
	{"SeTakeOwnershipPrivilege", caps(unix.CAP_CHOWN, unix.CAP_FOWNER)},
	// Act as part of the operating system: log anyone on, adjust any token.
	{"SeTcbPrivilege", caps(unix.CAP_SETUID, unix.CAP_SETGID, unix.CAP_SETPCAP, unix.CAP_SYS_ADMIN)},
	// Change the time zone: /etc/localtime is a file, guarded by its ACL.
	{"SeTimeZonePrivilege", 0},
	// Access Credential Manager as a trusted caller.
	{"SeTrustedCredManAccessPrivilege", 0},
	// Remove computer from docking station.
	{"SeUndockPrivilege", 0},
}

// rootOnlyCaps are never given to a service that does not run as root.
// Windows lets a service holding SeImpersonatePrivilege act only as a
// client that authenticated to it; CAP_SETUID lets a Linux process become
// anyone, root included, so in a LocalService or NetworkService process it
// would hand over the machine, which those accounts cannot take on Windows;
// so would CAP_SETPCAP and CAP_SYS_ADMIN, and CAP_SYS_BOOT, which besides
// reboot allows kexec_load: booting a kernel of one's choosing. Such an
// account keeps the privilege (starting a service that requires it
// succeeds) without the capability.
var rootOnlyCaps = caps(unix.CAP_SETUID, unix.CAP_SETGID, unix.CAP_SETPCAP, unix.CAP_SYS_ADMIN, unix.CAP_SYS_BOOT)

// alwaysKept is the privilege Windows never removes from a service's token,
// whatever it requires ("for compatibility").
const alwaysKept = "SeChangeNotifyPrivilege"

// The privileges each kind of account holds on Windows, and so the most a
// service running as it can require. LocalSystem holds every one (root may
// hold every capability). LocalService and NetworkService hold what
// Microsoft's account pages list, what every user holds, and, for
// LocalService, "Change the system time", which Windows' default policy
// grants it. A named account holds what Users and the SERVICE group hold.
var (
	localServicePrivileges = []string{
		"SeAssignPrimaryTokenPrivilege", "SeAuditPrivilege", "SeChangeNotifyPrivilege",
		"SeCreateGlobalPrivilege", "SeImpersonatePrivilege", "SeIncreaseQuotaPrivilege",
		"SeIncreaseWorkingSetPrivilege", "SeShutdownPrivilege", "SeSystemtimePrivilege",
		"SeTimeZonePrivilege", "SeUndockPrivilege",
	}
	networkServicePrivileges = []string{
		"SeAssignPrimaryTokenPrivilege", "SeAuditPrivilege", "SeChangeNotifyPrivilege",
		"SeCreateGlobalPrivilege", "SeImpersonatePrivilege", "SeIncreaseQuotaPrivilege",
		"SeIncreaseWorkingSetPrivilege", "SeShutdownPrivilege", "SeTimeZonePrivilege",
		"SeUndockPrivilege",
	}
	userPrivileges = []string{
		"SeChangeNotifyPrivilege", "SeCreateGlobalPrivilege", "SeImpersonatePrivilege",
		"SeIncreaseWorkingSetPrivilege", "SeTimeZonePrivilege",
	}
)

// heldPrivileges returns the privileges an account holds: nil for one that
// holds them all (LocalSystem, or any account that is root).
func heldPrivileges(account string, uid uint32) []string {
	switch strings.ToLower(account) {
	case "", "localsystem", `.\localsystem`, `nt authority\system`:
		return nil
	case `nt authority\localservice`:
		return localServicePrivileges
	case `nt authority\networkservice`:
		return networkServicePrivileges
	}
	if uid == 0 {
		return nil
	}
	return userPrivileges
}

func holds(held []string, name string) bool {
	if held == nil {
		return true
	}
	for _, h := range held {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// privilegeCaps returns the capabilities the named privileges stand for;
// nil names means every privilege. Names are matched without regard to
// case, as LookupPrivilegeValue does.
func privilegeCaps(names []string) capSet {
	var set capSet
	for _, p := range privilegeTable {
		if names == nil || holds(names, p.name) {
			set |= p.caps
		}
	}
	return set
}

// capSet is a set of Linux capabilities, bit n for capability n, as the
// kernel shows them in /proc/PID/status.
type capSet uint64

func caps(list ...int) capSet {
	var s capSet
	for _, c := range list {
		s |= 1 << uint(c)
	}
	return s
}

func (s capSet) has(c int) bool { return s&(1<<uint(c)) != 0 }

// list returns the capabilities in s, lowest first.
func (s capSet) list() []int {
	var out []int
	for c := 0; c < 64; c++ {
		if s.has(c) {
			out = append(out, c)
		}
	}
	return out
}

func (s capSet) String() string {
	if s == 0 {
		return "none"
	}
	var names []string
	for _, c := range s.list() {
		if c < len(capNames) {
			names = append(names, capNames[c])
		} else {
			names = append(names, "CAP_"+strconv.Itoa(c))
		}
	}
	return strings.Join(names, "|")
}

// capNames are the kernel's names, by number.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}
