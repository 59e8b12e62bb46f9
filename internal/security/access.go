package security

import (
	"github.com/openscm/scm/internal/sddl"
	"github.com/openscm/scm/windows"
)

// Mapping maps the generic rights onto an object's specific rights.
type Mapping struct {
	Read, Write, Execute, All uint32
}

// SCManagerMapping is the generic mapping of the service control manager.
var SCManagerMapping = Mapping{
	Read:    windows.STANDARD_RIGHTS_READ | windows.SC_MANAGER_ENUMERATE_SERVICE | windows.SC_MANAGER_QUERY_LOCK_STATUS,
	Write:   windows.STANDARD_RIGHTS_WRITE | windows.SC_MANAGER_CREATE_SERVICE | windows.SC_MANAGER_MODIFY_BOOT_CONFIG,
	Execute: windows.STANDARD_RIGHTS_EXECUTE | windows.SC_MANAGER_CONNECT | windows.SC_MANAGER_LOCK,
	All:     windows.SC_MANAGER_ALL_ACCESS,
}

// ServiceMapping is the generic mapping of a service.
var ServiceMapping = Mapping{
	Read:    windows.STANDARD_RIGHTS_READ | windows.SERVICE_QUERY_CONFIG | windows.SERVICE_QUERY_STATUS | windows.SERVICE_INTERROGATE | windows.SERVICE_ENUMERATE_DEPENDENTS,
	Write:   windows.STANDARD_RIGHTS_WRITE | windows.SERVICE_CHANGE_CONFIG,
	Execute: windows.STANDARD_RIGHTS_EXECUTE | windows.SERVICE_START | windows.SERVICE_STOP | windows.SERVICE_PAUSE_CONTINUE | windows.SERVICE_USER_DEFINED_CONTROL,
	All:     windows.SERVICE_ALL_ACCESS,
}

// Map replaces generic rights in mask with specific ones.
func (m Mapping) Map(mask uint32) uint32 {
	if mask&windows.GENERIC_READ != 0 {
		mask = mask&^windows.GENERIC_READ | m.Read
	}
	if mask&windows.GENERIC_WRITE != 0 {
		mask = mask&^windows.GENERIC_WRITE | m.Write
	}
	if mask&windows.GENERIC_EXECUTE != 0 {
		mask = mask&^windows.GENERIC_EXECUTE | m.Execute
	}
	if mask&windows.GENERIC_ALL != 0 {
		mask = mask&^windows.GENERIC_ALL | m.All
	}
	return mask
}

// AccessCheck decides what token gets when it asks for desired on an object
// protected by d, as Windows' AccessCheck: ACEs in order, a deny for any
// still-wanted right refuses the request, MAXIMUM_ALLOWED collects all that
// the DACL allows. Administrators hold SeSecurityPrivilege, so
// ACCESS_SYSTEM_SECURITY is theirs alone, and SeTakeOwnershipPrivilege, so
// WRITE_OWNER is theirs whatever the DACL says; the owner always gets
// READ_CONTROL and WRITE_DAC. Together these mean no DACL, however empty,
// locks an administrator out for good: they take ownership, then rewrite it.
func AccessCheck(d *sddl.Descriptor, t *Token, desired uint32, m Mapping) (uint32, error) {
	desired = m.Map(desired)
	var granted uint32
	if desired&windows.ACCESS_SYSTEM_SECURITY != 0 {
		if !t.IsAdmin() {
			return 0, windows.ERROR_ACCESS_DENIED
		}
		granted |= windows.ACCESS_SYSTEM_SECURITY
		desired &^= windows.ACCESS_SYSTEM_SECURITY
	}
	maximum := desired&windows.MAXIMUM_ALLOWED != 0
	desired &^= windows.MAXIMUM_ALLOWED
	if t.IsAdmin() && (desired&windows.WRITE_OWNER != 0 || maximum) {
		granted |= windows.WRITE_OWNER
		desired &^= windows.WRITE_OWNER
	}
	if !d.DACLSet {
		if maximum {
			return granted | m.All, nil
		}
		return granted | desired, nil
	}
	var allowed, denied uint32
	if d.Owner != "" && t.Has(d.Owner) {
		allowed |= windows.READ_CONTROL | windows.WRITE_DAC
	}
	for _, a := range d.DACL {
		if !t.Has(a.SID) || hasFlag(a.Flags, "IO") {
			continue
		}
		mask := m.Map(a.Mask)
		switch a.Type {
		case sddl.AccessAllowed:
			allowed |= mask &^ denied
		case sddl.AccessDenied:
			denied |= mask &^ allowed
		}
	}
	if desired&^allowed != 0 {
		return 0, windows.ERROR_ACCESS_DENIED
	}
	if maximum {
		if allowed == 0 && desired == 0 && granted == 0 {
			return 0, windows.ERROR_ACCESS_DENIED
		}
		return granted | allowed, nil
	}
	return granted | desired, nil
}

func hasFlag(flags, f string) bool {
	for i := 0; i+2 <= len(flags); i += 2 {
		if flags[i:i+2] == f {
			return true
		}
	}
	return false
}
