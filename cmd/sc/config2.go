package main

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

func (s *session) change2(name, verb string, access uint32, info *pb.ServiceConfig2) int {
	h, code := s.openService(name, access, "")
	if code != 0 {
		return code
	}
	defer s.close(h)
	if _, err := client.Call(s.conn.ChangeServiceConfig2, &pb.ChangeServiceConfig2Request{Handle: h, Info: info}); err != nil {
		return s.failed("ChangeServiceConfig2", err)
	}
	fmt.Fprint(s.out, "[SC] ChangeServiceConfig2 SUCCESS\n")
	return 0
}

// query2 reads one level; on success it has printed the common header.
func (s *session) query2(name string, level uint32, args []string) (*pb.ServiceConfig2, int) {
	size, sized, _ := bufSize(args)
	h, code := s.openService(name, windows.SERVICE_QUERY_CONFIG, "")
	if code != 0 {
		return nil, code
	}
	defer s.close(h)
	r, err := client.Call(s.conn.QueryServiceConfig2, &pb.QueryServiceConfig2Request{Handle: h, InfoLevel: level})
	if err != nil {
		return nil, s.failed("QueryServiceConfig2", err)
	}
	if sized && size < r.BytesNeeded {
		code := s.failed("QueryServiceConfig2", windows.ERROR_INSUFFICIENT_BUFFER)
		fmt.Fprintf(s.out, "[SC] QueryServiceConfig2 needs %d bytes\n", r.BytesNeeded)
		return nil, code
	}
	fmt.Fprintf(s.out, "[SC] QueryServiceConfig2 SUCCESS\n\nSERVICE_NAME: %s\n", name)
	return r, 0
}

func runDescription(s *session, name string, args []string) int {
	if name == "" || len(args) == 0 {
		return s.usage("description")
	}
	d := strings.Join(args, " ")
	return s.change2(name, "description", windows.SERVICE_CHANGE_CONFIG, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DESCRIPTION, Description: &d})
}

func runQDescription(s *session, name string, args []string) int {
	if _, _, ok := bufSize(args); name == "" || !ok {
		return s.usage("qdescription")
	}
	r, code := s.query2(name, windows.SERVICE_CONFIG_DESCRIPTION, args)
	if code != 0 {
		return code
	}
	fmt.Fprintf(s.out, "DESCRIPTION:  %s\n", r.GetDescription())
	return 0
}

var actionWords = map[string]uint32{
	"":        windows.SC_ACTION_NONE,
	"restart": windows.SC_ACTION_RESTART,
	"run":     windows.SC_ACTION_RUN_COMMAND,
	"reboot":  windows.SC_ACTION_REBOOT,
}

func runFailure(s *session, name string, args []string) int {
	opts, ok := options(args)
	if name == "" || !ok || len(opts) == 0 {
		return s.usage("failure")
	}
	fa := &pb.FailureActions{}
	var resetSet bool
	access := uint32(windows.SERVICE_CHANGE_CONFIG)
	for _, o := range opts {
		v := o[1]
		switch o[0] {
		case "reset":
			if strings.EqualFold(v, "infinite") {
				fa.ResetPeriod = windows.INFINITE
			} else {
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return s.usage("failure")
				}
				fa.ResetPeriod = uint32(n)
			}
			resetSet = true
		case "reboot":
			fa.RebootMsg = &v
		case "command":
			fa.Command = &v
		case "actions":
			fa.ChangeActions = true
			fa.Actions = nil
			if v == "" {
				break
			}
			parts := strings.Split(v, "/")
			if len(parts)%2 != 0 {
				return s.usage("failure")
			}
			for i := 0; i < len(parts); i += 2 {
				t, ok := actionWords[strings.ToLower(parts[i])]
				d, err := strconv.ParseUint(parts[i+1], 10, 32)
				if !ok || err != nil {
					return s.usage("failure")
				}
				if t == windows.SC_ACTION_RESTART {
					access |= windows.SERVICE_START
				}
				fa.Actions = append(fa.Actions, &pb.ScAction{Type: t, Delay: uint32(d)})
			}
		default:
			return s.usage("failure")
		}
	}
	// reset= and actions= go together, as sc.exe insists.
	if resetSet != fa.ChangeActions {
		return s.usage("failure")
	}
	return s.change2(name, "failure", access, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS, FailureActions: fa})
}

var actionNames = map[uint32]string{
	windows.SC_ACTION_NONE: "NONE", windows.SC_ACTION_RESTART: "RESTART",
	windows.SC_ACTION_REBOOT: "REBOOT", windows.SC_ACTION_RUN_COMMAND: "RUN PROCESS",
}

