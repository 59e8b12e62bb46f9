package core

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/openscm/scm/windows"
)

// ReasonHostExited is the reason of the Kill that clears away what an
// exited host left behind.
const ReasonHostExited = "host exited"

// Core holds the runtime state of every service and service process.
type Core struct {
	timeouts Timeouts
	services map[string]*service // by lower-case name
	procs    map[ProcID]*process
	nextProc ProcID
	nextSeq  uint32
	configs  map[string]Config          // by lower-case name
	groups   map[string]map[string]bool // load-order group → lower-case names of its members
	waits    map[string]*waiting        // starts held back for dependencies
	stopping bool                       // the system is shutting down
	blocked  map[string]bool            // services whose next raised control waits to be sent
	grace    *grace                     // a restarted SCM waiting for hosts to come back
}

// ShutDown marks the system as going down: starts are refused with
// ERROR_SHUTDOWN_IN_PROGRESS, and failure actions and starts waiting for
// their dependencies are dropped.
func (c *Core) ShutDown() []Action {
	c.stopping = true
	var acts []Action
	keys := make([]string, 0, len(c.waits))
	for key := range c.waits {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		w := c.waits[key]
		delete(c.waits, key)
		if w.req != 0 {
			acts = append(acts, reply(w.req, windows.ERROR_SHUTDOWN_IN_PROGRESS, c.Status(w.cfg.Name, w.cfg.Type)))
		}
	}
	for _, s := range c.services {
		s.recovery = nil
	}
	return acts
}

type service struct {
	name   string
	status Status
	proc   *process

	// A start in progress: the caller waits until the host has the start
	// request.
	startReq    ReqID
	startArgs   []string
	startReason uint32
	started     bool // the start request reached the host

	ctl    *pendingControl
	raised []*raisedControl // controls the SCM raised, in order; see RaiseControl

	reported   bool      // the service has sent a status of its own
	progressAt time.Time // last change of state or checkpoint
	hung       bool
	stopAsked  time.Time // when a STOP was sent; zero if none
	lastExit   int       // exit status of the last process that ran it
	logged     uint32    // the state event 7036 last reported; 0 before the first

	cfg         Config    // as of its last start, for a restart on failure
	failures    int       // the failure count of failure actions
	lastFailure time.Time // when the last failure was
	recovery    *pendingRecovery

	outcome startOutcome // how its last start went, for those that depend on it
}

type startOutcome int

const (
	notStarted startOutcome = iota
	starting
	startedOK
	startFailed
)

// pendingRecovery is a failure action waiting for its delay.
type pendingRecovery struct {
	action RecoveryAction
	due    time.Time
	count  int
}

type pendingControl struct {
	req      ReqID
	seq      uint32
	code     uint32
	deadline time.Time
}

type process struct {
	id         ProcID
	image      string
	shared     bool
	pid        uint32
	registered bool
	table      []string
	services   []*service
	connectBy  time.Time // it must register by then
	idleSince  time.Time // its last service stopped; it must exit
	killed     bool
}

// New returns an empty core.
func New(t Timeouts) *Core {
	return &Core{timeouts: t, services: map[string]*service{}, procs: map[ProcID]*process{}, waits: map[string]*waiting{},
		configs: map[string]Config{}, groups: map[string]map[string]bool{}, blocked: map[string]bool{}}
}

// SetTimeouts changes the timeouts for what happens from now on.
func (c *Core) SetTimeouts(t Timeouts) { c.timeouts = t }

func (c *Core) svc(name string) *service {
	key := strings.ToLower(name)
	s := c.services[key]
	if s == nil {
		s = &service{name: name, status: Status{CurrentState: windows.SERVICE_STOPPED, Win32ExitCode: uint32(windows.ERROR_SERVICE_NEVER_STARTED)}}
		c.services[key] = s
	}
	return s
}

