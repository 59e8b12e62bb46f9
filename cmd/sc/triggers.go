package main

import (
	"encoding/hex"
	"fmt"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// triggerWords are sc triggerinfo's trigger forms: the type, the subtype
// (given, or taken from the word), and how the rest of the word is read.
var triggerWords = map[string]struct {
	typ     uint32
	subtype string
	rest    string // "guid+strings", "guid+hex", "strings", "" (nothing)
}{
	"device":         {windows.SERVICE_TRIGGER_TYPE_DEVICE_INTERFACE_ARRIVAL, "", "guid+strings"},
	"custom":         {windows.SERVICE_TRIGGER_TYPE_CUSTOM, "", "guid+hex"},
	"strcustom":      {windows.SERVICE_TRIGGER_TYPE_CUSTOM, "", "guid+strings"},
	"networkon":      {windows.SERVICE_TRIGGER_TYPE_IP_ADDRESS_AVAILABILITY, triggerspec.FirstIPAddressArrival, ""},
	"networkoff":     {windows.SERVICE_TRIGGER_TYPE_IP_ADDRESS_AVAILABILITY, triggerspec.LastIPAddressRemoval, ""},
	"domainjoin":     {windows.SERVICE_TRIGGER_TYPE_DOMAIN_JOIN, triggerspec.DomainJoin, ""},
	"domainleave":    {windows.SERVICE_TRIGGER_TYPE_DOMAIN_JOIN, triggerspec.DomainLeave, ""},
	"portopen":       {windows.SERVICE_TRIGGER_TYPE_FIREWALL_PORT_EVENT, triggerspec.FirewallPortOpen, "strings"},
	"portclose":      {windows.SERVICE_TRIGGER_TYPE_FIREWALL_PORT_EVENT, triggerspec.FirewallPortClose, "strings"},
	"machinepolicy":  {windows.SERVICE_TRIGGER_TYPE_GROUP_POLICY, triggerspec.MachinePolicyPresent, ""},
	"userpolicy":     {windows.SERVICE_TRIGGER_TYPE_GROUP_POLICY, triggerspec.UserPolicyPresent, ""},
	"rpcevent":       {windows.SERVICE_TRIGGER_TYPE_NETWORK_ENDPOINT, triggerspec.RPCInterfaceEvent, "strings"},
	"namedpipeevent": {windows.SERVICE_TRIGGER_TYPE_NETWORK_ENDPOINT, triggerspec.NamedPipeEvent, "strings"},
}

func parseTrigger(word string) (*pb.Trigger, bool) {
	parts := strings.Split(word, "/")
	if len(parts) < 2 {
		return nil, false
	}
	t := &pb.Trigger{}
	switch strings.ToLower(parts[0]) {
	case "start":
		t.Action = windows.SERVICE_TRIGGER_ACTION_SERVICE_START
	case "stop":
		t.Action = windows.SERVICE_TRIGGER_ACTION_SERVICE_STOP
	default:
		return nil, false
	}
	form, ok := triggerWords[strings.ToLower(parts[1])]
	if !ok {
		return nil, false
	}
	t.Type, t.Subtype = form.typ, form.subtype
	rest := parts[2:]
	switch form.rest {
	case "":
		if len(rest) != 0 {
			return nil, false
		}
	case "guid+strings", "guid+hex":
		if len(rest) < 1 {
			return nil, false
		}
		if _, err := triggerspec.ParseGUID(rest[0]); err != nil {
			return nil, false
		}
		t.Subtype, rest = strings.ToLower(strings.Trim(rest[0], "{}")), rest[1:]
		for _, r := range rest {
			if form.rest == "guid+hex" {
				b, err := hex.DecodeString(r)
				if err != nil {
					return nil, false
				}
				t.Data = append(t.Data, &pb.TriggerData{Type: windows.SERVICE_TRIGGER_DATA_TYPE_BINARY, Data: b})
			} else {
				t.Data = append(t.Data, &pb.TriggerData{Type: windows.SERVICE_TRIGGER_DATA_TYPE_STRING, Data: []byte(r)})
			}
		}
	case "strings":
		if len(rest) < 1 {
			return nil, false
		}
		t.Data = append(t.Data, &pb.TriggerData{Type: windows.SERVICE_TRIGGER_DATA_TYPE_STRING, Data: []byte(strings.Join(rest, "/"))})
	}
	return t, true
}

func runTriggerInfo(s *session, name string, args []string) int {
	if name == "" || len(args) == 0 {
		return s.usage("triggerinfo")
	}
	info := &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_TRIGGER_INFO}
	for _, a := range args {
		if strings.EqualFold(a, "delete") {
			info.Triggers = nil
			continue
		}
		t, ok := parseTrigger(a)
		if !ok {
			return s.usage("triggerinfo")
		}
		info.Triggers = append(info.Triggers, t)
	}
	return s.change2(name, "triggerinfo", windows.SERVICE_CHANGE_CONFIG, info)
}

