package sddl

import (
	"bytes"
	"encoding/hex"
	"testing"
)

const (
	scmDefault = "O:SYG:SYD:(A;;CC;;;AU)(A;;CCLCRPRC;;;IU)(A;;CCLCRPRC;;;SU)(A;;CCLCRPWPRC;;;SY)(A;;KA;;;BA)(A;;CC;;;AC)S:(AU;FA;KA;;;WD)(AU;OIIOFA;GA;;;WD)"
	svcDefault = "O:SYG:SYD:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)S:(AU;FA;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)"
)

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{"D:(A;;XX;;;SY)", "D:(Q;;CC;;;SY)", "D:(A;;CC;;;nobody)", "X:", "D:(A;;CC;;SY)", "D:(A;;CC;;;SY",
		"O:S-1-5-99999999999", "O:S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// The layout RtlMakeSelfRelativeSD uses: header, SACL, DACL, owner, group.
func TestMarshalLayout(t *testing.T) {
	d, err := Parse("O:BAG:SYD:(A;;GA;;;WD)")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "01000480" + "30000000" + "40000000" + "00000000" + "14000000" + // header: DACL present, self-relative
		"02001c000100" + "0000" + // ACL: revision 2, 28 bytes, one ACE
		"00001400" + "00000010" + "010100000000000100000000" + // ACCESS_ALLOWED, GENERIC_ALL, Everyone
		"01020000000000052000000020020000" + // Administrators
		"010100000000000512000000" // LocalSystem
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("Marshal:\n got %s\nwant %s", got, want)
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	for _, text := range []string{scmDefault, svcDefault, "D:", "O:S-1-22-1-1000", "D:PAI(A;OICIID;0x1200a9;;;S-1-22-1-1000)(D;;WP;;;IU)",
		"D:NO_ACCESS_CONTROL", "S:PAR(AL;SA;CC;;;WD)", ""} {
		d, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		b, err := d.Marshal()
		if err != nil {
			t.Fatalf("Marshal(%q): %v", text, err)
		}
		padded := append(bytes.Clone(b), 0xEE, 0xEE, 0xEE)
		back, n, err := Unmarshal(padded)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(%q)): %v", text, err)
		}
		if n != len(b) {
			t.Errorf("%q: Unmarshal spans %d bytes, Marshal wrote %d", text, n, len(b))
		}
		if got := back.String(); got != d.String() {
			t.Errorf("round trip:\n got %s\nwant %s", got, d.String())
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, _ := MustParseForTest(t, svcDefault).Marshal()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short":         good[:10],
		"revision":      append([]byte{2}, good[1:]...),
		"truncated ACL": good[:40],
		"absolute":      append([]byte{1, 0, 4, 0}, good[4:]...),
	} {
		if _, _, err := Unmarshal(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func MustParseForTest(t *testing.T, s string) *Descriptor {
	t.Helper()
	d, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func FuzzParse(f *testing.F) {
	f.Add(scmDefault)
	f.Add(svcDefault)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(d.String())
		if err != nil {
			t.Fatalf("%q formats as %q, which does not parse: %v", s, d.String(), err)
		}
		if again.String() != d.String() {
			t.Fatalf("not stable: %q vs %q", again.String(), d.String())
		}
		if b, err := d.Marshal(); err == nil {
			if back, _, err := Unmarshal(b); err != nil || back.String() != d.String() {
				t.Fatalf("%q: binary round trip gave %v, %v", s, back, err)
			}
		}
	})
}

func FuzzUnmarshal(f *testing.F) {
	b, _ := Parse(scmDefault)
	good, _ := b.Marshal()
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, n, err := Unmarshal(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("spans %d of %d bytes", n, len(b))
		}
		_ = d.String()
	})
}
