package manager

import (
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// Where the last-known-good copy of the services database lives, as
// Windows' control sets: CurrentControlSet is the one in use,
// ControlSet002 the last one that booted well, ControlSet003 the one a
// failed boot left behind; Select says which is which.
const (
	lastKnownGoodServices = `HKLM\SYSTEM\ControlSet002\Services`
	failedServices        = `HKLM\SYSTEM\ControlSet003\Services`
	selectKey             = `HKLM\SYSTEM\Select`
)

// AutoStartDelayValue is the DWORD under the Control key that holds how
// long after the automatic services delayed ones start, in milliseconds;
// Windows' default is 120000.
const AutoStartDelayValue = "AutoStartDelay"

// Boot starts the automatic services, as the SCM does when the machine
// starts: by load-order group (ServiceGroupOrder\List), then by tag
// (GroupOrderList), then those in no listed group, each group once the one
// before has settled, the services of a group in parallel, dependencies
// first. A service whose ErrorControl is Severe or Critical that fails
// sends the SCM back to the last-known-good database, once. Then, after
// AutoStartDelay, the delayed automatic services start at a lower priority.
func (m *Manager) Boot(stop <-chan struct{}) {
	defer m.bootDone()
	m.WaitAdoption() // what a previous scmd ran is adopted, not started twice
	onLKG := false
	for {
		failed := false
		for _, group := range m.bootOrder(false) {
			down, stopped := m.startAll(group, windows.SERVICE_START_REASON_AUTO, stop)
			if stopped {
				return // the SCM is stopping: what failed now says nothing of the database
			}
			for _, s := range down {
				switch s.cfg.ErrorControl {
				case windows.SERVICE_ERROR_SEVERE, windows.SERVICE_ERROR_CRITICAL:
					m.logf("boot: %s failed to start (error control %d)", s.cfg.Name, s.cfg.ErrorControl)
					failed = true
				}
			}
		}
		if failed && !onLKG && m.fallBackToLastKnownGood() {
			onLKG = true
			m.StopAll(time.Now().Add(m.current().timeouts.WaitKill))
			continue
		}
		if !failed {
			m.saveLastKnownGood()
		}
		break
	}
	m.bootDone()
	delayed := m.bootOrder(true)
	if len(delayed) == 0 {
		return
	}
	select {
	case <-time.After(m.current().autoStartDelay):
	case <-stop:
		return
	}
	for _, group := range delayed {
		if _, stopped := m.startAll(group, windows.SERVICE_START_REASON_DELAYEDAUTO, stop); stopped {
			return
		}
	}
}

// bootOrder is the core's boot plan (or the delayed one), as services.
func (m *Manager) bootOrder(delayed bool) [][]*service {
	var plan [][]string
	m.sup.Do(func(c *core.Core, now time.Time) []core.Action {
		plan = c.BootPlan(delayed)
		return nil
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	var groups [][]*service
	for _, names := range plan {
		var group []*service
		for _, name := range names {
			if s := m.find(name); s != nil {
				group = append(group, s)
			}
		}
		if len(group) > 0 {
			groups = append(groups, group)
		}
	}
	return groups
}

// startAll starts services together and waits until each has settled
// (running, stopped, or hung); it returns those that did not come up.
func (m *Manager) startAll(list []*service, reason uint32, stop <-chan struct{}) (failed []*service, stopped bool) {
	ch, cancel := m.watchAll()
	defer cancel()
	for _, r := range m.startStopped(list, reason) {
		select {
		case err := <-r.reply:
			if err == windows.ERROR_SHUTDOWN_IN_PROGRESS {
				return failed, true
			}
			if err != 0 {
				failed = append(failed, r.s)
				continue
			}
		case <-stop:
			return failed, true
		}
		for {
			st, hung := m.pending(r.s)
			if st != windows.SERVICE_START_PENDING || hung {
				if st == windows.SERVICE_STOPPED {
					failed = append(failed, r.s)
				}
				break
			}
			select {
			case <-ch:
			case <-stop:
				return failed, true
			}
		}
	}
	return failed, false
}

// pending is a service's state, and whether it is hung in it.
func (m *Manager) pending(s *service) (state uint32, hung bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.statusOf(s).CurrentState, s.hung
}

// startRequest is a start the boot made, and where its answer comes.
type startRequest struct {
	s     *service
	reply chan windows.Errno
}

// startStopped starts those of the services that are stopped.
func (m *Manager) startStopped(list []*service, reason uint32) []startRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []startRequest
	for _, s := range list {
		if m.statusOf(s).CurrentState != windows.SERVICE_STOPPED {
			continue
		}
		reply := make(chan windows.Errno, 1)
		req := m.sup.Expect(func(r core.Reply) { reply <- r.Err })
		name := s.cfg.Name
		m.post(func(c *core.Core, now time.Time) []core.Action { return c.StartService(now, req, name, nil, reason) })
		out = append(out, startRequest{s: s, reply: reply})
	}
	return out
}

// saveLastKnownGood keeps the services database that just booted well.
func (m *Manager) saveLastKnownGood() {
	err := m.store.Update(func(tx *registry.Tx) error {
		if err := tx.CopyTree(services.ServicesKey, lastKnownGoodServices); err != nil {
			return err
		}
		sel, err := tx.CreateKey(selectKey)
		if err != nil {
			return err
		}
		for name, v := range map[string]uint32{"Current": 1, "Default": 1, "LastKnownGood": 2} {
			if err := sel.SetValue(registry.DWordValue(name, v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		m.logf("boot: saving the last-known-good database: %v", err)
		return
	}
	m.logf("boot: the automatic services started; this database is the last-known-good one (ControlSet002)")
}

// fallBackToLastKnownGood puts the last database that booted well in place
// of the current one, keeping the failed one as ControlSet003; false if
// there is none.
func (m *Manager) fallBackToLastKnownGood() bool {
	err := m.store.Update(func(tx *registry.Tx) error {
		if _, err := tx.OpenKey(lastKnownGoodServices); err != nil {
			return err
		}
		if err := tx.CopyTree(services.ServicesKey, failedServices); err != nil {
			return err
		}
		if err := tx.CopyTree(lastKnownGoodServices, services.ServicesKey); err != nil {
			return err
		}
		sel, err := tx.CreateKey(selectKey)
		if err != nil {
			return err
		}
		return sel.SetValue(registry.DWordValue("Failed", 3))
	})
	if err != nil {
		m.logf("boot: no last-known-good database to fall back to")
		return false
	}
	m.logf("boot: a Severe or Critical service failed; falling back to the last-known-good services database")
	for _, name := range m.allServiceNames() {
		m.ReloadService(name)
	}
	return true
}

// bootDone marks the boot's automatic (not delayed) services settled.
func (m *Manager) bootDone() { m.booted.Do(func() { close(m.bootedCh) }) }

// WaitBoot returns once the boot has started the automatic services and
// they have settled (the delayed ones may still be waiting), or the boot
// gave up because the SCM is stopping.
func (m *Manager) WaitBoot() { <-m.bootedCh }
