package sddl

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// The self-relative form is what QueryServiceObjectSecurity fills and
// SetServiceObjectSecurity reads: a 20-byte header of control bits and
// offsets, then the SACL, the DACL, the owner and the group, all
// little-endian, each part where its offset says (0: absent).
const headerSize = 20

// SECURITY_DESCRIPTOR_CONTROL bits.
const (
	seDACLPresent        = 0x0004
	seSACLPresent        = 0x0010
	seDACLAutoInheritReq = 0x0100
	seSACLAutoInheritReq = 0x0200
	seDACLAutoInherited  = 0x0400
	seSACLAutoInherited  = 0x0800
	seDACLProtected      = 0x1000
	seSACLProtected      = 0x2000
	seSelfRelative       = 0x8000
)

// MaxBinarySize bounds a self-relative descriptor: each ACL's size is 16
// bits, and a SID is at most 68 bytes.
const MaxBinarySize = headerSize + 2*0xFFFF + 2*68

var aceTypeCodes = map[string]byte{AccessAllowed: 0, AccessDenied: 1, SystemAudit: 2, SystemAlarm: 3}

var aceFlagBits = map[string]byte{"OI": 0x01, "CI": 0x02, "NP": 0x04, "IO": 0x08, "ID": 0x10, "SA": 0x40, "FA": 0x80}

// Marshal writes d in the self-relative binary form.
func (d *Descriptor) Marshal() ([]byte, error) {
	b := make([]byte, headerSize, 256)
	b[0] = 1 // SECURITY_DESCRIPTOR_REVISION
	control := uint16(seSelfRelative)
	var err error
	if d.SACLSet {
		control |= seSACLPresent | aclControl(d.SACLFlags, seSACLProtected, seSACLAutoInheritReq, seSACLAutoInherited)
		if b, err = appendACLAt(b, 12, d.SACL, d.SACLFlags); err != nil {
			return nil, err
		}
	}
	if d.DACLSet {
		control |= seDACLPresent | aclControl(d.DACLFlags, seDACLProtected, seDACLAutoInheritReq, seDACLAutoInherited)
		if b, err = appendACLAt(b, 16, d.DACL, d.DACLFlags); err != nil {
			return nil, err
		}
	}
	for _, part := range []struct {
		sid string
		at  int
	}{{d.Owner, 4}, {d.Group, 8}} {
		if part.sid == "" {
			continue
		}
		binary.LittleEndian.PutUint32(b[part.at:], uint32(len(b)))
		if b, err = appendSID(b, part.sid); err != nil {
			return nil, err
		}
	}
	binary.LittleEndian.PutUint16(b[2:], control)
	return b, nil
}

func aclControl(flags string, protected, autoInheritReq, autoInherited uint16) uint16 {
	var c uint16
	for rest := strings.TrimPrefix(flags, "NO_ACCESS_CONTROL"); rest != ""; {
		switch {
		case strings.HasPrefix(rest, "AR"):
			c |= autoInheritReq
			rest = rest[2:]
		case strings.HasPrefix(rest, "AI"):
			c |= autoInherited
			rest = rest[2:]
		case strings.HasPrefix(rest, "NO_ACCESS_CONTROL"):
			rest = rest[len("NO_ACCESS_CONTROL"):]
		default: // P, the one one-letter flag; Parse let nothing else through
			c |= protected
			rest = rest[1:]
		}
	}
	return c
}

// appendACLAt appends an ACL and records its offset at the header's field
// at. A NO_ACCESS_CONTROL ACL is present but null: offset 0.
func appendACLAt(b []byte, at int, aces []ACE, flags string) ([]byte, error) {
	if strings.HasPrefix(flags, "NO_ACCESS_CONTROL") {
		return b, nil
	}
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)))
	start := len(b)
	b = append(b, 2, 0, 0, 0, 0, 0, 0, 0) // ACL_REVISION, size and count below
	for _, a := range aces {
		aceStart := len(b)
		var flags byte
		for rest := a.Flags; len(rest) >= 2; rest = rest[2:] {
			flags |= aceFlagBits[rest[:2]]
		}
		b = append(b, aceTypeCodes[a.Type], flags, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, a.Mask)
		var err error
		if b, err = appendSID(b, a.SID); err != nil {
			return nil, err
		}
		binary.LittleEndian.PutUint16(b[aceStart+2:], uint16(len(b)-aceStart))
	}
	if len(b)-start > 0xFFFF {
		return nil, invalid("ACL of %d bytes", len(b)-start)
	}
	binary.LittleEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	binary.LittleEndian.PutUint16(b[start+4:], uint16(len(aces)))
	return b, nil
}

func appendSID(b []byte, sid string) ([]byte, error) {
	authority, subs, err := sidParts(sid)
	if err != nil {
		return nil, invalid("%v", err)
	}
	b = append(b, 1, byte(len(subs)))
	for shift := 40; shift >= 0; shift -= 8 {
		b = append(b, byte(authority>>shift))
	}
	for _, s := range subs {
		b = binary.LittleEndian.AppendUint32(b, s)
	}
	return b, nil
}

