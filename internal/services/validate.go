package services

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openscm/scm/windows"
)

// MaxNameLength is Windows' limit on service and display names.
const MaxNameLength = 256

// ValidateName applies CreateService's rules for a service name: at most
// 256 characters, no slash or backslash, and no control character (a name
// is also a registry key name, which must be printable, and a line of
// sc's output).
func ValidateName(name string) error {
	if name == "" || len([]rune(name)) > MaxNameLength || strings.ContainsAny(name, `/\`) || hasControl(name) {
		return windows.ERROR_INVALID_NAME
	}
	return nil
}

// ValidateDisplayName applies the rules for a display name: the length,
// and no control character, which would forge lines of sc's output.
func ValidateDisplayName(name string) error {
	if len([]rune(name)) > MaxNameLength || hasControl(name) {
		return windows.ERROR_INVALID_NAME
	}
	return nil
}

// hasControl reports whether s has a C0 or C1 control character (NUL, tab,
// newline, escape, DEL, ...) or is not valid UTF-8.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// ValidateTypes checks service type, start type and error control together,
// as CreateService and ChangeServiceConfig do: a Win32 service cannot be a
// boot or system start service, and an interactive one must run as
// LocalSystem.
func ValidateTypes(c *Config) error {
	base := c.Type &^ windows.SERVICE_INTERACTIVE_PROCESS
	switch base {
	case windows.SERVICE_KERNEL_DRIVER, windows.SERVICE_FILE_SYSTEM_DRIVER:
		if c.Type&windows.SERVICE_INTERACTIVE_PROCESS != 0 {
			return windows.ERROR_INVALID_PARAMETER
		}
	case windows.SERVICE_WIN32_OWN_PROCESS, windows.SERVICE_WIN32_SHARE_PROCESS,
		windows.SERVICE_USER_OWN_PROCESS, windows.SERVICE_USER_SHARE_PROCESS:
		if c.Start == windows.SERVICE_BOOT_START || c.Start == windows.SERVICE_SYSTEM_START {
			return windows.ERROR_INVALID_PARAMETER
		}
	default:
		return windows.ERROR_INVALID_PARAMETER
	}
	if c.Start > windows.SERVICE_DISABLED || c.ErrorControl > windows.SERVICE_ERROR_CRITICAL {
		return windows.ERROR_INVALID_PARAMETER
	}
	if c.Type&windows.SERVICE_INTERACTIVE_PROCESS != 0 && !IsLocalSystem(c.ObjectName) {
		return windows.ERROR_INVALID_PARAMETER
	}
	return nil
}

// IsDriver reports whether the type is a driver's.
func IsDriver(t uint32) bool { return t&windows.SERVICE_DRIVER != 0 }

// IsLocalSystem reports whether an account name names LocalSystem.
func IsLocalSystem(account string) bool {
	switch strings.ToLower(account) {
	case "", "localsystem", `.\localsystem`, `nt authority\system`:
		return true
	}
	return false
}

// CheckCycle fails with ERROR_CIRCULAR_DEPENDENCY when name, depending on
// deps, would depend on itself. lookup returns the services another one
// depends on; names that do not exist are allowed, as on Windows.
func CheckCycle(name string, deps []string, lookup func(string) []string) error {
	seen := map[string]bool{}
	var visit func(n string) bool
	visit = func(n string) bool {
		if strings.EqualFold(n, name) {
			return true
		}
		key := strings.ToLower(n)
		if seen[key] {
			return false
		}
		seen[key] = true
		for _, d := range lookup(n) {
			if visit(d) {
				return true
			}
		}
		return false
	}
	for _, d := range deps {
		if visit(d) {
			return windows.ERROR_CIRCULAR_DEPENDENCY
		}
	}
	return nil
}

// Privileges are the privilege names Windows knows; RequiredPrivileges may
// name only these.
var Privileges = []string{
	"SeAssignPrimaryTokenPrivilege", "SeAuditPrivilege", "SeBackupPrivilege",
	"SeChangeNotifyPrivilege", "SeCreateGlobalPrivilege", "SeCreatePagefilePrivilege",
	"SeCreatePermanentPrivilege", "SeCreateSymbolicLinkPrivilege", "SeCreateTokenPrivilege",
	"SeDebugPrivilege", "SeDelegateSessionUserImpersonatePrivilege", "SeEnableDelegationPrivilege",
	"SeImpersonatePrivilege", "SeIncreaseBasePriorityPrivilege", "SeIncreaseQuotaPrivilege",
	"SeIncreaseWorkingSetPrivilege", "SeLoadDriverPrivilege", "SeLockMemoryPrivilege",
	"SeMachineAccountPrivilege", "SeManageVolumePrivilege", "SeProfileSingleProcessPrivilege",
	"SeRelabelPrivilege", "SeRemoteShutdownPrivilege", "SeRestorePrivilege",
	"SeSecurityPrivilege", "SeShutdownPrivilege", "SeSyncAgentPrivilege",
	"SeSystemEnvironmentPrivilege", "SeSystemProfilePrivilege", "SeSystemtimePrivilege",
	"SeTakeOwnershipPrivilege", "SeTcbPrivilege", "SeTimeZonePrivilege",
	"SeTrustedCredManAccessPrivilege", "SeUndockPrivilege",
}

// ValidatePrivileges fails with ERROR_NO_SUCH_PRIVILEGE for an unknown name.
func ValidatePrivileges(names []string) error {
	for _, n := range names {
		known := false
		for _, p := range Privileges {
			if strings.EqualFold(p, n) {
				known = true
				break
			}
		}
		if !known {
			return windows.ERROR_NO_SUCH_PRIVILEGE
		}
	}
	return nil
}
