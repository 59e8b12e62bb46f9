package manager

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// Socket activation: for a service with a firewall-port-open or a
// named-pipe trigger, scmd holds the listening socket (a TCP port, or a
// unix socket for the "named pipe") while the service is stopped, starts it
// with the trigger start reason when the first connection comes, and hands
// it the socket: as descriptors from 4 on, named in SCM_LISTEN_FDS and
// SCM_LISTEN_FDNAMES (scm-wrap passes them on in systemd's LISTEN_FDS form).
// A connection made before the service existed waits in the socket's
// backlog and reaches the service.

type activations struct {
	sockets *launch.Sockets
	pipe    string // directory of named pipes
}

// endpoint is the address a trigger asks scmd to listen on: "tcp:PORT" or
// "unix:PATH"; "" if the trigger is not one of these.
func (m *Manager) endpoint(t *triggerspec.Trigger) string {
	if t.Action != windows.SERVICE_TRIGGER_ACTION_SERVICE_START {
		return ""
	}
	data := t.Strings()
	switch {
	case t.Type == windows.SERVICE_TRIGGER_TYPE_FIREWALL_PORT_EVENT && t.SubType == triggerspec.FirewallPortOpen && len(data) > 0:
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
	case t.Type == windows.SERVICE_TRIGGER_TYPE_NETWORK_ENDPOINT && t.SubType == triggerspec.NamedPipeEvent && len(data) > 0:
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
	m.setActivation(&activations{sockets: launch.NewSockets(m.logf), pipe: pipeDir})
	for _, n := range m.names() {
		m.syncActivation(n)
	}
}

func (m *Manager) setActivation(a *activations) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.activation = a
}

// activating is the manager's activation, nil without one.
func (m *Manager) activating() *activations {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.activation
}

// syncActivation has the sockets a service's triggers ask for held for
// it, and no others.
func (m *Manager) syncActivation(name string) {
	if a := m.activating(); a != nil {
		a.sockets.Hold(name, m.endpoints(name), func(ep string) { m.activate(name, ep) })
	}
}

// endpoints are the sockets a service's triggers ask the SCM to hold.
func (m *Manager) endpoints(name string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var want []string
	if s := m.find(name); s != nil {
		for i := range s.cfg.Triggers {
			if ep := m.endpoint(&s.cfg.Triggers[i]); ep != "" {
				want = append(want, ep)
			}
		}
	}
	return want
}

// activate starts a stopped service for a connection waiting on one of its
// sockets.
func (m *Manager) activate(name, endpoint string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.find(name)
	if s == nil || s.deleted || s.cfg.Start == windows.SERVICE_DISABLED || m.statusOf(s).CurrentState != windows.SERVICE_STOPPED {
		return
	}
	m.logf("socket activation: starting %s for a connection on %s", name, endpoint)
	m.startBySCM(s.cfg.Name, windows.SERVICE_START_REASON_TRIGGER)
}

// listenFiles are copies of the sockets a service gets at launch, and the
// environment that names them.
func (m *Manager) listenFiles(name string) ([]*os.File, []string) {
	if m.activation == nil {
		return nil, nil
	}
	return m.activation.sockets.Files(name)
}
