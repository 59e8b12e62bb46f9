package core

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/openscm/scm/windows"
)

// The scenario files in testdata drive the core one event at a time:
//
//	config a type=own|share image=/bin/a start=demand|disabled deleted
//	start a [arg...]          StartService (the caller is req N, counted)
//	launched a pid=100        the host of a's last launch is running
//	launchfail a 2            it could not be started
//	register a [name...]      that host registers its dispatch table (default: a)
//	status a state=running accept=stop,pause checkpoint=1 hint=3000 exit=0 specific=0
//	control a stop|pause|continue|interrogate|N
//	raise a deviceevent|N     a control the SCM raises (queued while a is busy)
//	reply a [code]            the host answers the control in flight
//	exited a code             the host of a exits
//	tick 30s                  time passes
//	config a actions=(restart/1000,run/0) reset=60 command=x rebootmsg=m noncrash
//	query a                   a's status
//	expect a b grace=5s       a restarted SCM awaits a and b (ExpectAdoption)
//	adopt a [b] pid=7 state=running accept=stop   a host came back with them
//	awaited                   who the grace period still waits for
//	remove a                  a left the database
//	shutdown                  the system is going down (ShutDown)
//	system a shutdown|N       a control only the SCM sends (SystemControl)
//	dependents a              the running services that depend on a
//	violation a why...        a's host broke the protocol
//	lastexit a                the exit status of a's last process
//	deadline                  when Tick next has work, from now
//	timeouts pipe=30s control=30s waitkill=5s
//	endadoption               end the grace period early
//	leftoverskilled           what dead hosts left is gone
//	config a start=auto|delayed group=G tag=3 driver
//	grouporder G H I=(3,1)    ServiceGroupOrder\List, and I's GroupOrderList tags
//	bootplan [delayed]        the boot's lists of services, one per line
//
// Each command prints the actions that came out, one per line.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		h := newHarness()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out := h.run(t, d)
			h.checkWake(t, d)
			return out
		})
	})
}

type harness struct {
	c       *Core
	now     time.Time
	configs map[string]Config
	procs   map[string]ProcID // service → its last launch
	seqs    map[ProcID][]uint32
	req     ReqID
}

func newHarness() *harness {
	h := &harness{
		c:       New(DefaultTimeouts),
		now:     time.Unix(0, 0),
		configs: map[string]Config{},
		procs:   map[string]ProcID{},
		seqs:    map[ProcID][]uint32{},
	}
	return h
}