// Unmarshal reads a self-relative descriptor from the start of b and says
// how many bytes it spans. b may run past the descriptor's end; nothing
// past an offset or size the descriptor gives is read.
func Unmarshal(b []byte) (*Descriptor, int, error) {
	if len(b) < headerSize || b[0] != 1 {
		return nil, 0, invalid("not a security descriptor")
	}
	control := binary.LittleEndian.Uint16(b[2:])
	if control&seSelfRelative == 0 {
		return nil, 0, invalid("not self-relative")
	}
	d := &Descriptor{}
	end := headerSize
	var err error
	offset := func(at int) int { return int(binary.LittleEndian.Uint32(b[at:])) }
	for _, part := range []struct {
		at  int
		sid *string
	}{{4, &d.Owner}, {8, &d.Group}} {
		if off := offset(part.at); off != 0 {
			if off < headerSize {
				return nil, 0, invalid("SID offset %d inside the header", off)
			}
			var n int
			if *part.sid, n, err = readSID(b, off); err != nil {
				return nil, 0, err
			}
			end = max(end, off+n)
		}
	}
	if control&seDACLPresent != 0 {
		d.DACLSet = true
		d.DACLFlags = aclFlags(control, seDACLProtected, seDACLAutoInheritReq, seDACLAutoInherited)
		if off := offset(16); off == 0 {
			d.DACLFlags = "NO_ACCESS_CONTROL"
		} else {
			var n int
			if d.DACL, n, err = readACL(b, off); err != nil {
				return nil, 0, err
			}
			end = max(end, off+n)
		}
	}
	if control&seSACLPresent != 0 {
		d.SACLSet = true
		d.SACLFlags = aclFlags(control, seSACLProtected, seSACLAutoInheritReq, seSACLAutoInherited)
		if off := offset(12); off == 0 {
			d.SACLFlags = "NO_ACCESS_CONTROL"
		} else {
			var n int
			if d.SACL, n, err = readACL(b, off); err != nil {
				return nil, 0, err
			}
			end = max(end, off+n)
		}
	}
	return d, end, nil
}

// aclFlags spells control bits as SDDL does, in Windows' order.
func aclFlags(control, protected, autoInheritReq, autoInherited uint16) string {
	var s string
	if control&protected != 0 {
		s += "P"
	}
	if control&autoInheritReq != 0 {
		s += "AR"
	}
	if control&autoInherited != 0 {
		s += "AI"
	}
	return s
}

func readSID(b []byte, off int) (string, int, error) {
	if off+8 > len(b) || b[off] != 1 || b[off+1] > 15 {
		return "", 0, invalid("bad SID at offset %d", off)
	}
	n := 8 + 4*int(b[off+1])
	if off+n > len(b) {
		return "", 0, invalid("SID at offset %d runs past the end", off)
	}
	var authority uint64
	for _, c := range b[off+2 : off+8] {
		authority = authority<<8 | uint64(c)
	}
	s := "S-1-" + strconv.FormatUint(authority, 10)
	for i := off + 8; i < off+n; i += 4 {
		s += "-" + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[i:])), 10)
	}
	return s, n, nil
}

func readACL(b []byte, off int) ([]ACE, int, error) {
	if off < headerSize || off+8 > len(b) || (b[off] != 2 && b[off] != 4) {
		return nil, 0, invalid("bad ACL at offset %d", off)
	}
	size := int(binary.LittleEndian.Uint16(b[off+2:]))
	count := int(binary.LittleEndian.Uint16(b[off+4:]))
	if size < 8 || off+size > len(b) {
		return nil, 0, invalid("ACL at offset %d runs past the end", off)
	}
	acl := b[off : off+size]
	var aces []ACE
	for i, at := 0, 8; i < count; i++ {
		if at+8 > len(acl) {
			return nil, 0, invalid("ACE %d runs past its ACL", i)
		}
		n := int(binary.LittleEndian.Uint16(acl[at+2:]))
		if n < 8 || at+n > len(acl) {
			return nil, 0, invalid("ACE %d has size %d", i, n)
		}
		var typ string
		for name, code := range aceTypeCodes {
			if code == acl[at] {
				typ = name
			}
		}
		if typ == "" {
			return nil, 0, invalid("ACE %d has type %d", i, acl[at])
		}
		var flags string
		for _, name := range aceFlagNames {
			if acl[at+1]&aceFlagBits[name] != 0 {
				flags += name
			}
		}
		sid, sidLen, err := readSID(acl[:at+n], at+8)
		if err != nil || 8+sidLen > n {
			return nil, 0, invalid("ACE %d: bad SID", i)
		}
		aces = append(aces, ACE{Type: typ, Flags: flags, Mask: binary.LittleEndian.Uint32(acl[at+4:]), SID: sid})
		at += n
	}
	return aces, size, nil
}
