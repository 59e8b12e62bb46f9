package manager

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// Device notifications (CM_Register_Notification's model): a running
// service registers for an interface class or for one interface, and gets
// SERVICE_CONTROL_DEVICEEVENT as they come and go.

// DBT_* event types, and the device type of an interface broadcast.
const (
	DBT_DEVICEARRIVAL          = 0x8000
	DBT_DEVICEREMOVECOMPLETE   = 0x8004
	DBT_DEVTYP_DEVICEINTERFACE = 5
)

type deviceSub struct {
	kind   uint32
	filter string // class GUID or interface name, lower case
}

// deviceNotify records a registration; m.mu is held.
func (m *Manager) deviceNotify(id core.ProcID, msg *protocol.DeviceNotify) {
	s := m.find(msg.Service)
	if s == nil {
		return
	}
	key := strings.ToLower(s.cfg.Name)
	if m.deviceSubs == nil {
		m.deviceSubs = map[string][]deviceSub{}
	}
	m.deviceSubs[key] = append(m.deviceSubs[key], deviceSub{kind: msg.Kind, filter: strings.ToLower(strings.Trim(msg.Filter, "{}"))})
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
	for key, subs := range m.deviceSubs {
		for _, sub := range subs {
			if (sub.kind == protocol.NotifyInterfaceClass && sub.filter == d.Class) ||
				(sub.kind == protocol.NotifyDeviceHandle && sub.filter == strings.ToLower(d.Name)) {
				m.queueDeviceEvent(key, eventType, data)
				break
			}
		}
	}
}

// queueDeviceEvent sends device events to a service one after the other:
// a control waits for the one before to be answered. m.mu is held.
func (m *Manager) queueDeviceEvent(service string, eventType uint32, data []byte) {
	if m.deviceQueue == nil {
		m.deviceQueue = map[string][][]byte{}
	}
	item := append(binary.LittleEndian.AppendUint32(nil, eventType), data...)
	m.deviceQueue[service] = append(m.deviceQueue[service], item)
	if len(m.deviceQueue[service]) == 1 {
		m.sendDeviceEvent(service)
	}
}

func (m *Manager) sendDeviceEvent(service string) {
	q := m.deviceQueue[service]
	if len(q) == 0 {
		return
	}
	item := q[0]
	req, ch := m.newReq()
	m.apply(m.core.SystemControl(m.now(), req, service, windows.SERVICE_CONTROL_DEVICEEVENT,
		binary.LittleEndian.Uint32(item), item[4:]))
	go func() {
		r := <-ch
		m.mu.Lock()
		defer m.mu.Unlock()
		if s := m.find(service); s != nil && r.Err == windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL && m.statusOf(s).CurrentState != windows.SERVICE_STOPPED {
			m.sendDeviceEvent(service) // busy with another control: again
			return
		}
		if len(m.deviceQueue[service]) > 0 {
			m.deviceQueue[service] = m.deviceQueue[service][1:]
		}
		m.sendDeviceEvent(service)
	}()
}

// broadcastInterface is DEV_BROADCAST_DEVICEINTERFACE_W for a device.
func broadcastInterface(d devices.Device) []byte {
	name := utf16.Encode([]rune(d.Name))
	size := 4 + 4 + 4 + 16 + 2*(len(name)+1)
	b := binary.LittleEndian.AppendUint32(nil, uint32(size))
	b = binary.LittleEndian.AppendUint32(b, DBT_DEVTYP_DEVICEINTERFACE)
	b = binary.LittleEndian.AppendUint32(b, 0)
	g, _ := services.ParseGUID(d.Class)
	b = append(b, g[:]...)
	for _, c := range name {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return binary.LittleEndian.AppendUint16(b, 0)
}

// dropDeviceSubs forgets a stopped service's registrations. m.mu is held.
func (m *Manager) dropDeviceSubs(name string) {
	delete(m.deviceSubs, strings.ToLower(name))
	delete(m.deviceQueue, strings.ToLower(name))
}

// GetDeviceInterfaces lists the interfaces of a class present now.
func (m *Manager) GetDeviceInterfaces(c Caller, r *pb.DeviceInterfacesRequest) (*pb.DeviceInterfaces, error) {
	class := strings.ToLower(strings.Trim(r.Class, "{}"))
	if _, err := services.ParseGUID(class); err != nil {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	out := &pb.DeviceInterfaces{}
	for _, d := range m.DeviceMappings().Present() {
		if d.Class == class {
			out.Interfaces = append(out.Interfaces, &pb.DeviceInterface{Name: d.Name, Class: d.Class, HardwareIds: d.HardwareIDs})
		}
	}
	return out, nil
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
			if _, err := services.ParseGUID(v.String()); err != nil {
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
