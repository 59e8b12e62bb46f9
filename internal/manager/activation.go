package manager

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// Socket activation: for a service with a firewall-port-open or a
// named-pipe trigger, scmd holds the listening socket (a TCP port, or a
// unix socket for the "named pipe") while the service is stopped, starts it
// with the trigger start reason when the first connection comes, and hands
// it the socket: as descriptors from 4 on, named in SCM_LISTEN_FDS and
// SCM_LISTEN_FDNAMES (scm-wrap passes them on in systemd's LISTEN_FDS form).
// A connection made before the service existed waits in the socket's
// backlog and reaches the service.

type activation struct {
	name string
	file *os.File // the listening socket, kept by scmd
}

type activations struct {
	mu   sync.Mutex
	by   map[string][]*activation // by service, lower case
	pipe string                   // directory of named pipes
}

// endpoint is the address a trigger asks scmd to listen on: "tcp:PORT" or
// "unix:PATH"; "" if the trigger is not one of these.
func (m *Manager) endpoint(t *services.Trigger) string {
	if t.Action != windows.SERVICE_TRIGGER_ACTION_SERVICE_START {
		return ""
	}
	data := t.Strings()
	switch {
	case t.Type == windows.SERVICE_TRIGGER_TYPE_FIREWALL_PORT_EVENT && t.SubType == services.FirewallPortOpen && len(data) > 0:
		// "port;protocol;..." as sc's portopen parameter.
		fields := strings.Split(data[0], ";")
		port, err := strconv.Atoi(strings.TrimSpace(fields[0]))
		if err != nil || port <= 0 || port > 65535 {
			return ""
		}
		if len(fields) > 1 && !strings.EqualFold(strings.TrimSpace(fields[1]), "tcp") {
			return "" // only TCP is listened for
		}
		return "tcp:" + strconv.Itoa(port)
	case t.Type == windows.SERVICE_TRIGGER_TYPE_NETWORK_ENDPOINT && t.SubType == services.NamedPipeEvent && len(data) > 0:
		p := data[0]
		if !filepath.IsAbs(p) {
			p = filepath.Join(m.activation.pipe, filepath.Base(p))
		}
		return "unix:" + p
	}
	return ""
}

// EnableActivation starts holding sockets for the services that ask for
// them; pipeDir is where relative named pipes go.
func (m *Manager) EnableActivation(pipeDir string) {
	m.mu.Lock()
	m.activation = &activations{by: map[string][]*activation{}, pipe: pipeDir}
	names := make([]string, 0, len(m.services))
	for _, s := range m.services {
		names = append(names, s.cfg.Name)
	}
	m.mu.Unlock()
	for _, n := range names {
		m.syncActivation(n)
	}
}

// syncActivation opens the sockets a service's triggers ask for (and closes
// those they no longer do), and watches them.
func (m *Manager) syncActivation(name string) {
	m.mu.Lock()
	a := m.activation
	s := m.find(name)
	var want []string
	if s != nil {
		for i := range s.cfg.Triggers {
			if ep := m.endpoint(&s.cfg.Triggers[i]); ep != "" {
				want = append(want, ep)
			}
		}
	}
	m.mu.Unlock()
	if a == nil {
		return
	}
	key := strings.ToLower(name)
	a.mu.Lock()
	defer a.mu.Unlock()
	old := map[string]*activation{}
	for _, act := range a.by[key] {
		old[act.name] = act
	}
	var keep []*activation
	for _, ep := range want {
		if act, ok := old[ep]; ok {
			keep = append(keep, act)
			delete(old, ep)
			continue
		}
		f, err := listen(ep)
		if err != nil {
			m.logf("socket activation of %s on %s: %v", name, ep, err)
			continue
		}
		act := &activation{name: ep, file: f}
		keep = append(keep, act)
		go m.watchActivation(name, act)
	}
	for _, act := range old {
		act.file.Close()
	}
	a.by[key] = keep
}

func listen(ep string) (*os.File, error) {
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

// watchActivation starts the service when a connection waits on a socket
// while it is stopped; it ends when the socket is closed.
func (m *Manager) watchActivation(name string, act *activation) {
	fd := int(act.file.Fd())
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 200)
		if err == unix.EINTR {
			continue
		}
		if err != nil || fds[0].Revents&(unix.POLLNVAL|unix.POLLERR) != 0 {
			return
		}
		m.mu.Lock()
		s := m.find(name)
		if s == nil {
			m.mu.Unlock()
			return
		}
		stopped := m.statusOf(s).CurrentState == windows.SERVICE_STOPPED
		if n > 0 && stopped && s.cfg.Start != windows.SERVICE_DISABLED && !s.deleted {
			m.logf("socket activation: starting %s for a connection on %s", name, act.name)
			m.apply(m.core.StartService(m.now(), 0, s.cfg.Name, nil, windows.SERVICE_START_REASON_TRIGGER))
		}
		m.mu.Unlock()
		if n > 0 {
			// The service has the socket now; look again once it has
			// had time to take the connection or has stopped.
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// listenFiles are copies of the sockets a service gets at launch (the
// launch, which runs on its own, closes them), and the environment that
// names them. m.mu is held.
func (m *Manager) listenFiles(name string) ([]*os.File, []string) {
	a := m.activation
	if a == nil {
		return nil, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	acts := a.by[strings.ToLower(name)]
	if len(acts) == 0 {
		return nil, nil
	}
	var files []*os.File
	var names []string
	for _, act := range acts {
		fd, err := unix.FcntlInt(act.file.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			m.logf("%s: passing socket %s: %v", name, act.name, err)
			continue
		}
		files = append(files, os.NewFile(uintptr(fd), act.name))
		names = append(names, act.name)
	}
	if len(files) == 0 {
		return nil, nil
	}
	return files, []string{"SCM_LISTEN_FDS=" + fmt.Sprint(len(files)), "SCM_LISTEN_FDNAMES=" + strings.Join(names, ":")}
}
