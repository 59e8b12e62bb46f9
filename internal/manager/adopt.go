package manager

import (
	"net"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/supervisor"
	"github.com/openscm/scm/windows"
)

// Restart of scmd. Each start request carries a token, an HMAC of the
// host's pid, its start time and the service's name under a key kept in
// the state directory. When scmd dies, a host with running services keeps
// them running and reconnects; the restarted scmd adopts what the tokens
// prove. The services that were running (recorded in running.log) but do
// not come back within the grace period are reported as crashed, once
// whatever their hosts left behind has been killed.

// Adoption is what a Manager needs to take over after a restart. The
// grace period itself is the core's (ExpectAdoption); the Manager carries
// out its end.
type Adoption struct {
	file *launch.AdoptionFile

	leftovers leftoverKiller // nil where the launcher cannot tell
	watching  bool           // endWhenUnclaimed runs
	done      chan struct{}  // closed when the grace period is over
}

// EnableAdoption loads (or makes) the key, reads which services were
// running, and starts listening for hosts on path. Within grace, hosts
// that come back are adopted; then what the others left running is
// killed and their services are reported crashed. The grace period ends
// early once every service recorded as running is back and no process an
// earlier scmd started is left unclaimed.
func (m *Manager) EnableAdoption(stateDir string, l interface {
	ListenHosts(string, launch.Reattacher) error
}, path string, grace time.Duration) error {
	file, running, err := launch.OpenAdoptionFile(stateDir, m.logf)
	if err != nil {
		return err
	}
	a := &Adoption{file: file, done: make(chan struct{})}
	a.leftovers, _ = l.(leftoverKiller)
	m.mu.Lock()
	m.adoption = a
	m.mu.Unlock()
	m.post(func(c *core.Core, now time.Time) []core.Action {
		c.ExpectAdoption(now, running, now.Add(grace))
		return nil
	})
	if err := l.ListenHosts(path, m); err != nil {
		return err
	}
	m.post(m.awaitedBack(a))
	return nil
}

// awaitedBack ends the grace period early once every service it waits for
// is back, as soon as nothing an earlier scmd started is left unclaimed.
func (m *Manager) awaitedBack(a *Adoption) supervisor.Event {
	return func(c *core.Core, now time.Time) []core.Action {
		if a.watching || len(c.Awaited()) > 0 {
			return nil
		}
		a.watching = true
		go func() {
			// A leftover goes when an adopted host claims it or when it
			// exits; neither is an event the launcher reports, so look.
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for a.leftovers != nil && a.leftovers.HasLeftovers() {
				select {
				case <-a.done:
					return
				case <-tick.C:
				}
			}
			m.post(func(c *core.Core, now time.Time) []core.Action { return c.EndAdoption(now) })
		}()
		return nil
	}
}

// killLeftovers carries out the core's KillLeftovers in the background:
// what dead hosts left may take seconds to go.
func (m *Manager) killLeftovers() {
	a := m.adoption
	go func() {
		if a != nil && a.leftovers != nil {
			a.leftovers.KillLeftovers()
		}
		m.sup.Do(func(c *core.Core, now time.Time) []core.Action {
			for _, name := range c.Awaited() {
				m.logf("%s was running when scmd stopped and has not come back", name)
			}
			return c.LeftoversKilled(now)
		})
		if a != nil {
			close(a.done)
		}
	}()
}

// leftoverKiller is the launcher's side of the grace period: processes an
// earlier scmd's hosts started that no adopted host claims.
type leftoverKiller interface {
	HasLeftovers() bool
	KillLeftovers()
}

// WaitAdoption returns once hosts have had their chance to come back.
func (m *Manager) WaitAdoption() {
	if a := m.adopting(); a != nil {
		<-a.done
	}
}

// adopting is the manager's adoption, nil without one.
func (m *Manager) adopting() *Adoption {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.adoption
}

// token is the proof a START gives a host that it runs the service.
func (m *Manager) token(id core.ProcID, pid uint32, service string) []byte {
	if m.adoption == nil || pid == 0 {
		return nil
	}
	return m.adoption.file.Token(pid, m.launcher.StartTime(id), service)
}

// Reattach adopts a host whose tokens prove what it runs.
func (m *Manager) Reattach(pid uint32, starttime uint64, conn *net.UnixConn, msg *protocol.Reattach) bool {
	a, h, ok := m.claims(pid, starttime, msg)
	if !ok {
		return false
	}
	adopter := m.launcher.(interface {
		Adopt(core.ProcID, uint32, *net.UnixConn) error
	})
	adopted := false
	m.sup.Do(func(c *core.Core, now time.Time) []core.Action {
		id, acts := c.Adopt(now, pid, h.image, h.shared, h.services)
		if id == 0 {
			return nil
		}
		if err := adopter.Adopt(id, pid, conn); err != nil {
			return c.ProcessExited(now, id, -1)
		}
		adopted = true
		return acts
	})
	if !adopted {
		return false
	}
	for _, s := range h.services {
		m.logf("adopted %s (process %d)", s.Name, pid)
	}
	m.post(m.awaitedBack(a))
	return true
}

// reattaching is what a host that came back runs.
type reattaching struct {
	services []core.Adopted
	image    string
	shared   bool
}

// claims checks that a reattaching host's tokens prove each service it
// claims.
func (m *Manager) claims(pid uint32, starttime uint64, msg *protocol.Reattach) (*Adoption, reattaching, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var h reattaching
	a := m.adoption
	if a == nil {
		return nil, h, false
	}
	for _, r := range msg.Services {
		s := m.find(r.Status.Service)
		if s == nil || !a.file.Proves(r.Token, pid, starttime, s.cfg.Name) {
			m.logf("process %d claims %q without proof; not adopted", pid, r.Status.Service)
			return nil, h, false
		}
		h.services = append(h.services, core.Adopted{Name: s.cfg.Name, Status: reported(r.Status.SERVICE_STATUS)})
		h.image, h.shared = s.cfg.ImagePath, s.cfg.Type&windows.SERVICE_WIN32_SHARE_PROCESS != 0
	}
	return a, h, true
}

// noteRunning records in running.log that a service joined the running
// set or left it.
func (m *Manager) noteRunning(name string, running bool) {
	if m.adoption != nil {
		m.adoption.file.SetRunning(name, running)
	}
}

// waitRecorded returns once running.log holds every change to the running
// set made so far; a status read calls it before it answers, so that what
// it says survives a crash of scmd. Without adoption, or with nothing
// pending, it returns at once.
func (m *Manager) waitRecorded() {
	if a := m.adopting(); a != nil {
		a.file.WaitRecorded()
	}
}