func runQFailure(s *session, name string, args []string) int {
	if _, _, ok := bufSize(args); name == "" || !ok {
		return s.usage("qfailure")
	}
	r, code := s.query2(name, windows.SERVICE_CONFIG_FAILURE_ACTIONS, args)
	if code != 0 {
		return code
	}
	fa := r.FailureActions
	w := s.out
	fmt.Fprintf(w, "        RESET_PERIOD (in seconds)    : %d\n", fa.ResetPeriod)
	fmt.Fprintf(w, "        REBOOT_MESSAGE               : %s\n", fa.GetRebootMsg())
	fmt.Fprintf(w, "        COMMAND_LINE                 : %s\n", fa.GetCommand())
	for i, a := range fa.Actions {
		label := "        FAILURE_ACTIONS              : "
		if i > 0 {
			label = "                                       "
		}
		fmt.Fprintf(w, "%s%s -- Delay = %d milliseconds.\n", label, actionNames[a.Type], a.Delay)
	}
	return 0
}

func runFailureFlag(s *session, name string, args []string) int {
	if name == "" || len(args) != 1 || (args[0] != "0" && args[0] != "1") {
		return s.usage("failureflag")
	}
	return s.change2(name, "failureflag", windows.SERVICE_CHANGE_CONFIG, &pb.ServiceConfig2{
		InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, FailureActionsOnNonCrashFailures: args[0] == "1"})
}

func runQFailureFlag(s *session, name string, args []string) int {
	if name == "" || len(args) != 0 {
		return s.usage("qfailureflag")
	}
	r, code := s.query2(name, windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, nil)
	if code != 0 {
		return code
	}
	flag := "FALSE"
	if r.FailureActionsOnNonCrashFailures {
		flag = "TRUE"
	}
	fmt.Fprintf(s.out, "        FAILURE_ACTIONS_ON_NONCRASH_FAILURES: %s\n", flag)
	return 0
}

var sidTypes = map[string]uint32{
	"none":         windows.SERVICE_SID_TYPE_NONE,
	"unrestricted": windows.SERVICE_SID_TYPE_UNRESTRICTED,
	"restricted":   windows.SERVICE_SID_TYPE_RESTRICTED,
}

func runSidType(s *session, name string, args []string) int {
	if name == "" || len(args) != 1 {
		return s.usage("sidtype")
	}
	t, ok := sidTypes[strings.ToLower(args[0])]
	if !ok {
		return s.usage("sidtype")
	}
	return s.change2(name, "sidtype", windows.SERVICE_CHANGE_CONFIG, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_SERVICE_SID_INFO, ServiceSidType: t})
}

func runQSidType(s *session, name string, args []string) int {
	if name == "" || len(args) != 0 {
		return s.usage("qsidtype")
	}
	r, code := s.query2(name, windows.SERVICE_CONFIG_SERVICE_SID_INFO, nil)
	if code != 0 {
		return code
	}
	for word, t := range sidTypes {
		if t == r.ServiceSidType {
			fmt.Fprintf(s.out, "SERVICE_SID_TYPE:  %s\n", strings.ToUpper(word))
		}
	}
	return 0
}

func runPrivs(s *session, name string, args []string) int {
	if name == "" || len(args) != 1 {
		return s.usage("privs")
	}
	var privs []string
	for _, p := range strings.Split(args[0], "/") {
		if p != "" {
			privs = append(privs, p)
		}
	}
	return s.change2(name, "privs", windows.SERVICE_CHANGE_CONFIG, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, RequiredPrivileges: privs})
}

func runQPrivs(s *session, name string, args []string) int {
	if _, _, ok := bufSize(args); name == "" || !ok {
		return s.usage("qprivs")
	}
	r, code := s.query2(name, windows.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, args)
	if code != 0 {
		return code
	}
	for i, p := range r.RequiredPrivileges {
		label := "        PRIVILEGES       : "
		if i > 0 {
			label = "                         : "
		}
		fmt.Fprintf(s.out, "%s%s\n", label, p)
	}
	return 0
}

func runQPreferredNode(s *session, name string, args []string) int {
	if name == "" || len(args) != 0 {
		return s.usage("qpreferrednode")
	}
	_, code := s.query2(name, windows.SERVICE_CONFIG_PREFERRED_NODE, nil)
	return code
}

const usageFailure = `        Changes the actions upon failure
USAGE:
        sc <server> failure [service name] <option1> <option2>...

OPTIONS:
        reset=   <Length of period of no failures (in seconds)
                  after which to reset the failure count to 0 (may be INFINITE)>
                  (Must be used in conjunction with actions= )
        reboot=  <Message broadcast before rebooting on failure>
        command= <Command line to be run on failure>
        actions= <Failure actions and their delay time (in milliseconds),
                  separated by / (forward slash) -- e.g., run/5000/reboot/800
                  Valid actions are <run|restart|reboot> >
                  (Must be used in conjunction with the reset= option)
`
