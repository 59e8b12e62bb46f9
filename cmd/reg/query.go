package main

import (
	"fmt"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

func (s *session) query(args []string) int {
	f, ok := parseFlags(args, "v")
	if !ok || len(f.pos) != 1 || (f.set["v"] && f.set["ve"]) {
		return s.syntax("QUERY")
	}
	key, err := client.Call(s.conn.RegQueryKey, &pb.RegKeyRequest{Path: f.pos[0], Recursive: f.set["s"]})
	if err != nil {
		return s.fail(err)
	}
	if f.set["v"] || f.set["ve"] {
		want := f.vals["v"]
		matches := 0
		s.walk(key, func(k *pb.RegKey) {
			var lines []string
			for _, v := range k.Values {
				if strings.EqualFold(v.Name, want) {
					lines = append(lines, valueLine(v))
				}
			}
			if len(lines) == 0 && want == "" && f.set["ve"] && k == key {
				lines = append(lines, "    (Default)    REG_SZ    (value not set)")
			}
			if len(lines) > 0 {
				matches += len(lines)
				fmt.Fprintf(s.out, "\n%s\n%s\n", longPath(k.Path), strings.Join(lines, "\n"))
			}
		})
		if matches == 0 {
			return s.fail(errNotFound)
		}
		if f.set["s"] {
			fmt.Fprintf(s.out, "\nEnd of search: %d match(es) found.\n", matches)
		} else {
			fmt.Fprintln(s.out)
		}
		return 0
	}
	if f.set["s"] {
		s.walk(key, func(k *pb.RegKey) { s.printKey(k) })
		return 0
	}
	// reg.exe heads the list with the key only when it has values.
	if len(key.Values) > 0 {
		s.printKey(key)
	} else {
		fmt.Fprintln(s.out)
	}
	for _, sub := range key.SubkeyNames {
		fmt.Fprintf(s.out, "%s\\%s\n", longPath(key.Path), sub)
	}
	return 0
}

func (s *session) printKey(k *pb.RegKey) {
	fmt.Fprintf(s.out, "\n%s\n", longPath(k.Path))
	for _, v := range k.Values {
		fmt.Fprintln(s.out, valueLine(v))
	}
	if len(k.Values) > 0 || len(k.SubkeyNames) > 0 {
		fmt.Fprintln(s.out)
	}
}

func (s *session) walk(k *pb.RegKey, fn func(*pb.RegKey)) {
	fn(k)
	for _, sub := range k.Subkeys {
		s.walk(sub, fn)
	}
}
