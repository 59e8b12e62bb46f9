package services

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/openscm/scm/internal/registry"
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

// Triggers are stored as Windows stores them: TriggerInfo\0, \1, ... each
// with Type, Action, GUID (16 bytes), and Data<n>/DataType<n> per item.
func loadTriggers(k *registry.Key) []Trigger {
	ti, err := k.SubKey("TriggerInfo")
	if err != nil {
		return nil
	}
	var out []Trigger
	for i := 0; ; i++ {
		tk, err := ti.SubKey(strconv.Itoa(i))
		if err != nil {
			return out
		}
		var t Trigger
		if v, err := tk.Value("Type"); err == nil {
			t.Type = v.Uint32()
		}
		if v, err := tk.Value("Action"); err == nil {
			t.Action = v.Uint32()
		}
		if v, err := tk.Value("GUID"); err == nil {
			t.SubType = FormatGUID(v.Data)
		}
		for j := 0; ; j++ {
			v, err := tk.Value("Data" + strconv.Itoa(j))
			if err != nil {
				break
			}
			typ := uint32(windows.SERVICE_TRIGGER_DATA_TYPE_BINARY)
			if tv, err := tk.Value("DataType" + strconv.Itoa(j)); err == nil {
				typ = tv.Uint32()
			}
			t.Data = append(t.Data, TriggerData{Type: typ, Data: v.Data})
		}
		out = append(out, t)
	}
}

func saveTriggers(k *registry.Key, ts []Trigger) error {
	if err := k.DeleteSubKey("TriggerInfo"); err != nil && err != windows.ERROR_FILE_NOT_FOUND {
		return err
	}
	if len(ts) == 0 {
		return nil
	}
	ti, err := k.CreateSubKey("TriggerInfo")
	if err != nil {
		return err
	}
	for i, t := range ts {
		tk, err := ti.CreateSubKey(strconv.Itoa(i))
		if err != nil {
			return err
		}
		g, _ := ParseGUID(t.SubType)
		vals := []registry.Value{registry.DWordValue("Type", t.Type), registry.DWordValue("Action", t.Action), registry.BinaryValue("GUID", g[:])}
		for j, d := range t.Data {
			data := registry.BinaryValue("Data"+strconv.Itoa(j), d.Data)
			if d.Type == windows.SERVICE_TRIGGER_DATA_TYPE_STRING {
				data = registry.Value{Name: "Data" + strconv.Itoa(j), Type: registry.MULTI_SZ, Data: d.Data}
			}
			vals = append(vals, data, registry.DWordValue("DataType"+strconv.Itoa(j), d.Type))
		}
		for _, v := range vals {
			if err := tk.SetValue(v); err != nil {
				return err
			}
		}
	}
	return nil
}