// Status returns a service's current status. A service the core has never
// run is stopped with ERROR_SERVICE_NEVER_STARTED.
func (c *Core) Status(name string, serviceType uint32) Status {
	s, ok := c.services[strings.ToLower(name)]
	if !ok {
		return Status{ServiceType: serviceType, CurrentState: windows.SERVICE_STOPPED, Win32ExitCode: uint32(windows.ERROR_SERVICE_NEVER_STARTED)}
	}
	st := s.status
	if st.ServiceType == 0 {
		st.ServiceType = serviceType
	}
	return st
}

// LastExit returns the exit status of the last process that ran a service.
func (c *Core) LastExit(name string) int {
	if s, ok := c.services[strings.ToLower(name)]; ok {
		return s.lastExit
	}
	return 0
}

func (s *service) running() bool { return s.status.CurrentState != windows.SERVICE_STOPPED }

// changed tells watchers of the service's new status and, when the service
// settles in a state other than the one last logged, logs event 7036 as
// Windows does. A pending state is not logged, nor is the STOPPED of a
// service that never got further: its start failure has its own event.
func (s *service) changed(hung bool) []Action {
	acts := []Action{StatusChanged{Service: s.name, Status: s.status, Hung: hung}}
	state := s.status.CurrentState
	word, settled := settledWords[state]
	if !settled || state == s.logged {
		return acts
	}
	if s.logged != 0 || state != windows.SERVICE_STOPPED {
		acts = append(acts, Event{ID: 7036, Type: EventInformation, Service: s.name, Inserts: []string{DisplayName, word}})
	}
	s.logged = state
	return acts
}

// settledWords are 7036's words for the states a service settles in.
var settledWords = map[uint32]string{
	windows.SERVICE_STOPPED: "stopped", windows.SERVICE_RUNNING: "running", windows.SERVICE_PAUSED: "paused",
}

func reply(req ReqID, err windows.Errno, st Status) Action {
	return Reply{Req: req, Err: err, Status: st}
}

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
	p := &process{id: c.nextProc, image: cfg.ImagePath, shared: shared, connectBy: now.Add(c.timeouts.Pipe)}
	c.procs[p.id] = p
	p.services = []*service{s}
	s.proc = p
	acts = append(acts, Launch{Proc: p.id, Service: cfg.Name, Image: cfg.ImagePath, Account: cfg.Account, Shared: shared, Reason: reason})
	return append(acts, s.changed(false)...)
}

// attach starts a share-process service inside a host that is already up.
func (c *Core) attach(now time.Time, p *process, s *service) []Action {
	p.services = append(p.services, s)
	s.proc = p
	s.status.ProcessID = p.pid
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
	s.started = true
	req := s.startReq
	s.startReq = 0
	return []Action{
		SendStart{Proc: p.id, PID: p.pid, Service: s.name, Args: s.startArgs, Reason: s.startReason},
		reply(req, 0, s.status),
	}
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
		s.status.ProcessID = pid
		acts = append(acts, s.changed(false)...)
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
	var acts []Action
	for _, s := range append([]*service(nil), p.services...) {
		acts = append(acts, startFailedEvent(s, err))
		acts = append(acts, c.failStart(p, s, err)...)
	}
	return acts
}

func startFailedEvent(s *service, err windows.Errno) Action {
	return Event{ID: 7000, Type: EventError, Service: s.name, Inserts: []string{DisplayName, err.Error()}}
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
	var acts []Action
	for _, s := range append([]*service(nil), p.services...) {
		if !s.started {
			acts = append(acts, c.deliverStart(p, s)...)
		}
	}
	return acts
}

// Violation drops a host whose message could not be read or who stopped
// reading its own: what it ran fails as after a crash.
func (c *Core) Violation(now time.Time, id ProcID, why string) []Action {
	return c.then(now, c.dropHost(now, id, why))
}

func (c *Core) dropHost(now time.Time, id ProcID, why string) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	return c.violation(p, why)
}

// violation drops a host that broke the protocol: it is killed, and what
// it ran fails as a crash would.
func (c *Core) violation(p *process, why string) []Action {
	if p.killed {
		return nil
	}
	p.killed = true
	return []Action{Kill{Proc: p.id, Reason: "protocol violation: " + why}}
}

