package main

import (
	"encoding/binary"
	"fmt"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/regdata"
)

// longPath writes a key's path with its hive's long name, as reg.exe prints.
func longPath(path string) string {
	hive, names, ok := regdata.SplitPath(path)
	if !ok {
		return path
	}
	return strings.Join(append([]string{regdata.HiveName(hive)}, names...), `\`)
}

// valueLine is one value as reg query prints it.
func valueLine(v *pb.RegValue) string {
	name := v.Name
	if name == "" {
		name = "(Default)"
	}
	return fmt.Sprintf("    %s    %s    %s", name, regdata.ValueType(v.Type), valueText(v))
}

func valueText(v *pb.RegValue) string {
	rv := regdata.Value{Name: v.Name, Type: regdata.ValueType(v.Type), Data: v.Data}
	switch rv.Type {
	case regdata.SZ, regdata.EXPAND_SZ:
		return rv.String()
	case regdata.MULTI_SZ:
		return strings.Join(rv.Strings(), `\0`)
	case regdata.DWORD:
		return fmt.Sprintf("0x%x", rv.Uint32())
	case regdata.QWORD:
		return fmt.Sprintf("0x%x", rv.Uint64())
	}
	return fmt.Sprintf("%X", v.Data)
}

// parseData turns /d text into a value of the given type, as reg add reads
// it: numbers in decimal or 0x hex, REG_MULTI_SZ split at the separator,
// REG_BINARY as hex digits.
func parseData(name string, t regdata.ValueType, d, sep string) (regdata.Value, bool) {
	switch t {
	case regdata.SZ:
		return regdata.StringValue(name, d), true
	case regdata.EXPAND_SZ:
		return regdata.ExpandStringValue(name, d), true
	case regdata.MULTI_SZ:
		if sep == "" {
			sep = `\0`
		}
		return regdata.MultiStringValue(name, strings.Split(d, sep)), true
	case regdata.DWORD, regdata.QWORD:
		var n uint64
		var err error
		if d == "" {
			d = "0"
		}
		if strings.HasPrefix(strings.ToLower(d), "0x") {
			_, err = fmt.Sscanf(d[2:], "%x", &n)
		} else {
			_, err = fmt.Sscanf(d, "%d", &n)
		}
		if err != nil || (t == regdata.DWORD && n > 0xffffffff) {
			return regdata.Value{}, false
		}
		if t == regdata.DWORD {
			return regdata.DWordValue(name, uint32(n)), true
		}
		return regdata.QWordValue(name, n), true
	case regdata.BINARY, regdata.NONE:
		if len(d)%2 != 0 {
			return regdata.Value{}, false
		}
		b := make([]byte, len(d)/2)
		for i := range b {
			if _, err := fmt.Sscanf(d[2*i:2*i+2], "%02x", &b[i]); err != nil {
				return regdata.Value{}, false
			}
		}
		return regdata.Value{Name: name, Type: t, Data: b}, true
	}
	return regdata.Value{}, false
}

// le32 and le64 are helpers for the .reg format's dword and hex(b) values.
func le32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}
