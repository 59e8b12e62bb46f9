package core

// What a service reports of itself (SetServiceStatus), and what its changes
// tell watchers and the event log.

import (
	"strconv"
	"strings"
	"time"

	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

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
	// A report moves the service's deadlines, and its siblings' (a stop
	// leaves another alone to be killed) and the host's (idle).
	defer c.retimeProc(p)
	if st.CurrentState < windows.SERVICE_STOPPED || st.CurrentState > windows.SERVICE_PAUSED {
		return c.violation(p, "invalid service state")
	}
	old := s.status
	st.ServiceType = old.ServiceType
	st.ProcessId = p.pid
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
		st.ProcessId, st.ControlsAccepted, st.CheckPoint, st.WaitHint = 0, 0, 0, 0
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
			acts = append(acts, Event{ID: 7023, Type: EventError, Service: s.name, Inserts: []string{DisplayName, winerror.Text(uint32(code))}})
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
