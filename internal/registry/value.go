package registry

import (
	"encoding/binary"
	"errors"

	"github.com/openscm/scm/internal/regdata"
)

// Paths and value types live in regdata, which clients use without the
// store.
type (
	ValueType = regdata.ValueType
	Value     = regdata.Value
)

const (
	NONE      = regdata.NONE
	SZ        = regdata.SZ
	EXPAND_SZ = regdata.EXPAND_SZ
	BINARY    = regdata.BINARY
	DWORD     = regdata.DWORD
	MULTI_SZ  = regdata.MULTI_SZ
	QWORD     = regdata.QWORD
)

var (
	ParseValueType    = regdata.ParseValueType
	StringValue       = regdata.StringValue
	ExpandStringValue = regdata.ExpandStringValue
	MultiStringValue  = regdata.MultiStringValue
	DWordValue        = regdata.DWordValue
	QWordValue        = regdata.QWordValue
	BinaryValue       = regdata.BinaryValue
	SplitPath         = regdata.SplitPath
	HiveName          = regdata.HiveName
)

// maxValueName is Windows' limit on a value name, in characters.
const maxValueName = regdata.MaxValueName

// A stored value is: sequence (8 bytes, so values list in creation order as
// on Windows), type (4), name length (2), name, data.
const valueHeader = 8 + 4 + 2

func encodeValue(seq uint64, v Value) []byte {
	b := make([]byte, 0, valueHeader+len(v.Name)+len(v.Data))
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(v.Type))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v.Name)))
	b = append(b, v.Name...)
	return append(b, v.Data...)
}

var errCorruptValue = errors.New("registry: corrupt value record")

// decodeValue parses a stored value record. The data is copied out, because
// bbolt's memory is valid only inside its transaction.
func decodeValue(b []byte) (seq uint64, v Value, err error) {
	if len(b) < valueHeader {
		return 0, Value{}, errCorruptValue
	}
	seq = binary.LittleEndian.Uint64(b)
	v.Type = ValueType(binary.LittleEndian.Uint32(b[8:]))
	n := int(binary.LittleEndian.Uint16(b[12:]))
	if len(b) < valueHeader+n {
		return 0, Value{}, errCorruptValue
	}
	v.Name = string(b[valueHeader : valueHeader+n])
	v.Data = append([]byte(nil), b[valueHeader+n:]...)
	return seq, v, nil
}
