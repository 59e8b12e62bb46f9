// Command attack is what a hostile local user runs against scmd in the
// hardening tests: each attack is a subcommand, registered by a file of its
// own. It talks to the scmd that SCM_SOCKET names.
package main

import (
	"fmt"
	"os"
	"sort"
)

// attacks maps a subcommand to its code; each file adds its own in init.
var attacks = map[string]func(args []string) error{}

func main() {
	if len(os.Args) < 2 || attacks[os.Args[1]] == nil {
		var names []string
		for n := range attacks {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: attack %v [args]\n", names)
		os.Exit(2)
	}
	if err := attacks[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		os.Exit(1)
	}
}
