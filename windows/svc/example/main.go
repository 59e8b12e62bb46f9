// Example service program that beeps.
//
// The program demonstrates how to create a service and install / remove it
// on a computer. It also shows how to stop / start / pause / continue any
// service, and how to write to the event log. It also shows how to use the
// debug facilities available in the debug package.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/openscm/scm/windows/svc"
)

var svcName = "exampleservice"

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "%s\n\nusage: %s <command>\n       where <command> is one of\n       install, remove, debug, start, stop, pause or continue.\n", msg, os.Args[0])
	os.Exit(2)
}

func main() {
	flag.StringVar(&svcName, "name", svcName, "name of the service")
	flag.Parse()

	inService, err := svc.IsWindowsService()
	if err != nil {
		log.Fatalf("failed to determine if we are running in service: %v", err)
	}
	if inService {
		runService(svcName, false)
		return
	}
	if flag.NArg() < 1 {
		usage("no command specified")
	}
	cmd := strings.ToLower(flag.Arg(0))
	switch cmd {
	case "debug":
		runService(svcName, true)
		return
	case "install":
		err = install(svcName, "example service")
	case "remove":
		err = remove(svcName)
	case "start":
		err = start(svcName)
	case "stop":
		err = control(svcName, svc.Stop, svc.Stopped)
	case "pause":
		err = control(svcName, svc.Pause, svc.Paused)
	case "continue":
		err = control(svcName, svc.Continue, svc.Running)
	default:
		usage(fmt.Sprintf("invalid command %s", cmd))
	}
	if err != nil {
		log.Fatalf("failed to %s %s: %v", cmd, svcName, err)
	}
}
