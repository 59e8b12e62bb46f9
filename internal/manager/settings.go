package manager

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
)

// settings are the SCM's own values under the Control key. They are read
// once, when the Manager opens, and again after each write at or under (or
// above) that key, so that a start or a boot does not read the database
// for them.
type settings struct {
	timeouts       core.Timeouts
	autoStartDelay time.Duration   // AutoStartDelay: before delayed automatic services start
	rebootEnabled  bool            // RebootOnServiceFailure is 1
	groupOrder     core.GroupOrder // ServiceGroupOrder\List and GroupOrderList
}

// readSettings reads the settings, with Windows' defaults for what is
// missing.
func readSettings(store *registry.Store) settings {
	st := settings{timeouts: core.DefaultTimeouts, autoStartDelay: 120 * time.Second, groupOrder: core.GroupOrder{Tags: map[string][]uint32{}}}
	store.View(func(tx *registry.Tx) error {
		if k, err := tx.OpenKey(services.ControlKey); err == nil {
			readControlValues(k, &st)
		}
		if k, err := tx.OpenKey(services.ControlKey + `\ServiceGroupOrder`); err == nil {
			if v, err := k.Value("List"); err == nil {
				st.groupOrder.Groups = v.Strings()
			}
		}
		if k, err := tx.OpenKey(services.ControlKey + `\GroupOrderList`); err == nil {
			vals, _ := k.Values()
			for _, v := range vals {
				if len(v.Data) < 4 {
					continue
				}
				n := int(binary.LittleEndian.Uint32(v.Data))
				var list []uint32
				for i := 0; i < n && 4+4*i+4 <= len(v.Data); i++ {
					list = append(list, binary.LittleEndian.Uint32(v.Data[4+4*i:]))
				}
				st.groupOrder.Tags[strings.ToLower(v.Name)] = list
			}
		}
		return nil
	})
	return st
}

func readControlValues(k *registry.Key, st *settings) {
	if v, err := k.Value("ServicesPipeTimeout"); err == nil && v.Type == registry.DWORD && v.Uint32() > 0 {
		st.timeouts.Pipe = time.Duration(v.Uint32()) * time.Millisecond
	}
	if v, err := k.Value("WaitToKillServiceTimeout"); err == nil {
		ms := v.Uint32()
		if v.Type == registry.SZ {
			n, _ := strconv.ParseUint(strings.TrimSpace(v.String()), 10, 32)
			ms = uint32(n)
		}
		if ms > 0 {
			st.timeouts.WaitKill = time.Duration(ms) * time.Millisecond
		}
	}
	if v, err := k.Value(AutoStartDelayValue); err == nil && v.Type == registry.DWORD {
		st.autoStartDelay = time.Duration(v.Uint32()) * time.Millisecond
	}
	if v, err := k.Value(RebootEnabledValue); err == nil && v.Type == registry.DWORD {
		st.rebootEnabled = v.Uint32() == 1
	}
}

// current returns the settings for a caller that does not hold m.mu.
func (m *Manager) current() settings {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.settings
}

// refreshSettings rereads the settings after a write at path, if the write
// may have changed them.
func (m *Manager) refreshSettings(path string) {
	if touches(path, services.ControlKey) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.settings = readSettings(m.store)
		m.tellCore(m.settings)
	}
}

// touches reports whether a write at path can change what is at or under
// key: path is key, inside it, or above it.
func touches(path, key string) bool {
	hive, names, ok := registry.SplitPath(path)
	keyHive, keyNames, _ := registry.SplitPath(key)
	if !ok || hive != keyHive {
		return false
	}
	for i := 0; i < len(names) && i < len(keyNames); i++ {
		if !strings.EqualFold(names[i], keyNames[i]) {
			return false
		}
	}
	return true
}
