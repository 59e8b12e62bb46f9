package registry

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/openscm/scm/windows"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestKeysAreCaseInsensitiveAndCasePreserving(t *testing.T) {
	s, _ := openTemp(t)
	err := s.Update(func(tx *Tx) error {
		k, err := tx.CreateKey(`HKLM\SYSTEM\CurrentControlSet\Services\MySvc`)
		if err != nil {
			return err
		}
		return k.SetValue(StringValue("ImagePath", "/bin/true"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		k, err := tx.OpenKey(`hkey_local_machine\system\currentcontrolset\services\MYSVC`)
		if err != nil {
			t.Fatal(err)
		}
		if k.Path() != `HKLM\SYSTEM\CurrentControlSet\Services\MySvc` {
			t.Errorf("path = %q", k.Path())
		}
		v, err := k.Value("imagepath")
		if err != nil || v.Name != "ImagePath" || v.String() != "/bin/true" {
			t.Errorf("value = %+v, %v", v, err)
		}
		return nil
	})
}

func TestValuesKeepCreationOrderAndTypes(t *testing.T) {
	s, path := openTemp(t)
	want := []Value{
		DWordValue("Type", 16),
		StringValue("ImagePath", "/usr/bin/x"),
		MultiStringValue("DependOnService", []string{"a", "", "b"}),
		QWordValue("Big", 1<<40),
		ExpandStringValue("Exp", "%PATH%"),
		BinaryValue("FailureActions", []byte{1, 2, 3}),
	}
	s.Update(func(tx *Tx) error {
		k, _ := tx.CreateKey(`HKLM\X`)
		for _, v := range want {
			if err := k.SetValue(v); err != nil {
				t.Fatal(err)
			}
		}
		return k.SetValue(DWordValue("TYPE", 32)) // replace keeps place, takes new case
	})
	s.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want[0] = DWordValue("TYPE", 32)
	want[2].Data = []byte("a\x00b")
	s.View(func(tx *Tx) error {
		k, err := tx.OpenKey(`HKLM\X`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Values()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
		if ss := got[2].Strings(); !reflect.DeepEqual(ss, []string{"a", "b"}) {
			t.Errorf("multi = %q", ss)
		}
		if got[3].Uint64() != 1<<40 || got[0].Uint32() != 32 {
			t.Error("numbers")
		}
		return nil
	})
}

func TestMissingAndDeleted(t *testing.T) {
	s, _ := openTemp(t)
	s.Update(func(tx *Tx) error {
		if _, err := tx.OpenKey(`HKLM\Nope`); err != windows.ERROR_FILE_NOT_FOUND {
			t.Errorf("open missing = %v", err)
		}
		if _, err := tx.OpenKey(`HKXX\Nope`); err != windows.ERROR_BADKEY {
			t.Errorf("bad hive = %v", err)
		}
		k, _ := tx.CreateKey(`HKLM\A\B\C`)
		k.SetValue(DWordValue("x", 1))
		if err := k.DeleteValue("X"); err != nil {
			t.Error(err)
		}
		if err := k.DeleteValue("X"); err != windows.ERROR_FILE_NOT_FOUND {
			t.Errorf("delete missing value = %v", err)
		}
		if err := tx.DeleteKey(`HKLM\a\b`); err != nil {
			t.Error(err)
		}
		if _, err := tx.OpenKey(`HKLM\A\B\C`); err != windows.ERROR_FILE_NOT_FOUND {
			t.Errorf("deleted tree still there: %v", err)
		}
		if err := tx.DeleteKey(`HKLM`); err != windows.ERROR_ACCESS_DENIED {
			t.Errorf("delete hive = %v", err)
		}
		a, _ := tx.OpenKey(`HKLM\A`)
		if n := a.SubKeyNames(); len(n) != 0 {
			t.Errorf("subkeys = %v", n)
		}
		return nil
	})
}

func TestFailedUpdateWritesNothing(t *testing.T) {
	s, _ := openTemp(t)
	s.Update(func(tx *Tx) error {
		k, _ := tx.CreateKey(`HKLM\A`)
		k.SetValue(DWordValue("x", 1))
		return windows.ERROR_INVALID_PARAMETER
	})
	s.View(func(tx *Tx) error {
		if _, err := tx.OpenKey(`HKLM\A`); err != windows.ERROR_FILE_NOT_FOUND {
			t.Errorf("rolled-back key present: %v", err)
		}
		return nil
	})
}

func FuzzDecodeValue(f *testing.F) {
	f.Add(encodeValue(7, StringValue("ImagePath", "/bin/true")))
	f.Add(encodeValue(1, DWordValue("Start", 3)))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, v, err := decodeValue(b)
		if err != nil {
			return
		}
		if len(v.Name) > 0xffff {
			t.Fatal("name longer than its length field")
		}
		again := encodeValue(seq, v)
		_, w, err := decodeValue(again)
		if err != nil || !reflect.DeepEqual(v, w) {
			t.Fatalf("round trip: %+v vs %+v (%v)", v, w, err)
		}
		_ = v.Strings()
		_ = v.Uint64()
	})
}

