package main

import (
	"fmt"
	"os"
)

// whoami prints the uid the attack runs as, so a test can check that its
// attackers are not root.
func init() {
	attacks["whoami"] = func([]string) error {
		fmt.Println(os.Getuid())
		return nil
	}
}
