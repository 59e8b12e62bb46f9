package manager

import (
	"unicode/utf16"

	pb "github.com/openscm/scm/internal/api/scmv1"
)

// The sizes of Windows' 64-bit structures, so that callers that size their
// buffers the Windows way (call once with none, then again) get the numbers
// Windows would give them.
const (
	sizeQueryServiceConfig    = 64 // QUERY_SERVICE_CONFIGW
	sizeEnumServiceStatus     = 48 // ENUM_SERVICE_STATUSW
	sizeEnumServiceStatusEx   = 56 // ENUM_SERVICE_STATUS_PROCESSW
	sizeServiceDescription    = 8  // SERVICE_DESCRIPTIONW
	sizeServiceFailureActions = 40 // SERVICE_FAILURE_ACTIONSW
	sizeSCAction              = 8
	sizeDWORDInfo             = 4 // the one-DWORD structures of QueryServiceConfig2
	sizeRequiredPrivileges    = 8 // SERVICE_REQUIRED_PRIVILEGES_INFOW
)

// wstr is the size of a NUL-terminated UTF-16 string.
func wstr(s string) uint32 { return uint32(len(utf16.Encode([]rune(s)))+1) * 2 }

// multiSz is the size of a double-NUL-terminated UTF-16 string list.
func multiSz(ss []string) uint32 {
	n := uint32(2)
	for _, s := range ss {
		n += wstr(s)
	}
	return n
}

func queryConfigSize(c *pb.ServiceConfig) uint32 {
	return sizeQueryServiceConfig + wstr(c.BinaryPathName) + wstr(c.LoadOrderGroup) +
		multiSz(c.Dependencies) + wstr(c.ServiceStartName) + wstr(c.DisplayName)
}

func enumEntrySize(e *pb.ServiceEntry, ex bool) uint32 {
	n := uint32(sizeEnumServiceStatus)
	if ex {
		n = sizeEnumServiceStatusEx
	}
	return n + wstr(e.ServiceName) + wstr(e.DisplayName)
}
