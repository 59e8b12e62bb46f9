package core

// Starting a service: its host is launched (or an already running shared
// host is reused), connects and registers its dispatch table, and gets the
// start request; the caller of StartService is answered then.

import (
	"strings"
	"time"

	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

// startNow launches a service whose dependencies are met; the caller's
// reply comes once the service's host has the start request, or with the
// error that stopped it.
func (c *Core) startNow(now time.Time, req ReqID, cfg Config, args []string, reason uint32) []Action {
	s := c.svc(cfg.Name)
	s.name = cfg.Name
	switch {
	case cfg.Deleted:
		return []Action{reply(req, windows.ERROR_SERVICE_MARKED_FOR_DELETE, s.status)}
	case cfg.Start == windows.SERVICE_DISABLED:
		return []Action{reply(req, windows.ERROR_SERVICE_DISABLED, s.status)}
	case s.running():
		return []Action{reply(req, windows.ERROR_SERVICE_ALREADY_RUNNING, s.status)}
	}
	// A control still unanswered by the process that ran the service
	// before will not be answered now.
	var acts []Action
	if s.ctl != nil {
		acts = append(acts, reply(s.ctl.req, windows.ERROR_SERVICE_NOT_ACTIVE, s.status))
	}
	*s = service{
		name:        cfg.Name,
		status:      Status{ServiceType: cfg.Type, CurrentState: windows.SERVICE_START_PENDING, WaitHint: 2000},
		startReq:    req,
		startArgs:   append([]string{cfg.Name}, args...),
		startReason: reason,
		progressAt:  now,
		lastExit:    s.lastExit,
		logged:      s.logged,
		cfg:         cfg,
		failures:    s.failures,
		lastFailure: s.lastFailure,
		outcome:     starting,
		// A start, by anyone, cancels a failure action still waiting.
	}
	shared := cfg.Type&windows.SERVICE_WIN32_SHARE_PROCESS != 0
	if shared {
		for _, p := range c.procs {
			if p.shared && !p.killed && p.idleSince.IsZero() && p.image == cfg.ImagePath {
				return append(acts, c.attach(now, p, s)...)
			}
		}
	}
	c.nextProc++
	p := &process{id: c.nextProc, image: cfg.ImagePath, shared: shared,
		launch: Launch{Proc: c.nextProc, Service: cfg.Name, Image: cfg.ImagePath, Account: cfg.Account, Shared: shared, Reason: reason}}
	c.procs[p.id] = p
	p.services = []*service{s}
	s.proc = p
	acts = append(acts, c.launch(now, p)...)
	return append(acts, s.changed(false)...)
}

// attach starts a share-process service inside a host that is already up.
func (c *Core) attach(now time.Time, p *process, s *service) []Action {
	p.services = append(p.services, s)
	s.proc = p
	s.status.ProcessId = p.pid
	acts := s.changed(false)
	if p.registered {
		acts = append(acts, c.deliverStart(p, s)...)
	}
	return acts
}

// deliverStart sends the start request if the host serves the service, and
// answers the caller of StartService.
func (c *Core) deliverStart(p *process, s *service) []Action {
	if p.shared && !inTable(p.table, s.name) {
		return c.failStart(p, s, windows.ERROR_SERVICE_NOT_IN_EXE)
	}
	var acts []Action
	if !s.startSent {
		acts = append(acts, c.sendStart(p, s))
	}
	s.started = true
	req := s.startReq
	s.startReq = 0
	return append(acts, reply(req, 0, s.status))
}

// sendStart sends the start request.
func (c *Core) sendStart(p *process, s *service) Action {
	s.startSent = true
	return SendStart{Proc: p.id, PID: p.pid, Service: s.name, Args: s.startArgs, Reason: s.startReason}
}

func inTable(table []string, name string) bool {
	for _, t := range table {
		if strings.EqualFold(t, name) {
			return true
		}
	}
	return false
}

// failStart ends a start that could not happen: the service is stopped
// with the error as its exit code, and a host left with nothing to do goes.
func (c *Core) failStart(p *process, s *service, err windows.Errno) []Action {
	s.outcome = startFailed
	req := s.startReq
	s.startReq = 0
	s.status = Status{ServiceType: s.status.ServiceType, CurrentState: windows.SERVICE_STOPPED, Win32ExitCode: uint32(err)}
	acts := []Action{}
	if req != 0 {
		acts = append(acts, reply(req, err, s.status))
	}
	acts = append(acts, s.changed(false)...)
	return append(acts, c.detach(p, s)...)
}

// detach takes a stopped service out of its host. A host with no service
// left must exit; if it has not started one yet, it is killed.
func (c *Core) detach(p *process, s *service) []Action {
	s.proc = nil
	s.stopAsked = time.Time{}
	if p == nil {
		return nil
	}
	for i, x := range p.services {
		if x == s {
			p.services = append(p.services[:i], p.services[i+1:]...)
			break
		}
	}
	if len(p.services) > 0 || p.killed {
		return nil
	}
	if !p.launched {
		c.unqueue(p)
		return nil
	}
	if !p.registered {
		p.killed = true
		return []Action{Kill{Proc: p.id, Reason: "no service left to start in it"}}
	}
	return nil
}

// Launched reports that a host process is running with the given pid.
func (c *Core) Launched(now time.Time, id ProcID, pid uint32) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	p.pid = pid
	if p.killed {
		// Given up on while it was being launched: the Kill asked for
		// then found nothing to kill.
		return []Action{Kill{Proc: p.id, Reason: "given up on while it was launched"}}
	}
	var acts []Action
	for _, s := range p.services {
		s.status.ProcessId = pid
		acts = append(acts, s.changed(false)...)
	}
	// An own-process host runs whatever it was started for, so its start
	// request goes now and waits in the channel: the host finds it as soon
	// as it has registered, without a round trip to the SCM. The caller
	// of StartService is still answered once the host registers, as on
	// Windows once StartServiceCtrlDispatcher connects.
	if !p.shared {
		for _, s := range p.services {
			acts = append(acts, c.sendStart(p, s))
		}
	}
	return acts
}

