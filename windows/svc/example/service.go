package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/debug"
	"github.com/openscm/scm/windows/svc/eventlog"
)

var elog debug.Log

type beeper struct{}

// Execute beeps twice a second while running and every two seconds while
// paused. On stop it logs its arguments and the control's context joined
// by dashes, which tests read back from the event log.
func (beeper) Execute(args []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	const accepted = svc.AcceptStop | svc.AcceptShutdown | svc.AcceptPauseAndContinue
	changes <- svc.Status{State: svc.StartPending}
	fast := time.NewTicker(500 * time.Millisecond)
	defer fast.Stop()
	slow := time.NewTicker(2 * time.Second)
	defer slow.Stop()
	tick := fast.C
	changes <- svc.Status{State: svc.Running, Accepts: accepted}
	for {
		select {
		case <-tick:
			beep()
			elog.Info(1, "beep")
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- c.CurrentStatus
				time.Sleep(100 * time.Millisecond)
				changes <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				elog.Info(1, fmt.Sprintf("%s-%d", strings.Join(args, "-"), c.Context))
				changes <- svc.Status{State: svc.StopPending}
				return false, 0
			case svc.Pause:
				changes <- svc.Status{State: svc.Paused, Accepts: accepted}
				tick = slow.C
			case svc.Continue:
				changes <- svc.Status{State: svc.Running, Accepts: accepted}
				tick = fast.C
			default:
				elog.Error(1, fmt.Sprintf("unexpected control request #%d", c.Cmd))
			}
		}
	}
}

// beep rings the terminal bell, this platform's MessageBeep. A service's
// stderr is /dev/null, so only a debug run is heard.
func beep() { os.Stderr.WriteString("\a") }

func runService(name string, isDebug bool) {
	var err error
	if isDebug {
		elog = debug.New(name)
	} else if elog, err = eventlog.Open(name); err != nil {
		fmt.Fprintf(os.Stderr, "opening the event log: %v\n", err)
		return
	}
	defer elog.Close()

	elog.Info(1, fmt.Sprintf("starting %s service", name))
	run := svc.Run
	if isDebug {
		run = debug.Run
	}
	if err := run(name, beeper{}); err != nil {
		elog.Error(1, fmt.Sprintf("%s service failed: %v", name, err))
		return
	}
	elog.Info(1, fmt.Sprintf("%s service stopped", name))
}
