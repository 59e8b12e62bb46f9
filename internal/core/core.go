package core

import (
	"sort"
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
	wake     deadline                   // no deadline falls due before it; none known when zero

	dependents map[string][]string // see dependedOn; nil when it must be made again

	groupOrder GroupOrder // for BootPlan

	slots   int        // hosts that may be launching at once; 0: no limit
	holding int        // hosts holding a slot
	queued  []*process // hosts waiting for a slot, in order
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
	startSent   bool // the start request is on its way, ahead of the host's registering
	started     bool // the host registered with the start request sent: it is the host's

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

	launch    Launch    // the action that launches it
	launched  bool      // launch was asked for; false while it waits for a slot
	slotUntil time.Time // when it gives up its launch slot; zero if it holds none
}

// New returns an empty core.
func New(t Timeouts) *Core {
	return &Core{timeouts: t, services: map[string]*service{}, procs: map[ProcID]*process{}, waits: map[string]*waiting{},
		configs: map[string]Config{}, groups: map[string]map[string]bool{}, blocked: map[string]bool{}}
}

// SetTimeouts changes the timeouts for what happens from now on.
func (c *Core) SetTimeouts(t Timeouts) {
	c.timeouts = t
	c.rescan()
}

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

func reply(req ReqID, err windows.Errno, st Status) Action {
	return Reply{Req: req, Err: err, Status: st}
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