// StatusReported takes a SERVICE_STATUS a host sent for one of its
// services (name is ignored for an own-process host).
func (c *Core) StatusReported(now time.Time, id ProcID, name string, st Status) []Action {
	return c.then(now, c.statusReported(now, id, name, st))
}

func (c *Core) statusReported(now time.Time, id ProcID, name string, st Status) []Action {
	p := c.procs[id]
	if p == nil || p.killed {
		return nil
	}
	s := p.find(name)
	if s == nil || !s.started {
		return c.violation(p, "status for a service the host was not asked to run: "+name)
	}
	if st.CurrentState < windows.SERVICE_STOPPED || st.CurrentState > windows.SERVICE_PAUSED {
		return c.violation(p, "invalid service state")
	}
	old := s.status
	st.ServiceType = old.ServiceType
	st.ProcessID = p.pid
	if st.CurrentState != old.CurrentState || st.CheckPoint != old.CheckPoint || !s.reported {
		s.progressAt = now
		s.hung = false
	}
	s.reported = true
	if st.CurrentState == windows.SERVICE_RUNNING {
		s.outcome = startedOK
	}
	if st.CurrentState == windows.SERVICE_STOPPED {
		if s.outcome == starting {
			s.outcome = startFailed
		}
		st.ProcessID, st.ControlsAccepted, st.CheckPoint, st.WaitHint = 0, 0, 0, 0
		if st.Win32ExitCode != uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR) {
			st.ServiceSpecificExitCode = 0
		}
		s.status = st
		acts := s.changed(false)
		switch code := windows.Errno(st.Win32ExitCode); code {
		case 0:
		case windows.ERROR_SERVICE_SPECIFIC_ERROR:
			// Windows records the code as a parameter insert, %%N with N
			// signed, which the event's text resolves to the system
			// message of that number where there is one.
			acts = append(acts, Event{ID: 7024, Type: EventError, Service: s.name,
				Inserts: []string{DisplayName, "%%" + strconv.FormatInt(int64(int32(st.ServiceSpecificExitCode)), 10)}})
		default:
			acts = append(acts, Event{ID: 7023, Type: EventError, Service: s.name, Inserts: []string{DisplayName, code.Error()}})
		}
		if st.Win32ExitCode != 0 && s.cfg.Recovery.NonCrash {
			acts = append(acts, c.failed(now, s, false)...)
		}
		acts = append(acts, c.detach(p, s)...)
		if len(p.services) == 0 && p.idleSince.IsZero() {
			p.idleSince = now
		}
		return acts
	}
	s.status = st
	return s.changed(false)
}

