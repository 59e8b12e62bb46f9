package manager

import (
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// The registry calls behind reg.exe. Anyone may read, as users may read
// HKLM\SYSTEM on Windows; writing takes an administrator. A write under a
// service's key reaches the services database at once.

// RegQueryKey returns a key's values and subkeys, the whole tree when
// recursive.
func (m *Manager) RegQueryKey(c Caller, path string, recursive bool) (*pb.RegKey, error) {
	var out *pb.RegKey
	err := m.store.View(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(path)
		if err != nil {
			return err
		}
		out, err = dumpKey(k, recursive)
		return err
	})
	return out, err
}

func dumpKey(k *registry.Key, recursive bool) (*pb.RegKey, error) {
	vals, err := k.Values()
	if err != nil {
		return nil, err
	}
	out := &pb.RegKey{Path: k.Path()}
	for _, v := range vals {
		out.Values = append(out.Values, &pb.RegValue{Name: v.Name, Type: uint32(v.Type), Data: v.Data})
	}
	for _, name := range k.SubKeyNames() {
		if !recursive {
			out.SubkeyNames = append(out.SubkeyNames, name)
			continue
		}
		sub, err := k.SubKey(name)
		if err != nil {
			return nil, err
		}
		d, err := dumpKey(sub, true)
		if err != nil {
			return nil, err
		}
		out.Subkeys = append(out.Subkeys, d)
	}
	return out, nil
}

// RegCreateKey creates a key and its missing parents.
func (m *Manager) RegCreateKey(c Caller, path string) error {
	return m.regWrite(c, path, func(tx *registry.Tx) error {
		_, err := tx.CreateKey(path)
		return err
	})
}

// RegDeleteKey deletes a key and its subtree.
func (m *Manager) RegDeleteKey(c Caller, path string) error {
	return m.regWrite(c, path, func(tx *registry.Tx) error { return tx.DeleteKey(path) })
}

// RegSetValue writes a value, creating the key if needed.
func (m *Manager) RegSetValue(c Caller, path string, v *pb.RegValue) error {
	if v == nil || len(v.Data) > MaxRegistryValueBytes {
		return windows.ERROR_INVALID_PARAMETER
	}
	if isHiveRoot(path) {
		return windows.ERROR_ACCESS_DENIED
	}
	return m.regWrite(c, path, func(tx *registry.Tx) error {
		k, err := tx.CreateKey(path)
		if err != nil {
			return err
		}
		return k.SetValue(registry.Value{Name: v.Name, Type: registry.ValueType(v.Type), Data: v.Data})
	})
}

// RegDeleteValue deletes one value.
func (m *Manager) RegDeleteValue(c Caller, path, name string) error {
	if isHiveRoot(path) {
		return windows.ERROR_ACCESS_DENIED
	}
	return m.regWrite(c, path, func(tx *registry.Tx) error {
		k, err := tx.OpenKey(path)
		if err != nil {
			return err
		}
		return k.DeleteValue(name)
	})
}

func (m *Manager) regWrite(c Caller, path string, fn func(*registry.Tx) error) error {
	if !c.Token.IsAdmin() {
		return windows.ERROR_ACCESS_DENIED
	}
	if _, names, ok := registry.SplitPath(path); ok && len(names) > MaxRegistryDepth {
		return windows.ERROR_INVALID_PARAMETER
	}
	if err := m.store.Update(fn); err != nil {
		return err
	}
	m.refreshSettings(path)
	for _, name := range m.touchedServices(path) {
		if err := m.ReloadService(name); err != nil {
			return err
		}
	}
	return nil
}

// touchedServices names the services a write at path may have changed: the
// one whose key it is under, or all of them for a write at or above the
// Services key.
func (m *Manager) touchedServices(path string) []string {
	hive, names, ok := registry.SplitPath(path)
	_, svcNames, _ := registry.SplitPath(services.ServicesKey)
	if !ok || hive != "HKLM" {
		return nil
	}
	for i, n := range svcNames {
		if i >= len(names) {
			return m.allServiceNames() // at or above Services
		}
		if !strings.EqualFold(n, names[i]) {
			return nil
		}
	}
	if len(names) == len(svcNames) {
		return m.allServiceNames()
	}
	return []string{names[len(svcNames)]}
}

// allServiceNames lists the services known now and those whose keys exist.
func (m *Manager) allServiceNames() []string {
	names := m.names()
	m.store.View(func(tx *registry.Tx) error {
		if k, err := tx.OpenKey(services.ServicesKey); err == nil {
			names = append(names, k.SubKeyNames()...)
		}
		return nil
	})
	return names
}

// isHiveRoot reports whether path names a hive itself (HKLM). A hive's root
// is no key of its own on Windows: it holds keys, never values, and
// RegSetValueEx there is refused with access denied, to administrators too.
func isHiveRoot(path string) bool {
	_, names, ok := registry.SplitPath(path)
	return ok && len(names) == 0
}
