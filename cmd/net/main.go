// Command net is net.exe's start, stop, pause and continue: they wait for
// the service to get there, printing a dot as it makes progress, and end
// with net.exe's messages and exit status (2 on failure).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

const exitFailure = 2

type session struct {
	out  io.Writer
	conn *client.Conn
	scm  uint64
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout))
}

func run(args []string, out io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(out, "The syntax of this command is:\n\nNET\n    [ CONTINUE | PAUSE | START | STOP ]\n\n")
		return 1
	}
	s := &session{out: out, conn: client.Dial(client.SocketPath())}
	defer s.conn.Close()
	verb := strings.ToUpper(args[0])
	rest := args[1:]
	switch verb {
	case "START":
		if len(rest) == 0 {
			return s.list()
		}
		return s.start(rest[0], rest[1:])
	case "STOP":
		return s.change(rest, stopVerb)
	case "PAUSE":
		return s.change(rest, pauseVerb)
	case "CONTINUE":
		return s.change(rest, continueVerb)
	}
	fmt.Fprint(out, "The syntax of this command is:\n\nNET\n    [ CONTINUE | PAUSE | START | STOP ]\n\n")
	return 1
}

// systemError prints net.exe's report of a Win32 error.
func (s *session) systemError(err error) int {
	code, ok := err.(windows.Errno)
	if !ok {
		code = windows.RPC_S_SERVER_UNAVAILABLE
	}
	fmt.Fprintf(s.out, "System error %d has occurred.\n\n%s\n\n", uint32(code), winerror.Text(uint32(code)))
	if code == windows.RPC_S_SERVER_UNAVAILABLE {
		fmt.Fprint(os.Stderr, client.UnreachableHint())
	}
	return exitFailure
}

func (s *session) helpmsg(text string, n int) int {
	fmt.Fprintf(s.out, "%s\n\nMore help is available by typing NET HELPMSG %d.\n\n", text, n)
	return exitFailure
}

// open finds a service by its name or its display name, as net.exe does.
func (s *session) open(name string, access uint32) (uint64, string, int) {
	scm, err := client.Call(s.conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT | windows.SC_MANAGER_ENUMERATE_SERVICE})
	if err != nil {
		return 0, "", s.systemError(err)
	}
	s.scm = scm.Handle
	h, err := client.Call(s.conn.OpenService, &pb.OpenServiceRequest{Scm: s.scm, ServiceName: name, DesiredAccess: access})
	if err == windows.ERROR_SERVICE_DOES_NOT_EXIST || err == windows.ERROR_INVALID_NAME {
		if k, kerr := client.Call(s.conn.GetServiceKeyName, &pb.GetNameRequest{Scm: s.scm, Name: name, BufChars: 4096}); kerr == nil && k.Win32Error == 0 {
			name = k.Name
			h, err = client.Call(s.conn.OpenService, &pb.OpenServiceRequest{Scm: s.scm, ServiceName: name, DesiredAccess: access})
		}
	}
	if err == windows.ERROR_SERVICE_DOES_NOT_EXIST || err == windows.ERROR_INVALID_NAME {
		return 0, "", s.helpmsg("The service name is invalid.", 2185)
	}
	if err != nil {
		return 0, "", s.systemError(err)
	}
	display := name
	if d, err := client.Call(s.conn.GetServiceDisplayName, &pb.GetNameRequest{Scm: s.scm, Name: name, BufChars: 4096}); err == nil && d.Win32Error == 0 {
		display = d.Name
	}
	return h.Handle, display, 0
}

// next waits for the service to leave what last says (its state and
// checkpoint), to be found hung, or to be deleted.
func (s *session) next(h uint64, last *pb.ServiceNotification) (*pb.ServiceNotification, error) {
	for {
		n, err := client.Call(s.conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{
			Handle: h, State: last.Status.CurrentState, CheckPoint: last.Status.CheckPoint})
		if err != nil {
			return last, err
		}
		if n.Hung || n.Notification == windows.SERVICE_NOTIFY_DELETED ||
			n.Status.CurrentState != last.Status.CurrentState || n.Status.CheckPoint != last.Status.CheckPoint {
			return n, nil
		}
	}
}

