// Package sddl reads and writes security descriptors in the Security
// Descriptor Definition Language, and converts them to and from the
// self-relative binary form Windows' object-security calls pass around. It
// is a leaf: the SCM's access checks and the client's raw calls both use it.
package sddl

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// errInvalid is ERROR_INVALID_SECURITY_DESCR.
const errInvalid = syscall.Errno(1338)

// Security information flags: which parts of a descriptor a call reads or
// writes.
const (
	OwnerSecurityInformation = 1
	GroupSecurityInformation = 2
	DACLSecurityInformation  = 4
	SACLSecurityInformation  = 8
)

// ACE types as SDDL spells them.
const (
	AccessAllowed = "A"
	AccessDenied  = "D"
	SystemAudit   = "AU"
	SystemAlarm   = "AL"
)

// ACE is one access control entry.
type ACE struct {
	Type  string
	Flags string // SDDL ACE flags, e.g. "FA" or "OICI", kept as written
	Mask  uint32
	SID   string
}

// Descriptor is a security descriptor. A nil DACL grants everyone
// everything, an empty one grants nothing, as on Windows.
type Descriptor struct {
	Owner     string
	Group     string
	DACL      []ACE
	DACLSet   bool
	DACLFlags string
	SACL      []ACE
	SACLSet   bool
	SACLFlags string
}

// Rights' two-letter names, in the order Windows writes them.
var rightNames = []struct {
	name string
	mask uint32
}{
	{"CC", 0x1}, {"DC", 0x2}, {"LC", 0x4}, {"SW", 0x8}, {"RP", 0x10}, {"WP", 0x20},
	{"DT", 0x40}, {"LO", 0x80}, {"CR", 0x100}, {"SD", 0x10000}, {"RC", 0x20000},
	{"WD", 0x40000}, {"WO", 0x80000}, {"AS", 0x1000000}, {"MA", 0x2000000},
	{"GA", 0x10000000}, {"GX", 0x20000000}, {"GW", 0x40000000}, {"GR", 0x80000000},
}

// Whole-mask names Windows writes when a mask matches one exactly.
var maskNames = []struct {
	name string
	mask uint32
}{
	{"FA", 0x1F01FF}, {"KA", 0xF003F}, {"FR", 0x120089}, {"FW", 0x120116},
	{"FX", 0x1200A0}, {"KR", 0x20019}, {"KW", 0x20006},
}

var aceFlagNames = []string{"OI", "CI", "NP", "IO", "ID", "SA", "FA"}

// Parse reads an SDDL string. It fails with ERROR_INVALID_SECURITY_DESCR, the
// code Windows' ConvertStringSecurityDescriptorToSecurityDescriptor gives,
// wrapped with what was wrong.
func Parse(sddl string) (*Descriptor, error) {
	d := &Descriptor{}
	s := strings.TrimSpace(sddl)
	for s != "" {
		if len(s) < 2 || s[1] != ':' {
			return nil, invalid("expected O:, G:, D: or S: at %q", s)
		}
		part := s[0]
		s = s[2:]
		var body string
		switch part {
		case 'O', 'G':
			body, s = cutSID(s)
		case 'D', 'S':
			body, s = cutACL(s)
		}
		var err error
		switch part {
		case 'O':
			d.Owner, err = parseSID(body)
		case 'G':
			d.Group, err = parseSID(body)
		case 'D':
			d.DACLSet = true
			d.DACLFlags, d.DACL, err = parseACL(body)
		case 'S':
			d.SACLSet = true
			d.SACLFlags, d.SACL, err = parseACL(body)
		default:
			err = invalid("unknown part %c:", part)
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// cutSID splits off an owner or group: S-1-... digits and dashes, or a
// two-letter alias.
func cutSID(s string) (string, string) {
	if strings.HasPrefix(s, "S-") {
		i := 2
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
			i++
		}
		return s[:i], s[i:]
	}
	if len(s) < 2 {
		return s, ""
	}
	return s[:2], s[2:]
}

// cutACL splits off ACL flags and the parenthesized ACEs that follow.
func cutACL(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] != '(' && !(i+1 < len(s) && s[i+1] == ':' && strings.IndexByte("OGDS", s[i]) >= 0) {
		i++
	}
	for i < len(s) && s[i] == '(' {
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			return s, ""
		}
		i += end + 1
	}
	return s[:i], s[i:]
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errInvalid, fmt.Sprintf(format, args...))
}

func parseSID(s string) (string, error) {
	if sid, ok := sidAliases[s]; ok {
		return sid, nil
	}
	if err := validSID(s); err != nil {
		return "", invalid("%v", err)
	}
	return s, nil
}

