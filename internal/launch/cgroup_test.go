package launch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A group is named after the scmd that makes it, and one that exists is
// never joined: it may hold a host an earlier scmd started.
func TestCgroupCreateNeverReuses(t *testing.T) {
	base := t.TempDir()
	older := &cgroups{base: base, gen: "100.1"}
	newer := &cgroups{base: base, gen: "200.7"}
	a, err := older.create(1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newer.create(1)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two scmds' first hosts share %s", a)
	}
	if _, err := newer.create(1); !errors.Is(err, os.ErrExist) {
		t.Fatalf("creating an existing group: %v, want an error", err)
	}
	// An earlier scmd's groups are leftovers unless an adopted host claims them.
	c, _ := older.create(2)
	left := newer.leftovers(map[string]bool{a: true})
	if len(left) != 1 || left[0] != c {
		t.Fatalf("leftovers %v, want [%s]", left, c)
	}
	if err := removeGroup(c); err != nil {
		t.Fatal(err)
	}
	if err := removeGroup(filepath.Join(base, "gone")); err != nil {
		t.Fatalf("removing a group already gone: %v", err)
	}
}
