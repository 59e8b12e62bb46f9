package windows

import (
	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

// Sessions, as Windows Terminal Services names them: session 0 is the
// services', and every login session of the machine (a seat's, an ssh
// login) is one more, with an id of its own while it lives.

// WTS_CURRENT_SERVER_HANDLE is this machine.
const WTS_CURRENT_SERVER_HANDLE Handle = 0

// Event types of SERVICE_CONTROL_SESSIONCHANGE.
const (
	WTS_CONSOLE_CONNECT        = 0x1
	WTS_CONSOLE_DISCONNECT     = 0x2
	WTS_REMOTE_CONNECT         = 0x3
	WTS_REMOTE_DISCONNECT      = 0x4
	WTS_SESSION_LOGON          = 0x5
	WTS_SESSION_LOGOFF         = 0x6
	WTS_SESSION_LOCK           = 0x7
	WTS_SESSION_UNLOCK         = 0x8
	WTS_SESSION_REMOTE_CONTROL = 0x9
	WTS_SESSION_CREATE         = 0xa
	WTS_SESSION_TERMINATE      = 0xb
)

// WTS_CONNECTSTATE_CLASS.
const (
	WTSActive       = 0
	WTSConnected    = 1
	WTSConnectQuery = 2
	WTSShadow       = 3
	WTSDisconnected = 4
	WTSIdle         = 5
	WTSListen       = 6
	WTSReset        = 7
	WTSDown         = 8
	WTSInit         = 9
)

// WTSSESSION_NOTIFICATION is SERVICE_CONTROL_SESSIONCHANGE's event data.
type WTSSESSION_NOTIFICATION struct {
	Size      uint32
	SessionID uint32
}

// WTS_SESSION_INFO is one session as WTSEnumerateSessions lists it.
type WTS_SESSION_INFO struct {
	SessionID         uint32
	WindowStationName *uint16
	State             uint32
}

// WTSEnumerateSessions lists the sessions of this machine (handle
// WTS_CURRENT_SERVER_HANDLE; version must be 1). The list is Go memory:
// WTSFreeMemory need not be called, and does nothing.
func WTSEnumerateSessions(handle Handle, reserved uint32, version uint32, sessions **WTS_SESSION_INFO, count *uint32) (err error) {
	if handle != WTS_CURRENT_SERVER_HANDLE {
		return ERROR_INVALID_HANDLE
	}
	if reserved != 0 || version != 1 || sessions == nil || count == nil {
		return ERROR_INVALID_PARAMETER
	}
	r, err := scm().EnumerateSessions(&pb.Empty{})
	if err != nil {
		return client.Errno(err)
	}
	list := make([]WTS_SESSION_INFO, len(r.Sessions))
	for i, s := range r.Sessions {
		list[i] = WTS_SESSION_INFO{SessionID: s.Id, WindowStationName: StringToUTF16Ptr(s.Name), State: s.State}
	}
	*count = uint32(len(list))
	*sessions = nil
	if len(list) > 0 {
		*sessions = &list[0]
	}
	return nil
}

// WTSFreeMemory frees what a WTS call returned; here the garbage
// collector does.
func WTSFreeMemory(ptr uintptr) {}

// WTSGetActiveConsoleSessionId is the session on the physical console, or
// 0xFFFFFFFF when there is none (or scmd cannot be reached).
func WTSGetActiveConsoleSessionId() (sessionID uint32) {
	r, err := scm().EnumerateSessions(&pb.Empty{})
	if err != nil {
		return 0xFFFFFFFF
	}
	return r.Console
}

// ProcessIdToSessionId is the session a process runs in: 0 for services
// and what they start.
func ProcessIdToSessionId(pid uint32, sessionid *uint32) (err error) {
	r, err := scm().ProcessIdToSessionId(&pb.ProcessRequest{Pid: pid})
	if err != nil {
		return client.Errno(err)
	}
	*sessionid = r.SessionId
	return nil
}
