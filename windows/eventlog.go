package windows

import (
	"unsafe"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

// RegisterEventSource opens a handle to write events of a source to its
// log; uncServerName nil or empty is this machine.
func RegisterEventSource(uncServerName *uint16, sourceName *uint16) (handle Handle, err error) {
	r, err := scm().RegisterEventSource(&pb.RegisterEventSourceRequest{Machine: utf16Arg(uncServerName), Source: utf16Arg(sourceName)})
	if err != nil {
		return 0, client.Errno(err)
	}
	return Handle(r.Handle), nil
}

// DeregisterEventSource closes a handle RegisterEventSource returned.
func DeregisterEventSource(handle Handle) (err error) { return CloseServiceHandle(handle) }

// ReportEvent writes an event: its type (EVENTLOG_*), category, id,
// numStrings insertion strings (strings points to the first) and
// dataSize bytes of binary data. usrSId is not recorded.
func ReportEvent(log Handle, etype uint16, category uint16, eventId uint32, usrSId uintptr, numStrings uint16, dataSize uint32, strings **uint16, rawData *byte) (err error) {
	req := &pb.ReportEventRequest{Handle: uint64(log), Type: uint32(etype), Category: uint32(category), EventId: eventId}
	if numStrings > 0 && strings != nil {
		for _, p := range unsafe.Slice(strings, numStrings) {
			req.Strings = append(req.Strings, UTF16PtrToString(p))
		}
	}
	if dataSize > 0 && rawData != nil {
		req.Data = append([]byte(nil), unsafe.Slice(rawData, dataSize)...)
	}
	_, err = scm().ReportEvent(req)
	return client.Errno(err)
}
