package main

import (
	"errors"
	"fmt"
	"strconv"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// access SERVICE RIGHT...: for each right (a number), open the SCM with
// it, and the service with it through an SCM handle opened to connect, and
// print "scm RIGHT CODE" and "service RIGHT CODE", CODE being the Win32
// error (0 when granted).
func init() {
	attacks["access"] = func(args []string) error {
		if len(args) < 2 {
			return fmt.Errorf("usage: access SERVICE RIGHT...")
		}
		conn := client.Dial(client.SocketPath())
		defer conn.Close()
		scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: 1})
		if err != nil {
			return fmt.Errorf("connecting: %w", err)
		}
		for _, a := range args[1:] {
			right, err := strconv.ParseUint(a, 0, 32)
			if err != nil {
				return err
			}
			fmt.Printf("scm %#x %d\n", right, code(openSCM(conn, uint32(right))))
			_, err = client.Call(conn.OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: args[0], DesiredAccess: uint32(right)})
			fmt.Printf("service %#x %d\n", right, code(err))
		}
		return nil
	}
}

func openSCM(conn *client.Conn, right uint32) error {
	_, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: right})
	return err
}

func code(err error) uint32 {
	if err == nil {
		return 0
	}
	var e windows.Errno
	if errors.As(err, &e) {
		return uint32(e)
	}
	return 0xffffffff
}
