package wrap

import (
	"bufio"
	"fmt"
	"github.com/openscm/scm/internal/cmdline"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/regdata"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc/mgr"
)

// Parameter types: DWORDs, lists, and strings (the rest).
var dwordParams = map[string]bool{
	"appstdoutcreationdisposition": true, "approtatefiles": true, "approtateonline": true,
	"approtatebytes": true, "approtatebyteshigh": true, "approtateseconds": true, "approtatekeep": true,
	"appstopmethodskip": true, "appstopmethodconsole": true, "appstopmethodwindow": true,
	"appstopmethodthreads": true, "apprestartdelay": true, "appthrottle": true, "apppriority": true,
	"appnoconsole": true, "appnotify": true, "apppausecontinue": true,
}

var multiParams = map[string]bool{"appenvironment": true, "appenvironmentextra": true}

// Parameters with a subparameter live in a subkey, one value per subparameter.
var subkeyParams = map[string]string{"appexit": "AppExit", "appcontrols": "AppControls"}

var priorityClasses = map[string]uint32{
	"IDLE_PRIORITY_CLASS": 0x40, "BELOW_NORMAL_PRIORITY_CLASS": 0x4000, "NORMAL_PRIORITY_CLASS": 0x20,
	"ABOVE_NORMAL_PRIORITY_CLASS": 0x8000, "HIGH_PRIORITY_CLASS": 0x80, "REALTIME_PRIORITY_CLASS": 0x100,
}

