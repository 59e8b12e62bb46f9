// Command remotego manages a service on another machine through the Go
// mirror alone, as a ported Windows program would: mgr.ConnectRemote,
// eventlog.OpenRemote and registry.OpenRemoteKey. The remote tests run it
// in another network namespace than the SCM it calls.
//
//	remotego HOST SERVICE
//
// It starts SERVICE, waits for it to run, stops it, writes an event from
// the source "remotego" to HOST's Application log, and reads the service's
// ImagePath from HOST's registry, printing each step.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/registry"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/eventlog"
	"github.com/openscm/scm/windows/svc/mgr"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: remotego HOST SERVICE")
		os.Exit(2)
	}
	host, name := os.Args[1], os.Args[2]
	if err := run(host, name); err != nil {
		fmt.Println("error:", err)
		if e, ok := err.(windows.Errno); ok {
			os.Exit(int(e))
		}
		os.Exit(1)
	}
}

func run(host, name string) error {
	m, err := mgr.ConnectRemote(host)
	if err != nil {
		return fmt.Errorf("ConnectRemote: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		return err
	}
	st, err := waitFor(s, svc.Running)
	if err != nil {
		return err
	}
	fmt.Printf("%s on %s: running, pid %d\n", name, host, st.ProcessId)
	if _, err := s.Control(svc.Stop); err != nil {
		return err
	}
	if _, err := waitFor(s, svc.Stopped); err != nil {
		return err
	}
	fmt.Printf("%s on %s: stopped\n", name, host)

	l, err := eventlog.OpenRemote(host, "remotego")
	if err != nil {
		return fmt.Errorf("OpenRemote: %w", err)
	}
	defer l.Close()
	if err := l.Info(1, "remotego was here"); err != nil {
		return err
	}
	fmt.Println("event written")

	root, err := registry.OpenRemoteKey(host, registry.LOCAL_MACHINE)
	if err != nil {
		return fmt.Errorf("OpenRemoteKey: %w", err)
	}
	defer root.Close()
	k, err := registry.OpenKey(root, `SYSTEM\CurrentControlSet\Services\`+name, registry.QUERY_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	path, _, err := k.GetStringValue("ImagePath")
	if err != nil {
		return err
	}
	fmt.Printf("ImagePath: %s\n", path)
	return nil
}

// waitFor waits for the service to reach state, for at most 30 s.
func waitFor(s *mgr.Service, state svc.State) (svc.Status, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := s.Query()
		if err != nil || st.State == state {
			return st, err
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("still in state %d", st.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