func (h *harness) run(t *testing.T, d *datadriven.TestData) string {
	name := ""
	if len(d.CmdArgs) > 0 {
		name = d.CmdArgs[0].Key
	}
	var acts []Action
	switch d.Cmd {
	case "config":
		cfg := Config{Name: name, Type: windows.SERVICE_WIN32_OWN_PROCESS, Start: windows.SERVICE_DEMAND_START, ImagePath: "/bin/" + name, Account: "LocalSystem"}
		for _, a := range d.CmdArgs[1:] {
			switch a.Key {
			case "type":
				if a.Vals[0] == "share" {
					cfg.Type = windows.SERVICE_WIN32_SHARE_PROCESS
				}
			case "image":
				cfg.ImagePath = a.Vals[0]
			case "start":
				switch a.Vals[0] {
				case "disabled":
					cfg.Start = windows.SERVICE_DISABLED
				case "auto":
					cfg.Start = windows.SERVICE_AUTO_START
				case "delayed":
					cfg.Start, cfg.Delayed = windows.SERVICE_AUTO_START, true
				}
			case "driver":
				cfg.Type = windows.SERVICE_KERNEL_DRIVER
			case "tag":
				cfg.Tag = atoi(a.Vals[0])
			case "deleted":
				cfg.Deleted = true
			case "actions": // actions=(restart/1000,run/0,reboot/5,none/0)
				for _, v := range a.Vals {
					typ, delay, _ := strings.Cut(v, "/")
					cfg.Recovery.Actions = append(cfg.Recovery.Actions, RecoveryAction{
						Type: map[string]uint32{"none": 0, "restart": 1, "reboot": 2, "run": 3}[typ], Delay: atoi(delay)})
				}
			case "depend": // depend=(a,+group)
				for _, v := range a.Vals {
					if strings.HasPrefix(v, "+") {
						cfg.DependOnGroup = append(cfg.DependOnGroup, v[1:])
					} else {
						cfg.DependOnService = append(cfg.DependOnService, v)
					}
				}
			case "group":
				cfg.Group = a.Vals[0]
			case "reset":
				cfg.Recovery.ResetPeriod = atoi(a.Vals[0])
			case "command":
				cfg.Recovery.Command = strings.Join(a.Vals, ",")
			case "rebootmsg":
				cfg.Recovery.RebootMessage = a.Vals[0]
			case "noncrash":
				cfg.Recovery.NonCrash = true
			}
		}
		h.configs[name] = cfg
		h.c.Configure(cfg)
		return ""
	case "start":
		h.req++
		var args []string
		for _, a := range d.CmdArgs[1:] {
			args = append(args, a.Key)
		}
		acts = h.c.StartService(h.now, h.req, name, args, windows.SERVICE_START_REASON_DEMAND)
	case "launched":
		var pid int
		d.ScanArgs(t, "pid", &pid)
		acts = h.c.Launched(h.now, h.procs[name], uint32(pid))
	case "launchfail":
		code, _ := strconv.Atoi(d.CmdArgs[1].Key)
		acts = h.c.LaunchFailed(h.now, h.procs[name], windows.Errno(code))
	case "register":
		table := []string{name} // "register a" registers a's own name
		if len(d.CmdArgs) > 1 {
			table = nil
			for _, a := range d.CmdArgs[1:] {
				table = append(table, a.Key)
			}
		}
		acts = h.c.Registered(h.now, h.procs[name], table)
	case "status":
		st := parseStatus(t, d, d.CmdArgs[1:])
		acts = h.c.StatusReported(h.now, h.procs[name], name, st)
	case "control":
		h.req++
		code, ok := controlByName[d.CmdArgs[1].Key]
		if !ok {
			code = atoi(d.CmdArgs[1].Key)
		}
		acts = h.c.ControlService(h.now, h.req, name, code, 0, nil)
	case "raise":
		h.req++
		code, ok := controlByName[d.CmdArgs[1].Key]
		if !ok {
			code = atoi(d.CmdArgs[1].Key)
		}
		acts = h.c.RaiseControl(h.now, h.req, name, code, 0, nil)
	case "reply":
		result := uint32(0)
		if len(d.CmdArgs) > 1 {
			result = atoi(d.CmdArgs[1].Key)
		}
		p := h.procs[name]
		if len(h.seqs[p]) == 0 {
			return "(no control was sent)\n"
		}
		// The newest control sent to the host is the one it answers.
		seq := h.seqs[p][len(h.seqs[p])-1]
		h.seqs[p] = h.seqs[p][:len(h.seqs[p])-1]
		acts = h.c.ControlReplied(h.now, p, seq, result)
	case "exited":
		code, _ := strconv.Atoi(d.CmdArgs[1].Key)
		acts = h.c.ProcessExited(h.now, h.procs[name], code)
	case "tick":
		dur, err := time.ParseDuration(name)
		if err != nil {
			t.Fatal(err)
		}
		h.now = h.now.Add(dur)
		acts = h.c.Tick(h.now)
	case "query":
		return formatStatus(h.c.Status(name, h.configs[name].Type)) + "\n"
	case "expect":
		var names []string
		grace := 5 * time.Second
		for _, a := range d.CmdArgs {
			if a.Key == "grace" {
				grace, _ = time.ParseDuration(a.Vals[0])
			} else {
				names = append(names, a.Key)
			}
		}
		h.c.ExpectAdoption(h.now, names, h.now.Add(grace))
		return ""
	case "adopt":
		var names []string
		var pid int
		for _, a := range d.CmdArgs {
			if len(a.Vals) == 0 {
				names = append(names, a.Key)
			} else if a.Key == "pid" {
				pid = int(atoi(a.Vals[0]))
			}
		}
		st := parseStatus(t, d, d.CmdArgs)
		var svcs []Adopted
		for _, n := range names {
			svcs = append(svcs, Adopted{Name: n, Status: st})
		}
		cfg := h.configs[names[0]]
		id, adopted := h.c.Adopt(h.now, uint32(pid), cfg.ImagePath, cfg.Type == windows.SERVICE_WIN32_SHARE_PROCESS, svcs)
		if id == 0 {
			return "not adopted\n" + h.format(adopted)
		}
		for _, n := range names {
			h.procs[n] = id
		}
		return fmt.Sprintf("adopted as p%d\n", id) + h.format(adopted)
	case "remove":
		h.c.Remove(name)
		return ""
	case "shutdown":
		acts = h.c.ShutDown()
	case "system":
		h.req++
		code, ok := controlByName[d.CmdArgs[1].Key]
		if !ok {
			code = atoi(d.CmdArgs[1].Key)
		}
		acts = h.c.SystemControl(h.now, h.req, name, code, 0, nil)
	case "dependents":
		return fmt.Sprintf("%q\n", h.c.Dependents(name))
	case "violation":
		var why []string
		for _, a := range d.CmdArgs[1:] {
			why = append(why, a.Key)
		}
		acts = h.c.Violation(h.now, h.procs[name], strings.Join(why, " "))
	case "lastexit":
		return fmt.Sprintf("%d\n", h.c.LastExit(name))
	case "deadline":
		next, ok := h.c.soonest()
		if !ok {
			return "none\n"
		}
		return fmt.Sprintf("in %v\n", next.Sub(h.now))
	case "timeouts":
		tm := DefaultTimeouts
		for _, a := range d.CmdArgs {
			dur, err := time.ParseDuration(a.Vals[0])
			if err != nil {
				d.Fatalf(t, "%s: %v", a.Key, err)
			}
			switch a.Key {
			case "pipe":
				tm.Pipe = dur
			case "control":
				tm.Control = dur
			case "waitkill":
				tm.WaitKill = dur
			}
		}
		h.c.SetTimeouts(tm)
		return ""
	case "slots":
		h.c.SetLaunchSlots(int(atoi(d.CmdArgs[0].Key)))
		return ""
	case "awaited":
		return fmt.Sprintf("%q\n", h.c.Awaited())
	case "grouporder":
		o := GroupOrder{Tags: map[string][]uint32{}}
		for _, a := range d.CmdArgs {
			if len(a.Vals) == 0 {
				o.Groups = append(o.Groups, a.Key)
				continue
			}
			for _, v := range a.Vals {
				o.Tags[strings.ToLower(a.Key)] = append(o.Tags[strings.ToLower(a.Key)], atoi(v))
			}
		}
		h.c.SetGroupOrder(o)
		return ""
	case "bootplan":
		var out strings.Builder
		for _, list := range h.c.BootPlan(name == "delayed") {
			fmt.Fprintf(&out, "%s\n", strings.Join(list, " "))
		}
		if out.Len() == 0 {
			return "nothing\n"
		}
		return out.String()
	case "endadoption":
		acts = h.c.EndAdoption(h.now)
	case "leftoverskilled":
		acts = h.c.LeftoversKilled(h.now)
	default:
		t.Fatalf("unknown command %s", d.Cmd)
	}
	return h.format(acts)
}

