// Package protocol encodes and decodes the messages between scmd and a
// service process, as docs/protocol.md describes them: one message per
// SOCK_SEQPACKET packet, little-endian, strings as a 16-bit length and
// UTF-8.
package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/openscm/scm/windows"
	"unicode/utf8"
)

// Version is the protocol version this package speaks.
const Version = 1

// EnvFD names the environment variable that holds the descriptor number of
// the service process's end of the socket.
const EnvFD = "SCM_CONTROL_FD"

// FD is the descriptor scmd gives the socket in the service process.
const FD = 3

// HostSocketSuffix names the SOCK_SEQPACKET socket, beside the API socket
// SCM_SOCKET names, where hosts reattach after the SCM restarted.
const HostSocketSuffix = ".host"

// MaxMessage is the largest message either side sends or accepts.
const MaxMessage = 64 << 10

// Message types. Those a host sends are below 0x80, those scmd sends above.
const (
	TypeRegister     = 0x01
	TypeStatus       = 0x02
	TypeControlReply = 0x03
	TypeReattach     = 0x04
	TypeDeviceNotify = 0x05
	TypeDeviceQuery  = 0x06
	TypeStart        = 0x81
	TypeControl      = 0x82
	TypeNotifyReply  = 0x83
	TypeDeviceList   = 0x84
)

// Register is the host's first message: the services it serves, as
// StartServiceCtrlDispatcher's table.
type Register struct {
	Services []string
}

// Status is a SetServiceStatus call for one service.
type Status struct {
	Service string
	windows.SERVICE_STATUS
}

// ControlReply is a handler's answer to a control: a Win32 code.
type ControlReply struct {
	Seq    uint32
	Result uint32
}

// Start asks the host to run a service's ServiceMain with these arguments;
// Args[0] is the service's name. Token proves, should the SCM restart, that
// this process runs this service.
type Start struct {
	Service string
	Reason  uint32
	Args    []string
	Token   []byte
}

// DeviceNotify registers a service for device events, as
// CM_Register_Notification: Kind 1 for every interface of a class (Filter
// is the class GUID), 2 for one device interface (Filter is its name).
// scmd answers with a NotifyReply of the same Seq once the registration
// holds, so that no event after the call returns is missed.
type DeviceNotify struct {
	Seq     uint32
	Service string
	Kind    uint32
	Filter  string
}

// NotifyReply answers a DeviceNotify: NO_ERROR, or the Win32 code of why
// the registration was refused.
type NotifyReply struct {
	Seq    uint32
	Result uint32
}

// DeviceQuery asks which interfaces of a class are present now
// (CM_Get_Device_Interface_List; every class when Class is empty). scmd
// answers with a DeviceList of the same Seq: the mappings of Linux devices
// to classes are in its registry.
type DeviceQuery struct {
	Seq   uint32
	Class string
}

// DeviceList answers a DeviceQuery: NO_ERROR and the interfaces, or the
// Win32 code of why not.
type DeviceList struct {
	Seq        uint32
	Result     uint32
	Interfaces []DeviceInterface
}

// DeviceInterface is one present interface.
type DeviceInterface struct {
	Name        string
	Class       string
	HardwareIDs []string
}

// Device notification kinds.
const (
	NotifyInterfaceClass = 1
	NotifyDeviceHandle   = 2
)

// Reattach is a host's first message on a new connection after the SCM
// restarted: the services it still runs, each with the token its START
// carried and its status now.
type Reattach struct {
	Services []Running
}

// Running is one service of a reattaching host.
type Running struct {
	Token  []byte
	Status Status
}

// Control is a HandlerEx call.
type Control struct {
	Seq       uint32
	Service   string
	Code      uint32
	EventType uint32
	EventData []byte
}

// Encode returns the packet for a message.
func Encode(m any) ([]byte, error) {
	var e encoder
	switch m := m.(type) {
	case *Register:
		e.header(TypeRegister)
		e.strings(m.Services)
	case *Status:
		e.header(TypeStatus)
		e.status(m)
	case *DeviceNotify:
		e.header(TypeDeviceNotify)
		e.u32(m.Seq)
		e.string(m.Service)
		e.u32(m.Kind)
		e.string(m.Filter)
	case *DeviceQuery:
		e.header(TypeDeviceQuery)
		e.u32(m.Seq)
		e.string(m.Class)
	case *DeviceList:
		e.header(TypeDeviceList)
		e.u32(m.Seq)
		e.u32(m.Result)
		if len(m.Interfaces) > 0xffff {
			return nil, errors.New("protocol: too many interfaces")
		}
		e.b = binary.LittleEndian.AppendUint16(e.b, uint16(len(m.Interfaces)))
		for _, i := range m.Interfaces {
			e.string(i.Name)
			e.string(i.Class)
			e.strings(i.HardwareIDs)
		}
	case *ControlReply:
		e.header(TypeControlReply)
		e.u32(m.Seq)
		e.u32(m.Result)
	case *NotifyReply:
		e.header(TypeNotifyReply)
		e.u32(m.Seq)
		e.u32(m.Result)
	case *Start:
		e.header(TypeStart)
		e.string(m.Service)
		e.u32(m.Reason)
		e.strings(m.Args)
		e.bytes(m.Token)
	case *Reattach:
		e.header(TypeReattach)
		if len(m.Services) > 0xffff {
			return nil, errors.New("protocol: too many services")
		}
		e.b = binary.LittleEndian.AppendUint16(e.b, uint16(len(m.Services)))
		for _, r := range m.Services {
			e.bytes(r.Token)
			e.status(&r.Status)
		}
	case *Control:
		e.header(TypeControl)
		e.u32(m.Seq)
		e.string(m.Service)
		e.u32(m.Code)
		e.u32(m.EventType)
		e.bytes(m.EventData)
	default:
		return nil, fmt.Errorf("protocol: cannot encode %T", m)
	}
	if e.err != nil {
		return nil, e.err
	}
	if len(e.b) > MaxMessage {
		return nil, errors.New("protocol: message too long")
	}
	return e.b, nil
}

