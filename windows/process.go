package windows

import (
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// What service programs ask about processes: their own id, another's
// handle, its priority class (a nice value here), the standard handles.

const (
	PROCESS_TERMINATE                 = 0x0001
	PROCESS_SET_INFORMATION           = 0x0200
	PROCESS_QUERY_INFORMATION         = 0x0400
	PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
	PROCESS_ALL_ACCESS                = 0x001FFFFF

	// Priority class.
	ABOVE_NORMAL_PRIORITY_CLASS = 0x00008000
	BELOW_NORMAL_PRIORITY_CLASS = 0x00004000
	HIGH_PRIORITY_CLASS         = 0x00000080
	IDLE_PRIORITY_CLASS         = 0x00000040
	NORMAL_PRIORITY_CLASS       = 0x00000020
	REALTIME_PRIORITY_CLASS     = 0x00000100

	STD_INPUT_HANDLE  = -10 & (1<<32 - 1)
	STD_OUTPUT_HANDLE = -11 & (1<<32 - 1)
	STD_ERROR_HANDLE  = -12 & (1<<32 - 1)
)

// NO_ERROR is ERROR_SUCCESS under its other name.
const NO_ERROR Errno = 0

// GetCurrentProcessId returns the calling process's id.
func GetCurrentProcessId() (pid uint32) { return uint32(os.Getpid()) }

// CurrentProcess returns the handle for the current process: a pseudo
// handle that needs no closing.
func CurrentProcess() Handle { return Handle(^uintptr(1 - 1)) }

// GetCurrentProcess returns the handle for the current process.
//
// Deprecated: use CurrentProcess.
func GetCurrentProcess() (Handle, error) { return CurrentProcess(), nil }

// processes are the handles OpenProcess gave: the process id each names.
var processes = struct {
	sync.Mutex
	byHandle map[Handle]int
	next     Handle
}{byHandle: map[Handle]int{}, next: 0x10000}

// OpenProcess opens a handle to a running process. One that is not there
// is ERROR_INVALID_PARAMETER, as on Windows; one the caller may not signal
// is ERROR_ACCESS_DENIED.
func OpenProcess(desiredAccess uint32, inheritHandle bool, processId uint32) (handle Handle, err error) {
	if processId == 0 {
		return 0, ERROR_INVALID_PARAMETER
	}
	switch err := unix.Kill(int(processId), 0); err {
	case nil:
	case unix.EPERM:
		if desiredAccess&^(PROCESS_QUERY_INFORMATION|PROCESS_QUERY_LIMITED_INFORMATION|SYNCHRONIZE) != 0 {
			return 0, ERROR_ACCESS_DENIED
		}
	default:
		return 0, ERROR_INVALID_PARAMETER
	}
	processes.Lock()
	defer processes.Unlock()
	processes.next += 4
	processes.byHandle[processes.next] = int(processId)
	return processes.next, nil
}

// CloseHandle closes a handle OpenProcess or WTSQueryUserToken gave.
func CloseHandle(handle Handle) (err error) {
	if handle == CurrentProcess() || handle == CurrentThread() {
		return nil
	}
	if closeToken(handle) {
		return nil
	}
	processes.Lock()
	defer processes.Unlock()
	if _, ok := processes.byHandle[handle]; !ok {
		return ERROR_INVALID_HANDLE
	}
	delete(processes.byHandle, handle)
	return nil
}

func pidOf(process Handle) (int, error) {
	if process == CurrentProcess() {
		return os.Getpid(), nil
	}
	processes.Lock()
	defer processes.Unlock()
	pid, ok := processes.byHandle[process]
	if !ok {
		return 0, ERROR_INVALID_HANDLE
	}
	return pid, nil
}

// The priority classes as nice values: what Windows' base priorities
// (4, 6, 8, 10, 13, 24) come to on Linux's scale.
var niceOfClass = []struct {
	class uint32
	nice  int
}{
	{IDLE_PRIORITY_CLASS, 19}, {BELOW_NORMAL_PRIORITY_CLASS, 10}, {NORMAL_PRIORITY_CLASS, 0},
	{ABOVE_NORMAL_PRIORITY_CLASS, -5}, {HIGH_PRIORITY_CLASS, -10}, {REALTIME_PRIORITY_CLASS, -20},
}

// GetPriorityClass returns a process's priority class: the class whose
// nice value is nearest the process's own.
func GetPriorityClass(process Handle) (ret uint32, err error) {
	pid, err := pidOf(process)
	if err != nil {
		return 0, err
	}
	// getpriority returns 20 - nice, so that no success is negative.
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, pid)
	if err != nil {
		return 0, ERROR_INVALID_PARAMETER
	}
	nice := 20 - prio
	best := niceOfClass[0]
	for _, c := range niceOfClass[1:] {
		if abs(c.nice-nice) < abs(best.nice-nice) {
			best = c
		}
	}
	return best.class, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// SetPriorityClass sets a process's priority class, as its nice value. A
// class above normal takes the privilege to raise priorities
// (CAP_SYS_NICE): ERROR_PRIVILEGE_NOT_HELD without it.
func SetPriorityClass(process Handle, priorityClass uint32) (err error) {
	pid, err := pidOf(process)
	if err != nil {
		return err
	}
	for _, c := range niceOfClass {
		if c.class == priorityClass {
			switch err := unix.Setpriority(unix.PRIO_PROCESS, pid, c.nice); err {
			case nil:
				return nil
			case unix.EACCES, unix.EPERM:
				return ERROR_PRIVILEGE_NOT_HELD
			default:
				return ERROR_INVALID_PARAMETER
			}
		}
	}
	return ERROR_INVALID_PARAMETER
}

// GetStdHandle returns the standard input, output or error: its
// descriptor.
func GetStdHandle(stdhandle uint32) (handle Handle, err error) {
	switch stdhandle {
	case STD_INPUT_HANDLE:
		return Handle(syscall.Stdin), nil
	case STD_OUTPUT_HANDLE:
		return Handle(syscall.Stdout), nil
	case STD_ERROR_HANDLE:
		return Handle(syscall.Stderr), nil
	}
	return InvalidHandle, ERROR_INVALID_HANDLE
}
