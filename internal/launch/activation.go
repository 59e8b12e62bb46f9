package launch

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Sockets holds listening sockets for services that are started by their
// first connection (socket activation): a TCP port ("tcp:PORT") or a unix
// socket ("unix:PATH"). While the service is stopped the SCM keeps the
// socket; a connection waits in its backlog, and the service gets the
// socket itself at launch (Files), as descriptors from 4 on.
type Sockets struct {
	logf func(format string, args ...any)

	mu sync.Mutex
	by map[string][]*heldSocket // by service, lower case
}

type heldSocket struct {
	endpoint string
	file     *os.File
}

// NewSockets returns an empty set of held sockets.
func NewSockets(logf func(format string, args ...any)) *Sockets {
	return &Sockets{logf: logf, by: map[string][]*heldSocket{}}
}

// Hold makes the sockets held for service exactly endpoints: it opens the
// new ones and closes those no longer wanted. For each new socket,
// connected(endpoint) is called whenever a connection waits on it; it is
// asked again 100 ms later if the connection still waits then.
func (s *Sockets) Hold(service string, endpoints []string, connected func(endpoint string)) {
	key := strings.ToLower(service)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := map[string]*heldSocket{}
	for _, h := range s.by[key] {
		old[h.endpoint] = h
	}
	var keep []*heldSocket
	for _, ep := range endpoints {
		if h, ok := old[ep]; ok {
			keep = append(keep, h)
			delete(old, ep)
			continue
		}
		f, err := listenEndpoint(ep)
		if err != nil {
			s.logf("socket activation of %s on %s: %v", service, ep, err)
			continue
		}
		h := &heldSocket{endpoint: ep, file: f}
		keep = append(keep, h)
		go h.watch(connected)
	}
	for _, h := range old {
		h.file.Close()
	}
	if len(keep) == 0 {
		delete(s.by, key)
		return
	}
	s.by[key] = keep
}

// Files returns copies of the sockets held for service, for its launch
// (which closes them), and the environment that names them.
func (s *Sockets) Files(service string) ([]*os.File, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var files []*os.File
	var names []string
	for _, h := range s.by[strings.ToLower(service)] {
		fd, err := unix.FcntlInt(h.file.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			s.logf("%s: passing socket %s: %v", service, h.endpoint, err)
			continue
		}
		files = append(files, os.NewFile(uintptr(fd), h.endpoint))
		names = append(names, h.endpoint)
	}
	if len(files) == 0 {
		return nil, nil
	}
	return files, []string{"SCM_LISTEN_FDS=" + fmt.Sprint(len(files)), "SCM_LISTEN_FDNAMES=" + strings.Join(names, ":")}
}

// Close closes every held socket.
func (s *Sockets) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, list := range s.by {
		for _, h := range list {
			h.file.Close()
		}
		delete(s.by, key)
	}
}

func listenEndpoint(ep string) (*os.File, error) {
	network, addr, _ := strings.Cut(ep, ":")
	if network == "tcp" {
		addr = ":" + addr
	} else {
		os.MkdirAll(filepath.Dir(addr), 0o755)
		os.Remove(addr)
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		os.Chmod(addr, 0o666)
		l.(*net.UnixListener).SetUnlinkOnClose(false)
	}
	f, err := l.(interface{ File() (*os.File, error) }).File()
	l.Close()
	return f, err
}

// watch calls connected while a connection waits; it ends when the socket
// is closed. The socket is shared with the service once it runs, so it is
// polled rather than accepted from.
func (h *heldSocket) watch(connected func(endpoint string)) {
	fd := int(h.file.Fd())
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 200)
		if err == unix.EINTR {
			continue
		}
		if err != nil || fds[0].Revents&(unix.POLLNVAL|unix.POLLERR) != 0 {
			return
		}
		if n > 0 {
			connected(h.endpoint)
			// The service has the socket now; look again once it has
			// had time to take the connection or has stopped.
			time.Sleep(100 * time.Millisecond)
		}
	}
}
