package svc

import (
	"os"
	"strconv"
	"sync"

	"github.com/openscm/scm/internal/protocol"
	"golang.org/x/sys/unix"
)

// controlFD is the descriptor of the channel to the SCM that started this
// process, or -1. It is taken from the environment once, at start-up, and
// the variable is removed and the descriptor marked close-on-exec, so that
// the programs a service runs are not services themselves.
var (
	controlOnce sync.Once
	controlFD   = -1
)

func init() { takeControlFD() }

func takeControlFD() int {
	controlOnce.Do(func() {
		v, ok := os.LookupEnv(protocol.EnvFD)
		if !ok {
			return
		}
		os.Unsetenv(protocol.EnvFD)
		fd, err := strconv.Atoi(v)
		if err != nil || fd < 0 {
			return
		}
		// The channel is a SOCK_SEQPACKET socket whose other end is the
		// parent: anything else is not the SCM.
		typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		if err != nil || typ != unix.SOCK_SEQPACKET {
			return
		}
		cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil || int(cred.Pid) != os.Getppid() {
			return
		}
		unix.CloseOnExec(fd)
		controlFD = fd
	})
	return controlFD
}

// IsAnInteractiveSession determines if calling process is running
// interactively: anything that is not a service is.
func IsAnInteractiveSession() (bool, error) {
	return takeControlFD() < 0, nil
}

// IsWindowsService reports whether the process is currently executing as a
// service: it was started by the SCM and holds its control channel. A
// program run from a shell, or by a service, is not.
func IsWindowsService() (bool, error) {
	return takeControlFD() >= 0, nil
}
