package launch

import (
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/openscm/scm/windows"
)

// The Linux users behind Windows' two service accounts.
const (
	LocalServiceUser   = "scm-localservice"
	NetworkServiceUser = "scm-networkservice"
)

// identity is who a service process runs as.
type identity struct {
	uid, gid uint32
	groups   []uint32
	name     string
	home     string
}

// resolveAccount maps a service's ObjectName to a Linux user. LocalSystem
// is root on the machine's SCM and the owner on a user's own SCM, where any
// other account fails with ERROR_SERVICE_LOGON_FAILED (1069), as does an
// account with no Linux user behind it.
func resolveAccount(account string, owner uint32) (*identity, error) {
	var name string
	switch strings.ToLower(account) {
	case "", "localsystem", `.\localsystem`, `nt authority\system`:
		return lookupUID(owner)
	case `nt authority\localservice`:
		name = LocalServiceUser
	case `nt authority\networkservice`:
		name = NetworkServiceUser
	default:
		name = account[strings.LastIndexByte(account, '\\')+1:]
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, windows.ERROR_SERVICE_LOGON_FAILED
	}
	id, err := identityOf(u)
	if err != nil || (owner != 0 && id.uid != owner) {
		return nil, windows.ERROR_SERVICE_LOGON_FAILED
	}
	return id, nil
}

func lookupUID(uid uint32) (*identity, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return &identity{uid: uid, gid: uid, name: strconv.FormatUint(uint64(uid), 10), home: "/"}, nil
	}
	return identityOf(u)
}

func identityOf(u *user.User) (*identity, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	id := &identity{uid: uint32(uid), gid: uint32(gid), name: u.Username, home: u.HomeDir}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				id.groups = append(id.groups, uint32(n))
			}
		}
	}
	return id, nil
}

func (id *identity) credential(owner uint32) *syscall.Credential {
	if owner != 0 {
		return nil // a user's SCM runs services as itself
	}
	return &syscall.Credential{Uid: id.uid, Gid: id.gid, Groups: id.groups}
}

// EnsureServiceUsers creates the users behind LocalService and
// NetworkService if they are missing. It runs before any service is
// launched: it waits for useradd itself, which the launcher's reaper must
// not race.
func EnsureServiceUsers() error {
	for _, name := range []string{LocalServiceUser, NetworkServiceUser} {
		if _, err := user.Lookup(name); err == nil {
			continue
		}
		cmd := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
			"--shell", "/usr/sbin/nologin", "--user-group", name)
		if out, err := cmd.CombinedOutput(); err != nil {
			return &userError{name, strings.TrimSpace(string(out)), err}
		}
	}
	return nil
}

type userError struct {
	name, out string
	err       error
}

func (e *userError) Error() string {
	return "creating user " + e.name + ": " + e.err.Error() + ": " + e.out
}
