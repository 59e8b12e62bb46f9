package manager

import (
	"strings"

	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// RemoteAccountsKey maps the certificates of remote callers to local
// accounts. A value is named by a certificate's fingerprint
// ("SHA256:<hex>") or its subject's common name, and holds the account's
// name (REG_SZ); an empty name refuses the certificate. A certificate
// that no value names is the account its common name names.
const RemoteAccountsKey = services.ControlKey + `\RemoteAccounts`

// RemoteAccount is the local account a remote caller's certificate stands
// for, false when the mapping refuses it. The fingerprint's value wins
// over the common name's, so one certificate of a shared name can be
// mapped, or refused, alone.
func (m *Manager) RemoteAccount(fingerprint, commonName string) (string, bool) {
	// A common name that looks like a fingerprint would take another
	// certificate's mapping: such a certificate goes by its own
	// fingerprint's value alone.
	names := []string{fingerprint, commonName}
	account := commonName
	if strings.HasPrefix(strings.ToUpper(commonName), "SHA256:") {
		names, account = names[:1], ""
	}
	m.store.View(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(RemoteAccountsKey)
		if err != nil {
			return nil
		}
		for _, name := range names {
			if v, err := k.Value(name); err == nil && (v.Type == registry.SZ || v.Type == registry.EXPAND_SZ) {
				account = v.String()
				return nil
			}
		}
		return nil
	})
	return account, account != ""
}

// RegistryGeneration counts the registry's writes through the API: a
// remote connection whose count is behind asks RemoteAccount again, so
// that a certificate unmapped or remapped stops acting as its old account
// at its next call.
func (m *Manager) RegistryGeneration() uint64 { return m.regGen.Load() }

// OnRegistryWrite has f called, on a goroutine of its own, after each
// registry write through the API: the server then closes the remote
// connections whose certificate no longer stands for the same account,
// streams included.
func (m *Manager) OnRegistryWrite(f func()) {
	m.regWatchMu.Lock()
	defer m.regWatchMu.Unlock()
	m.regWatchers = append(m.regWatchers, f)
}

func (m *Manager) registryWritten() {
	m.regGen.Add(1)
	m.regWatchMu.Lock()
	watchers := m.regWatchers
	m.regWatchMu.Unlock()
	for _, f := range watchers {
		go f()
	}
}

// networkUser reports a caller from another machine who is not an
// administrator there. Windows keeps its registry and its event logs from
// such callers: the remote registry's descriptor (SecurePipeServers\winreg)
// grants administrators alone, and no log's grants NETWORK.
func networkUser(c Caller) bool {
	return c.Token.Has(security.Network) && !c.Token.IsAdmin()
}

// refuseNetworkUser is ERROR_ACCESS_DENIED for a networkUser.
func refuseNetworkUser(c Caller) error {
	if networkUser(c) {
		return windows.ERROR_ACCESS_DENIED
	}
	return nil
}
