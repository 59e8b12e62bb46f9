// Command sc is the service control program: sc.exe's syntax, output and
// exit status (the Win32 code; Linux keeps its low 8 bits), against scmd.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

// exitInvalidCommandLine is what sc.exe returns for a usage error.
const exitInvalidCommandLine = int(windows.ERROR_INVALID_COMMAND_LINE)

type command struct {
	run   func(s *session, name string, args []string) int
	usage string
}

// commands maps each verb, lower-cased, to its implementation.
var commands map[string]command

func init() {
	commands = map[string]command{
		"create":         {runCreate, usageCreate},
		"start":          {runStart, "        Starts a service running.\nUSAGE:\n        sc <server> start [service name] <arg1> <arg2> ...\n"},
		"stop":           {runStop, "        Sends a STOP control request to a service.\nUSAGE:\n        sc <server> stop [service name]\n"},
		"pause":          {runPause, "        Sends a PAUSE control request to a service.\nUSAGE:\n        sc <server> pause [service name]\n"},
		"continue":       {runContinue, "        Sends a CONTINUE control request to a service.\nUSAGE:\n        sc <server> continue [service name]\n"},
		"interrogate":    {runInterrogate, "        Sends an INTERROGATE control request to a service.\nUSAGE:\n        sc <server> interrogate [service name]\n"},
		"control":        {runControl, "        Sends a CONTROL to a service.\nUSAGE:\n        sc <server> control [service name] <value>\n            <value> = user-defined control code\n            <value> = <paramchange|\n                       netbindadd|netbindremove|\n                       netbindenable|netbinddisable>\n"},
		"config":         {runConfig, usageConfig},
		"delete":         {runDelete, "        Deletes a service (from the registry).\nUSAGE:\n        sc <server> delete [service name]\n"},
		"qc":             {runQc, "        Queries the configuration information for a service.\nUSAGE:\n        sc <server> qc [service name] <bufferSize>\n"},
		"query":          {runQuery, usageQuery},
		"queryex":        {runQueryEx, usageQuery},
		"description":    {runDescription, "        Sets the description string for a service.\nUSAGE:\n        sc <server> description [service name] [description]\n"},
		"qdescription":   {runQDescription, "        Queries the description for a service.\nUSAGE:\n        sc <server> qdescription [service name] <bufferSize>\n"},
		"failure":        {runFailure, usageFailure},
		"qfailure":       {runQFailure, "        Queries the actions taken by a service upon failure.\nUSAGE:\n        sc <server> qfailure [service name] <bufferSize>\n"},
		"failureflag":    {runFailureFlag, "        Changes the failure actions flag setting of a service.\nUSAGE:\n        sc <server> failureflag [service name] [flag]\n"},
		"qfailureflag":   {runQFailureFlag, "        Queries the failure actions flag setting of a service.\nUSAGE:\n        sc <server> qfailureflag [service name]\n"},
		"sidtype":        {runSidType, "        Changes the service SID type setting of a service.\nUSAGE:\n        sc <server> sidtype [service name] [type]\n"},
		"qsidtype":       {runQSidType, "        Queries the service SID type setting of a service.\nUSAGE:\n        sc <server> qsidtype [service name]\n"},
		"privs":          {runPrivs, "        Changes the required privileges setting of a service.\nUSAGE:\n        sc <server> privs [service name] [privileges]\n"},
		"qprivs":         {runQPrivs, "        Queries the required privileges setting of a service.\nUSAGE:\n        sc <server> qprivs [service name] <bufferSize>\n"},
		"qpreferrednode": {runQPreferredNode, "        Queries the preferred NUMA node of a service.\nUSAGE:\n        sc <server> qpreferrednode [service name]\n"},
		"getkeyname":     {runGetKeyName, "        Gets the service name for a service, given its display name.\nUSAGE:\n        sc <server> getkeyname <service display name> <bufsize>\n"},
		"getdisplayname": {runGetDisplayName, "        Gets the display name for a service, given its service name.\nUSAGE:\n        sc <server> getdisplayname <service key name> <bufsize>\n"},
		"lock":           {runLock, "        Locks the Service Database.\nUSAGE:\n        sc <server> lock\n"},
		"querylock":      {runQueryLock, "        Queries the LockStatus for the SCManager Database.\nUSAGE:\n        sc <server> querylock\n"},
		"sdshow":         {runSdShow, "        Displays a service's security descriptor in SDDL format.\nUSAGE:\n        sc <server> sdshow [service name]\n"},
		"sdset":          {runSdSet, "        Sets a service's security descriptor.\nUSAGE:\n        sc <server> sdset [service name] [SD in SDDL format]\n"},
		"triggerinfo":    {runTriggerInfo, "        Configures the trigger parameters of a service.\nUSAGE:\n        sc <server> triggerinfo [service name] <option1> <option2>...\nOPTIONS:\n        start/device/UUID/HwId1/...\n        start/custom/UUID/data00/..\n        stop/custom/UUID/data00/..\n        start/strcustom/UUID/data00/..\n        start/networkon\n        stop/networkoff\n        start/domainjoin\n        stop/domainleave\n        start/portopen/parameter\n        stop/portclose/parameter\n        start/machinepolicy\n        start/userpolicy\n        start/rpcevent/UUID\n        start/namedpipeevent/pipename\n        delete\n"},
		"qtriggerinfo":   {runQTriggerInfo, "        Queries the trigger parameters of a service.\nUSAGE:\n        sc <server> qtriggerinfo [service name] <bufferSize>\n"},
		"firetrigger":    {runFireTrigger, "        Raises a custom trigger event.\nUSAGE:\n        sc <server> firetrigger [provider UUID] <data>...\n"},
		"enumdepend":     {runEnumDepend, "        Enumerates Service Dependencies.\nUSAGE:\n        sc <server> enumdepend [service name] <bufsize>\n"},
	}
}