func (p *process) find(name string) *service {
	if !p.shared {
		if len(p.services) == 1 {
			return p.services[0]
		}
		return nil
	}
	for _, s := range p.services {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

// controlRight is the access right each control needs; clients may not
// send the others at all.
func ControlRight(code uint32) (uint32, bool) {
	switch {
	case code == windows.SERVICE_CONTROL_STOP:
		return windows.SERVICE_STOP, true
	case code == windows.SERVICE_CONTROL_PAUSE, code == windows.SERVICE_CONTROL_CONTINUE,
		code == windows.SERVICE_CONTROL_PARAMCHANGE,
		code >= windows.SERVICE_CONTROL_NETBINDADD && code <= windows.SERVICE_CONTROL_NETBINDDISABLE:
		return windows.SERVICE_PAUSE_CONTINUE, true
	case code == windows.SERVICE_CONTROL_INTERROGATE:
		return windows.SERVICE_INTERROGATE, true
	case code >= 128 && code <= 255:
		return windows.SERVICE_USER_DEFINED_CONTROL, true
	}
	return 0, false
}

// acceptFlag is the SERVICE_ACCEPT_* flag a control needs; 0 if none.
func acceptFlag(code uint32) uint32 {
	switch code {
	case windows.SERVICE_CONTROL_STOP:
		return windows.SERVICE_ACCEPT_STOP
	case windows.SERVICE_CONTROL_PAUSE, windows.SERVICE_CONTROL_CONTINUE:
		return windows.SERVICE_ACCEPT_PAUSE_CONTINUE
	case windows.SERVICE_CONTROL_PARAMCHANGE:
		return windows.SERVICE_ACCEPT_PARAMCHANGE
	case windows.SERVICE_CONTROL_NETBINDADD, windows.SERVICE_CONTROL_NETBINDREMOVE,
		windows.SERVICE_CONTROL_NETBINDENABLE, windows.SERVICE_CONTROL_NETBINDDISABLE:
		return windows.SERVICE_ACCEPT_NETBINDCHANGE
	case windows.SERVICE_CONTROL_SHUTDOWN:
		return windows.SERVICE_ACCEPT_SHUTDOWN
	case windows.SERVICE_CONTROL_PRESHUTDOWN:
		return windows.SERVICE_ACCEPT_PRESHUTDOWN
	case windows.SERVICE_CONTROL_POWEREVENT:
		return windows.SERVICE_ACCEPT_POWEREVENT
	case windows.SERVICE_CONTROL_SESSIONCHANGE:
		return windows.SERVICE_ACCEPT_SESSIONCHANGE
	case windows.SERVICE_CONTROL_TIMECHANGE:
		return windows.SERVICE_ACCEPT_TIMECHANGE
	case windows.SERVICE_CONTROL_HARDWAREPROFILECHANGE:
		return windows.SERVICE_ACCEPT_HARDWAREPROFILECHANGE
	}
	return 0
}

// ControlService sends a control to a running service. The caller's access
// right has been checked already (see ControlRight).
func (c *Core) ControlService(now time.Time, req ReqID, name string, code, eventType uint32, eventData []byte) []Action {
	if _, ok := ControlRight(code); !ok {
		return []Action{reply(req, windows.ERROR_INVALID_PARAMETER, c.Status(name, 0))}
	}
	return c.control(now, req, name, code, eventType, eventData)
}

// SystemControl sends a control only the SCM itself sends
// (SERVICE_CONTROL_PRESHUTDOWN, SERVICE_CONTROL_SHUTDOWN, device and power
// events...), under the same rules of state and accepted controls.
func (c *Core) SystemControl(now time.Time, req ReqID, name string, code, eventType uint32, eventData []byte) []Action {
	return c.control(now, req, name, code, eventType, eventData)
}

func (c *Core) control(now time.Time, req ReqID, name string, code, eventType uint32, eventData []byte) []Action {
	s := c.services[strings.ToLower(name)]
	if s == nil || !s.running() {
		return []Action{reply(req, windows.ERROR_SERVICE_NOT_ACTIVE, c.Status(name, 0))}
	}
	st := s.status
	if s.ctl != nil || !s.started || s.proc == nil {
		return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, st)}
	}
	switch st.CurrentState {
	case windows.SERVICE_STOP_PENDING, windows.SERVICE_PAUSE_PENDING, windows.SERVICE_CONTINUE_PENDING:
		return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, st)}
	case windows.SERVICE_START_PENDING:
		// Only a stop the service said it accepts gets through while it starts.
		if code != windows.SERVICE_CONTROL_STOP || st.ControlsAccepted&windows.SERVICE_ACCEPT_STOP == 0 {
			return []Action{reply(req, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL, st)}
		}
	}
	if f := acceptFlag(code); f != 0 && st.ControlsAccepted&f == 0 {
		return []Action{reply(req, windows.ERROR_INVALID_SERVICE_CONTROL, st)}
	}
	c.nextSeq++
	s.ctl = &pendingControl{req: req, seq: c.nextSeq, code: code, deadline: now.Add(c.timeouts.Control)}
	if code == windows.SERVICE_CONTROL_STOP {
		s.stopAsked = now
	}
	return []Action{SendControl{Proc: s.proc.id, Service: s.name, Seq: c.nextSeq, Code: code, EventType: eventType, EventData: eventData}}
}

