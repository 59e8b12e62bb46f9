package windows

import (
	"unicode/utf16"
	"unsafe"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

// GetServiceKeyName writes the name of the service whose display name is
// displayName into serviceName, a buffer of *bufSize characters. Too
// small a buffer (it must hold the zero too) fails with
// ERROR_INSUFFICIENT_BUFFER and *bufSize says how many characters the
// name has; on success *bufSize is the name's length.
func GetServiceKeyName(mgr Handle, displayName *uint16, serviceName *uint16, bufSize *uint32) (err error) {
	return getName(scm().GetServiceKeyName, mgr, displayName, serviceName, bufSize)
}

// GetServiceDisplayName writes a service's display name into displayName,
// with GetServiceKeyName's buffer rules.
func GetServiceDisplayName(mgr Handle, serviceName *uint16, displayName *uint16, bufSize *uint32) (err error) {
	return getName(scm().GetServiceDisplayName, mgr, serviceName, displayName, bufSize)
}

func getName(fn func(*pb.GetNameRequest) (*pb.GetNameReply, error), mgr Handle, name, buf *uint16, bufSize *uint32) error {
	if bufSize == nil {
		return ERROR_INVALID_PARAMETER
	}
	size := *bufSize
	if buf == nil {
		size = 0
	}
	r, err := fn(&pb.GetNameRequest{Scm: uint64(mgr), Name: utf16Arg(name), BufChars: size})
	if err != nil {
		return client.Errno(err)
	}
	*bufSize = r.CharsNeeded
	if r.Win32Error != 0 {
		return Errno(r.Win32Error)
	}
	u := append(utf16.Encode([]rune(r.Name)), 0)
	copy(unsafe.Slice(buf, size), u)
	return nil
}
