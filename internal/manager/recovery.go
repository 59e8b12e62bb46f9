package manager

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/openscm/scm/internal/cmdline"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/services"
)

// CommandRunner runs the programs failure actions call for; the launcher
// is one, so that its reaper collects them. A program named without a
// directory is looked for in the system's directories; the output file's
// directory is made if need be.
type CommandRunner interface {
	Run(argv []string, output string, done func(status int)) error
}

// SetStateDir names where failure commands' output goes:
// <dir>/failure-commands/<service>.log.
func (m *Manager) SetStateDir(dir string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stateDir = dir
}

// runFailureCommand runs a service's FailureCommand as LocalSystem (the
// SCM's own identity), its output appended to a log of its own.
func (m *Manager) runFailureCommand(a core.RunCommand) {
	runner, ok := m.launcher.(CommandRunner)
	if !ok || m.stateDir == "" {
		m.logf("failure command of %s not run: no place to run it", a.Service)
		return
	}
	argv, err := cmdline.ResolveImage(a.Command)
	if err != nil {
		m.logf("failure command of %s: %v", a.Service, err)
		return
	}
	out := filepath.Join(m.stateDir, "failure-commands", a.Service+".log")
	service := a.Service
	err = runner.Run(argv, out, func(status int) {
		m.logf("failure command of %s exited with %d", service, status)
	})
	if err != nil {
		m.logf("failure command of %s: %v", a.Service, err)
	}
}

// RebootEnabledValue, a DWORD under the Control key, lets the reboot
// failure action really restart the machine. It is off unless set to 1, so
// that a laptop or a test machine is never rebooted by a service's crash.
const RebootEnabledValue = "RebootOnServiceFailure"

// reboot carries out SC_ACTION_REBOOT: the message goes to the users logged
// on (wall), and the machine restarts only if the registry allows it.
func (m *Manager) reboot(a core.Reboot) {
	enabled := m.settings.rebootEnabled
	runner, _ := m.launcher.(CommandRunner)
	msg := a.Message
	if msg == "" {
		msg = fmt.Sprintf("The %s service failed; the machine is restarting.", a.Service)
	}
	if runner != nil {
		runner.Run([]string{"wall", msg}, "", func(int) {})
	}
	if !enabled {
		m.logf("failure action of %s: reboot (not done: %s\\%s is not 1): %s", a.Service, services.ControlKey, RebootEnabledValue, strings.TrimSpace(msg))
		return
	}
	m.logf("failure action of %s: rebooting the machine", a.Service)
	if runner != nil {
		if err := runner.Run([]string{"systemctl", "reboot"}, "", func(int) {}); err != nil {
			runner.Run([]string{"reboot"}, "", func(int) {})
		}
	}
}
