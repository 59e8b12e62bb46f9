// Command wevtutil reads and manages the SCM's event logs with
// wevtutil.exe's syntax: el (enum-logs), gl (get-log), qe (query-events)
// and cl (clear-log). Errors exit with their Win32 code.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/eventxml"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(out, usage)
		return 0
	}
	conn := client.Dial(client.SocketPath())
	defer func() { conn.Close() }()
	verb, rest := strings.ToLower(args[0]), args[1:]
	opts, pos := options(rest)
	for name := range opts {
		if !switches[verb][name] && name != "r" {
			return invalid(errOut)
		}
	}
	if host, remote := opts["r"]; remote && !client.IsLocalMachine(host) {
		// /r:host reads and writes that machine's logs.
		conn.Close()
		conn = client.DialRemote(host)
	}
	fail := func(what string, err error) int {
		code, ok := err.(windows.Errno)
		if !ok {
			code = windows.RPC_S_SERVER_UNAVAILABLE
		}
		fmt.Fprintf(errOut, "%s %s\n", what, winerror.Text(uint32(code)))
		return int(code)
	}
	switch verb {
	case "el", "enum-logs":
		r, err := client.Call(conn.EnumEventLogs, &pb.Empty{})
		if err != nil {
			return fail("Failed to enumerate logs.", err)
		}
		for _, n := range r.Names {
			fmt.Fprintln(out, n)
		}
	case "gl", "get-log":
		if len(pos) != 1 {
			return invalid(errOut)
		}
		r, err := client.Call(conn.GetEventLogInfo, &pb.LogRequest{Log: pos[0]})
		if err != nil {
			return fail("Failed to read configuration for log "+pos[0]+".", err)
		}
		fmt.Fprintf(out, "name: %s\nenabled: true\ntype: Admin\nisolation: Application\nlogging:\n  logFileName: %%SystemRoot%%\\System32\\Winevt\\Logs\\%s.evtx\n  retention: %v\n  autoBackup: false\n  maxSize: %d\npublishing:\n  fileMax: 1\n",
			pos[0], pos[0], r.Retention == 0xFFFFFFFF, r.MaxSize)
	case "sl", "set-log":
		if len(pos) != 1 {
			return invalid(errOut)
		}
		if _, err := client.Call(conn.GetEventLogInfo, &pb.LogRequest{Log: pos[0]}); err != nil {
			return fail("Failed to read configuration for log "+pos[0]+".", err)
		}
		key := `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\` + pos[0]
		set := func(name string, v uint32) error {
			data := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
			_, err := client.Call(conn.RegSetValue, &pb.RegSetValueRequest{Path: key, Value: &pb.RegValue{Name: name, Type: 4, Data: data}})
			return err
		}
		for k, v := range opts {
			var err error
			switch k {
			case "ms":
				n, perr := strconv.ParseUint(v, 10, 32)
				if perr != nil || n < 1<<20 {
					return invalid(errOut) // Windows' floor is 1 MB
				}
				err = set("MaxSize", uint32(n))
			case "rt":
				r := uint32(0)
				if strings.EqualFold(v, "true") {
					r = 0xFFFFFFFF
				}
				err = set("Retention", r)
			default:
				return invalid(errOut)
			}
			if err != nil {
				return fail("Failed to save configuration or activate log "+pos[0]+".", err)
			}
		}
	case "cl", "clear-log":
		if len(pos) != 1 {
			return invalid(errOut)
		}
		if bu, ok := opts["bu"]; ok {
			if err := clearWithBackup(conn, pos[0], bu); err != nil {
				if _, ok := err.(windows.Errno); !ok {
					fmt.Fprintf(errOut, "Failed to clear log %s. %s\n", pos[0], winerror.Message(err))
					return 1
				}
				return fail("Failed to clear log "+pos[0]+".", err)
			}
			break
		}
		if _, err := client.Call(conn.ClearEventLog, &pb.ClearEventLogRequest{Log: pos[0]}); err != nil {
			return fail("Failed to clear log "+pos[0]+".", err)
		}
	case "qe", "query-events":
		if len(pos) != 1 {
			return invalid(errOut)
		}
		req := &pb.ReadEventLogRequest{Log: pos[0], NewestFirst: strings.EqualFold(opts["rd"], "true"), Query: opts["q"]}
		if c, ok := opts["c"]; ok {
			n, err := strconv.ParseUint(c, 10, 32)
			if err != nil {
				return invalid(errOut)
			}
			req.Count = uint32(n)
		}
		r, err := client.Call(conn.ReadEventLog, req)
		if err != nil {
			return fail("Failed to read events.", err)
		}
		format := strings.ToLower(opts["f"])
		if format != "" && format != "xml" && format != "text" && format != "renderedxml" {
			return invalid(errOut)
		}
		root, wrap := opts["e"]
		if wrap && format != "text" {
			fmt.Fprintf(out, "<%s>\n", root)
		}
		for i, e := range r.Records {
			if format == "text" {
				printText(out, i, pos[0], e)
			} else {
				printXML(out, pos[0], e, format == "renderedxml")
			}
		}
		if wrap && format != "text" {
			fmt.Fprintf(out, "</%s>\n", root)
		}
	default:
		return invalid(errOut)
	}
	return 0
}

func invalid(errOut io.Writer) int {
	fmt.Fprint(errOut, "The parameter is incorrect.\n")
	return int(windows.ERROR_INVALID_PARAMETER)
}

// switches are the options each verb takes, by short name; any other is
// refused with 87, as wevtutil.exe refuses an option it does not know,
// rather than ignored (a /r:host ignored would read the local log).
var switches = map[string]map[string]bool{
	"el": {}, "enum-logs": {},
	"gl": {"f": true}, "get-log": {"f": true},
	"sl": {"ms": true, "rt": true}, "set-log": {"ms": true, "rt": true},
	"cl": {"bu": true}, "clear-log": {"bu": true},
	"qe": {"q": true, "rd": true, "f": true, "c": true, "e": true}, "query-events": {"q": true, "rd": true, "f": true, "c": true, "e": true},
}

// longNames are the long spellings of the switches wevtutil.exe accepts.
var longNames = map[string]string{
	"format": "f", "maxsize": "ms", "retention": "rt", "backup": "bu", "query": "q",
	"reversedirection": "rd", "count": "c", "element": "e", "remote": "r",
}

// options splits wevtutil's /name:value switches from the rest; a value may
// hold colons (/q:*[System[...]] or /bu:C:\x). Names come back short.
func options(args []string) (map[string]string, []string) {
	opts := map[string]string{}
	var pos []string
	for _, a := range args {
		if (strings.HasPrefix(a, "/") || strings.HasPrefix(a, "-")) && strings.Contains(a, ":") {
			i := strings.IndexByte(a, ':')
			name := strings.ToLower(a[1:i])
			if short, ok := longNames[name]; ok {
				name = short
			}
			opts[name] = a[i+1:]
			continue
		}
		pos = append(pos, a)
	}
	return opts, pos
}

var levels = eventxml.Levels

func printText(out io.Writer, i int, log string, e *pb.EventRecord) {
	t := time.Unix(0, e.TimeGenerated).UTC().Format("2006-01-02T15:04:05.000")
	fmt.Fprintf(out, "Event[%d]:\n  Log Name: %s\n  Source: %s\n  Date: %s\n  Event ID: %d\n  Task: N/A\n  Level: %s\n  Opcode: N/A\n  Keyword: Classic\n  User: %s\n  User Name: N/A\n  Computer: %s\n  Description: \n%s\n\n",
		i, log, e.Source, t, e.EventId, levels[e.Type], userOrNA(e.UserSid), e.Computer, e.Message)
}

func userOrNA(sid string) string {
	if sid == "" {
		return "N/A"
	}
	return sid
}

func printXML(out io.Writer, log string, e *pb.EventRecord, rendered bool) {
	io.WriteString(out, eventxml.Render(log, e, rendered)+"\n")
}

const usage = `Windows Events Command Line Utility.

Enables you to retrieve information about event logs and publishers, query
events, and clear logs.

Usage:

wevtutil COMMAND [ARGUMENT [ARGUMENT] ...] [/OPTION:VALUE [/OPTION:VALUE] ...]

Common commands:

el | enum-logs          List log names.
gl | get-log            Get log configuration information.
sl | set-log            Modify configuration of a log (/ms:BYTES maximum size,
                        /rt:true|false keep events rather than overwrite).
qe | query-events       Query events from a log (/q:XPATH, /c:N count,
                        /rd:true newest first, /f:xml|RenderedXml|text,
                        /e:ROOT element around the events).
cl | clear-log          Clear a log (/bu:FILE to back it up first).
`
