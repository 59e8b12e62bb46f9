package main

import (
	"fmt"
	"strconv"

	"github.com/openscm/scm/windows"
)

// usertoken SESSION: an ordinary user asks for a session user's token, as
// only LocalSystem may; prints the error's code (0 if it was given).
func init() {
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
		if errno, ok := err.(windows.Errno); ok {
			fmt.Println(uint32(errno))
			return nil
		}
		if err != nil {
			return err
		}
		t.Close()
		fmt.Println(0)
		return nil
	}
}
