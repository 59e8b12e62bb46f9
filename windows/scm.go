package windows

import (
	"unsafe"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/statushook"
)

// The service control manager's calls, as x/sys declares them. A handle
// is the process's: every call goes through the process's one connection
// to scmd, so a handle opened here serves mgr.Mgr{Handle: h} and
// mgr.Service{Handle: h} as well, as on Windows. Strings are pointers to
// zero-terminated UTF-16; nil is "none".

func scm() *client.Conn { return client.Shared() }

// OpenSCManager opens the service control manager on machineName (nil or
// empty for this one; another machine is reached over TLS, and the handle
// and those opened through it are that machine's) with the access asked
// for. databaseName must be nil, ServicesActive or
// empty.
func OpenSCManager(machineName *uint16, databaseName *uint16, access uint32) (handle Handle, err error) {
	r, err := scm().OpenSCManager(&pb.OpenSCManagerRequest{Machine: utf16Arg(machineName), Database: utf16Arg(databaseName), DesiredAccess: access})
	if err != nil {
		return 0, client.Errno(err)
	}
	return Handle(r.Handle), nil
}

// OpenService opens a service by its name.
func OpenService(mgr Handle, serviceName *uint16, access uint32) (handle Handle, err error) {
	r, err := scm().OpenService(&pb.OpenServiceRequest{Scm: uint64(mgr), ServiceName: utf16Arg(serviceName), DesiredAccess: access})
	if err != nil {
		return 0, client.Errno(err)
	}
	return Handle(r.Handle), nil
}

// CloseServiceHandle closes a handle to the service control manager, a
// service or a database lock's owner.
func CloseServiceHandle(handle Handle) (err error) {
	_, err = scm().CloseServiceHandle(&pb.HandleRequest{Handle: uint64(handle)})
	return client.Errno(err)
}

// DeleteService marks a service for deletion: it goes when it has stopped
// and its last handle is closed.
func DeleteService(service Handle) (err error) {
	_, err = scm().DeleteService(&pb.HandleRequest{Handle: uint64(service)})
	return client.Errno(err)
}

// StartService starts a service with numArgs arguments (argVectors points
// to the first of them); its ServiceMain gets the name first, then these.
func StartService(service Handle, numArgs uint32, argVectors **uint16) (err error) {
	var args []string
	if numArgs > 0 && argVectors != nil {
		for _, p := range unsafe.Slice(argVectors, numArgs) {
			args = append(args, UTF16PtrToString(p))
		}
	}
	_, err = scm().StartService(&pb.StartServiceRequest{Handle: uint64(service), Args: args})
	return client.Errno(err)
}

// ControlService sends a control to a service and returns its status in
// status, also when the service refused the control.
func ControlService(service Handle, control uint32, status *SERVICE_STATUS) (err error) {
	r, err := scm().ControlService(&pb.ControlServiceRequest{Handle: uint64(service), Control: control})
	if err != nil {
		return client.Errno(err)
	}
	if st := r.GetStatus(); st != nil && status != nil {
		*status = serviceStatus(st)
	}
	if r.Win32Error != 0 {
		return Errno(r.Win32Error)
	}
	return nil
}

// QueryServiceStatus returns a service's status in status.
func QueryServiceStatus(service Handle, status *SERVICE_STATUS) (err error) {
	st, err := scm().QueryServiceStatus(&pb.HandleRequest{Handle: uint64(service)})
	if err != nil {
		return client.Errno(err)
	}
	*status = serviceStatus(st)
	return nil
}

// QueryServiceStatusEx writes a SERVICE_STATUS_PROCESS into buff at
// SC_STATUS_PROCESS_INFO, the one level there is; a buffer smaller than
// one fails with ERROR_INSUFFICIENT_BUFFER, bytesNeeded saying how large.
func QueryServiceStatusEx(service Handle, infoLevel uint32, buff *byte, buffSize uint32, bytesNeeded *uint32) (err error) {
	if infoLevel != SC_STATUS_PROCESS_INFO {
		return ERROR_INVALID_LEVEL
	}
	const size = uint32(unsafe.Sizeof(SERVICE_STATUS_PROCESS{}))
	if bytesNeeded != nil {
		*bytesNeeded = size
	}
	if buffSize < size || buff == nil {
		return ERROR_INSUFFICIENT_BUFFER
	}
	st, err := scm().QueryServiceStatus(&pb.HandleRequest{Handle: uint64(service)})
	if err != nil {
		return client.Errno(err)
	}
	*(*SERVICE_STATUS_PROCESS)(unsafe.Pointer(buff)) = SERVICE_STATUS_PROCESS{
		ServiceType: st.ServiceType, CurrentState: st.CurrentState, ControlsAccepted: st.ControlsAccepted,
		Win32ExitCode: st.Win32ExitCode, ServiceSpecificExitCode: st.ServiceSpecificExitCode,
		CheckPoint: st.CheckPoint, WaitHint: st.WaitHint, ProcessId: st.ProcessId, ServiceFlags: st.ServiceFlags,
	}
	return nil
}

func serviceStatus(st *pb.ServiceStatus) SERVICE_STATUS {
	return SERVICE_STATUS{ServiceType: st.ServiceType, CurrentState: st.CurrentState, ControlsAccepted: st.ControlsAccepted,
		Win32ExitCode: st.Win32ExitCode, ServiceSpecificExitCode: st.ServiceSpecificExitCode, CheckPoint: st.CheckPoint, WaitHint: st.WaitHint}
}

// SetServiceStatus reports a service's status to the SCM: the service is
// the one windows/svc runs in this process, and service its status handle
// (svc.StatusHandle). Any other handle is ERROR_INVALID_HANDLE.
func SetServiceStatus(service Handle, serviceStatus *SERVICE_STATUS) (err error) {
	if statushook.SetServiceStatus == nil || serviceStatus == nil {
		return ERROR_INVALID_HANDLE
	}
	return statushook.SetServiceStatus(uintptr(service), serviceStatus)
}
