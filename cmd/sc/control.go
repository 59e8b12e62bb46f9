package main

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

func runStart(s *session, name string, args []string) int {
	if name == "" {
		return s.usage("start")
	}
	h, code := s.openService(name, windows.SERVICE_START|windows.SERVICE_QUERY_STATUS, "")
	if code != 0 {
		return code
	}
	defer s.close(h)
	if _, err := client.Call(s.conn.StartService, &pb.StartServiceRequest{Handle: h, Args: args}); err != nil {
		return s.failed("StartService", err)
	}
	st, err := client.Call(s.conn.QueryServiceStatus, &pb.HandleRequest{Handle: h})
	if err != nil {
		return s.failed("QueryServiceStatus", err)
	}
	fmt.Fprintf(s.out, "\nSERVICE_NAME: %s \n", name)
	printStatus(s, st, true)
	return 0
}

// namedControls are the control words sc.exe's control verb takes.
var namedControls = map[string]uint32{
	"paramchange":    windows.SERVICE_CONTROL_PARAMCHANGE,
	"netbindadd":     windows.SERVICE_CONTROL_NETBINDADD,
	"netbindremove":  windows.SERVICE_CONTROL_NETBINDREMOVE,
	"netbindenable":  windows.SERVICE_CONTROL_NETBINDENABLE,
	"netbinddisable": windows.SERVICE_CONTROL_NETBINDDISABLE,
}

func runStop(s *session, name string, args []string) int {
	return control(s, "stop", name, args, windows.SERVICE_CONTROL_STOP, windows.SERVICE_STOP)
}

func runPause(s *session, name string, args []string) int {
	return control(s, "pause", name, args, windows.SERVICE_CONTROL_PAUSE, windows.SERVICE_PAUSE_CONTINUE)
}

func runContinue(s *session, name string, args []string) int {
	return control(s, "continue", name, args, windows.SERVICE_CONTROL_CONTINUE, windows.SERVICE_PAUSE_CONTINUE)
}

func runInterrogate(s *session, name string, args []string) int {
	return control(s, "interrogate", name, args, windows.SERVICE_CONTROL_INTERROGATE, windows.SERVICE_INTERROGATE)
}

func runControl(s *session, name string, args []string) int {
	if name == "" || len(args) != 1 {
		return s.usage("control")
	}
	code, ok := namedControls[strings.ToLower(args[0])]
	right := uint32(windows.SERVICE_PAUSE_CONTINUE)
	if !ok {
		n, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil {
			return s.usage("control")
		}
		code, right = uint32(n), windows.SERVICE_USER_DEFINED_CONTROL
		if code < 128 {
			right = windows.SERVICE_STOP | windows.SERVICE_PAUSE_CONTINUE | windows.SERVICE_INTERROGATE
		}
	}
	return control(s, "control", name, nil, code, right)
}

// control sends one control and prints the status ControlService returns,
// as sc.exe does for stop, pause, continue, interrogate and control.
func control(s *session, verb, name string, args []string, code, right uint32) int {
	if name == "" || len(args) != 0 {
		return s.usage(verb)
	}
	h, c := s.openService(name, right, "")
	if c != 0 {
		return c
	}
	defer s.close(h)
	r, err := client.Call(s.conn.ControlService, &pb.ControlServiceRequest{Handle: h, Control: code})
	if err != nil {
		return s.failed("ControlService", err)
	}
	if r.Win32Error != 0 {
		return s.failed("ControlService", windows.Errno(r.Win32Error))
	}
	fmt.Fprintf(s.out, "\nSERVICE_NAME: %s \n", name)
	printStatus(s, r.Status, false)
	return 0
}
