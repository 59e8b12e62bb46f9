// Package wrap runs an ordinary program as a service: scm-wrap speaks the
// service protocol (through windows/svc) on one side and runs the program
// on the other, with NSSM's settings under the service's Parameters key.
package wrap

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/regdata"
)

// Stop method flags of AppStopMethodSkip: the steps of a stop to leave out.
const (
	SkipConsole   = 1 // SIGINT, Ctrl-C's counterpart
	SkipWindow    = 2 // SIGTERM, WM_CLOSE's counterpart
	SkipThreads   = 4 // no Linux counterpart; accepted and ignored
	SkipTerminate = 8 // SIGKILL
)

// Exit actions of AppExit.
const (
	ExitRestart = "Restart"
	ExitIgnore  = "Ignore"
	ExitExit    = "Exit"
)

// Creation dispositions of AppStdoutCreationDisposition, as CreateFile's.
const (
	CreateAlways = 2 // truncate
	OpenAlways   = 4 // append (the default)
)

// Config is a wrapped program's settings, with NSSM's value names.
type Config struct {
	Application      string
	AppParameters    string
	AppDirectory     string
	AppEnvironment   []string // replaces the environment
	AppEnvironmentEx []string // AppEnvironmentExtra: added to it
	AppStdout        string
	AppStderr        string
	Disposition      uint32 // AppStdoutCreationDisposition
	RotateFiles      bool   // AppRotateFiles: rotate the logs when the service starts
	RotateOnline     bool   // AppRotateOnline: and while it runs
	RotateBytes      uint64 // AppRotateBytes (+ AppRotateBytesHigh)
	RotateSeconds    uint32 // AppRotateSeconds
	RotateKeep       uint32 // AppRotateKeep: rotated files to keep, 0 for all
	StopSkip         uint32 // AppStopMethodSkip
	StopConsole      uint32 // AppStopMethodConsole: ms to wait after SIGINT
	StopWindow       uint32 // AppStopMethodWindow: ms to wait after SIGTERM
	ExitDefault      string // AppExit's default value
	ExitCodes        map[int]string
	RestartDelay     uint32                    // AppRestartDelay, ms
	Throttle         uint32                    // AppThrottle, ms
	Priority         int                       // AppPriority, as a nice value
	Affinity         []int                     // AppAffinity, CPU numbers
	NoConsole        bool                      // AppNoConsole
	Notify           bool                      // AppNotify: wait for READY=1 on NOTIFY_SOCKET
	PauseContinue    bool                      // AppPauseContinue: PAUSE/CONTINUE as SIGSTOP/SIGCONT
	Controls         map[uint32]syscall.Signal // AppControls: user-defined controls to signals
}

// Defaults are NSSM's.
func Defaults() Config {
	return Config{Disposition: OpenAlways, StopConsole: 1500, StopWindow: 1500, ExitDefault: ExitRestart,
		Throttle: 1500, ExitCodes: map[int]string{}, Controls: map[uint32]syscall.Signal{}}
}

