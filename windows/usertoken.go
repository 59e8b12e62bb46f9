package windows

import (
	"sync"
	"unsafe"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

// A service reaches a user's session through a process it starts there,
// as on Windows: WTSQueryUserToken, for LocalSystem, gives a token of the
// session's user, and CreateProcessAsUser starts a program with it, as
// that user, in that session, with the session's environment.

// Token is an access token: here, the session user's, from
// WTSQueryUserToken.
type Token Handle

// Close closes the token.
func (t Token) Close() error { return CloseHandle(Handle(t)) }

// SecurityAttributes is the SECURITY_ATTRIBUTES of the objects a call
// creates; here the process's descriptor is its user's.
type SecurityAttributes struct {
	Length             uint32
	SecurityDescriptor *SECURITY_DESCRIPTOR
	InheritHandle      uint32
}

// StartupInfo is STARTUPINFOW. Its window and console fields mean nothing
// to a Linux process and are ignored.
type StartupInfo struct {
	Cb            uint32
	_             *uint16
	Desktop       *uint16
	Title         *uint16
	X             uint32
	Y             uint32
	XSize         uint32
	YSize         uint32
	XCountChars   uint32
	YCountChars   uint32
	FillAttribute uint32
	Flags         uint32
	ShowWindow    uint16
	_             uint16
	_             *byte
	StdInput      Handle
	StdOutput     Handle
	StdErr        Handle
}

// ProcessInformation is what CreateProcessAsUser returns of the process.
type ProcessInformation struct {
	Process   Handle
	Thread    Handle
	ProcessId uint32
	ThreadId  uint32
}

// tokens maps token handles to scmd's handles of them.
var tokens = struct {
	sync.Mutex
	byHandle map[Handle]uint64
	next     Handle
}{byHandle: map[Handle]uint64{}, next: 0x7000000}

// WTSQueryUserToken gives the token of a session's user. Only LocalSystem
// may have one (ERROR_PRIVILEGE_NOT_HELD); session 0 has no user
// (ERROR_NO_TOKEN).
func WTSQueryUserToken(session uint32, token *Token) (err error) {
	r, err := scm().WTSQueryUserToken(&pb.SessionRequest{SessionId: session})
	if err != nil {
		return client.Errno(err)
	}
	tokens.Lock()
	defer tokens.Unlock()
	tokens.next += 4
	tokens.byHandle[tokens.next] = r.Handle
	*token = Token(tokens.next)
	return nil
}

// closeToken closes a token handle, scmd's with it; false if h is none.
func closeToken(h Handle) bool {
	tokens.Lock()
	id, ok := tokens.byHandle[h]
	delete(tokens.byHandle, h)
	tokens.Unlock()
	if ok {
		scm().CloseServiceHandle(&pb.HandleRequest{Handle: id})
	}
	return ok
}

// CreateProcessAsUser starts a program as the token's user in its session.
// commandLine is split as Windows splits one; appName, if given, is the
// program. env, if given, is the environment block (NUL-separated strings
// ending in an empty one) in place of the session's; currentDir, if given,
// the working directory (else the user's home). The process's handle in
// outProcInfo works with the process calls (GetPriorityClass, CloseHandle).
func CreateProcessAsUser(token Token, appName *uint16, commandLine *uint16, procSecurity *SecurityAttributes, threadSecurity *SecurityAttributes, inheritHandles bool, creationFlags uint32, env *uint16, currentDir *uint16, startupInfo *StartupInfo, outProcInfo *ProcessInformation) (err error) {
	tokens.Lock()
	id, ok := tokens.byHandle[Handle(token)]
	tokens.Unlock()
	if !ok {
		return ERROR_INVALID_HANDLE
	}
	req := &pb.CreateProcessRequest{Token: id, Application: utf16Arg(appName), CommandLine: utf16Arg(commandLine),
		CurrentDirectory: utf16Arg(currentDir)}
	if env != nil {
		req.HasEnvironment = true
		req.Environment = environmentBlock(env, creationFlags)
	}
	r, err := scm().CreateProcessAsUser(req)
	if err != nil {
		return client.Errno(err)
	}
	if outProcInfo != nil {
		h, _ := OpenProcess(PROCESS_QUERY_INFORMATION|SYNCHRONIZE, false, r.Pid)
		*outProcInfo = ProcessInformation{Process: h, Thread: CurrentThread(), ProcessId: r.Pid, ThreadId: r.Pid}
	}
	return nil
}

// CREATE_UNICODE_ENVIRONMENT says the environment block is UTF-16.
const CREATE_UNICODE_ENVIRONMENT = 0x00000400

// environmentBlock reads an environment block: UTF-16 with
// CREATE_UNICODE_ENVIRONMENT, bytes otherwise.
func environmentBlock(env *uint16, flags uint32) []string {
	var out []string
	if flags&CREATE_UNICODE_ENVIRONMENT != 0 {
		for p := env; *p != 0; {
			s := UTF16PtrToString(p)
			out = append(out, s)
			p = (*uint16)(unsafe.Add(unsafe.Pointer(p), 2*(len(StringToUTF16(s)))))
		}
		return out
	}
	b := (*byte)(unsafe.Pointer(env))
	for *b != 0 {
		var s []byte
		for ; *b != 0; b = (*byte)(unsafe.Add(unsafe.Pointer(b), 1)) {
			s = append(s, *b)
		}
		out = append(out, string(s))
		b = (*byte)(unsafe.Add(unsafe.Pointer(b), 1))
	}
	return out
}

// CurrentThread is the pseudo handle of the calling thread.
func CurrentThread() Handle { return Handle(^uintptr(2 - 1)) }
