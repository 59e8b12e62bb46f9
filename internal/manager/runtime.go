package manager

import (
	"errors"
	"time"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/internal/supervisor"
	"github.com/openscm/scm/windows"
)

// Launcher is what the manager needs of the process side (internal/launch).
type Launcher interface {
	Start(id core.ProcID, spec launch.Spec) // the outcome comes back as Launched or LaunchFailed
	Send(id core.ProcID, msg any)
	Kill(id core.ProcID)
	StartTime(id core.ProcID) uint64 // the host's, which its tokens bind it to
}

// SetLauncher connects the manager to the launcher that runs its services.
// The launcher reports back through the manager's Message, BadMessage and
// Exited methods.
func (m *Manager) SetLauncher(l Launcher) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.launcher = l
}

// SetLaunchSlots sets how many hosts may be launching at once (the core's
// SetLaunchSlots); the daemon gives eight per CPU.
func (m *Manager) SetLaunchSlots(n int) {
	m.sup.Do(func(c *core.Core, _ time.Time) []core.Action {
		c.SetLaunchSlots(n)
		return nil
	})
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

// post has the supervisor run one of the core's events; it never blocks,
// so it may be called with m.mu held.
func (m *Manager) post(ev supervisor.Event) { m.sup.Post(ev) }

// startBySCM starts a service for the SCM's own reasons (a trigger, a
// waiting connection), without waiting for the outcome.
func (m *Manager) startBySCM(name string, reason uint32) {
	req := m.sup.Expect(nil)
	m.post(func(c *core.Core, now time.Time) []core.Action { return c.StartService(now, req, name, nil, reason) })
}

// systemControl sends a control the system sends (PRESHUTDOWN, SHUTDOWN, a
// trigger's STOP), without waiting; reply, when set, gets the answer.
func (m *Manager) systemControl(name string, code uint32, reply func(core.Reply)) {
	req := m.sup.Expect(reply)
	m.post(func(c *core.Core, now time.Time) []core.Action { return c.SystemControl(now, req, name, code, 0, nil) })
}

// Execute carries out the core's actions, on the supervisor's goroutine.
// Nothing here waits on a process: a launch's outcome comes back later,
// through Launched or LaunchFailed.
func (m *Manager) Execute(acts []core.Action) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var deleted []*service // stopped and marked for delete: removed once the batch's events have their names
	m.countActions(acts)
	for _, a := range acts {
		switch a := a.(type) {
		case core.Launch:
			spec := launch.Spec{Service: a.Service, Image: a.Image, Account: a.Account, Env: m.environment(a.Service)}
			if s := m.find(a.Service); s != nil {
				spec.Env = append(spec.Env, m.interactiveEnvironment(s)...)
			}
			if a.Reason == windows.SERVICE_START_REASON_DELAYEDAUTO {
				spec.Nice = 10 // delayed automatic services start at a lower priority
			}
			spec.RequiredPrivileges, spec.RestrictedSID = m.hostPrivileges(a)
			files, env := m.listenFiles(a.Service)
			spec.Files, spec.Env = files, append(spec.Env, env...)
			m.launcher.Start(a.Proc, spec)
		case core.SendStart:
			m.launcher.Send(a.Proc, &protocol.Start{Service: a.Service, Reason: a.Reason, Args: a.Args, Token: m.token(a.Proc, a.PID, a.Service)})
		case core.SendControl:
			m.launcher.Send(a.Proc, &protocol.Control{Seq: a.Seq, Service: a.Service, Code: a.Code, EventType: a.EventType, EventData: a.EventData})
		case core.Kill:
			if a.Reason != core.ReasonHostExited {
				m.logf("killing service process %d: %s", a.Proc, a.Reason)
			}
			m.launcher.Kill(a.Proc)
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
}

// statusChanged tells watchers; it reports whether the service was waiting
// to stop so that its delete can finish.
func (m *Manager) statusChanged(a core.StatusChanged) bool {
	s := m.find(a.Service)
	if s == nil {
		return false
	}
	s.hung = a.Hung
	m.notify(s, notifyBit(a.Status.CurrentState), toPB(a.Status), a.Hung)
	// running.log lists the services that are not stopped. A service
	// joins the list as it starts, so the write goes on while its process
	// starts up and is in the file by the time it reports RUNNING.
	if active := a.Status.CurrentState != windows.SERVICE_STOPPED; active != s.active {
		s.active = active
		m.noteRunning(s.cfg.Name, active)
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
		CheckPoint: st.CheckPoint, WaitHint: st.WaitHint, ProcessId: st.ProcessId, ServiceFlags: st.ServiceFlags,
	}
}

// statusOf is a service's SERVICE_STATUS_PROCESS now.
func (m *Manager) statusOf(s *service) *pb.ServiceStatus {
	return toPB(m.sup.Status(s.cfg.Name, s.cfg.Type))
}

// StartService starts a service and returns once its host has the start
// request (or the start failed).
func (m *Manager) StartService(c Caller, id uint64, args []string) error {
	if err := checkStartArgs(args); err != nil {
		return err
	}
	name, err := m.startable(c, id)
	if err != nil {
		return err
	}
	r := m.sup.Call(func(c *core.Core, now time.Time, req core.ReqID) []core.Action {
		return c.StartService(now, req, name, args, windows.SERVICE_START_REASON_DEMAND)
	})
	if r.Err != 0 {
		return r.Err
	}
	return nil
}

// startable names the service a handle may start now.
func (m *Manager) startable(c Caller, id uint64) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, id, serviceHandle, windows.SERVICE_START)
	switch {
	case err != nil:
		return "", err
	case m.launcher == nil:
		return "", windows.ERROR_NOT_SUPPORTED
	case m.lock != nil:
		return "", windows.ERROR_SERVICE_DATABASE_LOCKED
	case services.IsDriver(h.svc.cfg.Type):
		return "", windows.ERROR_NOT_SUPPORTED // drivers are the kernel's business here
	}
	return h.svc.cfg.Name, nil
}