// ControlReplied takes a host's answer to a control: NO_ERROR, or
// ERROR_CALL_NOT_IMPLEMENTED (the service does not handle it: 1052 to the
// caller), or any other code, which the caller gets as it is.
func (c *Core) ControlReplied(now time.Time, id ProcID, seq uint32, result uint32) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	for _, s := range c.services {
		if s.ctl == nil || s.ctl.seq != seq {
			continue
		}
		if s.proc != nil && s.proc != p {
			return c.violation(p, "answer to another host's control")
		}
		req := s.ctl.req
		c.answered(s)
		err := windows.Errno(result)
		if err == windows.ERROR_CALL_NOT_IMPLEMENTED {
			err = windows.ERROR_INVALID_SERVICE_CONTROL
		}
		return c.then(now, []Action{reply(req, err, s.status)})
	}
	return nil // an answer that came after its caller gave up
}

// ProcessExited reports that a host process ended (status: its exit code,
// or minus the signal that killed it). Services it still ran stop with
// ERROR_PROCESS_ABORTED, as after a crash; whatever it left behind is
// killed. A host that ended before it connected never answered the start:
// the caller gets ERROR_SERVICE_REQUEST_TIMEOUT, as from Windows, and no
// failure action runs, as none does for a service that never started.
func (c *Core) ProcessExited(now time.Time, id ProcID, status int) []Action {
	return c.then(now, c.processExited(now, id, status))
}

func (c *Core) processExited(now time.Time, id ProcID, status int) []Action {
	p := c.procs[id]
	if p == nil {
		return nil
	}
	delete(c.procs, id)
	var acts []Action
	if !p.registered && !p.killed {
		for _, s := range append([]*service(nil), p.services...) {
			s.lastExit = status
			acts = append(acts, startFailedEvent(s, windows.ERROR_SERVICE_REQUEST_TIMEOUT))
			acts = append(acts, c.failStart(nil, s, windows.ERROR_SERVICE_REQUEST_TIMEOUT)...)
		}
		return append(acts, Kill{Proc: id, Reason: ReasonHostExited})
	}
	for _, s := range append([]*service(nil), p.services...) {
		if s.outcome == starting {
			s.outcome = startFailed
		}
		s.lastExit = status
		req := s.startReq
		s.startReq = 0
		s.status = Status{ServiceType: s.status.ServiceType, CurrentState: windows.SERVICE_STOPPED, Win32ExitCode: uint32(windows.ERROR_PROCESS_ABORTED)}
		if req != 0 {
			acts = append(acts, reply(req, windows.ERROR_PROCESS_ABORTED, s.status))
		}
		if s.ctl != nil {
			acts = append(acts, reply(s.ctl.req, windows.ERROR_PROCESS_ABORTED, s.status))
			c.answered(s)
		}
		if len(s.raised) > 0 {
			c.blocked[strings.ToLower(s.name)] = true
		}
		s.proc = nil
		s.stopAsked = time.Time{}
		acts = append(acts, s.changed(false)...)
		acts = append(acts, c.failed(now, s, true)...)
	}
	return append(acts, Kill{Proc: id, Reason: ReasonHostExited})
}

// Tick applies every deadline that has passed by now.
func (c *Core) Tick(now time.Time) []Action {
	acts := c.tick(now)
	if c.grace != nil && !c.grace.ending && !now.Before(c.grace.deadline) {
		acts = append(acts, c.EndAdoption(now)...)
	}
	return c.then(now, acts)
}

