package registry_test

import (
	"errors"
	"io"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/registry"
)

// Keys are made, found, listed and deleted as by the Win32 calls, with
// their errors: a missing key is ErrNotExist, a key with subkeys is not
// deleted, a closed handle is invalid.
func TestKeys(t *testing.T) {
	scmtest.Start(t)
	sw, err := registry.OpenKey(registry.CURRENT_USER, "Software", registry.QUERY_VALUE)
	if err != nil {
		t.Fatalf("HKCU\\Software: %v", err)
	}
	defer sw.Close()
	k, existed, err := registry.CreateKey(sw, `App\Sub`, registry.ALL_ACCESS)
	if err != nil || existed {
		t.Fatalf("CreateKey = %v, %v", existed, err)
	}
	if _, existed, err := registry.CreateKey(sw, `App\Sub`, registry.READ); err != nil || !existed {
		t.Errorf("CreateKey again = %v, %v; want it found", existed, err)
	}
	app, err := registry.OpenKey(sw, "App", registry.ENUMERATE_SUB_KEYS|registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if names, err := app.ReadSubKeyNames(0); err != nil || !slices.Equal(names, []string{"Sub"}) {
		t.Errorf("ReadSubKeyNames(0) = %v, %v", names, err)
	}
	if names, err := app.ReadSubKeyNames(5); err != io.EOF || len(names) != 1 {
		t.Errorf("ReadSubKeyNames(5) = %v, %v; want one and io.EOF", names, err)
	}
	if err := registry.DeleteKey(sw, "App"); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("DeleteKey of a key with subkeys = %v, want ERROR_ACCESS_DENIED", err)
	}
	if err := registry.DeleteKey(app, "Sub"); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.OpenKey(app, "Sub", registry.READ); err != registry.ErrNotExist {
		t.Errorf("OpenKey of a deleted key = %v, want ErrNotExist", err)
	}
	k.Close()
	if err := k.Close(); err != windows.ERROR_INVALID_HANDLE {
		t.Errorf("closing a key twice = %v, want ERROR_INVALID_HANDLE", err)
	}
	if _, err := k.ReadSubKeyNames(0); err != windows.ERROR_INVALID_HANDLE {
		t.Errorf("a closed key = %v, want ERROR_INVALID_HANDLE", err)
	}
	if _, err := app.ReadValueNames(0); err != nil {
		t.Errorf("ReadValueNames with QUERY_VALUE: %v", err)
	}
	if err := app.SetStringValue("x", "y"); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("SetStringValue on a key opened without SET_VALUE = %v, want ERROR_ACCESS_DENIED", err)
	}
}

// Values go in and come out as on Windows: strings as UTF-16 with their
// zeros, GetValue's buffer rules, ErrUnexpectedType for a wrong getter.
func TestValues(t *testing.T) {
	scmtest.Start(t)
	k, _, err := registry.CreateKey(registry.CURRENT_USER, `Software\Values`, registry.ALL_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	before := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k.SetStringValue("s", "héllo"))
	must(k.SetExpandStringValue("e", "%HOME%/x"))
	must(k.SetStringsValue("m", []string{"a", "", "c"}))
	must(k.SetStringsValue("one", []string{""}))
	must(k.SetDWordValue("d", 0xdeadbeef))
	must(k.SetQWordValue("q", 1<<40))
	must(k.SetBinaryValue("b", []byte{1, 2, 3}))
	if s, typ, err := k.GetStringValue("s"); s != "héllo" || typ != registry.SZ || err != nil {
		t.Errorf("GetStringValue = %q %d %v", s, typ, err)
	}
	if m, _, err := k.GetStringsValue("m"); !slices.Equal(m, []string{"a", "", "c"}) || err != nil {
		t.Errorf("GetStringsValue = %q %v", m, err)
	}
	if m, _, err := k.GetStringsValue("one"); !slices.Equal(m, []string{""}) || err != nil {
		t.Errorf("GetStringsValue of [\"\"] = %q %v", m, err)
	}
	if d, typ, err := k.GetIntegerValue("d"); d != 0xdeadbeef || typ != registry.DWORD || err != nil {
		t.Errorf("GetIntegerValue(d) = %x %d %v", d, typ, err)
	}
	if q, _, err := k.GetIntegerValue("q"); q != 1<<40 || err != nil {
		t.Errorf("GetIntegerValue(q) = %d %v", q, err)
	}
	if _, typ, err := k.GetBinaryValue("s"); err != registry.ErrUnexpectedType || typ != registry.SZ {
		t.Errorf("GetBinaryValue of a string = %d %v", typ, err)
	}
	if _, _, err := k.GetStringValue("nosuch"); err != registry.ErrNotExist {
		t.Errorf("a missing value = %v", err)
	}
	// "héllo" and its zero: six UTF-16 units.
	if n, typ, err := k.GetValue("s", nil); n != 12 || typ != registry.SZ || err != nil {
		t.Errorf("GetValue(nil) = %d %d %v", n, typ, err)
	}
	if n, _, err := k.GetValue("s", make([]byte, 11)); n != 12 || err != registry.ErrShortBuffer {
		t.Errorf("GetValue(short) = %d %v", n, err)
	}
	if err := k.SetStringValue("z", "a\x00b"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("a string holding a zero = %v, want EINVAL", err)
	}
	ki, err := k.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if ki.ValueCount != 7 || ki.MaxValueNameLen != 3 || ki.MaxValueLen != 18 { // "%HOME%/x" and its zero
		t.Errorf("Stat = %+v", ki)
	}
	if mt := ki.ModTime(); mt.Before(before.Add(-time.Second)) || mt.After(time.Now().Add(time.Second)) {
		t.Errorf("ModTime = %v, want about now", mt)
	}
	names, err := k.ReadValueNames(0)
	if err != nil || !slices.Equal(names, []string{"s", "e", "m", "one", "d", "q", "b"}) {
		t.Errorf("ReadValueNames = %v %v", names, err)
	}
	must(k.DeleteValue("b"))
	if err := k.DeleteValue("b"); err != registry.ErrNotExist {
		t.Errorf("deleting a missing value = %v", err)
	}
	if got, _ := registry.ExpandString("%NO_SUCH_VARIABLE%;%Path%"); got != "%NO_SUCH_VARIABLE%;"+getenv("PATH") {
		t.Errorf("ExpandString = %q", got)
	}
}

func getenv(name string) string {
	v, _ := syscall.Getenv(name)
	return v
}