// Command runs scm-wrap's management subcommands.
func Command(args []string, in io.Reader, out, errOut io.Writer) int {
	if len(args) < 2 {
		fmt.Fprint(errOut, usage)
		return 2
	}
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	verb, name, rest := strings.ToLower(args[0]), args[1], args[2:]
	var err error
	switch verb {
	case "install":
		err = install(conn, name, rest)
	case "remove":
		err = remove(name)
	case "get":
		if len(rest) < 1 {
			fmt.Fprint(errOut, usage)
			return 2
		}
		var v string
		if v, err = get(conn, name, rest); err == nil {
			fmt.Fprintln(out, v)
		}
	case "set":
		if len(rest) < 2 {
			fmt.Fprint(errOut, usage)
			return 2
		}
		err = set(conn, name, rest)
	case "reset":
		if len(rest) < 1 {
			fmt.Fprint(errOut, usage)
			return 2
		}
		err = reset(conn, name, rest)
	case "dump":
		err = dump(conn, name, out)
	case "edit":
		err = edit(conn, name, errOut)
	default:
		fmt.Fprint(errOut, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(errOut, "scm-wrap %s %s: %s\n", verb, name, winerror.Message(err))
		if e, ok := err.(windows.Errno); ok {
			return int(e)
		}
		return 1
	}
	if verb == "install" || verb == "set" || verb == "reset" || verb == "remove" {
		fmt.Fprintf(out, "Service %q %s successfully!\n", name, map[string]string{
			"install": "installed", "set": "edited", "reset": "edited", "remove": "removed"}[verb])
	}
	return 0
}

// install creates the service, with scm-wrap as its image, and writes what
// it runs; options before "--" set parameters: --start auto|demand|delayed,
// --display NAME, --obj ACCOUNT, and --PARAMETER VALUE for any parameter.
func install(conn *client.Conn, name string, args []string) error {
	sep := -1
	for i, a := range args {
		if a == "--" {
			sep = i
			break
		}
	}
	if sep < 0 || sep == len(args)-1 {
		return fmt.Errorf("give the program after --")
	}
	opts, program := args[:sep], args[sep+1:]
	prog, err := exec.LookPath(program[0])
	if err != nil {
		return err
	}
	if prog, err = filepath.Abs(prog); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg := mgr.Config{DisplayName: name, StartType: mgr.StartManual}
	var params [][]string
	for i := 0; i < len(opts); i++ {
		o := strings.TrimLeft(opts[i], "-")
		if i+1 >= len(opts) {
			return fmt.Errorf("option %s needs a value", opts[i])
		}
		v := opts[i+1]
		i++
		switch strings.ToLower(o) {
		case "start":
			switch v {
			case "auto":
				cfg.StartType = mgr.StartAutomatic
			case "delayed":
				cfg.StartType, cfg.DelayedAutoStart = mgr.StartAutomatic, true
			case "demand":
				cfg.StartType = mgr.StartManual
			case "disabled":
				cfg.StartType = mgr.StartDisabled
			default:
				return fmt.Errorf("start type %q", v)
			}
		case "display":
			cfg.DisplayName = v
		case "obj":
			cfg.ServiceStartName = v
		default:
			params = append(params, []string{o, v})
		}
	}
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.CreateService(name, self, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	quoted := make([]string, len(program)-1)
	for i, a := range program[1:] {
		quoted[i] = cmdline.Quote(a)
	}
	writes := [][]string{{"Application", prog}, {"AppDirectory", filepath.Dir(prog)}}
	if len(quoted) > 0 {
		writes = append(writes, []string{"AppParameters", strings.Join(quoted, " ")})
	}
	for _, w := range append(writes, params...) {
		if err := set(conn, name, w); err != nil {
			s.Delete()
			return err
		}
	}
	return nil
}

func remove(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Delete()
}

// where says which key and value a parameter (and subparameter) lives in.
func where(name string, args []string) (path, value string, rest []string) {
	key := ParametersKey(name)
	if sub, ok := subkeyParams[strings.ToLower(args[0])]; ok && len(args) > 1 {
		v := args[1]
		if strings.EqualFold(v, "Default") {
			v = ""
		}
		return key + `\` + sub, v, args[2:]
	}
	return key, args[0], args[1:]
}

func get(conn *client.Conn, name string, args []string) (string, error) {
	path, value, _ := where(name, args)
	k, err := client.Call(conn.RegQueryKey, &pb.RegKeyRequest{Path: path})
	if err != nil {
		return "", err
	}
	for _, v := range k.Values {
		if strings.EqualFold(v.Name, value) {
			return show(v), nil
		}
	}
	return "", windows.ERROR_FILE_NOT_FOUND
}

func show(v *pb.RegValue) string {
	rv := regdata.Value{Name: v.Name, Type: regdata.ValueType(v.Type), Data: v.Data}
	switch rv.Type {
	case regdata.DWORD:
		return strconv.FormatUint(uint64(rv.Uint32()), 10)
	case regdata.MULTI_SZ:
		return strings.Join(rv.Strings(), "\n")
	}
	return rv.String()
}

func set(conn *client.Conn, name string, args []string) error {
	path, value, vals := where(name, args)
	if len(vals) == 0 {
		return fmt.Errorf("no value for %s", args[0])
	}
	lower := strings.ToLower(value)
	var v regdata.Value
	switch {
	case path != ParametersKey(name):
		v = regdata.StringValue(value, vals[0])
	case multiParams[lower]:
		v = regdata.MultiStringValue(value, vals)
	case dwordParams[lower]:
		s := vals[0]
		if lower == "apppriority" {
			if n, ok := priorityClasses[strings.ToUpper(s)]; ok {
				s = strconv.FormatUint(uint64(n), 10)
			}
		}
		n, err := strconv.ParseUint(s, 0, 32)
		if err != nil {
			return fmt.Errorf("%s takes a number, not %q", value, s)
		}
		v = regdata.DWordValue(value, uint32(n))
	case lower == "application" || lower == "appdirectory" || lower == "appstdout" || lower == "appstderr":
		p, err := filepath.Abs(vals[0])
		if err != nil {
			return err
		}
		v = regdata.ExpandStringValue(value, p)
	default:
		v = regdata.StringValue(value, strings.Join(vals, " "))
	}
	_, err := client.Call(conn.RegSetValue, &pb.RegSetValueRequest{Path: path, Value: &pb.RegValue{Name: v.Name, Type: uint32(v.Type), Data: v.Data}})
	return err
}

func reset(conn *client.Conn, name string, args []string) error {
	path, value, _ := where(name, args)
	_, err := client.Call(conn.RegDeleteValue, &pb.RegDeleteValueRequest{Path: path, Name: value})
	if err == windows.ERROR_FILE_NOT_FOUND {
		return nil // already at its default
	}
	return err
}

// dump prints the service's parameters as "Name Value" lines, one per
// value, subkeys' values as "Subkey Name Value".
func dump(conn *client.Conn, name string, out io.Writer) error {
	k, err := client.Call(conn.RegQueryKey, &pb.RegKeyRequest{Path: ParametersKey(name), Recursive: true})
	if err != nil {
		return err
	}
	for _, line := range dumpLines(k) {
		fmt.Fprintln(out, line)
	}
	return nil
}

func dumpLines(k *pb.RegKey) []string {
	var lines []string
	for _, v := range k.Values {
		lines = append(lines, v.Name+" "+strings.ReplaceAll(show(v), "\n", `\n`))
	}
	for _, sub := range k.Subkeys {
		subName := sub.Path[strings.LastIndexByte(sub.Path, '\\')+1:]
		for _, v := range sub.Values {
			n := v.Name
			if n == "" {
				n = "Default"
			}
			lines = append(lines, subName+" "+n+" "+show(v))
		}
	}
	sort.Strings(lines)
	return lines
}

// edit opens the parameters, as dump prints them, in $EDITOR and sets what
// changed.
func edit(conn *client.Conn, name string, errOut io.Writer) error {
	k, err := client.Call(conn.RegQueryKey, &pb.RegKeyRequest{Path: ParametersKey(name), Recursive: true})
	if err != nil {
		return err
	}
	before := dumpLines(k)
	f, err := os.CreateTemp("", "scm-wrap-*.txt")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	fmt.Fprintln(f, strings.Join(before, "\n"))
	f.Close()
	editor := os.Getenv("EDITOR")
	if editor == "" {
		editor = "vi"
	}
	cmd := exec.Command("/bin/sh", "-c", editor+` "$1"`, "sh", f.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, errOut
	if err := cmd.Run(); err != nil {
		return err
	}
	edited, err := os.Open(f.Name())
	if err != nil {
		return err
	}
	defer edited.Close()
	old := map[string]bool{}
	for _, l := range before {
		old[l] = true
	}
	sc := bufio.NewScanner(edited)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || old[line] {
			continue
		}
		fields := strings.SplitN(line, " ", 2)
		if len(fields) < 2 {
			continue
		}
		args := []string{fields[0]}
		if _, ok := subkeyParams[strings.ToLower(fields[0])]; ok {
			more := strings.SplitN(fields[1], " ", 2)
			if len(more) < 2 {
				continue
			}
			args = append(args, more...)
		} else if multiParams[strings.ToLower(fields[0])] {
			args = append(args, strings.Split(fields[1], `\n`)...)
		} else {
			args = append(args, fields[1])
		}
		if err := set(conn, name, args); err != nil {
			return err
		}
	}
	return sc.Err()
}

const usage = `usage:
  scm-wrap install NAME [--start auto|delayed|demand] [--display NAME] [--obj ACCOUNT]
                        [--PARAMETER VALUE...] -- PROGRAM [ARGUMENTS...]
  scm-wrap get NAME PARAMETER [SUBPARAMETER]
  scm-wrap set NAME PARAMETER [SUBPARAMETER] VALUE...
  scm-wrap reset NAME PARAMETER [SUBPARAMETER]
  scm-wrap dump NAME
  scm-wrap edit NAME
  scm-wrap remove NAME
`
