// Package regdata is the registry as its clients see it: hives and key
// paths, value types with Windows' numbering, and the constructors and
// readers of typed data. Clients and scmd share it; it needs none of the
// store behind the registry.
package regdata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ValueType is a registry value type with Windows' numbering.
type ValueType uint32

const (
	NONE      ValueType = 0
	SZ        ValueType = 1
	EXPAND_SZ ValueType = 2
	BINARY    ValueType = 3
	DWORD     ValueType = 4
	MULTI_SZ  ValueType = 7
	QWORD     ValueType = 11
)

var typeNames = map[ValueType]string{
	NONE: "REG_NONE", SZ: "REG_SZ", EXPAND_SZ: "REG_EXPAND_SZ", BINARY: "REG_BINARY",
	DWORD: "REG_DWORD", MULTI_SZ: "REG_MULTI_SZ", QWORD: "REG_QWORD",
}

// String returns the type's name as reg.exe prints it.
func (t ValueType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("REG_0x%x", uint32(t))
}

// ParseValueType maps a reg.exe type name (REG_SZ, ...) to its type.
func ParseValueType(name string) (ValueType, bool) {
	for t, n := range typeNames {
		if strings.EqualFold(n, name) {
			return t, true
		}
	}
	return 0, false
}

// Value is one named, typed registry value. Data holds strings as UTF-8
// (REG_MULTI_SZ as NUL-separated strings, or each NUL-terminated as
// windows/registry writes them, which keeps empty strings) and numbers
// little-endian, so that the store never has to guess an encoding.
type Value struct {
	Name string
	Type ValueType
	Data []byte
}

// StringValue returns a REG_SZ value.
func StringValue(name, s string) Value { return Value{name, SZ, []byte(s)} }

// ExpandStringValue returns a REG_EXPAND_SZ value.
func ExpandStringValue(name, s string) Value { return Value{name, EXPAND_SZ, []byte(s)} }

// MultiStringValue returns a REG_MULTI_SZ value; empty strings are dropped,
// since Windows ends the list at the first empty one.
func MultiStringValue(name string, ss []string) Value {
	var kept []string
	for _, s := range ss {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return Value{name, MULTI_SZ, []byte(strings.Join(kept, "\x00"))}
}

// DWordValue returns a REG_DWORD value.
func DWordValue(name string, n uint32) Value {
	return Value{name, DWORD, binary.LittleEndian.AppendUint32(nil, n)}
}

// QWordValue returns a REG_QWORD value.
func QWordValue(name string, n uint64) Value {
	return Value{name, QWORD, binary.LittleEndian.AppendUint64(nil, n)}
}

// BinaryValue returns a REG_BINARY value.
func BinaryValue(name string, b []byte) Value { return Value{name, BINARY, b} }

// String returns the value as a string; numbers are not converted.
func (v Value) String() string { return string(v.Data) }

// Strings returns a REG_MULTI_SZ value's strings.
func (v Value) Strings() []string {
	if len(v.Data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(v.Data), "\x00"), "\x00")
}

// Uint32 returns a REG_DWORD value's number.
func (v Value) Uint32() uint32 {
	if len(v.Data) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(v.Data)
}

// Uint64 returns a REG_QWORD value's number.
func (v Value) Uint64() uint64 {
	if len(v.Data) < 8 {
		return uint64(v.Uint32())
	}
	return binary.LittleEndian.Uint64(v.Data)
}

// Validate reports whether Data is well formed for Type.
func (v Value) Validate() error {
	// Data is not checked against its type: RegSetValueEx takes any bytes
	// (a REG_DWORD of three), and readers judge what they read.
	if len(v.Name) > MaxValueName {
		return errors.New("value name too long")
	}
	return nil
}

// MaxValueName is Windows' limit on a value name, in characters.
const MaxValueName = 16383