// Decode parses one packet. It never panics, whatever the bytes: a hostile
// peer gets an error, and the SCM drops it.
func Decode(b []byte) (any, error) {
	if len(b) > MaxMessage {
		return nil, errors.New("protocol: message too long")
	}
	d := decoder{b: b}
	version, typ := d.u8(), d.u8()
	if d.err != nil {
		return nil, d.err
	}
	if version != Version {
		return nil, fmt.Errorf("protocol: version %d, want %d", version, Version)
	}
	var m any
	switch typ {
	case TypeRegister:
		m = &Register{Services: d.strings()}
	case TypeStatus:
		m = d.status()
	case TypeControlReply:
		m = &ControlReply{Seq: d.u32(), Result: d.u32()}
	case TypeDeviceNotify:
		m = &DeviceNotify{Seq: d.u32(), Service: d.string(), Kind: d.u32(), Filter: d.string()}
	case TypeNotifyReply:
		m = &NotifyReply{Seq: d.u32(), Result: d.u32()}
	case TypeDeviceQuery:
		m = &DeviceQuery{Seq: d.u32(), Class: d.string()}
	case TypeDeviceList:
		l := &DeviceList{Seq: d.u32(), Result: d.u32()}
		n := d.u16()
		if d.err == nil && n*6 > len(d.b) {
			d.err = errShort
		}
		for i := 0; i < n && d.err == nil; i++ {
			l.Interfaces = append(l.Interfaces, DeviceInterface{Name: d.string(), Class: d.string(), HardwareIDs: d.strings()})
		}
		m = l
	case TypeStart:
		m = &Start{Service: d.string(), Reason: d.u32(), Args: d.strings(), Token: d.bytes()}
	case TypeReattach:
		n := d.u16()
		if d.err == nil && n*8 > len(d.b) {
			d.err = errShort
		}
		r := &Reattach{}
		for i := 0; i < n && d.err == nil; i++ {
			tok := d.bytes()
			r.Services = append(r.Services, Running{Token: tok, Status: *d.status()})
		}
		m = r
	case TypeControl:
		m = &Control{Seq: d.u32(), Service: d.string(), Code: d.u32(), EventType: d.u32(), EventData: d.bytes()}
	default:
		return nil, fmt.Errorf("protocol: unknown message type %#x", typ)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("protocol: %d bytes after a message of type %#x", len(d.b), typ)
	}
	return m, nil
}

type encoder struct {
	b   []byte
	err error
}

func (e *encoder) header(t byte) { e.b = append(e.b, Version, t) }
func (e *encoder) u32(v uint32)  { e.b = binary.LittleEndian.AppendUint32(e.b, v) }

func (e *encoder) string(s string) {
	if len(s) > 0xffff {
		e.err = errors.New("protocol: string too long")
		return
	}
	e.b = binary.LittleEndian.AppendUint16(e.b, uint16(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) strings(ss []string) {
	if len(ss) > 0xffff {
		e.err = errors.New("protocol: too many strings")
		return
	}
	e.b = binary.LittleEndian.AppendUint16(e.b, uint16(len(ss)))
	for _, s := range ss {
		e.string(s)
	}
}

func (e *encoder) bytes(p []byte) {
	e.u32(uint32(len(p)))
	e.b = append(e.b, p...)
}

type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("protocol: message cut short")

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = errShort
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16() int {
	if p := d.take(2); p != nil {
		return int(binary.LittleEndian.Uint16(p))
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) string() string {
	p := d.take(d.u16())
	if d.err == nil && !utf8.Valid(p) {
		d.err = errors.New("protocol: string is not UTF-8")
	}
	return string(p)
}

func (d *decoder) strings() []string {
	n := d.u16()
	if d.err == nil && n*2 > len(d.b) {
		d.err = errShort
		return nil
	}
	ss := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		ss = append(ss, d.string())
	}
	return ss
}

func (d *decoder) bytes() []byte {
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	return append([]byte(nil), d.take(int(n))...)
}

func (e *encoder) status(m *Status) {
	e.string(m.Service)
	for _, v := range []uint32{m.ServiceType, m.CurrentState, m.ControlsAccepted, m.Win32ExitCode,
		m.ServiceSpecificExitCode, m.CheckPoint, m.WaitHint} {
		e.u32(v)
	}
}

func (d *decoder) status() *Status {
	s := &Status{Service: d.string()}
	for _, p := range []*uint32{&s.ServiceType, &s.CurrentState, &s.ControlsAccepted, &s.Win32ExitCode,
		&s.ServiceSpecificExitCode, &s.CheckPoint, &s.WaitHint} {
		*p = d.u32()
	}
	return s
}