func TestSubKeysAndDeleteOnFlatLayout(t *testing.T) {
	s, _ := openTemp(t)
	s.Update(func(tx *Tx) error {
		for _, p := range []string{`HKLM\S\a`, `HKLM\S\a\x\y`, `HKLM\S\A[`, `HKLM\S\a]b`, `HKLM\S\b`, `HKLM\S\İstanbul`, `HKLM\Sa`} {
			k, err := tx.CreateKey(p)
			if err != nil {
				t.Fatal(err)
			}
			k.SetValue(StringValue("", p))
		}
		return nil
	})
	s.Update(func(tx *Tx) error {
		k, _ := tx.OpenKey(`HKLM\S`)
		got := k.SubKeyNames()
		want := []string{"a", "A[", "a]b", "b", "İstanbul"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("subkeys = %q, want %q", got, want)
		}
		if err := tx.DeleteKey(`HKLM\S\A`); err != nil {
			t.Fatal(err)
		}
		if got := k.SubKeyNames(); !reflect.DeepEqual(got, []string{"A[", "a]b", "b", "İstanbul"}) {
			t.Errorf("after delete: %q", got)
		}
		for _, p := range []string{`HKLM\S\A[`, `HKLM\Sa`} {
			k, err := tx.OpenKey(p)
			if err != nil {
				t.Fatalf("%s lost with its neighbour: %v", p, err)
			}
			if v, err := k.Value(""); err != nil || v.String() != p {
				t.Errorf("%s default value = %q, %v", p, v.String(), err)
			}
		}
		if _, err := tx.OpenKey(`HKLM\S\a\x\y`); err != windows.ERROR_FILE_NOT_FOUND {
			t.Errorf("descendant survived: %v", err)
		}
		return nil
	})
}

func TestCopyTree(t *testing.T) {
	s, _ := openTemp(t)
	err := s.Update(func(tx *Tx) error {
		a, _ := tx.CreateKey(`HKLM\Src\A`)
		a.SetValue(DWordValue("x", 1))
		b, _ := tx.CreateKey(`HKLM\Src\A\B`)
		b.SetValue(StringValue("", "deep"))
		old, _ := tx.CreateKey(`HKLM\Dst\Stale`)
		old.SetValue(DWordValue("y", 2))
		return tx.CopyTree(`HKLM\Src`, `HKLM\Dst`)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		if _, err := tx.OpenKey(`HKLM\Dst\Stale`); err != windows.ERROR_FILE_NOT_FOUND {
			t.Errorf("the old tree survived: %v", err)
		}
		k, err := tx.OpenKey(`HKLM\Dst\A\B`)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := k.Value(""); v.String() != "deep" {
			t.Errorf("copied value %q", v.String())
		}
		return nil
	})
}

// A key's last write time moves when its values or its direct subkeys
// change, and survives the file's reopening.
func TestKeyModTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	modTime := func(key string) time.Time {
		var mt time.Time
		if err := s.View(func(tx *Tx) error {
			k, err := tx.OpenKey(key)
			if err != nil {
				return err
			}
			mt = k.ModTime()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return mt
	}
	before := time.Now()
	if err := s.Update(func(tx *Tx) error { _, err := tx.CreateKey(`HKLM\A\B`); return err }); err != nil {
		t.Fatal(err)
	}
	created := modTime(`HKLM\A`)
	if created.Before(before) || created.After(time.Now()) || modTime(`HKLM\A\B`).IsZero() {
		t.Fatalf("after creating A\\B: A %v, B %v, want now", created, modTime(`HKLM\A\B`))
	}
	if !modTime(`HKLM`).IsZero() {
		t.Errorf("a hive's root has a last write time: %v", modTime(`HKLM`))
	}
	for _, change := range []func(*Tx) error{
		func(tx *Tx) error { k, _ := tx.OpenKey(`HKLM\A`); return k.SetValue(StringValue("v", "x")) },
		func(tx *Tx) error { k, _ := tx.OpenKey(`HKLM\A`); return k.DeleteValue("v") },
		func(tx *Tx) error { return tx.DeleteKey(`HKLM\A\B`) },
	} {
		last := modTime(`HKLM\A`)
		for !time.Now().After(last) {
		}
		if err := s.Update(change); err != nil {
			t.Fatal(err)
		}
		if !modTime(`HKLM\A`).After(last) {
			t.Errorf("a change left A's last write time at %v", last)
		}
	}
	last := modTime(`HKLM\A`)
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := modTime(`HKLM\A`); !got.Equal(last) {
		t.Errorf("reopened: %v, want %v", got, last)
	}
}
