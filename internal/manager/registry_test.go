package manager

import (
	"bytes"
	"testing"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/windows"
)

// HKEY_CURRENT_USER is each caller's own hive, under HKEY_USERS\<SID>: its
// user reads and writes it, another ordinary user neither, an administrator
// both; the machine's keys stay read-only to ordinary users.
func TestCurrentUserHive(t *testing.T) {
	f := newFixture(t)
	alice := Caller{Client: 2, Token: security.TokenFor(1000, 1000, 0)}
	bob := Caller{Client: 3, Token: security.TokenFor(1001, 1001, 0)}
	v := &pb.RegValue{Name: "Color", Type: uint32(windows.REG_SZ), Data: []byte("blue")}
	if err := f.m.RegSetValue(alice, `HKCU\Software\App`, v); err != nil {
		t.Fatalf("alice writing her HKCU: %v", err)
	}
	k, err := f.m.RegQueryKey(alice, `HKEY_CURRENT_USER\Software\App`, false)
	if err != nil || len(k.Values) != 1 || !bytes.Equal(k.Values[0].Data, []byte("blue")) {
		t.Fatalf("alice reading her HKCU: %v %v", k, err)
	}
	own := `HKU\` + alice.Token.User + `\Software\App`
	if _, err := f.m.RegQueryKey(bob, own, false); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("bob reading alice's hive: %v, want access denied", err)
	}
	if err := f.m.RegSetValue(bob, own, v); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("bob writing alice's hive: %v, want access denied", err)
	}
	if _, err := f.m.RegQueryKey(bob, `HKCU\Software\App`, false); err != windows.ERROR_FILE_NOT_FOUND {
		t.Errorf("bob's own HKCU holds alice's key: %v", err)
	}
	if _, err := f.m.RegQueryKey(f.root, own, false); err != nil {
		t.Errorf("an administrator reading alice's hive: %v", err)
	}
	if err := f.m.RegSetValue(alice, `HKLM\SOFTWARE\App`, v); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("alice writing HKLM: %v, want access denied", err)
	}
	if err := f.m.RegDeleteKey(alice, `HKU\`+alice.Token.User); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("alice deleting her hive's root: %v, want access denied", err)
	}
	// HKU lists the hives: alice's, and bob's, made when he first
	// reached HKCU, with what a new profile holds.
	hku, err := f.m.RegQueryKey(bob, `HKU`, false)
	if err != nil || len(hku.SubkeyNames) != 2 || hku.SubkeyNames[0] != alice.Token.User || hku.SubkeyNames[1] != bob.Token.User {
		t.Errorf("HKU lists %v (%v), want alice's and bob's SIDs", hku, err)
	}
	if k, err := f.m.RegQueryKey(bob, `HKCU`, false); err != nil || len(k.SubkeyNames) != 2 {
		t.Errorf("bob's new hive holds %v (%v), want Environment and Software", k, err)
	}
	if err := f.m.RegDeleteKey(alice, `HKCU\Software\App`); err != nil {
		t.Errorf("alice deleting her key: %v", err)
	}
}

// An ordinary user's hive is bounded: the write that would take it past
// MaxUserHiveBytes fails with 1450 and is not kept.
func TestCurrentUserHiveBounded(t *testing.T) {
	f := newFixture(t)
	alice := Caller{Client: 2, Token: security.TokenFor(1000, 1000, 0)}
	big := make([]byte, MaxRegistryValueBytes)
	var i int
	var err error
	for i = 0; i < 2*MaxUserHiveBytes/MaxRegistryValueBytes; i++ {
		v := &pb.RegValue{Name: string(rune('a' + i)), Type: uint32(windows.REG_BINARY), Data: big}
		if err = f.m.RegSetValue(alice, `HKCU\Big`, v); err != nil {
			break
		}
	}
	if err != windows.ERROR_NO_SYSTEM_RESOURCES || i != MaxUserHiveBytes/MaxRegistryValueBytes-1 {
		t.Fatalf("value %d: %v, want 1450 at value %d", i, err, MaxUserHiveBytes/MaxRegistryValueBytes-1)
	}
	k, qerr := f.m.RegQueryKey(alice, `HKCU\Big`, false)
	if qerr != nil || len(k.Values) != i {
		t.Errorf("after the refused write the key holds %d values (%v), want %d", len(k.Values), qerr, i)
	}
	// An administrator is not bounded by it.
	if err := f.m.RegSetValue(f.root, `HKU\`+alice.Token.User+`\Big`, &pb.RegValue{Name: "admin", Type: uint32(windows.REG_BINARY), Data: big}); err != nil {
		t.Errorf("an administrator writing past the bound: %v", err)
	}
}

// A key asked for through HKCU is named so in the answer, as reg.exe shows
// HKEY_CURRENT_USER.
func TestCurrentUserPaths(t *testing.T) {
	f := newFixture(t)
	alice := Caller{Client: 2, Token: security.TokenFor(1000, 1000, 0)}
	if err := f.m.RegCreateKey(alice, `HKCU\Software\App\Sub`); err != nil {
		t.Fatal(err)
	}
	k, err := f.m.RegQueryKey(alice, `HKCU\Software`, true)
	if err != nil {
		t.Fatal(err)
	}
	if k.Path != `HKCU\Software` || len(k.Subkeys) != 1 || k.Subkeys[0].Path != `HKCU\Software\App` ||
		len(k.Subkeys[0].Subkeys) != 1 || k.Subkeys[0].Subkeys[0].Path != `HKCU\Software\App\Sub` {
		t.Errorf("paths: %v", k)
	}
}
