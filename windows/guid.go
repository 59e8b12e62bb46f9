package windows

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// GUID is a globally unique identifier, laid out as Windows lays it.
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// CO_E_CLASSSTRING is what GUIDFromString fails with for a string that is
// not a GUID, as CLSIDFromString does.
const CO_E_CLASSSTRING Errno = 0x800401F3

// GUIDFromString parses a string in the form of
// "{XXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" into a GUID.
func GUIDFromString(str string) (GUID, error) {
	var g GUID
	if len(str) != 38 || str[0] != '{' || str[37] != '}' {
		return g, CO_E_CLASSSTRING
	}
	parts := strings.Split(str[1:37], "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, CO_E_CLASSSTRING
	}
	d1, err1 := strconv.ParseUint(parts[0], 16, 32)
	d2, err2 := strconv.ParseUint(parts[1], 16, 16)
	d3, err3 := strconv.ParseUint(parts[2], 16, 16)
	if err1 != nil || err2 != nil || err3 != nil {
		return GUID{}, CO_E_CLASSSTRING
	}
	g.Data1, g.Data2, g.Data3 = uint32(d1), uint16(d2), uint16(d3)
	rest := parts[3] + parts[4]
	for i := range g.Data4 {
		b, err := strconv.ParseUint(rest[2*i:2*i+2], 16, 8)
		if err != nil {
			return GUID{}, CO_E_CLASSSTRING
		}
		g.Data4[i] = byte(b)
	}
	return g, nil
}

// GenerateGUID creates a new random GUID (version 4).
func GenerateGUID() (GUID, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return GUID{}, err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	g := GUID{Data1: binary.BigEndian.Uint32(b[0:]), Data2: binary.BigEndian.Uint16(b[4:]), Data3: binary.BigEndian.Uint16(b[6:])}
	copy(g.Data4[:], b[8:])
	return g, nil
}

// String returns the canonical string form of the GUID, in the form of
// "{XXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}".
func (guid GUID) String() string {
	return fmt.Sprintf("{%08X-%04X-%04X-%02X-%02X}", guid.Data1, guid.Data2, guid.Data3, guid.Data4[:2], guid.Data4[2:])
}
