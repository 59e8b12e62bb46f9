// Command reg reads and writes the SCM's registry with reg.exe's syntax,
// output and exit codes: query, add, delete, export and import.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

type session struct {
	out, errOut io.Writer
	in          *bufio.Reader
	conn        *client.Conn
	remote      bool // conn reaches another machine
}

// remoteRoot reports whether a key is under a root reg.exe reaches on
// another machine: HKLM and HKU alone.
func remoteRoot(key string) bool {
	root, _, _ := strings.Cut(strings.ToUpper(key), `\`)
	switch root {
	case "HKLM", "HKEY_LOCAL_MACHINE", "HKU", "HKEY_USERS":
		return true
	}
	return false
}

func main() {
	s := &session{out: os.Stdout, errOut: os.Stderr, in: bufio.NewReader(os.Stdin)}
	os.Exit(s.run(os.Args[1:]))
}

func (s *session) run(args []string) int {
	if len(args) == 0 {
		return s.syntax("")
	}
	s.conn = client.Dial(client.SocketPath())
	defer func() { s.conn.Close() }()
	verb := strings.ToUpper(args[0])
	if len(args) > 1 && strings.HasPrefix(args[1], `\\`) {
		// [\\Machine\]FullKey: QUERY, ADD and DELETE reach another
		// machine's HKLM and HKU; EXPORT and IMPORT are local only.
		machine, key, _ := strings.Cut(strings.TrimPrefix(args[1], `\\`), `\`)
		if verb != "QUERY" && verb != "ADD" && verb != "DELETE" || !remoteRoot(key) {
			fmt.Fprint(s.errOut, "ERROR: Invalid key name.\nType \"REG "+verb+" /?\" for usage.\n")
			return 1
		}
		if !client.IsLocalMachine(machine) {
			s.conn.Close()
			s.conn = client.DialRemote(machine)
			s.remote = true
		}
		args = append([]string{args[0], key}, args[2:]...)
	}
	switch verb {
	case "QUERY":
		return s.query(args[1:])
	case "ADD":
		return s.add(args[1:])
	case "DELETE":
		return s.delete(args[1:])
	case "EXPORT":
		return s.export(args[1:])
	case "IMPORT":
		return s.importFile(args[1:])
	}
	return s.syntax("")
}

// syntax reports a usage error as reg.exe does.
func (s *session) syntax(verb string) int {
	fmt.Fprint(s.errOut, "ERROR: Invalid syntax.\n")
	if verb != "" {
		fmt.Fprintf(s.errOut, "Type \"REG %s /?\" for usage.\n", verb)
	} else {
		fmt.Fprint(s.errOut, "Type \"REG /?\" for usage.\n")
	}
	return 1
}

// fail reports a failed call; reg.exe exits 1 whatever the code.
func (s *session) fail(err error) int {
	if err == windows.ERROR_FILE_NOT_FOUND {
		fmt.Fprint(s.errOut, "ERROR: The system was unable to find the specified registry key or value.\n")
		return 1
	}
	fmt.Fprintf(s.errOut, "ERROR: %s\n", winerror.Message(err))
	if err == windows.RPC_S_SERVER_UNAVAILABLE && !s.remote {
		fmt.Fprint(s.errOut, client.UnreachableHint())
	}
	return 1
}

func (s *session) success() int {
	fmt.Fprint(s.out, "The operation completed successfully.\n")
	return 0
}

// confirm asks a Yes/No question; only an answer starting with y goes on.
func (s *session) confirm(question string) bool {
	fmt.Fprintf(s.out, "%s (Yes/No)? ", question)
	line, _ := s.in.ReadString('\n')
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
}

// flags splits reg's switches (/v name, /f, ...) from positional words.
type flags struct {
	pos  []string
	vals map[string]string
	set  map[string]bool
}

func parseFlags(args []string, withValue ...string) (*flags, bool) {
	f := &flags{vals: map[string]string{}, set: map[string]bool{}}
	takes := map[string]bool{}
	for _, w := range withValue {
		takes[w] = true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		// A switch is short and has no second slash, which tells /f from
		// a Linux path such as /tmp/svc.reg.
		isSwitch := (strings.HasPrefix(a, "/") || strings.HasPrefix(a, "-")) && len(a) >= 2 && len(a) <= 8 && !strings.Contains(a[1:], "/")
		if !isSwitch {
			f.pos = append(f.pos, a)
			continue
		}
		name := strings.ToLower(a[1:])
		if f.set[name] {
			return nil, false
		}
		f.set[name] = true
		if takes[name] {
			if i+1 >= len(args) {
				return nil, false
			}
			f.vals[name] = args[i+1]
			i++
		}
	}
	return f, true
}
