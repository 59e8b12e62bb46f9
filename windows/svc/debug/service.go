// Package debug provides facilities to execute svc.Handler on console.
package debug

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
)

// Run executes service name by calling appropriate handler function. The
// process is running on console, unlike real service. Use Ctrl+C (SIGINT)
// or SIGTERM to send "Stop" command to your service.
func Run(name string, handler svc.Handler) error {
	cmds := make(chan svc.ChangeRequest)
	changes := make(chan svc.Status)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	go func() {
		status := svc.Status{State: svc.Stopped}
		for {
			select {
			case <-sig:
				cmds <- svc.ChangeRequest{Cmd: svc.Stop, CurrentStatus: status}
			case status = <-changes:
			}
		}
	}()

	_, errno := handler.Execute([]string{name}, cmds, changes)
	if errno != 0 {
		return windows.Errno(errno)
	}
	return nil
}