var triggerTypeNames = map[uint32]string{
	1: "DEVICE INTERFACE ARRIVAL", 2: "NETWORK EVENT", 3: "DOMAIN JOINED STATUS", 4: "FIREWALL PORT EVENT",
	5: "GROUP POLICY", 6: "NETWORK EVENT", 7: "CUSTOM SYSTEM STATE CHANGE", 20: "CUSTOM",
}

var subtypeNames = map[string]string{
	triggerspec.FirstIPAddressArrival: "IP ADDRESS AVAILABILITY", triggerspec.LastIPAddressRemoval: "IP ADDRESS AVAILABILITY",
	triggerspec.DomainJoin: "DOMAIN JOINED", triggerspec.DomainLeave: "NOT DOMAIN JOINED",
	triggerspec.FirewallPortOpen: "PORT OPEN", triggerspec.FirewallPortClose: "PORT CLOSE",
	triggerspec.MachinePolicyPresent: "MACHINE POLICY PRESENT", triggerspec.UserPolicyPresent: "USER POLICY PRESENT",
	triggerspec.RPCInterfaceEvent: "RPC INTERFACE", triggerspec.NamedPipeEvent: "NAMED PIPE",
}

func runQTriggerInfo(s *session, name string, args []string) int {
	if _, _, ok := bufSize(args); name == "" || !ok {
		return s.usage("qtriggerinfo")
	}
	r, code := s.query2(name, windows.SERVICE_CONFIG_TRIGGER_INFO, args)
	if code != 0 {
		return code
	}
	if len(r.Triggers) == 0 {
		fmt.Fprint(s.out, "\n        The service has not registered for any start or stop triggers.\n")
		return 0
	}
	for _, t := range r.Triggers {
		action := "START SERVICE"
		if t.Action == windows.SERVICE_TRIGGER_ACTION_SERVICE_STOP {
			action = "STOP SERVICE"
		}
		sub, ok := subtypeNames[t.Subtype]
		switch {
		case ok:
		case t.Type == windows.SERVICE_TRIGGER_TYPE_DEVICE_INTERFACE_ARRIVAL:
			sub = "INTERFACE CLASS GUID"
		default:
			sub = "ETW PROVIDER UUID"
		}
		fmt.Fprintf(s.out, "\n        %s\n          %-29s: %s [%s]\n", action, triggerTypeNames[t.Type], t.Subtype, sub)
		for _, d := range t.Data {
			text := string(d.Data)
			if d.Type == windows.SERVICE_TRIGGER_DATA_TYPE_BINARY {
				text = strings.ToUpper(hex.EncodeToString(d.Data))
			}
			for _, line := range strings.Split(text, "\x00") {
				fmt.Fprintf(s.out, "            DATA                       : %s\n", line)
			}
		}
	}
	return 0
}

// runFireTrigger raises a custom trigger event: the provider's GUID and
// string data, as an ETW provider would on Windows.
func runFireTrigger(s *session, provider string, args []string) int {
	if provider == "" {
		return s.usage("firetrigger")
	}
	if _, err := client.Call(s.conn.FireCustomTrigger, &pb.CustomTriggerRequest{Provider: provider, Data: args}); err != nil {
		return s.failed("FireCustomTrigger", err)
	}
	fmt.Fprint(s.out, "[SC] FireCustomTrigger SUCCESS\n")
	return 0
}
