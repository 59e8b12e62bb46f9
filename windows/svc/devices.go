package svc

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unsafe"

	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
)

// Device notifications, in CM_Register_Notification's model. These are
// this module's own, beside the names mirrored from x/sys (which has no
// wrapper for them): a service registers from its Execute, and then
// receives ChangeRequests with Cmd DeviceEvent, EventType DBT_DEVICEARRIVAL
// or DBT_DEVICEREMOVECOMPLETE (and, for a handle registration, the
// DBT_DEVICEQUERYREMOVE, DBT_DEVICEQUERYREMOVEFAILED and
// DBT_DEVICEREMOVEPENDING of a removal someone asked for), and EventData
// pointing at a DEV_BROADCAST_DEVICEINTERFACE_W, as a Windows service does.

// Device event types.
const (
	DBT_DEVICEARRIVAL           = 0x8000
	DBT_DEVICEQUERYREMOVE       = 0x8001 // may the device go? a ControlAnswerer may veto
	DBT_DEVICEQUERYREMOVEFAILED = 0x8002 // someone vetoed: it stays
	DBT_DEVICEREMOVEPENDING     = 0x8003 // it is going: release it
	DBT_DEVICEREMOVECOMPLETE    = 0x8004
)

// RegisterDeviceInterfaceNotification asks for the arrivals and removals of
// the interfaces of a class (CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE). Call
// it from Execute.
func RegisterDeviceInterfaceNotification(classGUID string) error {
	return registerDevice(protocol.NotifyInterfaceClass, classGUID)
}

// RegisterDeviceHandleNotification asks for the removal of one interface,
// by name (CM_NOTIFY_FILTER_TYPE_DEVICEHANDLE).
func RegisterDeviceHandleNotification(name string) error {
	return registerDevice(protocol.NotifyDeviceHandle, name)
}

// registerDevice sends the registration and waits for scmd to say it
// holds: events from then on reach the service.
func registerDevice(kind uint32, filter string) error {
	s := current.Load()
	if s == nil {
		return windows.ERROR_INVALID_HANDLE
	}
	answer, err := s.ask(func(seq uint32) any {
		return &protocol.DeviceNotify{Seq: seq, Service: s.name, Kind: kind, Filter: filter}
	})
	if err != nil {
		return err
	}
	if r := answer.(*protocol.NotifyReply); r.Result != 0 {
		return windows.Errno(r.Result)
	}
	s.remember(protocol.DeviceNotify{Service: s.name, Kind: kind, Filter: filter})
	return nil
}

// ask sends a request to scmd on the control channel and waits for its
// answer.
func (s *service) ask(request func(seq uint32) any) (any, error) {
	seq, reply := s.d.awaitReply()
	if err := s.d.send(request(seq)); err != nil {
		s.d.forgetReply(seq)
		return nil, err
	}
	select {
	case answer := <-reply:
		return answer, nil
	case <-s.done():
		s.d.forgetReply(seq)
		return nil, windows.ERROR_SERVICE_NOT_ACTIVE
	case <-time.After(registerTimeout):
		// The SCM went away before it answered (it may be restarting).
		s.d.forgetReply(seq)
		return nil, windows.ERROR_SERVICE_REQUEST_TIMEOUT
	}
}

// registerTimeout bounds the wait for scmd's answer to a request.
const registerTimeout = 30 * time.Second

// DeviceInterface is one present device interface.
type DeviceInterface struct {
	Name        string
	Class       string
	HardwareIDs []string
}

// DeviceInterfaces lists the interfaces of a class present now
// (CM_Get_Device_Interface_List). Call it from Execute: scmd answers on
// the service's control channel, where the mappings of Linux devices to
// classes are known.
func DeviceInterfaces(classGUID string) ([]DeviceInterface, error) {
	s := current.Load()
	if s == nil {
		return nil, windows.ERROR_INVALID_HANDLE
	}
	answer, err := s.ask(func(seq uint32) any { return &protocol.DeviceQuery{Seq: seq, Class: classGUID} })
	if err != nil {
		return nil, err
	}
	r := answer.(*protocol.DeviceList)
	if r.Result != 0 {
		return nil, windows.Errno(r.Result)
	}
	var out []DeviceInterface
	for _, d := range r.Interfaces {
		out = append(out, DeviceInterface{Name: d.Name, Class: d.Class, HardwareIDs: d.HardwareIDs})
	}
	return out, nil
}

// DeviceEventInterface reads the class GUID and interface name a device
// event's EventData points at.
func DeviceEventInterface(c ChangeRequest) (class, name string, ok bool) {
	if c.Cmd != DeviceEvent || c.EventData == 0 {
		return "", "", false
	}
	p := unsafe.Add(unsafe.Pointer(nil), c.EventData)
	size := *(*uint32)(p)
	if size < 28 || *(*uint32)(unsafe.Add(p, 4)) != 5 {
		return "", "", false
	}
	b := unsafe.Slice((*byte)(p), size)
	g := b[12:28]
	class = fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(g), binary.LittleEndian.Uint16(g[4:]),
		binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:16])
	u := make([]uint16, 0, (size-28)/2)
	for i := 28; i+1 < int(size); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return class, strings.TrimRight(string(utf16.Decode(u)), "\x00"), true
}