// LaunchFailed reports that a host could not be started: err is what
// Windows reports (2 for a missing image, 193 for one that is not an
// executable, 1069 for an account that cannot log on).
func (c *Core) LaunchFailed(now time.Time, id ProcID, err windows.Errno) []Action {
	return c.then(now, c.launchFailed(now, id, err))
}

func (c *Core) launchFailed(now time.Time, id ProcID, err windows.Errno) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	delete(c.procs, id)
	p.killed = true
	acts := c.freeSlot(now, p)
	for _, s := range append([]*service(nil), p.services...) {
		acts = append(acts, startFailedEvent(s, err))
		acts = append(acts, c.failStart(p, s, err)...)
	}
	return acts
}

func startFailedEvent(s *service, err windows.Errno) Action {
	return Event{ID: 7000, Type: EventError, Service: s.name, Inserts: []string{DisplayName, winerror.Text(uint32(err))}}
}

// Registered reports that a host connected and registered the services it
// serves (StartServiceCtrlDispatcher's table). An own-process host serves
// whatever it was started for, whatever the name in its table.
func (c *Core) Registered(now time.Time, id ProcID, table []string) []Action {
	return c.then(now, c.registered(now, id, table))
}

func (c *Core) registered(now time.Time, id ProcID, table []string) []Action {
	p := c.procs[id]
	if p == nil || p.killed {
		return nil
	}
	if p.registered || len(table) == 0 {
		return c.violation(p, "registered twice or with no services")
	}
	p.registered = true
	p.table = table
	defer c.retimeProc(p)
	acts := c.freeSlot(now, p)
	for _, s := range append([]*service(nil), p.services...) {
		if !s.started {
			acts = append(acts, c.deliverStart(p, s)...)
		}
	}
	return acts
}
