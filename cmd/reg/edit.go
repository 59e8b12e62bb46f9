package main

import (
	"fmt"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/regdata"
	"github.com/openscm/scm/windows"
)

var errNotFound = windows.ERROR_FILE_NOT_FOUND

func (s *session) add(args []string) int {
	f, ok := parseFlags(args, "v", "t", "d", "s")
	if !ok || len(f.pos) != 1 || (f.set["v"] && f.set["ve"]) {
		return s.syntax("ADD")
	}
	path := f.pos[0]
	if !f.set["v"] && !f.set["ve"] && !f.set["t"] && !f.set["d"] {
		if _, err := client.Call(s.conn.RegCreateKey, &pb.RegKeyRequest{Path: path}); err != nil {
			return s.fail(err)
		}
		return s.success()
	}
	t := regdata.SZ
	if name, ok := f.vals["t"]; ok {
		if t, ok = regdata.ParseValueType(name); !ok {
			fmt.Fprint(s.errOut, "ERROR: Invalid syntax.\nType \"REG ADD /?\" for usage.\n")
			return 1
		}
	}
	v, ok := parseData(f.vals["v"], t, f.vals["d"], f.vals["s"])
	if !ok {
		fmt.Fprint(s.errOut, "ERROR: Invalid syntax.\nType \"REG ADD /?\" for usage.\n")
		return 1
	}
	if !f.set["f"] {
		if key, err := client.Call(s.conn.RegQueryKey, &pb.RegKeyRequest{Path: path}); err == nil {
			for _, old := range key.Values {
				if strings.EqualFold(old.Name, v.Name) {
					name := v.Name
					if name == "" {
						name = "(Default)"
					}
					if !s.confirm(fmt.Sprintf("Value %s exists, overwrite", name)) {
						fmt.Fprint(s.out, "The operation was canceled by the user.\n")
						return 0
					}
				}
			}
		}
	}
	_, err := client.Call(s.conn.RegSetValue, &pb.RegSetValueRequest{Path: path, Value: &pb.RegValue{Name: v.Name, Type: uint32(v.Type), Data: v.Data}})
	if err != nil {
		return s.fail(err)
	}
	return s.success()
}

func (s *session) delete(args []string) int {
	f, ok := parseFlags(args, "v")
	if !ok || len(f.pos) != 1 {
		return s.syntax("DELETE")
	}
	path := f.pos[0]
	n := 0
	for _, k := range []string{"v", "ve", "va"} {
		if f.set[k] {
			n++
		}
	}
	if n > 1 {
		return s.syntax("DELETE")
	}
	switch {
	case n == 0:
		if !f.set["f"] && !s.confirm("Permanently delete the registry key "+longPath(path)) {
			fmt.Fprint(s.out, "The operation was canceled by the user.\n")
			return 0
		}
		if _, err := client.Call(s.conn.RegDeleteKey, &pb.RegKeyRequest{Path: path}); err != nil {
			return s.fail(err)
		}
	case f.set["va"]:
		if !f.set["f"] && !s.confirm("Delete all values under the registry key "+longPath(path)) {
			fmt.Fprint(s.out, "The operation was canceled by the user.\n")
			return 0
		}
		key, err := client.Call(s.conn.RegQueryKey, &pb.RegKeyRequest{Path: path})
		if err != nil {
			return s.fail(err)
		}
		for _, v := range key.Values {
			if _, err := client.Call(s.conn.RegDeleteValue, &pb.RegDeleteValueRequest{Path: path, Name: v.Name}); err != nil {
				return s.fail(err)
			}
		}
	default:
		name := f.vals["v"]
		if !f.set["f"] && !s.confirm("Delete the registry value "+name) {
			fmt.Fprint(s.out, "The operation was canceled by the user.\n")
			return 0
		}
		if _, err := client.Call(s.conn.RegDeleteValue, &pb.RegDeleteValueRequest{Path: path, Name: name}); err != nil {
			return s.fail(err)
		}
	}
	return s.success()
}
