package manager

import (
	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/windows"
)

// LockServiceDatabase takes the database lock; it is a handle of its own,
// released by UnlockServiceDatabase or when its client goes away.
func (m *Manager) LockServiceDatabase(c Caller, scm uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.need(c, scm, scmHandle, windows.SC_MANAGER_LOCK); err != nil {
		return 0, err
	}
	if m.lock != nil {
		return 0, windows.ERROR_SERVICE_DATABASE_LOCKED
	}
	h, err := m.newHandle(c, &handle{kind: lockHandle})
	if err != nil {
		return 0, err
	}
	m.lock = &dbLock{owner: lockOwnerName(c), since: m.now()}
	return h, nil
}

// UnlockServiceDatabase releases the lock; anything but a live lock handle
// is ERROR_INVALID_SERVICE_LOCK.
func (m *Manager) UnlockServiceDatabase(c Caller, lock uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.lookup(c, lock, lockHandle)
	if err != nil {
		return windows.ERROR_INVALID_SERVICE_LOCK
	}
	return m.close(lock, h)
}

// QueryServiceLockStatus reports whether the database is locked, by whom
// and for how long.
func (m *Manager) QueryServiceLockStatus(c Caller, scm uint64) (*pb.LockStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.need(c, scm, scmHandle, windows.SC_MANAGER_QUERY_LOCK_STATUS); err != nil {
		return nil, err
	}
	if m.lock == nil {
		return &pb.LockStatus{}, nil
	}
	return &pb.LockStatus{
		IsLocked:     true,
		LockOwner:    m.lock.owner,
		LockDuration: uint32(m.now().Sub(m.lock.since).Seconds()),
	}, nil
}

// lockOwnerName is the account name QueryServiceLockStatus shows, in the
// form Windows uses: .\NT AUTHORITY\SYSTEM or .\user.
func lockOwnerName(c Caller) string {
	if c.Token.Name == "LocalSystem" {
		return `.\NT AUTHORITY\SYSTEM`
	}
	return `.\` + c.Token.Name
}
