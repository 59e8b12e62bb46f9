package manager

import (
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// The registry calls behind reg.exe and windows/registry. Anyone may read
// the machine's keys, as users may read HKLM\SYSTEM on Windows, and writing
// them takes an administrator. HKEY_CURRENT_USER is the caller's own hive,
// kept as HKEY_USERS\<its SID>: its user reads and writes it, within
// MaxUserHiveBytes, and no other ordinary user sees it. A write under a
// service's key reaches the services database at once.

// hivePath resolves HKCU to the caller's hive under HKU.
func hivePath(c Caller, path string) string {
	hive, names, ok := registry.SplitPath(path)
	if !ok || hive != "HKCU" {
		return path
	}
	return `HKU\` + strings.Join(append([]string{c.Token.User}, names...), `\`)
}

// userHiveKeys are what a user's hive holds from the start, as a new
// profile's does on Windows.
var userHiveKeys = []string{"Software", "Environment"}

// loadHive makes the caller's hive, the first time it reaches HKCU.
func (m *Manager) loadHive(c Caller, path string) error {
	if hive, _, ok := registry.SplitPath(path); !ok || hive != "HKCU" {
		return nil
	}
	root := `HKU\` + c.Token.User
	exists := m.store.View(func(tx *registry.Tx) error {
		_, err := tx.OpenKey(root)
		return err
	}) == nil
	if exists {
		return nil
	}
	return m.store.Update(func(tx *registry.Tx) error {
		for _, name := range userHiveKeys {
			if _, err := tx.CreateKey(root + `\` + name); err != nil {
				return err
			}
		}
		return nil
	})
}

// othersHive reports whether path is in another user's hive, which only
// administrators may read.
func othersHive(c Caller, path string) bool {
	hive, names, ok := registry.SplitPath(path)
	return ok && hive == "HKU" && len(names) > 0 && !strings.EqualFold(names[0], c.Token.User) && !c.Token.IsAdmin()
}

// ownHive reports whether path is at or under the caller's own hive, and
// not its root, which its user may not delete.
func ownHive(c Caller, path string) bool {
	hive, names, ok := registry.SplitPath(path)
	return ok && hive == "HKU" && len(names) > 1 && strings.EqualFold(names[0], c.Token.User)
}

// RegQueryKey returns a key's values and subkeys, the whole tree when
// recursive.
func (m *Manager) RegQueryKey(c Caller, path string, recursive bool) (*pb.RegKey, error) {
	if err := refuseNetworkUser(c); err != nil {
		return nil, err
	}
	if err := m.loadHive(c, path); err != nil {
		return nil, err
	}
	asked := path
	path = hivePath(c, path)
	if othersHive(c, path) {
		return nil, windows.ERROR_ACCESS_DENIED
	}
	var out *pb.RegKey
	err := m.store.View(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(path)
		if err != nil {
			return err
		}
		out, err = dumpKey(k, recursive)
		return err
	})
	if err == nil && path != asked {
		// Asked through HKCU, answered in its names.
		_, hive, _ := registry.SplitPath(path)
		renameHive(out, len(`HKU\`+hive[0]), "HKCU")
	}
	return out, err
}

// renameHive replaces the first n bytes of the paths in k with prefix.
func renameHive(k *pb.RegKey, n int, prefix string) {
	if len(k.Path) >= n {
		k.Path = prefix + k.Path[n:]
	}
	for _, sub := range k.Subkeys {
		renameHive(sub, n, prefix)
	}
}

func dumpKey(k *registry.Key, recursive bool) (*pb.RegKey, error) {
	vals, err := k.Values()
	if err != nil {
		return nil, err
	}
	out := &pb.RegKey{Path: k.Path()}
	if mt := k.ModTime(); !mt.IsZero() {
		out.LastWriteTime = mt.UnixNano()
	}
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
	if err := refuseNetworkUser(c); err != nil {
		return err
	}
	if err := m.loadHive(c, path); err != nil {
		return err
	}
	path = hivePath(c, path)
	return m.regWrite(c, path, func(tx *registry.Tx) error {
		_, err := tx.CreateKey(path)
		return err
	})
}

// RegDeleteKey deletes a key and its subtree.
func (m *Manager) RegDeleteKey(c Caller, path string) error {
	if err := refuseNetworkUser(c); err != nil {
		return err
	}
	if err := m.loadHive(c, path); err != nil {
		return err
	}
	path = hivePath(c, path)
	return m.regWrite(c, path, func(tx *registry.Tx) error { return tx.DeleteKey(path) })
}

// RegSetValue writes a value, creating the key if needed.
func (m *Manager) RegSetValue(c Caller, path string, v *pb.RegValue) error {
	if err := refuseNetworkUser(c); err != nil {
		return err
	}
	if v == nil || len(v.Data) > MaxRegistryValueBytes {
		return windows.ERROR_INVALID_PARAMETER
	}
	if err := m.loadHive(c, path); err != nil {
		return err
	}
	path = hivePath(c, path)
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
	if err := refuseNetworkUser(c); err != nil {
		return err
	}
	if err := m.loadHive(c, path); err != nil {
		return err
	}
	path = hivePath(c, path)
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
	admin := c.Token.IsAdmin()
	if !admin && !ownHive(c, path) {
		return windows.ERROR_ACCESS_DENIED
	}
	if _, names, ok := registry.SplitPath(path); ok && len(names) > MaxRegistryDepth {
		return windows.ERROR_INVALID_PARAMETER
	}
	defer m.registryWritten()
	err := m.store.Update(func(tx *registry.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if admin {
			return nil
		}
		// An ordinary user's hive stays within its bound: the write
		// that would take it past is undone.
		_, names, _ := registry.SplitPath(path)
		root, err := tx.OpenKey(`HKU\` + names[0])
		if err != nil {
			return nil
		}
		if hiveBytes(root, MaxUserHiveBytes) > MaxUserHiveBytes {
			return windows.ERROR_NO_SYSTEM_RESOURCES
		}
		return nil
	})
	if err != nil {
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

// hiveBytes is what a hive holds, counting each key's name and each value's
// name and data, with a key's and a value's bookkeeping; it stops counting
// past limit.
func hiveBytes(k *registry.Key, limit int) int {
	const keyCost, valueCost = 64, 16
	n := keyCost + len(k.Path())
	if vals, err := k.Values(); err == nil {
		for _, v := range vals {
			n += valueCost + len(v.Name) + len(v.Data)
		}
	}
	for _, name := range k.SubKeyNames() {
		if n > limit {
			return n
		}
		if sub, err := k.SubKey(name); err == nil {
			n += hiveBytes(sub, limit-n)
		}
	}
	return n
}
