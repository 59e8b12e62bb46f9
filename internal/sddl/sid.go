package sddl

import (
	"fmt"
	"strconv"
	"strings"
)

// sidAliases are SDDL's two-letter names for well-known SIDs.
var sidAliases = map[string]string{
	"WD": "S-1-1-0", "CO": "S-1-3-0", "NU": "S-1-5-2", "IU": "S-1-5-4",
	"SU": "S-1-5-6", "AN": "S-1-5-7", "AU": "S-1-5-11", "SY": "S-1-5-18",
	"LS": "S-1-5-19", "NS": "S-1-5-20", "BA": "S-1-5-32-544", "BU": "S-1-5-32-545",
	"BG": "S-1-5-32-546", "PU": "S-1-5-32-547", "AO": "S-1-5-32-548",
	"SO": "S-1-5-32-549", "RD": "S-1-5-32-555", "AC": "S-1-15-2-1",
	"OW": "S-1-3-4", "CG": "S-1-3-1", "RC": "S-1-5-12",
}

var aliasOfSID = func() map[string]string {
	m := make(map[string]string, len(sidAliases))
	for a, s := range sidAliases {
		m[s] = a
	}
	return m
}()

// sidParts splits a SID string into its identifier authority and
// sub-authorities. A SID has at most 15 sub-authorities, as on Windows.
func sidParts(s string) (authority uint64, subs []uint32, err error) {
	if len(s) < 5 || s[:4] != "S-1-" {
		return 0, nil, fmt.Errorf("bad SID %q", s)
	}
	parts := strings.Split(s[4:], "-")
	if len(parts) > 16 {
		return 0, nil, fmt.Errorf("bad SID %q: more than 15 sub-authorities", s)
	}
	authority, err = strconv.ParseUint(parts[0], 10, 48)
	if err != nil {
		return 0, nil, fmt.Errorf("bad SID %q", s)
	}
	for _, p := range parts[1:] {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return 0, nil, fmt.Errorf("bad SID %q", s)
		}
		subs = append(subs, uint32(n))
	}
	return authority, subs, nil
}

func validSID(s string) error {
	_, _, err := sidParts(s)
	return err
}
