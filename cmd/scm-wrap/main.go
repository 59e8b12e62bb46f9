// Command scm-wrap runs any program as a service, in the spirit of NSSM:
//
//	scm-wrap install NAME [options] -- PROGRAM [ARGUMENTS...]
//	scm-wrap get NAME PARAMETER [SUBPARAMETER]
//	scm-wrap set NAME PARAMETER [SUBPARAMETER] VALUE...
//	scm-wrap reset NAME PARAMETER [SUBPARAMETER]
//	scm-wrap dump NAME
//	scm-wrap edit NAME
//	scm-wrap remove NAME
//
// Started by the SCM, it is the service itself: it runs PROGRAM with the
// settings under HKLM\SYSTEM\CurrentControlSet\Services\NAME\Parameters.
package main

import (
	"fmt"
	"os"

	"github.com/openscm/scm/internal/wrap"
	"github.com/openscm/scm/windows/svc"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == wrap.ListenExec {
		if err := wrap.ExecWithListenPID(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "scm-wrap:", err)
			os.Exit(127)
		}
	}
	if in, _ := svc.IsWindowsService(); in {
		// The name is the SCM's to give: Execute's first argument.
		if err := svc.Run("", wrap.Handler{}); err != nil {
			fmt.Fprintln(os.Stderr, "scm-wrap:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(wrap.Command(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
