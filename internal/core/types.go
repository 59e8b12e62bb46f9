package core

import (
	"time"

	"github.com/openscm/scm/windows"
)

// Status is a service's SERVICE_STATUS_PROCESS.
type Status = windows.SERVICE_STATUS_PROCESS

// Config is what the core needs of a service's configuration, read from the
// database when the service is started (Windows reads ImagePath and the
// account at each start, so an edit takes effect then).
type Config struct {
	Name      string
	Type      uint32
	Start     uint32
	ImagePath string
	Account   string
	Deleted   bool
	Recovery  Recovery

	Group           string
	Tag             uint32 // the service's place in its group's GroupOrderList
	DependOnService []string
	DependOnGroup   []string
	Delayed         bool // DelayedAutostart: started after the boot's others
}

// Recovery is what the SCM does when a service fails (SERVICE_FAILURE_ACTIONS
// and SERVICE_FAILURE_ACTIONS_FLAG).
type Recovery struct {
	ResetPeriod   uint32 // seconds without failure that reset the count; INFINITE: never
	Actions       []RecoveryAction
	Command       string // run by SC_ACTION_RUN_COMMAND; %1% becomes the failure count
	RebootMessage string // broadcast before SC_ACTION_REBOOT
	NonCrash      bool   // a STOPPED with a non-zero exit code is a failure too
}

// RecoveryAction is one SC_ACTION.
type RecoveryAction struct {
	Type  uint32
	Delay uint32 // milliseconds
}

// Timeouts are the SCM's settings from HKLM\SYSTEM\CurrentControlSet\Control.
type Timeouts struct {
	Pipe     time.Duration // ServicesPipeTimeout: to connect and register
	Control  time.Duration // to answer a control (Windows: 30 s)
	WaitKill time.Duration // WaitToKillServiceTimeout: to stop once asked
}

// DefaultTimeouts are Windows' defaults.
var DefaultTimeouts = Timeouts{Pipe: 30 * time.Second, Control: 30 * time.Second, WaitKill: 5 * time.Second}

// ProcID names a service process the core asked to launch.
type ProcID uint64

// ReqID names a caller waiting for a reply.
type ReqID uint64

// Action is something the core asks its caller to do.
type Action interface{ action() }

// Launch starts a process for the image, with the protocol socket, as the
// account. Its outcome comes back as Launched or LaunchFailed.
type Launch struct {
	Proc    ProcID
	Service string // the service that made the launch necessary
	Image   string
	Account string
	Shared  bool
	Reason  uint32 // the start reason of the start that launched it
}

// SendStart delivers a start request (ServiceMain's arguments) to a host.
type SendStart struct {
	Proc    ProcID
	PID     uint32 // the host's process, for the token that proves it runs the service
	Service string
	Args    []string // argv[0] is the service name
	Reason  uint32   // SERVICE_START_REASON_*
}

// SendControl delivers a control to a host; its answer comes back as
// ControlReplied with the same Seq.
type SendControl struct {
	Proc      ProcID
	Service   string
	Seq       uint32
	Code      uint32
	EventType uint32
	EventData []byte
}

// Kill ends a process and everything it started.
type Kill struct {
	Proc   ProcID
	Reason string
}

// Reply answers a waiting caller: Err is 0 on success, and Status is the
// service's status either way, as ControlService returns it.
type Reply struct {
	Req    ReqID
	Err    windows.Errno
	Status Status
}

// StatusChanged tells watchers a service's status changed. Hung is set when
// a pending state outlived its wait hint without progress.
type StatusChanged struct {
	Service string
	Status  Status
	Hung    bool
}

// Event asks for an event in the System log under the SCM's name, with
// Windows' event ID; an insert equal to DisplayName stands for the
// service's display name.
type Event struct {
	ID      uint32
	Type    uint16 // EVENTLOG_*_TYPE
	Service string
	Inserts []string
}

// DisplayName marks the insert that is the service's display name.
const DisplayName = "\x00display-name"

// Event types.
const (
	EventError       = 1
	EventWarning     = 2
	EventInformation = 4
)

// RunCommand runs a service's failure command as LocalSystem.
type RunCommand struct {
	Service string
	Command string
}

// Reboot restarts the machine after a service's failure, broadcasting the
// message first; the caller decides whether this machine really reboots.
type Reboot struct {
	Service string
	Message string
}

// KillLeftovers kills what the hosts of an earlier SCM left running that no
// adopted host claims; LeftoversKilled answers it.
type KillLeftovers struct{}

func (KillLeftovers) action() {}
func (RunCommand) action()    {}
func (Reboot) action()        {}
func (Event) action()         {}
func (Launch) action()        {}
func (SendStart) action()     {}
func (SendControl) action()   {}
func (Kill) action()          {}
func (Reply) action()         {}
func (StatusChanged) action() {}
