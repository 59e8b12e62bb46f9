package manager

import (
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/services"
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
	account := commonName
	m.store.View(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(RemoteAccountsKey)
		if err != nil {
			return nil
		}
		for _, name := range []string{fingerprint, commonName} {
			if v, err := k.Value(name); err == nil && (v.Type == registry.SZ || v.Type == registry.EXPAND_SZ) {
				account = v.String()
				return nil
			}
		}
		return nil
	})
	return account, account != ""
}
