package windows

import (
	"unsafe"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

// optString is a string argument that may be absent (nil): "no change".
func optString(p *uint16) *string {
	if p == nil {
		return nil
	}
	s := UTF16PtrToString(p)
	return &s
}

// optDWORD is a DWORD argument where SERVICE_NO_CHANGE means "no change".
func optDWORD(v uint32) *uint32 {
	if v == SERVICE_NO_CHANGE {
		return nil
	}
	return &v
}

// CreateService creates a service and returns a handle to it with the
// access asked for. dependencies is a list of zero-terminated names ended
// by one more zero; tagId, when not nil, receives the service's tag in its
// group.
func CreateService(mgr Handle, serviceName *uint16, displayName *uint16, access uint32, srvType uint32, startType uint32, errCtl uint32, pathName *uint16, loadOrderGroup *uint16, tagId *uint32, dependencies *uint16, serviceStartName *uint16, password *uint16) (handle Handle, err error) {
	r, err := scm().CreateService(&pb.CreateServiceRequest{
		Scm: uint64(mgr), ServiceName: utf16Arg(serviceName), DisplayName: utf16Arg(displayName),
		DesiredAccess: access, ServiceType: srvType, StartType: startType, ErrorControl: errCtl,
		BinaryPathName: utf16Arg(pathName), LoadOrderGroup: utf16Arg(loadOrderGroup), WantTagId: tagId != nil,
		Dependencies: multiString(dependencies), ServiceStartName: utf16Arg(serviceStartName), Password: utf16Arg(password),
	})
	if err != nil {
		return 0, client.Errno(err)
	}
	if tagId != nil {
		*tagId = r.TagId
	}
	return Handle(r.Handle), nil
}

// ChangeServiceConfig changes a service's configuration: SERVICE_NO_CHANGE
// for a number, nil for a string leave it as it is.
func ChangeServiceConfig(service Handle, serviceType uint32, startType uint32, errorControl uint32, binaryPathName *uint16, loadOrderGroup *uint16, tagId *uint32, dependencies *uint16, serviceStartName *uint16, password *uint16, displayName *uint16) (err error) {
	r, err := scm().ChangeServiceConfig(&pb.ChangeServiceConfigRequest{
		Handle: uint64(service), ServiceType: optDWORD(serviceType), StartType: optDWORD(startType), ErrorControl: optDWORD(errorControl),
		BinaryPathName: optString(binaryPathName), LoadOrderGroup: optString(loadOrderGroup), WantTagId: tagId != nil,
		ChangeDependencies: dependencies != nil, Dependencies: multiString(dependencies),
		ServiceStartName: optString(serviceStartName), Password: optString(password), DisplayName: optString(displayName),
	})
	if err != nil {
		return client.Errno(err)
	}
	if tagId != nil {
		*tagId = r.TagId
	}
	return nil
}

// QueryServiceConfig writes a service's configuration into the buffer that
// starts at serviceConfig: the structure, then its strings. Called with
// too small a buffer it fails with ERROR_INSUFFICIENT_BUFFER and says in
// bytesNeeded how large one must be.
func QueryServiceConfig(service Handle, serviceConfig *QUERY_SERVICE_CONFIG, bufSize uint32, bytesNeeded *uint32) (err error) {
	c, err := scm().QueryServiceConfig(&pb.HandleRequest{Handle: uint64(service)})
	if err != nil {
		return client.Errno(err)
	}
	return fill(unsafe.Pointer(serviceConfig), bufSize, bytesNeeded, func(l *layout) {
		p := (*QUERY_SERVICE_CONFIG)(l.reserve(int(unsafe.Sizeof(QUERY_SERVICE_CONFIG{}))))
		binary, group, deps := l.str(c.BinaryPathName), l.str(c.LoadOrderGroup), l.multi(c.Dependencies)
		account, display := l.str(c.ServiceStartName), l.str(c.DisplayName)
		if p != nil {
			*p = QUERY_SERVICE_CONFIG{ServiceType: c.ServiceType, StartType: c.StartType, ErrorControl: c.ErrorControl,
				BinaryPathName: binary, LoadOrderGroup: group, TagId: c.TagId, Dependencies: deps,
				ServiceStartName: account, DisplayName: display}
		}
	})
}

// QueryServiceConfig2 writes one level of a service's optional
// configuration into buff, with the buffer rules of QueryServiceConfig:
// SERVICE_CONFIG_DESCRIPTION, _FAILURE_ACTIONS, _DELAYED_AUTO_START_INFO,
// _FAILURE_ACTIONS_FLAG, _PRESHUTDOWN_INFO.
func QueryServiceConfig2(service Handle, infoLevel uint32, buff *byte, buffSize uint32, bytesNeeded *uint32) (err error) {
	switch infoLevel {
	case SERVICE_CONFIG_DESCRIPTION, SERVICE_CONFIG_FAILURE_ACTIONS, SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
		SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, SERVICE_CONFIG_PRESHUTDOWN_INFO:
	default:
		return ERROR_INVALID_LEVEL
	}
	c, err := scm().QueryServiceConfig2(&pb.QueryServiceConfig2Request{Handle: uint64(service), InfoLevel: infoLevel})
	if err != nil {
		return client.Errno(err)
	}
	return fill(unsafe.Pointer(buff), buffSize, bytesNeeded, func(l *layout) {
		switch infoLevel {
		case SERVICE_CONFIG_DESCRIPTION:
			p := (*SERVICE_DESCRIPTION)(l.reserve(int(unsafe.Sizeof(SERVICE_DESCRIPTION{}))))
			var text *uint16
			if c.Description != nil {
				text = l.str(*c.Description)
			}
			if p != nil {
				p.Description = text
			}
		case SERVICE_CONFIG_FAILURE_ACTIONS:
			p := (*SERVICE_FAILURE_ACTIONS)(l.reserve(int(unsafe.Sizeof(SERVICE_FAILURE_ACTIONS{}))))
			fa := c.GetFailureActions()
			var actions *SC_ACTION
			if n := len(fa.GetActions()); n > 0 {
				actions = (*SC_ACTION)(l.reserve(n * int(unsafe.Sizeof(SC_ACTION{}))))
				if actions != nil {
					dst := unsafe.Slice(actions, n)
					for i, a := range fa.Actions {
						dst[i] = SC_ACTION{Type: a.Type, Delay: a.Delay}
					}
				}
			}
			var reboot, command *uint16
			if fa.GetRebootMsg() != "" {
				reboot = l.str(fa.GetRebootMsg())
			}
			if fa.GetCommand() != "" {
				command = l.str(fa.GetCommand())
			}
			if p != nil {
				*p = SERVICE_FAILURE_ACTIONS{ResetPeriod: fa.GetResetPeriod(), RebootMsg: reboot, Command: command,
					ActionsCount: uint32(len(fa.GetActions())), Actions: actions}
			}
		case SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
			if p := (*SERVICE_DELAYED_AUTO_START_INFO)(l.reserve(4)); p != nil {
				p.IsDelayedAutoStartUp = c.DelayedAutoStart
			}
		case SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
			if p := (*SERVICE_FAILURE_ACTIONS_FLAG)(l.reserve(4)); p != nil && c.FailureActionsOnNonCrashFailures {
				p.FailureActionsOnNonCrashFailures = 1
			}
		case SERVICE_CONFIG_PRESHUTDOWN_INFO:
			if p := (*SERVICE_PRESHUTDOWN_INFO)(l.reserve(4)); p != nil {
				p.PreshutdownTimeout = c.PreshutdownTimeout
			}
		}
	})
}

// ChangeServiceConfig2 changes one level of a service's optional
// configuration; info points to that level's structure.
func ChangeServiceConfig2(service Handle, infoLevel uint32, info *byte) (err error) {
	if info == nil {
		return ERROR_INVALID_PARAMETER
	}
	c := &pb.ServiceConfig2{InfoLevel: infoLevel}
	switch infoLevel {
	case SERVICE_CONFIG_DESCRIPTION:
		d := (*SERVICE_DESCRIPTION)(unsafe.Pointer(info))
		if d.Description == nil {
			return nil // a nil description leaves it as it is
		}
		c.Description = optString(d.Description)
	case SERVICE_CONFIG_FAILURE_ACTIONS:
		fa := (*SERVICE_FAILURE_ACTIONS)(unsafe.Pointer(info))
		c.FailureActions = &pb.FailureActions{ResetPeriod: fa.ResetPeriod, RebootMsg: optString(fa.RebootMsg), Command: optString(fa.Command)}
		if fa.Actions != nil {
			c.FailureActions.ChangeActions = true
			for _, a := range unsafe.Slice(fa.Actions, fa.ActionsCount) {
				c.FailureActions.Actions = append(c.FailureActions.Actions, &pb.ScAction{Type: a.Type, Delay: a.Delay})
			}
		}
	case SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
		c.DelayedAutoStart = (*SERVICE_DELAYED_AUTO_START_INFO)(unsafe.Pointer(info)).IsDelayedAutoStartUp
	case SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
		c.FailureActionsOnNonCrashFailures = (*SERVICE_FAILURE_ACTIONS_FLAG)(unsafe.Pointer(info)).FailureActionsOnNonCrashFailures != 0
	case SERVICE_CONFIG_PRESHUTDOWN_INFO:
		c.PreshutdownTimeout = (*SERVICE_PRESHUTDOWN_INFO)(unsafe.Pointer(info)).PreshutdownTimeout
	default:
		return ERROR_INVALID_LEVEL
	}
	_, err = scm().ChangeServiceConfig2(&pb.ChangeServiceConfig2Request{Handle: uint64(service), Info: c})
	return client.Errno(err)
}

// EnumServicesStatusEx lists services of a type and state, at
// SC_ENUM_PROCESS_INFO (ENUM_SERVICE_STATUS_PROCESS), those of one
// load-order group when groupName is given ("" for those in none). What
// does not fit in the buffer is left for the next call, from
// *resumeHandle: ERROR_MORE_DATA, with bytesNeeded for the rest.
func EnumServicesStatusEx(mgr Handle, infoLevel uint32, serviceType uint32, serviceState uint32, services *byte, bufSize uint32, bytesNeeded *uint32, servicesReturned *uint32, resumeHandle *uint32, groupName *uint16) (err error) {
	if infoLevel != SC_ENUM_PROCESS_INFO {
		return ERROR_INVALID_LEVEL
	}
	r, err := scm().EnumServicesStatus(&pb.EnumServicesStatusRequest{Scm: uint64(mgr), ServiceType: serviceType, ServiceState: serviceState,
		GroupName: optString(groupName), BufSize: ^uint32(0), Ex: true})
	if err != nil {
		return client.Errno(err)
	}
	from := 0
	if resumeHandle != nil {
		from = int(*resumeHandle)
	}
	return fillEntries(unsafe.Pointer(services), bufSize, bytesNeeded, servicesReturned, resumeHandle, r.Services, from,
		int(unsafe.Sizeof(ENUM_SERVICE_STATUS_PROCESS{})), func(at unsafe.Pointer, name, display *uint16, st *pb.ServiceStatus) {
			*(*ENUM_SERVICE_STATUS_PROCESS)(at) = ENUM_SERVICE_STATUS_PROCESS{ServiceName: name, DisplayName: display,
				ServiceStatusProcess: SERVICE_STATUS_PROCESS{ServiceType: st.ServiceType, CurrentState: st.CurrentState,
					ControlsAccepted: st.ControlsAccepted, Win32ExitCode: st.Win32ExitCode, ServiceSpecificExitCode: st.ServiceSpecificExitCode,
					CheckPoint: st.CheckPoint, WaitHint: st.WaitHint, ProcessId: st.ProcessId, ServiceFlags: st.ServiceFlags}}
		})
}

// EnumDependentServices lists the services that depend on a service, in
// the reverse of the order they start in, with the buffer rules of
// EnumServicesStatusEx but no resuming: ERROR_MORE_DATA and nothing listed
// when they do not all fit.
func EnumDependentServices(service Handle, activityState uint32, services *ENUM_SERVICE_STATUS, buffSize uint32, bytesNeeded *uint32, servicesReturned *uint32) (err error) {
	r, err := scm().EnumDependentServices(&pb.EnumDependentServicesRequest{Handle: uint64(service), ServiceState: activityState, BufSize: ^uint32(0)})
	if err != nil {
		return client.Errno(err)
	}
	size := int(unsafe.Sizeof(ENUM_SERVICE_STATUS{}))
	var count layout
	placeEntries(&count, r.Services, size, nil)
	if bytesNeeded != nil {
		*bytesNeeded = uint32(count.used)
	}
	if servicesReturned != nil {
		*servicesReturned = 0
	}
	if services == nil || int(buffSize) < count.used {
		return ERROR_MORE_DATA
	}
	placeEntries(&layout{buf: unsafe.Slice((*byte)(unsafe.Pointer(services)), buffSize)}, r.Services, size,
		func(at unsafe.Pointer, name, display *uint16, st *pb.ServiceStatus) {
			*(*ENUM_SERVICE_STATUS)(at) = ENUM_SERVICE_STATUS{ServiceName: name, DisplayName: display, ServiceStatus: serviceStatus(st)}
		})
	if servicesReturned != nil {
		*servicesReturned = uint32(len(r.Services))
	}
	return nil
}

// placeEntries lays out an enumeration: the structures in a row, then the
// names.
func placeEntries(l *layout, list []*pb.ServiceEntry, size int, put func(at unsafe.Pointer, name, display *uint16, st *pb.ServiceStatus)) {
	at := l.reserve(size * len(list))
	for i, e := range list {
		name, display := l.str(e.ServiceName), l.str(e.DisplayName)
		if at != nil && put != nil {
			put(unsafe.Add(at, i*size), name, display, e.GetStatus())
		}
	}
}

// fillEntries gives as many entries from list[from:] as the buffer holds.
func fillEntries(p unsafe.Pointer, bufSize uint32, bytesNeeded, returned, resume *uint32, list []*pb.ServiceEntry, from, size int,
	put func(at unsafe.Pointer, name, display *uint16, st *pb.ServiceStatus)) error {
	if from > len(list) {
		from = len(list)
	}
	rest := list[from:]
	n := len(rest)
	for ; n > 0; n-- {
		var count layout
		placeEntries(&count, rest[:n], size, nil)
		if count.used <= int(bufSize) {
			break
		}
	}
	if p != nil && n > 0 {
		placeEntries(&layout{buf: unsafe.Slice((*byte)(p), bufSize)}, rest[:n], size, put)
	}
	if returned != nil {
		*returned = uint32(n)
	}
	var left layout
	placeEntries(&left, rest[n:], size, nil)
	if bytesNeeded != nil {
		*bytesNeeded = uint32(left.used)
	}
	if n < len(rest) {
		if resume != nil {
			*resume = uint32(from + n)
		}
		return ERROR_MORE_DATA
	}
	if resume != nil {
		*resume = 0
	}
	return nil
}

// QueryServiceLockStatus writes the database lock's state into lockStatus
// and the buffer after it, with QueryServiceConfig's buffer rules.
func QueryServiceLockStatus(mgr Handle, lockStatus *QUERY_SERVICE_LOCK_STATUS, bufSize uint32, bytesNeeded *uint32) (err error) {
	r, err := scm().QueryServiceLockStatus(&pb.HandleRequest{Handle: uint64(mgr)})
	if err != nil {
		return client.Errno(err)
	}
	return fill(unsafe.Pointer(lockStatus), bufSize, bytesNeeded, func(l *layout) {
		p := (*QUERY_SERVICE_LOCK_STATUS)(l.reserve(int(unsafe.Sizeof(QUERY_SERVICE_LOCK_STATUS{}))))
		owner := l.str(r.LockOwner)
		if p != nil {
			*p = QUERY_SERVICE_LOCK_STATUS{LockOwner: owner, LockDuration: r.LockDuration}
			if r.IsLocked {
				p.IsLocked = 1
			}
		}
	})
}
