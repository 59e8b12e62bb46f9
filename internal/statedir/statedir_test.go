package statedir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPrepareCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := Prepare(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %04o, want 0700", fi.Mode().Perm())
	}
	if err := Prepare(dir); err != nil {
		t.Errorf("a directory Prepare made is refused the second time: %v", err)
	}
}

func TestPrepareRefuses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to another user")
	}
	cases := map[string]func(t *testing.T, dir string){
		"world-writable directory":  func(t *testing.T, dir string) { os.Chmod(dir, 0o777) },
		"directory of another user": func(t *testing.T, dir string) { os.Chown(dir, 65534, 65534) },
		"file of another user": func(t *testing.T, dir string) {
			p := filepath.Join(dir, "host.key")
			os.WriteFile(p, make([]byte, 32), 0o600)
			os.Chown(p, 65534, 65534)
		},
		"group-writable file": func(t *testing.T, dir string) {
			p := filepath.Join(dir, "registry.db")
			os.WriteFile(p, nil, 0o600)
			os.Chmod(p, 0o620)
		},
		"symbolic link": func(t *testing.T, dir string) { os.Symlink("/etc/passwd", filepath.Join(dir, "running.log")) },
		"writable parent": func(t *testing.T, dir string) {
			os.Chmod(filepath.Dir(dir), 0o777)
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			spoil(t, dir)
			if err := Prepare(dir); !errors.Is(err, ErrUnsafe) {
				t.Fatalf("Prepare = %v, want ErrUnsafe", err)
			}
		})
	}
}

func TestPrepareAcceptsStickyParent(t *testing.T) {
	parent := t.TempDir()
	os.Chmod(parent, os.ModeSticky|0o777)
	if err := Prepare(filepath.Join(parent, "state")); err != nil {
		t.Fatal(err)
	}
}

// A directory above reached through another user's symbolic link is
// refused: its owner could point it elsewhere at any time.
func TestPrepareRefusesForeignLinkAbove(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a link to another user")
	}
	parent := t.TempDir()
	real := filepath.Join(parent, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(parent, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := Prepare(filepath.Join(link, "state")); err != nil {
		t.Fatalf("a link of our own is refused: %v", err)
	}
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := Prepare(filepath.Join(link, "state")); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Prepare through another user's link = %v, want ErrUnsafe", err)
	}
}
