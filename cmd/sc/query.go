package main

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

func runQuery(s *session, name string, args []string) int   { return query(s, name, args, false) }
func runQueryEx(s *session, name string, args []string) int { return query(s, name, args, true) }

// query shows one service's status, or enumerates services when the name is
// missing or is itself an option ("sc query type= service").
func query(s *session, name string, args []string, ex bool) int {
	verb := "query"
	if ex {
		verb = "queryex"
	}
	if name != "" && !strings.Contains(name, "=") {
		if len(args) > 0 {
			return s.usage(verb)
		}
		h, code := s.openService(name, windows.SERVICE_QUERY_STATUS, "EnumQueryServicesStatus:")
		if code != 0 {
			return code
		}
		defer s.close(h)
		st, err := client.Call(s.conn.QueryServiceStatus, &pb.HandleRequest{Handle: h})
		if err != nil {
			return s.failed("QueryServiceStatus", err)
		}
		fmt.Fprintf(s.out, "\nSERVICE_NAME: %s \n", name)
		printStatus(s, st, ex)
		return 0
	}
	if name != "" {
		args = append([]string{name}, args...)
	}
	req := &pb.EnumServicesStatusRequest{ServiceType: windows.SERVICE_WIN32, ServiceState: windows.SERVICE_ACTIVE, BufSize: 4096, Ex: ex}
	opts, ok := options(args)
	if !ok {
		return s.usage(verb)
	}
	for _, o := range opts {
		v := strings.ToLower(o[1])
		switch o[0] {
		case "type":
			switch v {
			case "driver":
				req.ServiceType = windows.SERVICE_DRIVER
			case "service":
				req.ServiceType = windows.SERVICE_WIN32
			case "userservice":
				req.ServiceType = windows.SERVICE_USER_SERVICE | windows.SERVICE_WIN32
			case "all":
				req.ServiceType = windows.SERVICE_DRIVER | windows.SERVICE_WIN32
			default:
				return s.usage(verb)
			}
		case "state":
			switch v {
			case "active":
				req.ServiceState = windows.SERVICE_ACTIVE
			case "inactive":
				req.ServiceState = windows.SERVICE_INACTIVE
			case "all":
				req.ServiceState = windows.SERVICE_STATE_ALL
			default:
				return s.usage(verb)
			}
		case "bufsize", "ri":
			n, err := strconv.ParseUint(o[1], 10, 32)
			if err != nil {
				return s.usage(verb)
			}
			if o[0] == "bufsize" {
				req.BufSize = uint32(n)
			} else {
				req.ResumeHandle = uint32(n)
			}
		case "group":
			g := o[1]
			req.GroupName = &g
		default:
			return s.usage(verb)
		}
	}
	scm, code := s.openSCM(windows.SC_MANAGER_ENUMERATE_SERVICE)
	if code != 0 {
		return code
	}
	defer s.close(scm)
	req.Scm = scm
	r, err := client.Call(s.conn.EnumServicesStatus, req)
	if err != nil {
		return s.failed("EnumQueryServicesStatus:EnumServicesStatus", err)
	}
	for _, e := range r.Services {
		fmt.Fprintf(s.out, "\nSERVICE_NAME: %s\nDISPLAY_NAME: %s\n", e.ServiceName, e.DisplayName)
		printStatus(s, e.Status, ex)
	}
	if r.Win32Error != 0 {
		code := s.failed("EnumQueryServicesStatus:EnumServicesStatus", windows.Errno(r.Win32Error))
		fmt.Fprintf(s.out, "[SC] EnumQueryServicesStatus: more data, need %d bytes start resume at index %d\n", r.BytesNeeded, r.ResumeHandle)
		return code
	}
	return 0
}

var stateNames = []string{"", "STOPPED", "START_PENDING", "STOP_PENDING", "RUNNING", "CONTINUE_PENDING", "PAUSE_PENDING", "PAUSED"}

