// Command scmsvc is the service the comparison benchmarks run under scm:
// readysvc's counterpart built on windows/svc, which reports RUNNING at once
// and stops when the SCM asks.
package main

import (
	"os"

	"github.com/openscm/scm/windows/svc"
)

func main() {
	if err := svc.Run("", handler{}); err != nil {
		os.Exit(1)
	}
}

type handler struct{}

func (handler) Execute(args []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	s <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for c := range r {
		switch c.Cmd {
		case svc.Interrogate:
			s <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			return false, 0
		}
	}
	return false, 0
}
