package client

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// BridgeCommand is the program that carries a connection to another
// machine's scmd: it dials the host, speaks TLS with the caller's
// certificate (internal/remote) and passes bytes between the socket it is
// given as its standard input and output and the TLS session. A local
// call then links and initialises no TLS stack: sc query starts as fast
// as before, and a remote call pays one process start per socket.
const BridgeCommand = "scm-remote"

// DialRemote returns a connection to the SCM on host ("name", "address",
// "name:port", "[v6]:port"), made by the first call as Dial's is. A
// host that cannot be reached fails the call with RPC_S_SERVER_UNAVAILABLE;
// a certificate the host does not accept, with ERROR_ACCESS_DENIED.
func DialRemote(host string) *Conn {
	c := Dial("")
	c.host = host
	return c
}

// Host is the machine a Conn reaches: "" for this one.
func (c *Conn) Host() string { return c.host }

// connect opens a socket to the Conn's SCM.
func (c *Conn) connect() (*wire, error) {
	if c.host != "" {
		return connectBridge(c.host)
	}
	return connectSocket(c.path)
}

// connectBridge starts the bridge to host on one end of a socket pair and
// returns the other. The bridge's diagnostics, if any, go to standard
// error: which file it could not read, which host it could not reach.
func connectBridge(host string) (*wire, error) {
	bridge, err := bridgePath()
	if err != nil {
		fmt.Fprintf(os.Stderr, "scm: %v\n", err)
		return nil, rpcServerUnavailable
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, rpcServerUnavailable
	}
	theirs := os.NewFile(uintptr(fds[1]), "bridge")
	p, err := os.StartProcess(bridge, []string{BridgeCommand, host}, &os.ProcAttr{
		Files: []*os.File{theirs, theirs, os.Stderr},
	})
	theirs.Close()
	if err != nil {
		unix.Close(fds[0])
		return nil, rpcServerUnavailable
	}
	go p.Wait() // it ends when the socket closes
	f := os.NewFile(uintptr(fds[0]), host)
	return &wire{fd: fds[0], sock: f, r: bufio.NewReaderSize(f, 16<<10)}, nil
}

// bridgePath finds the bridge beside the running program, as the
// project's binaries are installed together, or else on PATH.
func bridgePath() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), BridgeCommand)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(BridgeCommand)
	if err != nil {
		return "", fmt.Errorf("%s, which carries calls to other machines, is neither beside %s nor on PATH", BridgeCommand, os.Args[0])
	}
	return p, nil
}

// remoteCallTimeout bounds a call to another machine, reply included:
// scmd answers every call within a minute (WaitServiceStatus waits at
// most that long) but StartService, which waits for the service's process
// to take the start (ServicesPipeTimeout, which an administrator may
// raise) and for its turn to launch. A server silent for longer is hung,
// and the call fails with RPC_S_SERVER_UNAVAILABLE rather than wait for it.
var (
	remoteCallTimeout  = 90 * time.Second
	remoteStartTimeout = 10 * time.Minute
)

var errCallTimeout = errors.New("scm: no reply in time")

// callOnce makes one call on w; to another machine, within its bound. The
// watchdog shuts the socket down, which ends the read the call is blocked
// in; the socket is then not used again. The two agree under a lock on
// which of them finished first, so the watchdog never touches a socket
// the call has given back.
func (c *Conn) callOnce(w *wire, method, session string, body []byte) (*response, error) {
	if c.host == "" {
		return w.call(method, session, body)
	}
	bound := remoteCallTimeout
	if method == "StartService" {
		bound = remoteStartTimeout
	}
	var mu sync.Mutex
	finished, expired := false, false
	t := time.AfterFunc(bound, func() {
		mu.Lock()
		defer mu.Unlock()
		if !finished {
			expired = true
			unix.Shutdown(w.fd, unix.SHUT_RDWR)
		}
	})
	reply, err := w.call(method, session, body)
	t.Stop()
	mu.Lock()
	finished = true
	timedOut := expired
	mu.Unlock()
	if timedOut {
		return nil, errCallTimeout
	}
	return reply, err
}