func (c *Core) tick(now time.Time) []Action {
	var acts []Action
	for _, p := range c.sortedProcs() {
		switch {
		case p.killed:
		case !p.registered && !now.Before(p.connectBy):
			p.killed = true
			acts = append(acts, Kill{Proc: p.id, Reason: "did not register within ServicesPipeTimeout"})
			for _, s := range append([]*service(nil), p.services...) {
				acts = append(acts,
					Event{ID: 7009, Type: EventError, Service: s.name, Inserts: []string{strconv.FormatInt(c.timeouts.Pipe.Milliseconds(), 10), DisplayName}},
					startFailedEvent(s, windows.ERROR_SERVICE_REQUEST_TIMEOUT))
				acts = append(acts, c.failStart(p, s, windows.ERROR_SERVICE_REQUEST_TIMEOUT)...)
			}
		case !p.idleSince.IsZero() && len(p.services) == 0 && !now.Before(p.idleSince.Add(c.timeouts.WaitKill)):
			p.killed = true
			acts = append(acts, Kill{Proc: p.id, Reason: "did not exit after its services stopped"})
		}
	}
	for _, s := range c.sortedServices() {
		if s.recovery != nil && !now.Before(s.recovery.due) {
			acts = append(acts, c.recover(now, s)...)
		}
		if s.ctl != nil && !now.Before(s.ctl.deadline) {
			acts = append(acts, reply(s.ctl.req, windows.ERROR_SERVICE_REQUEST_TIMEOUT, s.status),
				Event{ID: 7011, Type: EventError, Service: s.name, Inserts: []string{strconv.FormatInt(c.timeouts.Control.Milliseconds(), 10), DisplayName}})
			c.answered(s)
		}
		if d, ok := s.hangDeadline(c.timeouts); ok && !now.Before(d) {
			s.hung = true
			acts = append(acts, s.changed(true)...)
			if s.status.CurrentState == windows.SERVICE_START_PENDING {
				acts = append(acts, Event{ID: 7022, Type: EventError, Service: s.name, Inserts: []string{DisplayName}})
			}
		}
		if d, ok := s.killDeadline(c.timeouts); ok && !now.Before(d) && s.proc != nil && !s.proc.killed && s.proc.aloneWith(s) {
			s.proc.killed = true
			acts = append(acts, Kill{Proc: s.proc.id, Reason: "did not stop within WaitToKillServiceTimeout"})
		}
	}
	return acts
}

// aloneWith reports whether s is the only service in the host still
// running: the SCM never kills a shared host another service needs.
func (p *process) aloneWith(s *service) bool {
	for _, x := range p.services {
		if x != s && x.running() {
			return false
		}
	}
	return true
}

func pending(state uint32) bool {
	switch state {
	case windows.SERVICE_START_PENDING, windows.SERVICE_STOP_PENDING,
		windows.SERVICE_PAUSE_PENDING, windows.SERVICE_CONTINUE_PENDING:
		return true
	}
	return false
}

// hint is how long a pending state may last without progress: the wait hint
// the service gave, or the control timeout if it gave none.
func (s *service) hint(t Timeouts) time.Duration {
	if s.status.WaitHint > 0 {
		return time.Duration(s.status.WaitHint) * time.Millisecond
	}
	return t.Control
}

// hangDeadline is when a pending service that makes no progress is hung.
func (s *service) hangDeadline(t Timeouts) (time.Time, bool) {
	if !s.reported || s.hung || !pending(s.status.CurrentState) {
		return time.Time{}, false
	}
	return s.progressAt.Add(s.hint(t)), true
}

// killDeadline is when a service asked to stop that has made no progress
// toward it is killed.
func (s *service) killDeadline(t Timeouts) (time.Time, bool) {
	if s.stopAsked.IsZero() || !s.running() {
		return time.Time{}, false
	}
	from := s.stopAsked
	if s.progressAt.After(from) {
		from = s.progressAt
	}
	wait := t.WaitKill
	if h := time.Duration(s.status.WaitHint) * time.Millisecond; s.status.CurrentState == windows.SERVICE_STOP_PENDING && h > wait {
		wait = h
	}
	return from.Add(wait), true
}

