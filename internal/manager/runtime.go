package manager

import (
	"time"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// Launcher is what the manager needs of the process side (internal/launch).
type Launcher interface {
	Start(id core.ProcID, spec launch.Spec) // the outcome comes back as Launched or LaunchFailed
	Send(id core.ProcID, msg any)
	Kill(id core.ProcID)
}

// SetLauncher connects the manager to the launcher that runs its services.
// The launcher reports back through the manager's Message, BadMessage and
// Exited methods.
func (m *Manager) SetLauncher(l Launcher) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.launcher = l
}

// environment is a service's Environment value (REG_MULTI_SZ, as Windows
// has it under the service's key), then its Parameters\Environment.
func (m *Manager) environment(name string) []string {
	var env []string
	m.store.View(func(tx *registry.Tx) error {
		for _, path := range []string{serviceKey(name), serviceKey(name) + `\Parameters`} {
			if k, err := tx.OpenKey(path); err == nil {
				if v, err := k.Value("Environment"); err == nil && v.Type == registry.MULTI_SZ {
					env = append(env, v.Strings()...)
				}
			}
		}
		return nil
	})
	return env
}

// newReq registers a caller that waits for the core's reply.
func (m *Manager) newReq() (core.ReqID, chan core.Reply) {
	m.nextReq++
	ch := make(chan core.Reply, 1)
	m.waiters[m.nextReq] = ch
	return m.nextReq, ch
}

// apply carries out the core's actions. m.mu is held; nothing here waits
// on a process: a launch's outcome comes back later, through Launched or
// LaunchFailed.
func (m *Manager) apply(acts []core.Action) {
	var deleted []*service // stopped and marked for delete: removed once the batch's events have their names
	for len(acts) > 0 {
		a := acts[0]
		acts = acts[1:]
		switch a := a.(type) {
		case core.Launch:
			spec := launch.Spec{Service: a.Service, Image: a.Image, Account: a.Account, Env: m.environment(a.Service)}
			if a.Reason == windows.SERVICE_START_REASON_DELAYEDAUTO {
				spec.Nice = 10 // delayed automatic services start at a lower priority
			}
			spec.RequiredPrivileges, spec.RestrictedSID = m.hostPrivileges(a)
			files, env := m.listenFiles(a.Service)
			spec.Files, spec.Env = files, append(spec.Env, env...)
			m.launcher.Start(a.Proc, spec)
		case core.SendStart:
			m.launcher.Send(a.Proc, &protocol.Start{Service: a.Service, Reason: a.Reason, Args: a.Args, Token: m.token(a.PID, a.Service)})
		case core.SendControl:
			m.launcher.Send(a.Proc, &protocol.Control{Seq: a.Seq, Service: a.Service, Code: a.Code, EventType: a.EventType, EventData: a.EventData})
		case core.Kill:
			if a.Reason != core.ReasonHostExited {
				m.logf("killing service process %d: %s", a.Proc, a.Reason)
			}
			m.launcher.Kill(a.Proc)
		case core.Reply:
			if ch, ok := m.waiters[a.Req]; ok {
				delete(m.waiters, a.Req)
				ch <- a
			} else if done, ok := m.answers[a.Req]; ok {
				delete(m.answers, a.Req)
				done(a.Err)
			}
		case core.StatusChanged:
			if m.statusChanged(a) {
				deleted = append(deleted, m.find(a.Service))
			}
		case core.Event:
			m.scmEvent(a.Type, a.ID, a.Service, a.Inserts...)
		case core.RunCommand:
			m.runFailureCommand(a)
		case core.Reboot:
			m.reboot(a)
		case core.KillLeftovers:
			m.killLeftovers()
		}
	}
	for _, s := range deleted {
		m.remove(s)
	}
	m.schedule()
}

// schedule sets the timer for the core's next deadline.
func (m *Manager) schedule() {
	next, ok := m.core.NextDeadline()
	if !ok {
		if m.timer != nil {
			m.timer.Stop()
		}
		return
	}
	d := next.Sub(m.now())
	if d < 0 {
		d = 0
	}
	if m.timer == nil {
		m.timer = time.AfterFunc(d, m.tick)
	} else {
		m.timer.Reset(d)
	}
}

func (m *Manager) tick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(m.core.Tick(m.now()))
}

