package manager

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// Trigger-start: events of the machine start and stop the services whose
// SERVICE_CONFIG_TRIGGER_INFO asks for them, with the start reason
// "trigger".

// DeviceArrived starts the services with a device interface arrival
// trigger for the device's class, and, if the trigger names hardware IDs,
// one of the device's.
func (m *Manager) DeviceArrived(d devices.Device) {
	m.fire(func(t *triggerspec.Trigger) bool {
		if t.Type != windows.SERVICE_TRIGGER_TYPE_DEVICE_INTERFACE_ARRIVAL || t.SubType != d.Class {
			return false
		}
		ids := t.Strings()
		if len(ids) == 0 {
			return true
		}
		for _, want := range ids {
			for _, have := range d.HardwareIDs {
				if strings.EqualFold(want, have) {
					return true
				}
			}
		}
		return false
	})
}

// IPAvailability fires the IP address availability triggers: the first
// address arriving, or the last one going.
func (m *Manager) IPAvailability(up bool) {
	want := triggerspec.LastIPAddressRemoval
	if up {
		want = triggerspec.FirstIPAddressArrival
	}
	m.fire(func(t *triggerspec.Trigger) bool {
		return t.Type == windows.SERVICE_TRIGGER_TYPE_IP_ADDRESS_AVAILABILITY && t.SubType == want
	})
}

// FireCustom fires custom triggers of a provider: an event an
// administrator's program raises with the API.
func (m *Manager) FireCustom(c Caller, provider string, data []string) error {
	if !c.Token.IsAdmin() {
		return windows.ERROR_ACCESS_DENIED
	}
	if len(data) > MaxTriggerDataItems {
		return windows.ERROR_INVALID_PARAMETER
	}
	for _, d := range data {
		if triggerDataSize(triggerspec.TriggerData{Type: windows.SERVICE_TRIGGER_DATA_TYPE_STRING, Data: []byte(d)}) > MaxTriggerDataBytes {
			return windows.ERROR_INVALID_PARAMETER
		}
	}
	provider = strings.ToLower(strings.Trim(provider, "{}"))
	if _, err := triggerspec.ParseGUID(provider); err != nil {
		return windows.ERROR_INVALID_PARAMETER
	}
	m.fire(func(t *triggerspec.Trigger) bool {
		if t.Type != windows.SERVICE_TRIGGER_TYPE_CUSTOM || t.SubType != provider {
			return false
		}
		want := t.Strings()
		if len(want) == 0 {
			return true
		}
		for _, w := range want {
			for _, d := range data {
				if w == d {
					return true
				}
			}
		}
		return false
	})
	return nil
}

// fire carries out the action of every trigger that matches.
func (m *Manager) fire(match func(*triggerspec.Trigger) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sortedServices() {
		for i := range s.cfg.Triggers {
			t := &s.cfg.Triggers[i]
			if !match(t) {
				continue
			}
			st := m.statusOf(s).CurrentState
			switch t.Action {
			case windows.SERVICE_TRIGGER_ACTION_SERVICE_START:
				if st == windows.SERVICE_STOPPED && s.cfg.Start != windows.SERVICE_DISABLED && !s.deleted {
					m.logf("trigger: starting %s", s.cfg.Name)
					m.startBySCM(s.cfg.Name, windows.SERVICE_START_REASON_TRIGGER)
				}
			case windows.SERVICE_TRIGGER_ACTION_SERVICE_STOP:
				if st != windows.SERVICE_STOPPED && st != windows.SERVICE_STOP_PENDING {
					m.logf("trigger: stopping %s", s.cfg.Name)
					m.systemControl(s.cfg.Name, windows.SERVICE_CONTROL_STOP, nil)
				}
			}
			break
		}
	}
}

// TimeChanged sends SERVICE_CONTROL_TIMECHANGE, with SERVICE_TIMECHANGE_INFO,
// to the running services that accept it.
func (m *Manager) TimeChanged(old, new time.Time) {
	m.broadcastSystem(windows.SERVICE_CONTROL_TIMECHANGE, windows.SERVICE_ACCEPT_TIMECHANGE, 0, devices.TimeChangeInfo(old, new))
}

// broadcastSystem queues a control the SCM raises for every running
// service whose accepted controls ask for it, without waiting for the
// answers.
func (m *Manager) broadcastSystem(code, flag, eventType uint32, data []byte) {
	for _, key := range slices.Sorted(maps.Keys(m.runningAccepting(flag))) {
		m.raise(key, code, eventType, data, nil)
	}
}

// NetBind sends a SERVICE_CONTROL_NETBIND* control for an interface that
// came, went, or was brought up or down, to the running services that
// accept SERVICE_ACCEPT_NETBINDCHANGE. The event data is the interface
// index (a DWORD); Windows' NETBIND controls carry no data of their own.
func (m *Manager) NetBind(code uint32, index int32) {
	m.broadcastSystem(code, windows.SERVICE_ACCEPT_NETBINDCHANGE, 0, binary.LittleEndian.AppendUint32(nil, uint32(index)))
}

// PowerEvent sends SERVICE_CONTROL_POWEREVENT with a PBT_* event type to
// the running services that accept SERVICE_ACCEPT_POWEREVENT, and waits
// until each has answered or its control timed out: before a suspend the
// machine waits for them, as Windows waits for its services.
func (m *Manager) PowerEvent(eventType uint32) {
	services := m.runningAccepting(windows.SERVICE_ACCEPT_POWEREVENT)
	answered := make(chan windows.Errno, len(services))
	for _, key := range slices.Sorted(maps.Keys(services)) {
		m.raise(key, windows.SERVICE_CONTROL_POWEREVENT, eventType, nil, func(err windows.Errno) { answered <- err })
	}
	for range services {
		<-answered
	}
}