func printStatus(s *session, st *pb.ServiceStatus, ex bool) {
	w := s.out
	state := ""
	if int(st.CurrentState) < len(stateNames) {
		state = stateNames[st.CurrentState]
	}
	fmt.Fprintf(w, "        TYPE               : %-3x %s \n", st.ServiceType, typeString(st.ServiceType))
	fmt.Fprintf(w, "        STATE              : %d  %s \n", st.CurrentState, state)
	if st.CurrentState != windows.SERVICE_STOPPED {
		fmt.Fprintf(w, "                                (%s)\n", acceptString(st.ControlsAccepted))
	}
	fmt.Fprintf(w, "        WIN32_EXIT_CODE    : %d  (0x%x)\n", st.Win32ExitCode, st.Win32ExitCode)
	fmt.Fprintf(w, "        SERVICE_EXIT_CODE  : %d  (0x%x)\n", st.ServiceSpecificExitCode, st.ServiceSpecificExitCode)
	fmt.Fprintf(w, "        CHECKPOINT         : 0x%x\n", st.CheckPoint)
	fmt.Fprintf(w, "        WAIT_HINT          : 0x%x\n", st.WaitHint)
	if ex {
		fmt.Fprintf(w, "        PID                : %d\n", st.ProcessId)
		flags := ""
		if st.ServiceFlags&windows.SERVICE_RUNS_IN_SYSTEM_PROCESS != 0 {
			flags = "RUNS_IN_SYSTEM_PROCESS"
		}
		fmt.Fprintf(w, "        FLAGS              : %s\n", flags)
	}
}

func acceptString(a uint32) string {
	parts := []string{"NOT_STOPPABLE", "NOT_PAUSABLE", "IGNORES_SHUTDOWN"}
	if a&windows.SERVICE_ACCEPT_STOP != 0 {
		parts[0] = "STOPPABLE"
	}
	if a&windows.SERVICE_ACCEPT_PAUSE_CONTINUE != 0 {
		parts[1] = "PAUSABLE"
	}
	if a&windows.SERVICE_ACCEPT_SHUTDOWN != 0 {
		parts[2] = "ACCEPTS_SHUTDOWN"
	}
	return strings.Join(parts, ", ")
}

func runEnumDepend(s *session, name string, args []string) int {
	size, sized, ok := bufSize(args)
	if name == "" || !ok {
		return s.usage("enumdepend")
	}
	if !sized {
		size = 1024
	}
	h, code := s.openService(name, windows.SERVICE_ENUMERATE_DEPENDENTS, "")
	if code != 0 {
		return code
	}
	defer s.close(h)
	r, err := client.Call(s.conn.EnumDependentServices, &pb.EnumDependentServicesRequest{Handle: h, ServiceState: windows.SERVICE_STATE_ALL, BufSize: size})
	if err != nil {
		return s.failed("EnumDependentServices", err)
	}
	if r.Win32Error != 0 {
		code := s.failed("EnumDependentServices", windows.Errno(r.Win32Error))
		fmt.Fprintf(s.out, "[SC] EnumDependentServices: more data, need %d bytes\n", r.BytesNeeded)
		return code
	}
	fmt.Fprintf(s.out, "Enum: entriesRead = %d\n", len(r.Services))
	for _, e := range r.Services {
		fmt.Fprintf(s.out, "\nSERVICE_NAME: %s\nDISPLAY_NAME: %s\n", e.ServiceName, e.DisplayName)
		printStatus(s, e.Status, false)
	}
	return 0
}

const usageQuery = `        Obtains and displays information about the specified service, driver, type of service, or type of driver.
USAGE:
        sc <server> query [service name] <option1> <option2>...

OPTIONS:
 type=    Type of services to enumerate (driver, service, userservice, all)
          (default = service)
 state=   State of services to enumerate (inactive, all)
          (default = active)
 bufsize= The size (in bytes) of the enumeration buffer
          (default = 4096)
 ri=      The resume index number at which to begin the enumeration
          (default = 0)
 group=   Service group to enumerate
          (default = all groups)
`
