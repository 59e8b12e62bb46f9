package windows

import (
	"unicode/utf16"

	"github.com/openscm/scm/internal/winerror"
)

// FormatMessage flags, as in winbase.h.
const (
	FORMAT_MESSAGE_ALLOCATE_BUFFER = 0x00000100
	FORMAT_MESSAGE_IGNORE_INSERTS  = 0x00000200
	FORMAT_MESSAGE_FROM_STRING     = 0x00000400
	FORMAT_MESSAGE_FROM_HMODULE    = 0x00000800
	FORMAT_MESSAGE_FROM_SYSTEM     = 0x00001000
	FORMAT_MESSAGE_ARGUMENT_ARRAY  = 0x00002000
	FORMAT_MESSAGE_MAX_WIDTH_MASK  = 0x000000FF
)

// ERROR_MR_MID_NOT_FOUND is what FormatMessage reports for a code it has no
// text for.
const ERROR_MR_MID_NOT_FOUND Errno = 317

// FormatMessage writes into buf the text of the Win32 error msgid, followed
// by "\r\n", as Windows' system message table has it, and returns its length
// in UTF-16 units. This is how a program gets Windows' text for an Errno:
// its Error method is syscall's. Only FORMAT_MESSAGE_FROM_SYSTEM is
// served: there are no message DLLs to load here (FROM_HMODULE), Go
// callers pass a buffer (ALLOCATE_BUFFER), and the system texts this
// package has take no inserts.
func FormatMessage(flags uint32, msgsrc uintptr, msgid uint32, langid uint32, buf []uint16, args *byte) (n uint32, err error) {
	if flags&(FORMAT_MESSAGE_FROM_SYSTEM|FORMAT_MESSAGE_FROM_HMODULE|FORMAT_MESSAGE_FROM_STRING) != FORMAT_MESSAGE_FROM_SYSTEM ||
		flags&FORMAT_MESSAGE_ALLOCATE_BUFFER != 0 {
		return 0, ERROR_CALL_NOT_IMPLEMENTED
	}
	text, ok := winerror.Lookup(msgid)
	if !ok {
		return 0, ERROR_MR_MID_NOT_FOUND
	}
	u := utf16.Encode([]rune(text + "\r\n"))
	if len(u) > len(buf) {
		return 0, ERROR_INSUFFICIENT_BUFFER
	}
	return uint32(copy(buf, u)), nil
}
