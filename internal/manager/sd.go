package manager

import (
	"errors"

	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/sddl"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// The rights each part of a descriptor needs, to read and to write it.
func readRight(info uint32) uint32 {
	var r uint32
	if info&(sddl.OwnerSecurityInformation|sddl.GroupSecurityInformation|sddl.DACLSecurityInformation) != 0 {
		r |= windows.READ_CONTROL
	}
	if info&sddl.SACLSecurityInformation != 0 {
		r |= windows.ACCESS_SYSTEM_SECURITY
	}
	return r
}

func writeRight(info uint32) uint32 {
	var r uint32
	if info&(sddl.OwnerSecurityInformation|sddl.GroupSecurityInformation) != 0 {
		r |= windows.WRITE_OWNER
	}
	if info&sddl.DACLSecurityInformation != 0 {
		r |= windows.WRITE_DAC
	}
	if info&sddl.SACLSecurityInformation != 0 {
		r |= windows.ACCESS_SYSTEM_SECURITY
	}
	return r
}

const allSecurityInformation = sddl.OwnerSecurityInformation | sddl.GroupSecurityInformation |
	sddl.DACLSecurityInformation | sddl.SACLSecurityInformation

// QueryServiceObjectSecurity returns the parts info selects of the
// descriptor of a service, or of the SCM for an SCM handle, as SDDL.
func (m *Manager) QueryServiceObjectSecurity(c Caller, id uint64, info uint32) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if info == 0 || info&^allSecurityInformation != 0 {
		return "", windows.ERROR_INVALID_PARAMETER
	}
	h, ok := m.handles[id]
	if !ok || h.client != c.Client || h.kind == lockHandle {
		return "", windows.ERROR_INVALID_HANDLE
	}
	if h.access&readRight(info) != readRight(info) {
		return "", windows.ERROR_ACCESS_DENIED
	}
	if h.kind == scmHandle {
		return m.scmSD.Format(info), nil
	}
	return h.svc.sd.Format(info), nil
}

// SetServiceObjectSecurity replaces the parts info selects of a service's
// descriptor. The SCM's own descriptor cannot be changed.
func (m *Manager) SetServiceObjectSecurity(c Caller, id uint64, info uint32, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if info == 0 || info&^allSecurityInformation != 0 {
		return windows.ERROR_INVALID_PARAMETER
	}
	h, ok := m.handles[id]
	if !ok || h.client != c.Client || h.kind == lockHandle {
		return windows.ERROR_INVALID_HANDLE
	}
	if h.access&writeRight(info) != writeRight(info) {
		return windows.ERROR_ACCESS_DENIED
	}
	if h.kind == scmHandle {
		return windows.ERROR_ACCESS_DENIED
	}
	s := h.svc
	if s.deleted {
		return windows.ERROR_SERVICE_MARKED_FOR_DELETE
	}
	if len(text) > MaxSDDLLength {
		return windows.ERROR_INVALID_SECURITY_DESCR
	}
	n, err := sddl.Parse(text)
	if err != nil {
		return windows.ERROR_INVALID_SECURITY_DESCR
	}
	if info&sddl.OwnerSecurityInformation != 0 && !mayOwn(c.Token, n.Owner) {
		return windows.ERROR_INVALID_OWNER
	}
	merged := *s.sd
	merged.Merge(info, n)
	cfg := *s.cfg
	cfg.Security = merged.String()
	if err := m.save(s, &cfg); err != nil {
		return err
	}
	s.sd = &merged
	return nil
}

var errNotService = errors.New("not a service key")

// ReloadService re-reads one service's key after the registry was edited
// directly, the way a reg.exe edit reaches the SCM: a new key with a Type
// becomes a service, a removed key stops being one.
func (m *Manager) ReloadService(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var loaded *service
	err := m.store.View(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(serviceKey(name))
		if err != nil {
			return err
		}
		if !services.IsService(k) {
			return errNotService
		}
		c, err := services.Load(k)
		if err != nil {
			return err
		}
		loaded = newService(c)
		return nil
	})
	old := m.find(name)
	if err != nil {
		if old != nil && old.handles == 0 {
			m.drop(name)
		} else if old != nil {
			old.deleted = true
			m.configured(old)
		}
		if err == windows.ERROR_FILE_NOT_FOUND || err == errNotService {
			return nil
		}
		return err
	}
	if old != nil {
		old.cfg, old.sd, old.deleted = loaded.cfg, loaded.sd, loaded.cfg.DeleteFlag
		m.configured(old)
		return nil
	}
	m.add(loaded)
	return nil
}

// mayOwn tells whether t may make sid the owner of an object. Windows
// allows the caller's own user SID, or a group of its token marked
// SE_GROUP_OWNER, which of the groups scm gives a token only Administrators
// is; an administrator may name any SID (SeRestorePrivilege). Anything
// else, Everyone or Users among them, is ERROR_INVALID_OWNER.
func mayOwn(t *security.Token, sid string) bool {
	if sid == "" {
		return false
	}
	return t.IsAdmin() || sid == t.User
}
