package manager

import (
	"encoding/binary"
	"sort"
	"strings"
	"unicode/utf16"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// Device notifications (CM_Register_Notification's model): a running
// service registers for an interface class or for one interface, and gets
// SERVICE_CONTROL_DEVICEEVENT as they come and go.

// DBT_* event types, and the device type of an interface broadcast.
const (
	DBT_DEVICEARRIVAL           = 0x8000
	DBT_DEVICEQUERYREMOVE       = 0x8001
	DBT_DEVICEQUERYREMOVEFAILED = 0x8002
	DBT_DEVICEREMOVEPENDING     = 0x8003
	DBT_DEVICEREMOVECOMPLETE    = 0x8004
	DBT_DEVTYP_DEVICEINTERFACE  = 5
)

type deviceSub struct {
	kind   uint32
	filter string // class GUID or interface name, lower case
}

// matches reports whether a registration is for a device.
func (sub deviceSub) matches(d devices.Device) bool {
	switch sub.kind {
	case protocol.NotifyInterfaceClass:
		return sub.filter == d.Class
	case protocol.NotifyDeviceHandle:
		return sub.filter == strings.ToLower(d.Name)
	}
	return false
}

// deviceNotify records a registration and answers the host, which waits
// for the answer as CM_Register_Notification returns only once it holds.
func (m *Manager) deviceNotify(id core.ProcID, msg *protocol.DeviceNotify) {
	result := m.addDeviceSub(msg)
	m.launcher.Send(id, &protocol.NotifyReply{Seq: msg.Seq, Result: uint32(result)})
}

func (m *Manager) addDeviceSub(msg *protocol.DeviceNotify) windows.Errno {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.find(msg.Service)
	if s == nil {
		return windows.ERROR_INVALID_HANDLE
	}
	filter := strings.ToLower(strings.Trim(msg.Filter, "{}"))
	switch msg.Kind {
	case protocol.NotifyInterfaceClass:
		if _, err := triggerspec.ParseGUID(filter); err != nil {
			return windows.ERROR_INVALID_PARAMETER
		}
	case protocol.NotifyDeviceHandle:
		if filter == "" {
			return windows.ERROR_INVALID_PARAMETER
		}
	default:
		return windows.ERROR_INVALID_PARAMETER
	}
	key := strings.ToLower(s.cfg.Name)
	if m.deviceSubs == nil {
		m.deviceSubs = map[string][]deviceSub{}
	}
	m.deviceSubs[key] = append(m.deviceSubs[key], deviceSub{kind: msg.Kind, filter: filter})
	if msg.Kind == protocol.NotifyDeviceHandle {
		// A host registers again with a restarted scmd; the interface may
		// have gone in between, before anyone here was listening for it.
		// Tell the service now, or it would wait for a removal forever.
		if _, present := m.presentDevice(filter); !present {
			gone, ok := m.goneDevices[filter]
			if !ok {
				gone = devices.Device{Name: msg.Filter}
			}
			m.raise(key, windows.SERVICE_CONTROL_DEVICEEVENT, DBT_DEVICEREMOVECOMPLETE, broadcastInterface(gone), nil)
		}
	}
	return 0
}

// maxGoneDevices bounds the memory of removed interfaces: enough for the
// removals of the seconds a restarted scmd waits for its hosts.
const maxGoneDevices = 256

// rememberGone keeps a removed interface, so a registration for it that
// comes late can still be told what it was. m.mu is held.
func (m *Manager) rememberGone(d devices.Device) {
	if m.goneDevices == nil || len(m.goneDevices) >= maxGoneDevices {
		m.goneDevices = map[string]devices.Device{}
	}
	m.goneDevices[strings.ToLower(d.Name)] = d
}

// DeviceEvent tells the services registered for a device that it came or
// went, in the order they happen for each service.
func (m *Manager) DeviceEvent(d devices.Device, arrival bool) {
	eventType := uint32(DBT_DEVICEREMOVECOMPLETE)
	if arrival {
		eventType = DBT_DEVICEARRIVAL
	}
	data := broadcastInterface(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !arrival {
		m.rememberGone(d)
	}
	for key, subs := range m.deviceSubs {
		for _, sub := range subs {
			if sub.matches(d) {
				m.raise(key, windows.SERVICE_CONTROL_DEVICEEVENT, eventType, data, nil)
				break
			}
		}
	}
}

// broadcastInterface is DEV_BROADCAST_DEVICEINTERFACE_W for a device.
func broadcastInterface(d devices.Device) []byte {
	name := utf16.Encode([]rune(d.Name))
	size := 4 + 4 + 4 + 16 + 2*(len(name)+1)
	b := binary.LittleEndian.AppendUint32(nil, uint32(size))
	b = binary.LittleEndian.AppendUint32(b, DBT_DEVTYP_DEVICEINTERFACE)
	b = binary.LittleEndian.AppendUint32(b, 0)
	g, _ := triggerspec.ParseGUID(d.Class)
	b = append(b, g[:]...)
	for _, c := range name {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return binary.LittleEndian.AppendUint16(b, 0)
}

// dropDeviceSubs forgets a stopped service's registrations. m.mu is held.
func (m *Manager) dropDeviceSubs(name string) {
	delete(m.deviceSubs, strings.ToLower(name))
}

// GetDeviceInterfaces lists the interfaces of a class present now, or of
// every class when none is given.
func (m *Manager) GetDeviceInterfaces(c Caller, r *pb.DeviceInterfacesRequest) (*pb.DeviceInterfaces, error) {
	if err := refuseNetworkUser(c); err != nil {
		return nil, err
	}
	present, err := m.presentInterfaces(r.Class)
	if err != nil {
		return nil, err
	}
	out := &pb.DeviceInterfaces{}
	for _, d := range present {
		out.Interfaces = append(out.Interfaces, &pb.DeviceInterface{Name: d.Name, Class: d.Class, HardwareIds: d.HardwareIDs})
	}
	return out, nil
}

func (m *Manager) presentInterfaces(class string) ([]devices.Device, error) {
	class = strings.ToLower(strings.Trim(class, "{}"))
	if _, err := triggerspec.ParseGUID(class); err != nil && class != "" {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	var out []devices.Device
	for _, d := range m.DeviceMappings().Present() {
		if class == "" || d.Class == class {
			out = append(out, d)
		}
	}
	return out, nil
}

// answerDeviceQuery answers a service's DeviceQuery on its own control
// channel, so that a service lists devices without an API client. It reads
// sysfs, so it runs without m.mu. A list too long for one message is
// refused with ERROR_INSUFFICIENT_BUFFER rather than cut short.
func (m *Manager) answerDeviceQuery(id core.ProcID, q *protocol.DeviceQuery) {
	reply := &protocol.DeviceList{Seq: q.Seq}
	present, err := m.presentInterfaces(q.Class)
	if err != nil {
		reply.Result = uint32(err.(windows.Errno))
	}
	for _, d := range present {
		reply.Interfaces = append(reply.Interfaces, protocol.DeviceInterface{Name: d.Name, Class: d.Class, HardwareIDs: d.HardwareIDs})
	}
	if _, err := protocol.Encode(reply); err != nil {
		reply = &protocol.DeviceList{Seq: q.Seq, Result: uint32(windows.ERROR_INSUFFICIENT_BUFFER)}
	}
	m.launcher.Send(id, reply) // set once, before any host runs
}

// DeviceClassesKey holds the registry's device mappings: a subkey per
// Linux subsystem with ClassGUID and HardwareIDPrefix.
const DeviceClassesKey = `HKLM\SYSTEM\CurrentControlSet\Control\DeviceClasses\Linux`

// DeviceMappings reads the registry's mappings of Linux subsystems to
// interface classes.
func (m *Manager) DeviceMappings() devices.Mappings {
	ms := devices.Mappings{}
	m.store.View(func(tx *registry.Tx) error {
		root, err := tx.OpenKey(DeviceClassesKey)
		if err != nil {
			return nil
		}
		for _, sub := range root.SubKeyNames() {
			k, err := root.SubKey(sub)
			if err != nil {
				continue
			}
			v, err := k.Value("ClassGUID")
			if err != nil {
				continue
			}
			if _, err := triggerspec.ParseGUID(v.String()); err != nil {
				continue
			}
			mp := devices.Mapping{Class: strings.Trim(v.String(), "{}")}
			if p, err := k.Value("HardwareIDPrefix"); err == nil {
				mp.Prefix = p.String()
			}
			ms[strings.ToLower(sub)] = mp
		}
		return nil
	})
	return ms
}

// PnP veto types (PNP_VETO_TYPE) a removal request can come back with, and
// the answer with which a service refuses a query.
const (
	PNP_VetoTypeUnknown    = 0
	PNP_VetoWindowsService = 4
	BROADCAST_QUERY_DENY   = 0x424D5144
)

// RequestDeviceRemoval asks for a device interface to go, as
// CM_Request_Device_Eject does: the services registered for its handle get
// DBT_DEVICEQUERYREMOVE, and an answer of BROADCAST_QUERY_DENY vetoes (any
// other grants, as on Windows: a handler that does not know the event, or
// a service that is gone, does not hold the device). On a veto the
// others get DBT_DEVICEQUERYREMOVEFAILED and the caller learns which service
// said no; otherwise they get DBT_DEVICEREMOVEPENDING and the device is
// removed, its uevent bringing DBT_DEVICEREMOVECOMPLETE.
func (m *Manager) RequestDeviceRemoval(c Caller, r *pb.DeviceRemovalRequest) (*pb.DeviceRemovalResult, error) {
	if !c.Token.IsAdmin() {
		return nil, windows.ERROR_ACCESS_DENIED
	}
	dev, ok := m.presentDevice(r.Name)
	if !ok {
		return nil, windows.ERROR_FILE_NOT_FOUND
	}
	data := broadcastInterface(dev)
	type answer struct {
		service string
		err     windows.Errno
	}
	asked := m.handleSubscribers(dev)
	answers := make(chan answer, len(asked))
	for _, s := range asked {
		m.raise(s, windows.SERVICE_CONTROL_DEVICEEVENT, DBT_DEVICEQUERYREMOVE, data, func(err windows.Errno) {
			answers <- answer{s, err}
		})
	}
	var agreed []string
	var veto string
	for range asked {
		a := <-answers
		if a.err != BROADCAST_QUERY_DENY {
			agreed = append(agreed, a.service)
			continue
		}
		if veto == "" {
			veto = m.nameOf(a.service) // as it was created
		}
	}
	next := uint32(DBT_DEVICEREMOVEPENDING)
	if veto != "" {
		next = DBT_DEVICEQUERYREMOVEFAILED
	}
	for _, s := range agreed {
		m.raise(s, windows.SERVICE_CONTROL_DEVICEEVENT, next, data, nil)
	}
	if veto != "" {
		m.logf("removal of %s vetoed by %s", dev.Name, veto)
		return &pb.DeviceRemovalResult{VetoType: PNP_VetoWindowsService, VetoName: veto}, nil
	}
	if err := devices.Remove(dev); err != nil {
		m.logf("removing %s: %v", dev.Name, err)
		return nil, windows.ERROR_NOT_SUPPORTED
	}
	return &pb.DeviceRemovalResult{}, nil
}

// presentDevice finds a present interface by name, any case.
func (m *Manager) presentDevice(name string) (devices.Device, bool) {
	for _, d := range m.DeviceMappings().Present() {
		if strings.EqualFold(d.Name, name) {
			return d, true
		}
	}
	return devices.Device{}, false
}

// handleSubscribers lists the services registered for one interface's
// handle (DBT_DEVTYP_HANDLE registrations are the ones Windows asks before
// a removal).
func (m *Manager) handleSubscribers(d devices.Device) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for key, subs := range m.deviceSubs {
		for _, sub := range subs {
			if sub.kind == protocol.NotifyDeviceHandle && sub.matches(d) {
				out = append(out, key)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
