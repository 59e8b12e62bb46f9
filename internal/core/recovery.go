package core

// Failure actions (SERVICE_FAILURE_ACTIONS): what the SCM does when a
// service fails, counted and reset as Windows does.

import (
	"strconv"
	"strings"
	"time"

	"github.com/openscm/scm/windows"
)

// pendingRecovery is a failure action waiting for its delay.
type pendingRecovery struct {
	action RecoveryAction
	due    time.Time
	count  int
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
		c.wake.consider(s.recovery.due, true)
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
