// Package trigger reads and sets a service's start and stop triggers
// (SERVICE_CONFIG_TRIGGER_INFO), which golang.org/x/sys's mgr has no
// wrapper for. It is this module's own, beside the mirrored packages.
//
//	err := trigger.Set("tapwatch", []trigger.Trigger{{
//		Type:    windows.SERVICE_TRIGGER_TYPE_DEVICE_INTERFACE_ARRIVAL,
//		Action:  windows.SERVICE_TRIGGER_ACTION_SERVICE_START,
//		SubType: trigger.DeviceInterfaceNet,
//		Data:    []trigger.Data{trigger.String(`VIRTUAL\NET\TAP`)},
//	}})
package trigger

import (
	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// Well-known subtypes.
const (
	FirstIPAddressArrival = triggerspec.FirstIPAddressArrival
	LastIPAddressRemoval  = triggerspec.LastIPAddressRemoval
	DomainJoin            = triggerspec.DomainJoin
	DomainLeave           = triggerspec.DomainLeave
	FirewallPortOpen      = triggerspec.FirewallPortOpen
	FirewallPortClose     = triggerspec.FirewallPortClose
	MachinePolicyPresent  = triggerspec.MachinePolicyPresent
	UserPolicyPresent     = triggerspec.UserPolicyPresent
	RPCInterfaceEvent     = triggerspec.RPCInterfaceEvent
	NamedPipeEvent        = triggerspec.NamedPipeEvent
	DeviceInterfaceNet    = "cac88484-7515-4c03-82e6-71a87abac361" // GUID_DEVINTERFACE_NET
)

// Data is a SERVICE_TRIGGER_SPECIFIC_DATA_ITEM.
type Data struct {
	Type  uint32 // windows.SERVICE_TRIGGER_DATA_TYPE_*
	Bytes []byte // a string's bytes for the string type
}

// String is a string data item, such as a hardware ID.
func String(s string) Data {
	return Data{Type: windows.SERVICE_TRIGGER_DATA_TYPE_STRING, Bytes: []byte(s)}
}

// Trigger is a SERVICE_TRIGGER.
type Trigger struct {
	Type    uint32 // windows.SERVICE_TRIGGER_TYPE_*
	Action  uint32 // windows.SERVICE_TRIGGER_ACTION_SERVICE_START or _STOP
	SubType string // a GUID
	Data    []Data
}

// open opens a service with the access the calls need, on a connection of
// the caller's.
func open(conn *client.Conn, name string, access uint32) (uint64, error) {
	scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
	if err != nil {
		return 0, err
	}
	h, err := client.Call(conn.OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: name, DesiredAccess: access})
	if err != nil {
		return 0, err
	}
	return h.Handle, nil
}

// Get returns a service's triggers.
func Get(service string) ([]Trigger, error) {
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	h, err := open(conn, service, windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		return nil, err
	}
	r, err := client.Call(conn.QueryServiceConfig2, &pb.QueryServiceConfig2Request{Handle: h, InfoLevel: windows.SERVICE_CONFIG_TRIGGER_INFO})
	if err != nil {
		return nil, err
	}
	var out []Trigger
	for _, t := range r.Triggers {
		tr := Trigger{Type: t.Type, Action: t.Action, SubType: t.Subtype}
		for _, d := range t.Data {
			tr.Data = append(tr.Data, Data{Type: d.Type, Bytes: d.Data})
		}
		out = append(out, tr)
	}
	return out, nil
}

// Set replaces a service's triggers; none deletes them. A restart action
// is not needed: triggers take effect at once.
func Set(service string, triggers []Trigger) error {
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	h, err := open(conn, service, windows.SERVICE_CHANGE_CONFIG)
	if err != nil {
		return err
	}
	info := &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_TRIGGER_INFO}
	for _, t := range triggers {
		pt := &pb.Trigger{Type: t.Type, Action: t.Action, Subtype: t.SubType}
		for _, d := range t.Data {
			pt.Data = append(pt.Data, &pb.TriggerData{Type: d.Type, Data: d.Bytes})
		}
		info.Triggers = append(info.Triggers, pt)
	}
	_, err = client.Call(conn.ChangeServiceConfig2, &pb.ChangeServiceConfig2Request{Handle: h, Info: info})
	return err
}

// Fire raises a custom trigger event of a provider, with string data, as
// an ETW provider's event would on Windows. It takes an administrator.
func Fire(provider string, data ...string) error {
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	_, err := client.Call(conn.FireCustomTrigger, &pb.CustomTriggerRequest{Provider: provider, Data: data})
	return err
}