// statusChanged tells watchers; it reports whether the service was waiting
// to stop so that its delete can finish.
func (m *Manager) statusChanged(a core.StatusChanged) bool {
	s := m.find(a.Service)
	if s == nil {
		return false
	}
	m.notify(s, notifyBit(a.Status.CurrentState), toPB(a.Status), a.Hung)
	// running.json lists the services that are not stopped. A service
	// joins the list as it starts, so the write goes on while its process
	// starts up and is on disk by the time it reports RUNNING.
	if active := a.Status.CurrentState != windows.SERVICE_STOPPED; active != s.active {
		s.active = active
		m.noteRunning()
	}
	if a.Status.CurrentState == windows.SERVICE_STOPPED {
		m.dropDeviceSubs(s.cfg.Name)
	}
	return a.Status.CurrentState == windows.SERVICE_STOPPED && s.deleted && s.handles == 0
}

func notifyBit(state uint32) uint32 {
	if state >= windows.SERVICE_STOPPED && state <= windows.SERVICE_PAUSED {
		return 1 << (state - 1)
	}
	return 0
}

func toPB(st core.Status) *pb.ServiceStatus {
	return &pb.ServiceStatus{
		ServiceType: st.ServiceType, CurrentState: st.CurrentState, ControlsAccepted: st.ControlsAccepted,
		Win32ExitCode: st.Win32ExitCode, ServiceSpecificExitCode: st.ServiceSpecificExitCode,
		CheckPoint: st.CheckPoint, WaitHint: st.WaitHint, ProcessId: st.ProcessID, ServiceFlags: st.ServiceFlags,
	}
}

// statusOf is a service's SERVICE_STATUS_PROCESS now.
func (m *Manager) statusOf(s *service) *pb.ServiceStatus {
	return toPB(m.core.Status(s.cfg.Name, s.cfg.Type))
}

// StartService starts a service and returns once its host has the start
// request (or the start failed).
func (m *Manager) StartService(c Caller, id uint64, args []string) error {
	if err := checkStartArgs(args); err != nil {
		return err
	}
	m.mu.Lock()
	h, err := m.need(c, id, serviceHandle, windows.SERVICE_START)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	if m.launcher == nil {
		m.mu.Unlock()
		return windows.ERROR_NOT_SUPPORTED
	}
	if m.lock != nil {
		m.mu.Unlock()
		return windows.ERROR_SERVICE_DATABASE_LOCKED
	}
	return m.startLocked(h.svc, args, windows.SERVICE_START_REASON_DEMAND)
}

// startLocked starts s; it is called with m.mu held and releases it while
// it waits.
func (m *Manager) startLocked(s *service, args []string, reason uint32) error {
	if services.IsDriver(s.cfg.Type) {
		m.mu.Unlock()
		return windows.ERROR_NOT_SUPPORTED // drivers are the kernel's business here
	}
	req, ch := m.newReq()
	m.apply(m.core.StartService(m.now(), req, s.cfg.Name, args, reason))
	m.mu.Unlock()
	r := <-ch
	if r.Err != 0 {
		return r.Err
	}
	return nil
}

// ControlService sends a control and returns the service's status with the
// handler's answer.
func (m *Manager) ControlService(c Caller, r *pb.ControlServiceRequest) (*pb.ControlServiceReply, error) {
	if len(r.EventData) > MaxControlDataBytes {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	m.mu.Lock()
	h, err := m.lookup(c, r.Handle, serviceHandle)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	right, ok := core.ControlRight(r.Control)
	if ok && h.access&right != right {
		m.mu.Unlock()
		return nil, windows.ERROR_ACCESS_DENIED
	}
	if r.Control == windows.SERVICE_CONTROL_STOP && len(m.core.Dependents(h.svc.cfg.Name)) > 0 {
		st := m.statusOf(h.svc)
		m.mu.Unlock()
		return &pb.ControlServiceReply{Status: st, Win32Error: uint32(windows.ERROR_DEPENDENT_SERVICES_RUNNING)}, nil
	}
	req, ch := m.newReq()
	m.apply(m.core.ControlService(m.now(), req, h.svc.cfg.Name, r.Control, r.EventType, r.EventData))
	m.mu.Unlock()
	rep := <-ch
	st := toPB(rep.Status)
	if st.ServiceType == 0 {
		st.ServiceType = h.svc.cfg.Type
	}
	return &pb.ControlServiceReply{Status: st, Win32Error: uint32(rep.Err)}, nil
}

// Launched takes the pid of a host the launcher started.
func (m *Manager) Launched(id core.ProcID, pid uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(m.core.Launched(m.now(), id, pid))
}

// LaunchFailed takes the reason a host could not be started.
func (m *Manager) LaunchFailed(id core.ProcID, err windows.Errno) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(m.core.LaunchFailed(m.now(), id, err))
}

