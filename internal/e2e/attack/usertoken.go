package main

import (
	"fmt"
	"strconv"
	"syscall"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"

	"github.com/openscm/scm/windows"
)

// usertoken SESSION: an ordinary user asks for a session user's token, as
// only LocalSystem may; logoff SESSION: logs a session off, as only an
// administrator may. Each prints the error's code (0 if it went through).
func init() {
	attacks["logoff"] = func(args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("usage: logoff SESSION")
		}
		id, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil {
			return err
		}
		_, err = client.Shared().WTSLogoffSession(&pb.SessionRequest{SessionId: uint32(id)})
		return printCode(client.Errno(err))
	}
	attacks["usertoken"] = func(args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("usage: usertoken SESSION")
		}
		id, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil {
			return err
		}
		var t windows.Token
		err = windows.WTSQueryUserToken(uint32(id), &t)
		if err == nil {
			t.Close()
		}
		return printCode(err)
	}
}

// printCode prints a call's Win32 code, 0 when it went through; an error
// with no code is the attack's own.
func printCode(err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		fmt.Println(uint32(errno))
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Println(0)
	return nil
}
