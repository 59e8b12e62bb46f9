package main

import (
	"encoding/binary"
	"fmt"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/registry"
)

// longPath writes a key's path with its hive's long name, as reg.exe prints.
func longPath(path string) string {
	hive, names, ok := registry.SplitPath(path)
	if !ok {
		return path
	}
	return strings.Join(append([]string{registry.HiveName(hive)}, names...), `\`)
}

// valueLine is one value as reg query prints it.
func valueLine(v *pb.RegValue) string {
	name := v.Name
	if name == "" {
		name = "(Default)"
	}
	return fmt.Sprintf("    %s    %s    %s", name, registry.ValueType(v.Type), valueText(v))
}

func valueText(v *pb.RegValue) string {
	rv := registry.Value{Name: v.Name, Type: registry.ValueType(v.Type), Data: v.Data}
	switch rv.Type {
	case registry.SZ, registry.EXPAND_SZ:
		return rv.String()
	case registry.MULTI_SZ:
		return strings.Join(rv.Strings(), `\0`)
	case registry.DWORD:
		return fmt.Sprintf("0x%x", rv.Uint32())
	case registry.QWORD:
		return fmt.Sprintf("0x%x", rv.Uint64())
	}
	return fmt.Sprintf("%X", v.Data)
}

// parseData turns /d text into a value of the given type, as reg add reads
// it: numbers in decimal or 0x hex, REG_MULTI_SZ split at the separator,
// REG_BINARY as hex digits.
func parseData(name string, t registry.ValueType, d, sep string) (registry.Value, bool) {
	switch t {
	case registry.SZ:
		return registry.StringValue(name, d), true
	case registry.EXPAND_SZ:
		return registry.ExpandStringValue(name, d), true
	case registry.MULTI_SZ:
		if sep == "" {
			sep = `\0`
		}
		return registry.MultiStringValue(name, strings.Split(d, sep)), true
	case registry.DWORD, registry.QWORD:
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
		if err != nil || (t == registry.DWORD && n > 0xffffffff) {
			return registry.Value{}, false
		}
		if t == registry.DWORD {
			return registry.DWordValue(name, uint32(n)), true
		}
		return registry.QWordValue(name, n), true
	case registry.BINARY, registry.NONE:
		if len(d)%2 != 0 {
			return registry.Value{}, false
		}
		b := make([]byte, len(d)/2)
		for i := range b {
			if _, err := fmt.Sscanf(d[2*i:2*i+2], "%02x", &b[i]); err != nil {
				return registry.Value{}, false
			}
		}
		return registry.Value{Name: name, Type: t, Data: b}, true
	}
	return registry.Value{}, false
}

// le32 and le64 are helpers for the .reg format's dword and hex(b) values.
func le32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}
