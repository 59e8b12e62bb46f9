package main

import (
	"fmt"
	"strconv"

	"github.com/openscm/scm/windows"
)

// sendmessage SESSION: a message box to a session that is not the caller's;
// prints the error's code (0 if it was shown).
func init() {
	attacks["sendmessage"] = func(args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("usage: sendmessage SESSION")
		}
		id, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil {
			return err
		}
		title, text := windows.StringToUTF16("x"), windows.StringToUTF16("y")
		var r uint32
		return printCode(windows.WTSSendMessage(0, uint32(id), &title[0], 2, &text[0], 2, 0, 0, &r, false))
	}
}
