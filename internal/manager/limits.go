package manager

import (
	"unicode/utf16"

	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// What one client may hold, and what one call may carry. The string and
// count limits are Windows' own: the ranges of the svcctl RPC interface
// ([MS-SCMR] section 3.1.4 and its IDL, Appendix A) that services.exe
// enforces on every call, and the registry's documented element size
// limits. Anything past them is ERROR_INVALID_PARAMETER and nothing is
// stored.
const (
	// MaxHandlesPerClient is how many handles one connection may hold at
	// once. Windows bounds a process's handles by its quota (about 16
	// million per process); a client of this SCM is a connection, and
	// 16,384 is far above what any real program holds while keeping a
	// hostile client's table small. One more fails with
	// ERROR_NO_SYSTEM_RESOURCES, as a handle table that cannot grow does.
	MaxHandlesPerClient = 16384

	// MaxPathLength bounds a service's binary path, in characters with
	// the terminating NUL (SC_MAX_PATH_LENGTH, 32 * 1024).
	MaxPathLength = 32 * 1024

	// MaxDependSize bounds the dependencies, in bytes of the UTF-16
	// double-NUL-terminated list (SC_MAX_DEPEND_SIZE, 4 * 1024).
	MaxDependSize = 4 * 1024

	// MaxAccountNameLength bounds the account a service runs as, in
	// characters with the NUL (SC_MAX_ACCOUNT_NAME_LENGTH, 2 * 1024).
	MaxAccountNameLength = 2 * 1024

	// MaxConfigStringLength bounds a description, a reboot message and a
	// failure command, in characters: SERVICE_DESCRIPTIONW's lpDescription
	// and SERVICE_FAILURE_ACTIONSW's lpRebootMsg and lpCommand are
	// [string, range(0, 8 * 1024)].
	MaxConfigStringLength = 8 * 1024

	// MaxArguments and MaxArgumentLength bound StartService's arguments:
	// argc is [range(0, SC_MAX_ARGUMENTS)] and each argument
	// [string, range(0, SC_MAX_ARGUMENT_LENGTH)], both 1024 (characters,
	// NUL included).
	MaxArguments      = 1024
	MaxArgumentLength = 1024

	// MaxTriggers, MaxTriggerDataItems and MaxTriggerDataBytes bound
	// SERVICE_CONFIG_TRIGGER_INFO: cTriggers and cDataItems are
	// [range(0, 64)], a data item's cbData [range(0, 1024)] bytes.
	MaxTriggers         = 64
	MaxTriggerDataItems = 64
	MaxTriggerDataBytes = 1024

	// MaxRegistryValueBytes bounds a registry value's data. Windows'
	// "Registry element size limits" give 1 MB for the standard format
	// (only available memory for the latest), and recommend values over
	// 2,048 bytes be kept in files; this store takes the standard limit.
	// Value names (16,383 characters) and key names (255 characters) are
	// checked by the registry itself.
	MaxRegistryValueBytes = 1 << 20

	// MaxRegistryDepth is the registry tree's depth limit: 512 levels.
	MaxRegistryDepth = 512

	// MaxUserHiveBytes bounds what an ordinary user keeps in their own
	// hive (HKEY_CURRENT_USER), names and data together: the database
	// every service lives in is not theirs to fill. Windows bounds a
	// hive by the registry quota; a write past it fails with 1450.
	MaxUserHiveBytes = 8 << 20

	// MaxSDDLLength bounds a security descriptor given as SDDL, in
	// characters. An ACL's size is a 16-bit count of bytes, so a
	// descriptor's two ACLs hold at most 128 KiB of binary ACEs; 64 Ki
	// characters of SDDL is more text than any descriptor of that size
	// needs in practice. SetServiceObjectSecurity takes
	// [range(0, 1024 * 256)] bytes.
	MaxSDDLLength = 64 * 1024

	// MaxControlDataBytes bounds the event data sent with a control.
	// Windows' controls carry small fixed structures (DEV_BROADCAST_*,
	// POWERBROADCAST_SETTING, WTSSESSION_NOTIFICATION); 64 KiB covers them
	// all.
	MaxControlDataBytes = 64 << 10
)

// utf16Len is the length of s in UTF-16 code units, as Windows counts a
// string's characters.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// fits reports whether s, with its terminating NUL, is within max
// characters.
func fits(s string, max int) bool {
	return len(s) < max || utf16Len(s)+1 <= max
}

// checkConfigSizes applies Windows' size limits to a configuration.
func checkConfigSizes(cfg *services.Config) error {
	if !fits(cfg.ImagePath, MaxPathLength) || !fits(cfg.ObjectName, MaxAccountNameLength) ||
		!fits(cfg.Group, MaxPathLength) || !fits(cfg.Description, MaxConfigStringLength+1) ||
		!fits(cfg.RebootMessage, MaxConfigStringLength+1) || !fits(cfg.FailureCommand, MaxConfigStringLength+1) {
		return windows.ERROR_INVALID_PARAMETER
	}
	if multiSz(cfg.Dependencies()) > MaxDependSize {
		return windows.ERROR_INVALID_PARAMETER
	}
	if len(cfg.Triggers) > MaxTriggers {
		return windows.ERROR_INVALID_PARAMETER
	}
	for _, t := range cfg.Triggers {
		if len(t.Data) > MaxTriggerDataItems {
			return windows.ERROR_INVALID_PARAMETER
		}
		for _, d := range t.Data {
			if triggerDataSize(d) > MaxTriggerDataBytes {
				return windows.ERROR_INVALID_PARAMETER
			}
		}
	}
	return nil
}

// checkStartArgs applies StartService's argument limits.
func checkStartArgs(args []string) error {
	if len(args) > MaxArguments {
		return windows.ERROR_INVALID_PARAMETER
	}
	for _, a := range args {
		if !fits(a, MaxArgumentLength) {
			return windows.ERROR_INVALID_PARAMETER
		}
	}
	return nil
}

// triggerDataSize is a data item's cbData as Windows counts it: strings in
// UTF-16 with their terminating NUL.
func triggerDataSize(d triggerspec.TriggerData) int {
	if d.Type == windows.SERVICE_TRIGGER_DATA_TYPE_STRING {
		return (utf16Len(string(d.Data)) + 1) * 2
	}
	return len(d.Data)
}