// checkWake fails the scenario if the core would have its timer fire
// after a deadline it has: NextDeadline may answer early, never late.
func (h *harness) checkWake(t *testing.T, d *datadriven.TestData) {
	t.Helper()
	want, due := h.c.soonest()
	got, ok := h.c.NextDeadline()
	if due && (!ok || got.After(want)) {
		t.Fatalf("%s: after %s %v the next deadline is in %v, but the core wakes %s", d.Pos, d.Cmd, d.CmdArgs,
			want.Sub(h.now), map[bool]string{true: "in " + got.Sub(h.now).String(), false: "never"}[ok])
	}
}

// parseStatus reads state=, accept=, checkpoint=, hint=, exit= and
// specific= among args; others are left to the command.
func parseStatus(t *testing.T, d *datadriven.TestData, args []datadriven.CmdArg) Status {
	st := Status{}
	for _, a := range args {
		switch a.Key {
		case "state":
			st.CurrentState = stateByName[a.Vals[0]]
		case "accept":
			for _, v := range a.Vals {
				for _, f := range strings.Split(v, ",") {
					bit, ok := acceptByName[f]
					if !ok {
						d.Fatalf(t, "unknown accept flag %q", f)
					}
					st.ControlsAccepted |= bit
				}
			}
		case "checkpoint":
			st.CheckPoint = atoi(a.Vals[0])
		case "hint":
			st.WaitHint = atoi(a.Vals[0])
		case "exit":
			st.Win32ExitCode = atoi(a.Vals[0])
		case "specific":
			st.ServiceSpecificExitCode = atoi(a.Vals[0])
		}
	}
	return st
}