// ControlService sends a control and returns the handler's answer with
// the service's latest status, as Windows does: by the time the answer is
// here the service may have reported more (STOP_PENDING, STOPPED), which
// spares the caller a query.
func (m *Manager) ControlService(c Caller, r *pb.ControlServiceRequest) (*pb.ControlServiceReply, error) {
	if len(r.EventData) > MaxControlDataBytes {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	name, serviceType, err := m.controllable(c, r.Handle, r.Control)
	if err != nil {
		return nil, err
	}
	rep := m.sup.Call(func(c *core.Core, now time.Time, req core.ReqID) []core.Action {
		if r.Control == windows.SERVICE_CONTROL_STOP && len(c.Dependents(name)) > 0 {
			return []core.Action{core.Reply{Req: req, Err: windows.ERROR_DEPENDENT_SERVICES_RUNNING, Status: c.Status(name, serviceType)}}
		}
		return c.ControlService(now, req, name, r.Control, r.EventType, r.EventData)
	})
	latest := rep.Status
	if now, ok := m.sup.Reported(name); ok {
		latest = now
	}
	st := toPB(latest)
	if st.ServiceType == 0 {
		st.ServiceType = serviceType
	}
	return &pb.ControlServiceReply{Status: st, Win32Error: uint32(rep.Err)}, nil
}

// controllable names the service a handle may send a control to.
func (m *Manager) controllable(c Caller, id uint64, control uint32) (name string, serviceType uint32, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.lookup(c, id, serviceHandle)
	if err != nil {
		return "", 0, err
	}
	if right, ok := core.ControlRight(control); ok && h.access&right != right {
		return "", 0, windows.ERROR_ACCESS_DENIED
	}
	return h.svc.cfg.Name, h.svc.cfg.Type, nil
}

// Launched takes the pid of a host the launcher started.
func (m *Manager) Launched(id core.ProcID, pid uint32) {
	m.post(func(c *core.Core, now time.Time) []core.Action { return c.Launched(now, id, pid) })
}

// LaunchFailed takes the reason a host could not be started.
func (m *Manager) LaunchFailed(id core.ProcID, err windows.Errno) {
	m.post(func(c *core.Core, now time.Time) []core.Action { return c.LaunchFailed(now, id, err) })
}

// Message takes a message a host sent. The core's messages are posted
// through the host's window (see HostWindow), in the order they came.
func (m *Manager) Message(id core.ProcID, msg any) {
	var ev supervisor.Event
	switch msg := msg.(type) {
	case *protocol.Register:
		ev = func(c *core.Core, now time.Time) []core.Action { return c.Registered(now, id, msg.Services) }
	case *protocol.Status:
		st := reported(msg.SERVICE_STATUS)
		ev = func(c *core.Core, now time.Time) []core.Action { return c.StatusReported(now, id, msg.Service, st) }
	case *protocol.ControlReply:
		ev = func(c *core.Core, now time.Time) []core.Action {
			return c.ControlReplied(now, id, msg.Seq, msg.Result)
		}
	}
	if ev != nil {
		w := m.hosts.of(id)
		select {
		case w <- struct{}{}:
		case <-m.sup.Stopped():
			return
		}
		m.post(func(c *core.Core, now time.Time) []core.Action {
			<-w
			return ev(c, now)
		})
		return
	}
	// The others are handled here, once what the host sent before them
	// has been applied.
	m.sup.Do(func(*core.Core, time.Time) []core.Action { return nil })
	switch msg := msg.(type) {
	case *protocol.DeviceQuery:
		// Answered on the host's own reader, outside m.mu: a host that
		// asks too often slows only itself.
		m.answerDeviceQuery(id, msg)
	case *protocol.DeviceNotify:
		m.deviceNotify(id, msg)
	default:
		m.BadMessage(id, errors.New("a message a host may not send"))
	}
}

// reported is the status a host reports as the core takes it: the service
// type is the configuration's, and the process is the one the SCM knows.
func reported(st windows.SERVICE_STATUS) core.Status {
	return core.Status{CurrentState: st.CurrentState, ControlsAccepted: st.ControlsAccepted,
		Win32ExitCode: st.Win32ExitCode, ServiceSpecificExitCode: st.ServiceSpecificExitCode,
		CheckPoint: st.CheckPoint, WaitHint: st.WaitHint}
}

// BadMessage drops a host that sent what could not be read.
func (m *Manager) BadMessage(id core.ProcID, err error) {
	m.post(func(c *core.Core, now time.Time) []core.Action { return c.Violation(now, id, err.Error()) })
}

// Exited takes the exit of a host process.
func (m *Manager) Exited(id core.ProcID, status int) {
	m.hosts.forget(id)
	m.post(func(c *core.Core, now time.Time) []core.Action { return c.ProcessExited(now, id, status) })
}

func (m *Manager) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

// StopAll asks every running service that accepts it to stop, and waits
// until they have or the deadline passes.
func (m *Manager) StopAll(deadline time.Time) {
	ch, cancel := m.watchAll()
	defer cancel()
	asked := m.stopRunning()
	waitChanges(ch, deadline, func() bool { return m.allStopped(asked) })
}

// stopRunning sends STOP to every running or paused service that accepts
// it, and returns them.
func (m *Manager) stopRunning() map[string]*service {
	m.mu.Lock()
	defer m.mu.Unlock()
	asked := map[string]*service{}
	for key, s := range m.services {
		st := m.statusOf(s)
		if (st.CurrentState == windows.SERVICE_RUNNING || st.CurrentState == windows.SERVICE_PAUSED) &&
			st.ControlsAccepted&windows.SERVICE_ACCEPT_STOP != 0 {
			name := s.cfg.Name
			req := m.sup.Expect(nil)
			m.post(func(c *core.Core, now time.Time) []core.Action {
				return c.ControlService(now, req, name, windows.SERVICE_CONTROL_STOP, 0, nil)
			})
			asked[key] = s
		}
	}
	return asked
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
		Group: s.cfg.Group, Tag: s.cfg.Tag, DependOnService: s.cfg.DependOnService, DependOnGroup: s.cfg.DependOnGroup,
		Delayed: s.cfg.DelayedAutostart,
	}
}