func parseACL(s string) (string, []ACE, error) {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		i = len(s)
	}
	flags := s[:i]
	s = s[i:]
	for rest := flags; rest != ""; {
		switch {
		case strings.HasPrefix(rest, "NO_ACCESS_CONTROL"):
			rest = rest[len("NO_ACCESS_CONTROL"):]
		case strings.HasPrefix(rest, "AI"), strings.HasPrefix(rest, "AR"):
			rest = rest[2:]
		case strings.HasPrefix(rest, "P"):
			rest = rest[1:]
		default:
			return "", nil, invalid("ACL flags %q", flags)
		}
	}
	var aces []ACE
	for s != "" {
		if s[0] != '(' {
			return "", nil, invalid("expected ( at %q", s)
		}
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return "", nil, invalid("unclosed ACE")
		}
		ace, err := parseACE(s[1:end])
		if err != nil {
			return "", nil, err
		}
		aces = append(aces, ace)
		s = s[end+1:]
	}
	return flags, aces, nil
}

func parseACE(s string) (ACE, error) {
	f := strings.Split(s, ";")
	if len(f) != 6 {
		return ACE{}, invalid("ACE %q needs 6 fields", s)
	}
	switch f[0] {
	case AccessAllowed, AccessDenied, SystemAudit, SystemAlarm:
	default:
		return ACE{}, invalid("ACE type %q", f[0])
	}
	for rest := f[1]; rest != ""; rest = rest[2:] {
		if len(rest) < 2 || !contains(aceFlagNames, rest[:2]) {
			return ACE{}, invalid("ACE flags %q", f[1])
		}
	}
	mask, err := parseRights(f[2])
	if err != nil {
		return ACE{}, err
	}
	if f[3] != "" || f[4] != "" {
		return ACE{}, invalid("object ACEs are not supported")
	}
	sid, err := parseSID(f[5])
	if err != nil {
		return ACE{}, err
	}
	return ACE{Type: f[0], Flags: f[1], Mask: mask, SID: sid}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseRights(s string) (uint32, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		n, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil {
			return 0, invalid("rights %q", s)
		}
		return uint32(n), nil
	}
	var mask uint32
outer:
	for rest := s; rest != ""; rest = rest[2:] {
		if len(rest) < 2 {
			return 0, invalid("rights %q", s)
		}
		for _, r := range rightNames {
			if r.name == rest[:2] {
				mask |= r.mask
				continue outer
			}
		}
		for _, r := range maskNames {
			if r.name == rest[:2] {
				mask |= r.mask
				continue outer
			}
		}
		return 0, invalid("rights %q", s)
	}
	return mask, nil
}

// String writes the whole descriptor as SDDL.
func (d *Descriptor) String() string {
	return d.Format(OwnerSecurityInformation | GroupSecurityInformation | DACLSecurityInformation | SACLSecurityInformation)
}

// Format writes the parts of the descriptor that info selects, in Windows'
// order O: G: D: S:.
func (d *Descriptor) Format(info uint32) string {
	var b strings.Builder
	if info&OwnerSecurityInformation != 0 && d.Owner != "" {
		b.WriteString("O:" + sidString(d.Owner))
	}
	if info&GroupSecurityInformation != 0 && d.Group != "" {
		b.WriteString("G:" + sidString(d.Group))
	}
	if info&DACLSecurityInformation != 0 && d.DACLSet {
		b.WriteString("D:" + d.DACLFlags)
		writeACL(&b, d.DACL)
	}
	if info&SACLSecurityInformation != 0 && d.SACLSet {
		b.WriteString("S:" + d.SACLFlags)
		writeACL(&b, d.SACL)
	}
	return b.String()
}

func sidString(sid string) string {
	if a, ok := aliasOfSID[sid]; ok {
		return a
	}
	return sid
}

func writeACL(b *strings.Builder, acl []ACE) {
	for _, a := range acl {
		fmt.Fprintf(b, "(%s;%s;%s;;;%s)", a.Type, a.Flags, rightsString(a.Mask), sidString(a.SID))
	}
}

func rightsString(mask uint32) string {
	for _, r := range maskNames {
		if r.mask == mask {
			return r.name
		}
	}
	var b strings.Builder
	left := mask
	for _, r := range rightNames {
		if mask&r.mask != 0 {
			b.WriteString(r.name)
			left &^= r.mask
		}
	}
	if left != 0 {
		return fmt.Sprintf("0x%x", mask)
	}
	return b.String()
}

// Merge replaces the parts of d that info selects with those of n, as
// SetServiceObjectSecurity does.
func (d *Descriptor) Merge(info uint32, n *Descriptor) {
	if info&OwnerSecurityInformation != 0 {
		d.Owner = n.Owner
	}
	if info&GroupSecurityInformation != 0 {
		d.Group = n.Group
	}
	if info&DACLSecurityInformation != 0 {
		d.DACL, d.DACLSet, d.DACLFlags = n.DACL, n.DACLSet, n.DACLFlags
	}
	if info&SACLSecurityInformation != 0 {
		d.SACL, d.SACLSet, d.SACLFlags = n.SACL, n.SACLSet, n.SACLFlags
	}
}
