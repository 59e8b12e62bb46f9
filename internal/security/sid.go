// Package security holds the SCM's Windows security model: SIDs for Linux
// identities, security descriptors read and written as SDDL, and the access
// check that decides what a handle is granted.
package security

import "strconv"

// Well-known SIDs.
const (
	Everyone           = "S-1-1-0"
	CreatorOwner       = "S-1-3-0"
	Network            = "S-1-5-2"
	Interactive        = "S-1-5-4"
	Service            = "S-1-5-6"
	Anonymous          = "S-1-5-7"
	AuthenticatedUsers = "S-1-5-11"
	LocalSystem        = "S-1-5-18"
	LocalService       = "S-1-5-19"
	NetworkService     = "S-1-5-20"
	Administrators     = "S-1-5-32-544"
	Users              = "S-1-5-32-545"
)

// UserSID is the SID Samba gives a Unix user.
func UserSID(uid uint32) string { return "S-1-22-1-" + strconv.FormatUint(uint64(uid), 10) }

// GroupSID is the SID Samba gives a Unix group.
func GroupSID(gid uint32) string { return "S-1-22-2-" + strconv.FormatUint(uint64(gid), 10) }

// Token is what the SCM knows of a caller: its SIDs and its account name.
type Token struct {
	User   string   // the user's SID
	Name   string   // the account name Windows would show (LocalSystem, or the user's name)
	Groups []string // group SIDs, well-known ones included
}

// Has reports whether the token holds sid as its user or one of its groups.
func (t *Token) Has(sid string) bool {
	if t.User == sid {
		return true
	}
	for _, g := range t.Groups {
		if g == sid {
			return true
		}
	}
	return false
}

// IsAdmin reports whether the token is an administrator of the SCM.
func (t *Token) IsAdmin() bool { return t.Has(Administrators) || t.User == LocalSystem }

// TokenFor builds the token of a local caller with the given credentials.
// Root is LocalSystem and a member of Administrators. Anyone else is their
// Unix SIDs plus Everyone, Authenticated Users and Interactive; owner (the uid
// scmd runs as) is an administrator of this SCM too, as the owner of a
// per-user SCM must be. The account's name and its other groups are the
// caller's to add (Account): looking them up is the server's business, and
// this package is linked by clients too.
func TokenFor(uid, gid, owner uint32) *Token {
	if uid == 0 {
		return &Token{User: LocalSystem, Name: "LocalSystem", Groups: []string{Administrators, Everyone, AuthenticatedUsers}}
	}
	t := &Token{User: UserSID(uid), Groups: []string{GroupSID(gid), Everyone, AuthenticatedUsers, Interactive, Users}}
	t.Name = strconv.FormatUint(uint64(uid), 10)
	if uid == owner {
		t.Groups = append(t.Groups, Administrators)
	}
	return t
}

// Account names a token's user and adds the groups the account is in
// besides its primary one.
func (t *Token) Account(name string, gids []uint32) {
	t.Name = name
	for _, g := range gids {
		if sid := GroupSID(g); !t.Has(sid) {
			t.Groups = append(t.Groups, sid)
		}
	}
}

// FromNetwork makes t the token of a network logon, as a caller on
// another machine has on Windows: NETWORK in place of INTERACTIVE, so
// that descriptors grant it what they grant remote users.
func (t *Token) FromNetwork() {
	groups := t.Groups[:0:0]
	for _, g := range t.Groups {
		if g != Interactive {
			groups = append(groups, g)
		}
	}
	t.Groups = append(groups, Network)
}
