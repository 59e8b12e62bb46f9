package mgr

import (
	"errors"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/windows"
)

const (
	// Possible recovery actions that the service control manager can perform.
	NoAction       = windows.SC_ACTION_NONE        // no action
	ComputerReboot = windows.SC_ACTION_REBOOT      // reboot the computer
	ServiceRestart = windows.SC_ACTION_RESTART     // restart the service
	RunCommand     = windows.SC_ACTION_RUN_COMMAND // run a command
)

// RecoveryAction represents an action that the service control manager can
// perform when service fails. A service is considered failed when it
// terminates without reporting a status of SERVICE_STOPPED to the service
// controller.
type RecoveryAction struct {
	Type  int           // one of NoAction, ComputerReboot, ServiceRestart or RunCommand
	Delay time.Duration // the time to wait before performing the specified action
}

// SetRecoveryActions sets actions that service controller performs when
// service fails and the time after which to reset the service failure count
// to zero if there are no failures, in seconds. Specify INFINITE to indicate
// that service failure count should never be reset.
func (s *Service) SetRecoveryActions(recoveryActions []RecoveryAction, resetPeriod uint32) error {
	if recoveryActions == nil {
		return errors.New("recoveryActions cannot be nil")
	}
	fa := &pb.FailureActions{ResetPeriod: resetPeriod, ChangeActions: true}
	for _, a := range recoveryActions {
		fa.Actions = append(fa.Actions, &pb.ScAction{Type: uint32(a.Type), Delay: uint32(a.Delay.Nanoseconds() / 1000000)})
	}
	return s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS, FailureActions: fa})
}

// RecoveryActions returns actions that service controller performs when
// service fails. The service control manager counts the number of times
// service s has failed since the system booted. The count is reset to 0 if
// the service has not failed for ResetPeriod seconds. When the service fails
// for the Nth time, the service controller performs the action specified in
// element [N-1] of returned slice. If N is greater than slice length, the
// service controller repeats the last action in the slice.
func (s *Service) RecoveryActions() ([]RecoveryAction, error) {
	r, err := s.query2(windows.SERVICE_CONFIG_FAILURE_ACTIONS)
	if err != nil {
		return nil, err
	}
	var actions []RecoveryAction
	for _, a := range r.FailureActions.GetActions() {
		actions = append(actions, RecoveryAction{Type: int(a.Type), Delay: time.Duration(a.Delay) * time.Millisecond})
	}
	return actions, nil
}

// ResetRecoveryActions deletes both reset period and array of failure
// actions.
func (s *Service) ResetRecoveryActions() error {
	return s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS,
		FailureActions: &pb.FailureActions{ChangeActions: true}})
}

// ResetPeriod is the time after which to reset the service failure count to
// zero if there are no failures, in seconds. If INFINITE is returned,
// service failure count is never reset.
func (s *Service) ResetPeriod() (uint32, error) {
	r, err := s.query2(windows.SERVICE_CONFIG_FAILURE_ACTIONS)
	if err != nil {
		return 0, err
	}
	return r.FailureActions.GetResetPeriod(), nil
}

// SetRebootMessage sets service s reboot message. If msg is "", the reboot
// message is deleted and no message is broadcast.
func (s *Service) SetRebootMessage(msg string) error {
	return s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS,
		FailureActions: &pb.FailureActions{RebootMsg: &msg}})
}

// RebootMessage is broadcast to server users before rebooting in response
// to the ComputerReboot service controller action.
func (s *Service) RebootMessage() (string, error) {
	r, err := s.query2(windows.SERVICE_CONFIG_FAILURE_ACTIONS)
	if err != nil {
		return "", err
	}
	return r.FailureActions.GetRebootMsg(), nil
}

// SetRecoveryCommand sets the command line of the process to execute in
// response to the RunCommand service controller action. If cmd is "", the
// command is deleted and no program is run when the service fails.
func (s *Service) SetRecoveryCommand(cmd string) error {
	return s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS,
		FailureActions: &pb.FailureActions{Command: &cmd}})
}

// RecoveryCommand is the command line of the process to execute in
// response to the RunCommand service controller action. This process runs
// under the same account as the service.
func (s *Service) RecoveryCommand() (string, error) {
	r, err := s.query2(windows.SERVICE_CONFIG_FAILURE_ACTIONS)
	if err != nil {
		return "", err
	}
	return r.FailureActions.GetCommand(), nil
}

// SetRecoveryActionsOnNonCrashFailures sets the failure actions flag. If
// the flag is set to false, recovery actions will only be performed if the
// service terminates without reporting a status of SERVICE_STOPPED. If the
// flag is set to true, recovery actions are also performed if the service
// stops with a nonzero exit code.
func (s *Service) SetRecoveryActionsOnNonCrashFailures(flag bool) error {
	return s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, FailureActionsOnNonCrashFailures: flag})
}

// RecoveryActionsOnNonCrashFailures returns the current value of the
// failure actions flag. If the flag is set to false, recovery actions will
// only be performed if the service terminates without reporting a status of
// SERVICE_STOPPED. If the flag is set to true, recovery actions are also
// performed if the service stops with a nonzero exit code.
func (s *Service) RecoveryActionsOnNonCrashFailures() (bool, error) {
	r, err := s.query2(windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG)
	if err != nil {
		return false, err
	}
	return r.FailureActionsOnNonCrashFailures, nil
}