// ParametersKey is where a service's wrapper settings live.
func ParametersKey(service string) string {
	return `HKLM\SYSTEM\CurrentControlSet\Services\` + service + `\Parameters`
}

// Load reads a service's settings through the SCM.
func Load(conn *client.Conn, service string) (Config, error) {
	c := Defaults()
	key, err := client.Call(conn.RegQueryKey, &pb.RegKeyRequest{Path: ParametersKey(service), Recursive: true})
	if err != nil {
		return c, fmt.Errorf("reading %s: %w", ParametersKey(service), err)
	}
	var high uint32
	for _, v := range key.Values {
		val := regdata.Value{Name: v.Name, Type: regdata.ValueType(v.Type), Data: v.Data}
		num := val.Uint32()
		switch strings.ToLower(v.Name) {
		case "application":
			c.Application = val.String()
		case "appparameters":
			c.AppParameters = val.String()
		case "appdirectory":
			c.AppDirectory = val.String()
		case "appenvironment":
			c.AppEnvironment = val.Strings()
		case "appenvironmentextra":
			c.AppEnvironmentEx = val.Strings()
		case "appstdout":
			c.AppStdout = val.String()
		case "appstderr":
			c.AppStderr = val.String()
		case "appstdoutcreationdisposition":
			c.Disposition = num
		case "approtatefiles":
			c.RotateFiles = num != 0
		case "approtateonline":
			c.RotateOnline = num != 0
		case "approtatebytes":
			c.RotateBytes = uint64(num)
		case "approtatebyteshigh":
			high = num
		case "approtateseconds":
			c.RotateSeconds = num
		case "approtatekeep":
			c.RotateKeep = num
		case "appstopmethodskip":
			c.StopSkip = num
		case "appstopmethodconsole":
			c.StopConsole = num
		case "appstopmethodwindow":
			c.StopWindow = num
		case "apprestartdelay":
			c.RestartDelay = num
		case "appthrottle":
			c.Throttle = num
		case "apppriority":
			c.Priority = priorityNice(num)
		case "appaffinity":
			c.Affinity = parseAffinity(val.String())
		case "appnoconsole":
			c.NoConsole = num != 0
		case "appnotify":
			c.Notify = num != 0
		case "apppausecontinue":
			c.PauseContinue = num != 0
		}
	}
	c.RotateBytes |= uint64(high) << 32
	for _, sub := range key.Subkeys {
		name := sub.Path[strings.LastIndexByte(sub.Path, '\\')+1:]
		for _, v := range sub.Values {
			s := string(v.Data)
			switch strings.ToLower(name) {
			case "appexit":
				if v.Name == "" {
					c.ExitDefault = s
				} else if code, err := strconv.Atoi(v.Name); err == nil {
					c.ExitCodes[code] = s
				}
			case "appcontrols":
				code, err := strconv.ParseUint(v.Name, 10, 32)
				if sig, ok := Signals[strings.ToUpper(s)]; err == nil && ok && code >= 128 && code <= 255 {
					c.Controls[uint32(code)] = sig
				}
			}
		}
	}
	if c.Application == "" {
		return c, fmt.Errorf("%s has no Application", ParametersKey(service))
	}
	return c, nil
}

// ExitAction is what to do when the program exits with code.
func (c *Config) ExitAction(code int) string {
	if a, ok := c.ExitCodes[code]; ok {
		return a
	}
	return c.ExitDefault
}

// Signals are the signals AppControls may name.
var Signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT, "SIGUSR1": syscall.SIGUSR1,
	"SIGUSR2": syscall.SIGUSR2, "SIGTERM": syscall.SIGTERM, "SIGWINCH": syscall.SIGWINCH, "SIGCONT": syscall.SIGCONT,
	"SIGSTOP": syscall.SIGSTOP, "SIGALRM": syscall.SIGALRM,
}

// priorityNice maps AppPriority's Windows priority classes to nice values.
func priorityNice(class uint32) int {
	switch class {
	case 0x40: // IDLE_PRIORITY_CLASS
		return 19
	case 0x4000: // BELOW_NORMAL_PRIORITY_CLASS
		return 10
	case 0x8000: // ABOVE_NORMAL_PRIORITY_CLASS
		return -5
	case 0x80: // HIGH_PRIORITY_CLASS
		return -10
	case 0x100: // REALTIME_PRIORITY_CLASS
		return -20
	}
	return 0 // NORMAL_PRIORITY_CLASS
}

// parseAffinity reads NSSM's CPU list: "0-1,3".
func parseAffinity(s string) []int {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, found := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if found {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := a; i <= b && i < 1024; i++ {
			cpus = append(cpus, i)
		}
	}
	sort.Ints(cpus)
	return cpus
}

// dword encodes a REG_DWORD's data.
func dword(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