// Message takes a message a host sent.
func (m *Manager) Message(id core.ProcID, msg any) {
	if q, ok := msg.(*protocol.DeviceQuery); ok {
		// Answered on the host's own reader, outside m.mu: a host that
		// asks too often slows only itself.
		m.answerDeviceQuery(id, q)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	switch msg := msg.(type) {
	case *protocol.Register:
		m.apply(m.core.Registered(now, id, msg.Services))
	case *protocol.Status:
		m.apply(m.core.StatusReported(now, id, msg.Service, core.Status{
			CurrentState: msg.CurrentState, ControlsAccepted: msg.ControlsAccepted,
			Win32ExitCode: msg.Win32ExitCode, ServiceSpecificExitCode: msg.ServiceSpecificExitCode,
			CheckPoint: msg.CheckPoint, WaitHint: msg.WaitHint,
		}))
	case *protocol.ControlReply:
		m.apply(m.core.ControlReplied(now, id, msg.Seq, msg.Result))
	case *protocol.DeviceNotify:
		m.deviceNotify(id, msg)

	default:
		m.apply(m.core.Violation(now, id, "a message a host may not send"))
	}
}

// BadMessage drops a host that sent what could not be read.
func (m *Manager) BadMessage(id core.ProcID, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(m.core.Violation(m.now(), id, err.Error()))
}

// Exited takes the exit of a host process.
func (m *Manager) Exited(id core.ProcID, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(m.core.ProcessExited(m.now(), id, status))
}

// Running reports whether any service is not stopped.
func (m *Manager) Running() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for _, s := range m.services {
		if m.core.Status(s.cfg.Name, s.cfg.Type).CurrentState != windows.SERVICE_STOPPED {
			names = append(names, s.cfg.Name)
		}
	}
	return names
}

func (m *Manager) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

// StopAll asks every running service that accepts it to stop, and waits
// until they have or the deadline passes. The SCM's shutdown (PRESHUTDOWN,
// SHUTDOWN, the order of dependents) builds on this.
func (m *Manager) StopAll(deadline time.Time) {
	m.mu.Lock()
	asked := map[string]bool{}
	for _, s := range m.services {
		st := m.core.Status(s.cfg.Name, s.cfg.Type)
		if (st.CurrentState == windows.SERVICE_RUNNING || st.CurrentState == windows.SERVICE_PAUSED) &&
			st.ControlsAccepted&windows.SERVICE_ACCEPT_STOP != 0 {
			req, _ := m.newReq()
			m.apply(m.core.ControlService(m.now(), req, s.cfg.Name, windows.SERVICE_CONTROL_STOP, 0, nil))
			asked[s.cfg.Name] = true
		}
	}
	ch, cancel := m.watchAll()
	m.mu.Unlock()
	defer cancel()
	timeout := time.NewTimer(time.Until(deadline))
	defer timeout.Stop()
	for {
		waiting := false
		for _, name := range m.Running() {
			waiting = waiting || asked[name]
		}
		if !waiting {
			return
		}
		select {
		case <-ch:
		case <-timeout.C:
			return
		}
	}
}

// watchAll subscribes to every service's changes. m.mu is held.
func (m *Manager) watchAll() (<-chan *pb.ServiceNotification, func()) {
	w := &watcher{service: "*", ch: make(chan *pb.ServiceNotification, 64)}
	m.watchers[w] = true
	return w.ch, func() {
		m.mu.Lock()
		delete(m.watchers, w)
		m.mu.Unlock()
	}
}

// recoveryOf is a service's failure actions as the core takes them.
func recoveryOf(cfg *services.Config) core.Recovery {
	r := core.Recovery{ResetPeriod: cfg.ResetPeriod, Command: cfg.FailureCommand,
		RebootMessage: cfg.RebootMessage, NonCrash: cfg.FailureActionsOnNonCrashFailures}
	for _, a := range cfg.Actions {
		r.Actions = append(r.Actions, core.RecoveryAction{Type: a.Type, Delay: a.Delay})
	}
	return r
}

// coreConfig is what the core needs of a service's configuration.
func coreConfig(s *service) core.Config {
	return core.Config{
		Name: s.cfg.Name, Type: s.cfg.Type, Start: s.cfg.Start, ImagePath: s.cfg.ImagePath,
		Account: s.cfg.ObjectName, Deleted: s.deleted, Recovery: recoveryOf(s.cfg),
		Group: s.cfg.Group, DependOnService: s.cfg.DependOnService, DependOnGroup: s.cfg.DependOnGroup,
	}
}