func (h *harness) format(acts []Action) string {
	var lines []string
	for _, a := range acts {
		switch a := a.(type) {
		case Launch:
			h.procs[a.Service] = a.Proc
			lines = append(lines, fmt.Sprintf("launch p%d %s as %s%s", a.Proc, a.Image, a.Account, map[bool]string{true: " shared"}[a.Shared]))
		case SendStart:
			h.procs[a.Service] = a.Proc
			lines = append(lines, fmt.Sprintf("send-start p%d %s %q", a.Proc, a.Service, a.Args))
		case SendControl:
			h.seqs[a.Proc] = append(h.seqs[a.Proc], a.Seq)
			lines = append(lines, fmt.Sprintf("send-control p%d %s %s", a.Proc, a.Service, controlName(a.Code)))
		case Kill:
			lines = append(lines, fmt.Sprintf("kill p%d (%s)", a.Proc, a.Reason))
		case Reply:
			if a.Err == 0 {
				lines = append(lines, fmt.Sprintf("reply req%d ok %s", a.Req, formatStatus(a.Status)))
			} else {
				lines = append(lines, fmt.Sprintf("reply req%d error %d", a.Req, uint32(a.Err)))
			}
		case KillLeftovers:
			lines = append(lines, "kill-leftovers")
		case RunCommand:
			lines = append(lines, fmt.Sprintf("run-command %s %q", a.Service, a.Command))
		case Reboot:
			lines = append(lines, fmt.Sprintf("reboot %s %q", a.Service, a.Message))
		case Event:
			inserts := strings.ReplaceAll(fmt.Sprintf("%q", a.Inserts), fmt.Sprintf("%q", DisplayName), "<display>")
			lines = append(lines, fmt.Sprintf("event %d %s %s", a.ID, a.Service, inserts))
		case StatusChanged:
			hung := ""
			if a.Hung {
				hung = " HUNG"
			}
			lines = append(lines, fmt.Sprintf("status %s %s%s", a.Service, formatStatus(a.Status), hung))
		}
	}
	if len(lines) == 0 {
		return "(nothing)\n"
	}
	return strings.Join(lines, "\n") + "\n"
}

var stateByName = map[string]uint32{
	"stopped": 1, "start_pending": 2, "stop_pending": 3, "running": 4,
	"continue_pending": 5, "pause_pending": 6, "paused": 7, "bogus": 9,
}

var acceptByName = map[string]uint32{
	"stop": windows.SERVICE_ACCEPT_STOP, "pause": windows.SERVICE_ACCEPT_PAUSE_CONTINUE,
	"shutdown": windows.SERVICE_ACCEPT_SHUTDOWN, "paramchange": windows.SERVICE_ACCEPT_PARAMCHANGE,
	"powerevent": windows.SERVICE_ACCEPT_POWEREVENT, "timechange": windows.SERVICE_ACCEPT_TIMECHANGE,
}

var controlByName = map[string]uint32{
	"stop": 1, "pause": 2, "continue": 3, "interrogate": 4, "shutdown": 5, "paramchange": 6,
	"deviceevent": 11, "preshutdown": 15, "powerevent": 13, "timechange": 16,
}

func controlName(code uint32) string {
	for n, c := range controlByName {
		if c == code {
			return n
		}
	}
	return strconv.Itoa(int(code))
}

func formatStatus(st Status) string {
	state := ""
	for n, v := range stateByName {
		if v == st.CurrentState {
			state = n
		}
	}
	var acc []string
	for n, v := range acceptByName {
		if st.ControlsAccepted&v != 0 {
			acc = append(acc, n)
		}
	}
	sort.Strings(acc)
	s := fmt.Sprintf("%s pid=%d exit=%d", state, st.ProcessId, st.Win32ExitCode)
	if st.ServiceSpecificExitCode != 0 {
		s += fmt.Sprintf(" specific=%d", st.ServiceSpecificExitCode)
	}
	if len(acc) > 0 {
		s += " accept=" + strings.Join(acc, ",")
	}
	if st.CheckPoint != 0 || st.WaitHint != 0 {
		s += fmt.Sprintf(" checkpoint=%d hint=%d", st.CheckPoint, st.WaitHint)
	}
	return s
}

func atoi(s string) uint32 {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}
