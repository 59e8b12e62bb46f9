// Command qwinsta lists the machine's sessions, as qwinsta.exe (query
// session) does: session 0, the services', and every login session (a
// seat's console, an ssh login), with its user, id and state; ">" marks
// the caller's own.
//
//	qwinsta [sessionname | username | sessionid]
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/winerror"
)

const usage = `Display information about Remote Desktop Services sessions.

QUERY SESSION [sessionname | username | sessionid]

  sessionname         Identifies the session named sessionname.
  username            Identifies the session with user username.
  sessionid           Identifies the session with ID sessionid.
`

// The states as qwinsta abbreviates WTS_CONNECTSTATE_CLASS.
var states = []string{"Active", "Conn", "ConnQ", "Shadow", "Disc", "Idle", "Listen", "Reset", "Down", "Init"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, out, errOut io.Writer) int {
	if len(args) > 0 && (args[0] == "/?" || args[0] == "-?") {
		fmt.Fprint(out, usage)
		return 0
	}
	if len(args) > 1 || len(args) == 1 && strings.HasPrefix(args[0], "/") {
		fmt.Fprintf(errOut, "Invalid parameter(s)\n%s", usage)
		return 1
	}
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	list, err := conn.EnumerateSessions(&pb.Empty{})
	if err != nil {
		err = client.Errno(err)
		fmt.Fprintln(errOut, winerror.Message(err))
		if err == syscall.Errno(1722) { // RPC_S_SERVER_UNAVAILABLE
			fmt.Fprint(errOut, client.UnreachableHint())
		}
		return 1
	}
	mine := uint32(0xFFFFFFFF) // unknown: no session is marked
	if r, err := conn.ProcessIdToSessionId(&pb.ProcessRequest{Pid: uint32(os.Getpid())}); err == nil {
		mine = r.SessionId
	}
	var shown []*pb.SessionInfo
	for _, s := range list.Sessions {
		if len(args) == 1 && !matches(s, args[0]) {
			continue
		}
		shown = append(shown, s)
	}
	if len(shown) == 0 {
		fmt.Fprintf(errOut, "No session exists for %s\n", args[0])
		return 1
	}
	fmt.Fprintf(out, " %-18s%-20s%7s  %-8s%-12s%s\n", "SESSIONNAME", "USERNAME", "ID", "STATE", "TYPE", "DEVICE")
	for _, s := range shown {
		marker := " "
		if s.Id == mine {
			marker = ">"
		}
		state := ""
		if int(s.State) < len(states) {
			state = states[s.State]
		}
		line := fmt.Sprintf("%s%-18s%-20s%7d  %-8s%-12s%s", marker, strings.ToLower(s.Name), s.User, s.Id, state, "", device(s))
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
	return 0
}

func matches(s *pb.SessionInfo, arg string) bool {
	if id, err := strconv.ParseUint(arg, 10, 32); err == nil {
		return s.Id == uint32(id)
	}
	return strings.EqualFold(s.Name, arg) || strings.EqualFold(s.User, arg)
}

// device is the session's terminal, as qwinsta shows a session's device.
func device(s *pb.SessionInfo) string {
	if s.Tty != "" {
		return s.Tty
	}
	return s.Display
}
