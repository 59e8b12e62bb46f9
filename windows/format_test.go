package windows

import (
	"syscall"
	"testing"
	"unicode/utf16"
)

// An Errno is syscall.Errno, so that programs type-assert and compare what
// the mirror returns as on Windows; FormatMessage has Windows' texts, with
// its buffer and unknown-code rules.
func TestErrnoAndFormatMessage(t *testing.T) {
	var err error = ERROR_SERVICE_DOES_NOT_EXIST
	if errno, ok := err.(syscall.Errno); !ok || errno != 1060 {
		t.Fatalf("ERROR_SERVICE_DOES_NOT_EXIST is %T %v, want syscall.Errno 1060", err, err)
	}
	const flags = FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS
	buf := make([]uint16, 100)
	n, err := FormatMessage(flags, 0, uint32(ERROR_ACCESS_DENIED), 0, buf, nil)
	if got := string(utf16.Decode(buf[:n])); err != nil || got != "Access is denied.\r\n" {
		t.Errorf("FormatMessage(5) = %q, %v", got, err)
	}
	if _, err := FormatMessage(flags, 0, uint32(ERROR_ACCESS_DENIED), 0, buf[:5], nil); err != ERROR_INSUFFICIENT_BUFFER {
		t.Errorf("a short buffer: %v, want ERROR_INSUFFICIENT_BUFFER", err)
	}
	if _, err := FormatMessage(flags, 0, 0xDEAD, 0, buf, nil); err != ERROR_MR_MID_NOT_FOUND {
		t.Errorf("an unknown code: %v, want ERROR_MR_MID_NOT_FOUND", err)
	}
	if _, err := FormatMessage(FORMAT_MESSAGE_FROM_HMODULE, 0, 1, 0, buf, nil); err != ERROR_CALL_NOT_IMPLEMENTED {
		t.Errorf("a message module: %v, want ERROR_CALL_NOT_IMPLEMENTED", err)
	}
}