// waitWhile prints a dot each time the checkpoint advances, until the
// service leaves the pending state; it returns the last notification.
func (s *session) waitWhile(h uint64, pending uint32, last *pb.ServiceNotification) *pb.ServiceNotification {
	check := last.Status.CheckPoint
	for last.Status.CurrentState == pending && !last.Hung {
		n, err := s.next(h, last)
		if err != nil {
			return last
		}
		last = n
		if last.Status.CheckPoint > check {
			check = last.Status.CheckPoint
			fmt.Fprint(s.out, ".")
		}
	}
	return last
}

// record has the handle record the service's changes from now on, so that
// none between two waits is missed, and returns its status now.
func (s *session) record(h uint64) (*pb.ServiceNotification, error) {
	return client.Call(s.conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: h})
}

func (s *session) start(name string, args []string) int {
	h, display, code := s.open(name, windows.SERVICE_START|windows.SERVICE_QUERY_STATUS)
	if code != 0 {
		return code
	}
	last, err := s.record(h)
	if err != nil {
		return s.systemError(err)
	}
	if _, err := client.Call(s.conn.StartService, &pb.StartServiceRequest{Handle: h, Args: args}); err != nil {
		if err == windows.ERROR_SERVICE_ALREADY_RUNNING {
			return s.helpmsg("The requested service has already been started.", 2182)
		}
		return s.systemError(err)
	}
	fmt.Fprintf(s.out, "The %s service is starting.", display)
	if last, err = s.next(h, last); err == nil { // the start itself
		last = s.waitWhile(h, windows.SERVICE_START_PENDING, last)
	}
	fmt.Fprintln(s.out)
	st := last.Status
	switch {
	case last.Hung:
		return s.helpmsg(fmt.Sprintf("The %s service is not responding to the control function.", display), 2186)
	case st.CurrentState == windows.SERVICE_RUNNING || st.CurrentState == windows.SERVICE_PAUSED:
		fmt.Fprintf(s.out, "The %s service was started successfully.\n\n", display)
		return 0
	}
	fmt.Fprintf(s.out, "The %s service could not be started.\n\n", display)
	return s.exitReport(st)
}

// exitReport explains why a service stopped, as net.exe does.
func (s *session) exitReport(st *pb.ServiceStatus) int {
	switch code := windows.Errno(st.Win32ExitCode); code {
	case 0:
		return s.helpmsg("The service did not report an error.", 3534)
	case windows.ERROR_SERVICE_SPECIFIC_ERROR:
		return s.helpmsg(fmt.Sprintf("A service specific error occurred: %d.", st.ServiceSpecificExitCode), 3547)
	default:
		fmt.Fprint(s.out, "A system error has occurred.\n\n")
		return s.systemError(code)
	}
}

type verb struct {
	control            uint32
	access             uint32
	pending, done      uint32
	doing, did, failed string
}

var (
	stopVerb     = verb{windows.SERVICE_CONTROL_STOP, windows.SERVICE_STOP, windows.SERVICE_STOP_PENDING, windows.SERVICE_STOPPED, "stopping", "stopped", "stopped"}
	pauseVerb    = verb{windows.SERVICE_CONTROL_PAUSE, windows.SERVICE_PAUSE_CONTINUE, windows.SERVICE_PAUSE_PENDING, windows.SERVICE_PAUSED, "pausing", "paused", "paused"}
	continueVerb = verb{windows.SERVICE_CONTROL_CONTINUE, windows.SERVICE_PAUSE_CONTINUE, windows.SERVICE_CONTINUE_PENDING, windows.SERVICE_RUNNING, "continuing", "continued", "continued"}
)

