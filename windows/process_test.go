package windows

import (
	"os"
	"testing"
)

func TestProcessCalls(t *testing.T) {
	if GetCurrentProcessId() != uint32(os.Getpid()) {
		t.Errorf("GetCurrentProcessId = %d", GetCurrentProcessId())
	}
	h, err := OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := GetPriorityClass(h); err != nil || c != NORMAL_PRIORITY_CLASS {
		t.Errorf("GetPriorityClass = %#x, %v", c, err)
	}
	if err := CloseHandle(h); err != nil {
		t.Fatal(err)
	}
	if err := CloseHandle(h); err != ERROR_INVALID_HANDLE {
		t.Errorf("closing twice = %v", err)
	}
	if _, err := OpenProcess(PROCESS_QUERY_INFORMATION, false, 0x7ffffff0); err != ERROR_INVALID_PARAMETER {
		t.Errorf("a process that is not there = %v", err)
	}
	if h, err := GetStdHandle(STD_ERROR_HANDLE); err != nil || h != 2 {
		t.Errorf("GetStdHandle(STD_ERROR_HANDLE) = %d, %v", h, err)
	}
}

func TestGUID(t *testing.T) {
	const s = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"
	g, err := GUIDFromString(s)
	if err != nil || g.Data1 != 0x6B29FC40 || g.Data4[0] != 0xB3 || g.String() != s {
		t.Errorf("GUIDFromString(%s) = %v (%s), %v", s, g, g.String(), err)
	}
	if _, err := GUIDFromString("6B29FC40-CA47-1067-B31D-00DD010662DA"); err != CO_E_CLASSSTRING {
		t.Errorf("without braces: %v", err)
	}
	a, _ := GenerateGUID()
	b, _ := GenerateGUID()
	if a == b {
		t.Errorf("two GUIDs alike: %s", a)
	}
}
