// Package triggerspec is a service trigger as SERVICE_TRIGGER describes
// it: its types, Windows' GUIDs for the well-known subtypes, and
// ChangeServiceConfig2's rules. Clients and scmd share it; storing
// triggers is internal/services' job.
package triggerspec

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/openscm/scm/windows"
)

// Well-known trigger subtypes, with Windows' GUIDs.
const (
	FirstIPAddressArrival = "4f27f2de-14e2-430b-a549-7cd48cbc8245" // NETWORK_MANAGER_FIRST_IP_ADDRESS_ARRIVAL_GUID
	LastIPAddressRemoval  = "cc4ba62a-162e-4648-847a-b6bdf993e335" // NETWORK_MANAGER_LAST_IP_ADDRESS_REMOVAL_GUID
	DomainJoin            = "1ce20aba-9851-4421-9430-1ddeb766e809"
	DomainLeave           = "ddaf516e-58c2-4866-9574-c3b615d42ea1"
	FirewallPortOpen      = "b7569e07-8421-4ee0-ad10-86915afdad09"
	FirewallPortClose     = "a144ed38-8e12-4de4-9d96-e64740b1a524"
	MachinePolicyPresent  = "659fcae6-5bdb-4da9-b1ff-ca2a178d46e0"
	UserPolicyPresent     = "54fb46c8-f089-464c-b1fd-59d1b62c3b50"
	RPCInterfaceEvent     = "bc90d167-9470-4139-a9ba-be0bbbf5b74d"
	NamedPipeEvent        = "1f81d131-3fac-4537-9e0c-7e7b0c2f4b55"
)

// TriggerData is one SERVICE_TRIGGER_SPECIFIC_DATA_ITEM.
type TriggerData struct {
	Type uint32
	Data []byte
}

// Trigger is one SERVICE_TRIGGER.
type Trigger struct {
	Type    uint32
	Action  uint32
	SubType string // GUID, lower case
	Data    []TriggerData
}

// Strings returns a trigger's string data items (a REG_MULTI_SZ-style item
// gives several).
func (t *Trigger) Strings() []string {
	var out []string
	for _, d := range t.Data {
		if d.Type == windows.SERVICE_TRIGGER_DATA_TYPE_STRING {
			for _, s := range strings.Split(string(d.Data), "\x00") {
				if s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// ValidateTriggers applies ChangeServiceConfig2's rules.
func ValidateTriggers(ts []Trigger) error {
	for _, t := range ts {
		switch t.Type {
		case 1, 2, 3, 4, 5, 6, 7, 20:
		default:
			return windows.ERROR_INVALID_PARAMETER
		}
		if t.Action != windows.SERVICE_TRIGGER_ACTION_SERVICE_START && t.Action != windows.SERVICE_TRIGGER_ACTION_SERVICE_STOP {
			return windows.ERROR_INVALID_PARAMETER
		}
		if _, err := ParseGUID(t.SubType); err != nil {
			return windows.ERROR_INVALID_PARAMETER
		}
		for _, d := range t.Data {
			if d.Type < 1 || d.Type > 5 {
				return windows.ERROR_INVALID_PARAMETER
			}
		}
	}
	return nil
}

// ParseGUID reads xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (braces allowed)
// into its 16 bytes as Windows lays a GUID out.
func ParseGUID(s string) ([16]byte, error) {
	var g [16]byte
	s = strings.Trim(strings.ToLower(s), "{}")
	parts := strings.Split(s, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, fmt.Errorf("bad GUID %q", s)
	}
	d1, err1 := strconv.ParseUint(parts[0], 16, 32)
	d2, err2 := strconv.ParseUint(parts[1], 16, 16)
	d3, err3 := strconv.ParseUint(parts[2], 16, 16)
	if err1 != nil || err2 != nil || err3 != nil {
		return g, fmt.Errorf("bad GUID %q", s)
	}
	binary.LittleEndian.PutUint32(g[0:], uint32(d1))
	binary.LittleEndian.PutUint16(g[4:], uint16(d2))
	binary.LittleEndian.PutUint16(g[6:], uint16(d3))
	rest := parts[3] + parts[4]
	for i := 0; i < 8; i++ {
		b, err := strconv.ParseUint(rest[2*i:2*i+2], 16, 8)
		if err != nil {
			return g, fmt.Errorf("bad GUID %q", s)
		}
		g[8+i] = byte(b)
	}
	return g, nil
}

// FormatGUID writes a GUID's 16 bytes in the usual form, lower case.
func FormatGUID(g []byte) string {
	if len(g) != 16 {
		return ""
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(g), binary.LittleEndian.Uint16(g[4:]),
		binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:16])
}