// change sends a stop, pause or continue and waits for its outcome. A stop
// of a service others depend on lists them, asks (unless /y), and stops them
// first, in the order Windows gives them.
func (s *session) change(args []string, v verb) int {
	yes := false
	var names []string
	for _, a := range args {
		if strings.EqualFold(a, "/y") || strings.EqualFold(a, "/yes") {
			yes = true
		} else {
			names = append(names, a)
		}
	}
	if len(names) != 1 {
		fmt.Fprint(s.out, "The syntax of this command is:\n\nNET\n    [ CONTINUE | PAUSE | START | STOP ]\n\n")
		return 1
	}
	h, display, code := s.open(names[0], v.access|windows.SERVICE_QUERY_STATUS|windows.SERVICE_ENUMERATE_DEPENDENTS)
	if code != 0 {
		return code
	}
	if v.control == windows.SERVICE_CONTROL_STOP {
		deps, err := client.Call(s.conn.EnumDependentServices, &pb.EnumDependentServicesRequest{Handle: h, ServiceState: windows.SERVICE_ACTIVE, BufSize: 1 << 30})
		if err != nil {
			return s.systemError(err)
		}
		if len(deps.Services) > 0 {
			fmt.Fprintf(s.out, "The following services are dependent on the %s service.\nStopping the %s service will also stop these services.\n\n", display, display)
			for _, d := range deps.Services {
				fmt.Fprintf(s.out, "   %s\n", d.DisplayName)
			}
			fmt.Fprintln(s.out)
			if !yes && !s.confirm() {
				return exitFailure
			}
			for _, d := range deps.Services {
				dh, ddisplay, code := s.open(d.ServiceName, v.access|windows.SERVICE_QUERY_STATUS)
				if code != 0 {
					return code
				}
				if code := s.changeOne(dh, ddisplay, v); code != 0 {
					return code
				}
			}
		}
	}
	return s.changeOne(h, display, v)
}

// confirm asks net.exe's question; only an answer starting with y goes on.
func (s *session) confirm() bool {
	fmt.Fprint(s.out, "Do you want to continue this operation? (Y/N) [N]: ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
}

// changeOne sends one control and waits for the service to get there.
func (s *session) changeOne(h uint64, display string, v verb) int {
	last, err := s.record(h)
	if err != nil {
		return s.systemError(err)
	}
	r, err := client.Call(s.conn.ControlService, &pb.ControlServiceRequest{Handle: h, Control: v.control})
	if err != nil {
		return s.systemError(err)
	}
	switch windows.Errno(r.Win32Error) {
	case 0:
	case windows.ERROR_SERVICE_NOT_ACTIVE:
		return s.helpmsg(fmt.Sprintf("The %s service is not started.", display), 3521)
	case windows.ERROR_INVALID_SERVICE_CONTROL:
		return s.helpmsg("The requested pause, continue, or stop is not valid for this service.", 2191)
	case windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL:
		return s.helpmsg("The service cannot accept control messages at this time.", 2189)
	case windows.ERROR_DEPENDENT_SERVICES_RUNNING:
		return s.helpmsg("A stop control has been sent to a service that other running services are dependent on.", 2191)
	default:
		return s.systemError(windows.Errno(r.Win32Error))
	}
	fmt.Fprintf(s.out, "The %s service is %s.", display, v.doing)
	check := last.Status.CheckPoint
	for last.Status.CurrentState != v.done && !last.Hung {
		n, err := s.next(h, last)
		if err != nil {
			break
		}
		last = n
		if last.Status.CurrentState == v.pending && last.Status.CheckPoint > check {
			check = last.Status.CheckPoint
			fmt.Fprint(s.out, ".")
		}
		if last.Status.CurrentState == windows.SERVICE_STOPPED {
			break // stopped: done for a stop, failed for anything else
		}
	}
	fmt.Fprintln(s.out)
	if last.Status.CurrentState != v.done {
		fmt.Fprintf(s.out, "The %s service could not be %s.\n\n", display, v.failed)
		return exitFailure
	}
	fmt.Fprintf(s.out, "The %s service was %s successfully.\n\n", display, v.did)
	return 0
}

// list prints the services that are started, by display name.
func (s *session) list() int {
	scm, err := client.Call(s.conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_ENUMERATE_SERVICE})
	if err != nil {
		return s.systemError(err)
	}
	r, err := client.Call(s.conn.EnumServicesStatus, &pb.EnumServicesStatusRequest{Scm: scm.Handle,
		ServiceType: windows.SERVICE_WIN32, ServiceState: windows.SERVICE_ACTIVE, BufSize: 1 << 30})
	if err != nil {
		return s.systemError(err)
	}
	var names []string
	for _, e := range r.Services {
		names = append(names, e.DisplayName)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	fmt.Fprint(s.out, "These Windows services are started:\n\n")
	for _, n := range names {
		fmt.Fprintf(s.out, "   %s\n", n)
	}
	fmt.Fprint(s.out, "\nThe command completed successfully.\n\n")
	return 0
}
