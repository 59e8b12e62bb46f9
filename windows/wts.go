package windows

import (
	"unsafe"

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

// The answers of WTSSendMessage, as MessageBox's.
const (
	IDOK       = 1
	IDCANCEL   = 2
	IDABORT    = 3
	IDRETRY    = 4
	IDIGNORE   = 5
	IDYES      = 6
	IDNO       = 7
	IDTRYAGAIN = 10
	IDCONTINUE = 11
	IDTIMEOUT  = 32000
	IDASYNC    = 32001
)

// Message box styles: the buttons, the icon, the default button.
const (
	MB_OK                = 0x00000000
	MB_OKCANCEL          = 0x00000001
	MB_ABORTRETRYIGNORE  = 0x00000002
	MB_YESNOCANCEL       = 0x00000003
	MB_YESNO             = 0x00000004
	MB_RETRYCANCEL       = 0x00000005
	MB_CANCELTRYCONTINUE = 0x00000006
	MB_ICONHAND          = 0x00000010
	MB_ICONERROR         = 0x00000010
	MB_ICONQUESTION      = 0x00000020
	MB_ICONEXCLAMATION   = 0x00000030
	MB_ICONWARNING       = 0x00000030
	MB_ICONASTERISK      = 0x00000040
	MB_ICONINFORMATION   = 0x00000040
	MB_DEFBUTTON1        = 0x00000000
	MB_DEFBUTTON2        = 0x00000100
	MB_DEFBUTTON3        = 0x00000200
)

// WTSSendMessage shows a message box in a session: a desktop notification
// with the box's buttons in a graphical session, the text on the terminal
// in a text one. titleLength and messageLength are in bytes. With wait the
// answer comes in response (IDOK, IDYES, ..., IDTIMEOUT when timeout
// seconds passed; 0 waits for ever); without it, IDASYNC at once. A user
// may send to their own session, an administrator to any.
func WTSSendMessage(server Handle, sessionID uint32, title *uint16, titleLength uint32, message *uint16, messageLength uint32, style uint32, timeout uint32, response *uint32, wait bool) (err error) {
	if server != WTS_CURRENT_SERVER_HANDLE {
		return ERROR_INVALID_HANDLE
	}
	text := func(p *uint16, n uint32) string {
		if p == nil || n == 0 {
			return ""
		}
		return UTF16ToString(unsafe.Slice(p, n/2))
	}
	if sessionID == 0xFFFFFFFF { // WTS_CURRENT_SESSION
		if err := ProcessIdToSessionId(GetCurrentProcessId(), &sessionID); err != nil {
			return err
		}
	}
	r, err := scm().WTSSendMessage(&pb.SendMessageRequest{SessionId: sessionID, Title: text(title, titleLength),
		Message: text(message, messageLength), Style: style, Timeout: timeout, Wait: wait})
	if err != nil {
		return client.Errno(err)
	}
	if response != nil {
		*response = r.Response
	}
	return nil
}