// NextDeadline returns when Tick next has something to do.
func (c *Core) NextDeadline() (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, p := range c.procs {
		if p.killed {
			continue
		}
		if !p.registered {
			consider(p.connectBy)
		} else if !p.idleSince.IsZero() && len(p.services) == 0 {
			consider(p.idleSince.Add(c.timeouts.WaitKill))
		}
	}
	for _, s := range c.services {
		if s.recovery != nil {
			consider(s.recovery.due)
		}
		if s.ctl != nil {
			consider(s.ctl.deadline)
		}
		if d, ok := s.hangDeadline(c.timeouts); ok {
			consider(d)
		}
		if d, ok := s.killDeadline(c.timeouts); ok && s.proc != nil && !s.proc.killed && s.proc.aloneWith(s) {
			consider(d)
		}
	}
	if c.grace != nil && !c.grace.ending {
		consider(c.grace.deadline)
	}
	return next, !next.IsZero()
}

// failed counts a failure of s and schedules the failure action for it: the
// Nth failure takes the Nth action, and past the end the last one again.
// The count starts over after ResetPeriod seconds without a failure. A crash
// is reported as 7031 when an action follows and 7034 when none does.
func (c *Core) failed(now time.Time, s *service, crash bool) []Action {
	r := s.cfg.Recovery
	if !s.lastFailure.IsZero() && r.ResetPeriod != windows.INFINITE &&
		now.Sub(s.lastFailure) > time.Duration(r.ResetPeriod)*time.Second {
		s.failures = 0
	}
	s.failures++
	s.lastFailure = now
	var acts []Action
	var act RecoveryAction
	if len(r.Actions) > 0 {
		act = r.Actions[min(s.failures, len(r.Actions))-1]
	}
	if crash {
		if act.Type == windows.SC_ACTION_NONE {
			acts = append(acts, Event{ID: 7034, Type: EventError, Service: s.name, Inserts: []string{DisplayName, strconv.Itoa(s.failures)}})
		} else {
			acts = append(acts, Event{ID: 7031, Type: EventError, Service: s.name, Inserts: []string{DisplayName,
				strconv.Itoa(s.failures), strconv.FormatUint(uint64(act.Delay), 10), strconv.FormatUint(uint64(act.Type), 10), actionText[act.Type]}})
		}
	}
	if act.Type != windows.SC_ACTION_NONE {
		s.recovery = &pendingRecovery{action: act, due: now.Add(time.Duration(act.Delay) * time.Millisecond), count: s.failures}
	}
	return acts
}

// actionText is how 7031 names each action.
var actionText = map[uint32]string{
	windows.SC_ACTION_RESTART:     "Restart the service",
	windows.SC_ACTION_REBOOT:      "Restart the machine",
	windows.SC_ACTION_RUN_COMMAND: "Run the configured recovery program",
}

// recover carries out a failure action whose delay has passed.
func (c *Core) recover(now time.Time, s *service) []Action {
	p := s.recovery
	s.recovery = nil
	switch p.action.Type {
	case windows.SC_ACTION_RESTART:
		if s.running() {
			return nil
		}
		return c.StartService(now, 0, s.cfg.Name, nil, windows.SERVICE_START_REASON_RESTART_ON_FAILURE)
	case windows.SC_ACTION_RUN_COMMAND:
		cmd := strings.ReplaceAll(s.cfg.Recovery.Command, "%1%", strconv.Itoa(p.count))
		if cmd == "" {
			return nil
		}
		return []Action{RunCommand{Service: s.name, Command: cmd}}
	case windows.SC_ACTION_REBOOT:
		return []Action{Reboot{Service: s.name, Message: s.cfg.Recovery.RebootMessage}}
	}
	return nil
}

// then follows an event's actions with what it let move among the starts
// that wait for their dependencies.
func (c *Core) then(now time.Time, acts []Action) []Action {
	if len(c.waits) > 0 {
		acts = append(acts, c.settle(now)...)
	}
	return append(acts, c.moveRaised(now)...)
}

// sortedProcs and sortedServices give Tick a fixed order, so that what
// falls due together happens in the same order every time.
func (c *Core) sortedProcs() []*process {
	list := make([]*process, 0, len(c.procs))
	for _, p := range c.procs {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}

func (c *Core) sortedServices() []*service {
	keys := make([]string, 0, len(c.services))
	for k := range c.services {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	list := make([]*service, len(keys))
	for i, k := range keys {
		list[i] = c.services[k]
	}
	return list
}