// session is one run of sc: where it writes and which SCM it talks to.
type session struct {
	out     io.Writer
	machine string
	remote  bool // conn reaches another machine
	conn    *client.Conn
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout))
}

func run(args []string, out io.Writer) int {
	s := &session{out: out}
	if len(args) > 0 && strings.HasPrefix(args[0], `\\`) {
		s.machine = args[0]
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(out, usageMain)
		return 0
	}
	verb := strings.ToLower(args[0])
	cmd, ok := commands[verb]
	if !ok {
		fmt.Fprint(out, usageMain)
		return exitInvalidCommandLine
	}
	s.conn = client.Dial(client.SocketPath())
	if s.machine != "" && !client.IsLocalMachine(s.machine) {
		// The SCM sc talks to is that machine's, which is itself there.
		s.conn = client.DialRemote(strings.TrimPrefix(s.machine, `\\`))
		s.machine, s.remote = "", true
	}
	defer s.conn.Close()
	rest := args[1:]
	name := ""
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	return cmd.run(s, name, rest)
}

// failed prints sc.exe's failure block for a call and returns the exit code.
func (s *session) failed(call string, err error) int {
	code := errnoOf(err)
	fmt.Fprintf(s.out, "[SC] %s FAILED %d:\n\n%s\n\n", call, uint32(code), winerror.Text(uint32(code)))
	if code == windows.RPC_S_SERVER_UNAVAILABLE && s.machine == "" && !s.remote {
		fmt.Fprint(os.Stderr, client.UnreachableHint())
	}
	return int(code)
}

func errnoOf(err error) windows.Errno {
	if e, ok := err.(windows.Errno); ok {
		return e
	}
	return windows.RPC_S_SERVER_UNAVAILABLE
}

// usage prints a verb's help and returns sc.exe's usage exit code.
func (s *session) usage(verb string) int {
	fmt.Fprintf(s.out, "DESCRIPTION:\n%s", commands[verb].usage)
	return exitInvalidCommandLine
}

// options reads sc's "name= value" pairs. sc.exe wants the space after '=';
// "name=value" in one word is accepted as well. Names are case-insensitive.
// It reports false on a dangling name or a word that is not an option.
func options(args []string) ([][2]string, bool) {
	var opts [][2]string
	for i := 0; i < len(args); i++ {
		a := args[i]
		eq := strings.IndexByte(a, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.ToLower(a[:eq])
		if eq < len(a)-1 {
			opts = append(opts, [2]string{key, a[eq+1:]})
			continue
		}
		if i+1 >= len(args) {
			return nil, false
		}
		opts = append(opts, [2]string{key, args[i+1]})
		i++
	}
	return opts, true
}

const usageMain = `DESCRIPTION:
        SC is a command line program used for communicating with the
        Service Control Manager and services.
USAGE:
        sc <server> [command] [service name] <option1> <option2>...


        The option <server> has the form "\\ServerName"
        Further help on commands can be obtained by typing: "sc [command]"
        Commands:
          query-----------Queries the status for a service, or
                          enumerates the status for types of services.
          queryex---------Queries the extended status for a service, or
                          enumerates the status for types of services.
          start-----------Starts a service.
          pause-----------Sends a PAUSE control request to a service.
          interrogate-----Sends an INTERROGATE control request to a service.
          continue--------Sends a CONTINUE control request to a service.
          stop------------Sends a STOP request to a service.
          config----------Changes the configuration of a service (persistent).
          description-----Changes the description of a service.
          failure---------Changes the actions taken by a service upon failure.
          failureflag-----Changes the failure actions flag of a service.
          sidtype---------Changes the service SID type of a service.
          privs-----------Changes the required privileges of a service.
          qc--------------Queries the configuration information for a service.
          qdescription----Queries the description for a service.
          qfailure--------Queries the actions taken by a service upon failure.
          qfailureflag----Queries the failure actions flag of a service.
          qsidtype--------Queries the service SID type of a service.
          qprivs----------Queries the required privileges of a service.
          qtriggerinfo----Queries the trigger parameters of a service.
          qpreferrednode--Queries the preferred NUMA node of a service.
          delete----------Deletes a service (from the registry).
          create----------Creates a service. (adds it to the registry).
          control---------Sends a control to a service.
          sdshow----------Displays a service's security descriptor.
          sdset-----------Sets a service's security descriptor.
          triggerinfo-----Configures the trigger parameters of a service.
          firetrigger-----Fires a custom trigger, as an ETW provider would.
          GetDisplayName--Gets the DisplayName for a service.
          GetKeyName------Gets the ServiceKeyName for a service.
          EnumDepend------Enumerates Service Dependencies.

        The following commands don't require a service name:
        sc <server> <command> <option>
          lock------------Locks the Service Database
          querylock-------Queries the LockStatus for the SCManager Database
`
