package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scmd refuses a state directory that another user could have written to,
// with a message that says what is wrong, and starts nothing.
func TestSCMDRefusesUnsafeStateDir(t *testing.T) {
	u := newOrdinaryUser(t)
	cases := map[string]func(dir string){
		"world-writable and user-owned": func(dir string) {
			os.Chown(dir, int(u.UID), int(u.GID))
			os.Chmod(dir, 0o777)
		},
		"planted host key": func(dir string) {
			key := filepath.Join(dir, "host.key")
			os.WriteFile(key, make([]byte, 32), 0o600)
			os.Chown(key, int(u.UID), int(u.GID))
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			os.Mkdir(dir, 0o700)
			spoil(dir)
			sock := filepath.Join(t.TempDir(), "scm.sock")
			// An scmd that accepts the directory serves until stopped; the
			// deadline ends it and the test fails.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, filepath.Join(binDir, "scmd"), "--state-dir", dir, "--socket", sock).CombinedOutput()
			if err == nil {
				t.Fatalf("scmd started on an unsafe state directory:\n%s", out)
			}
			if !strings.Contains(string(out), "unsafe state directory") {
				t.Errorf("scmd's message does not say why:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(dir, "registry.db")); err == nil {
				t.Error("scmd created its registry in the unsafe directory")
			}
		})
	}
}

// A state directory scmd creates is private to it.
func TestSCMDCreatesPrivateState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	sock := filepath.Join(t.TempDir(), "scm.sock")
	startSCMD(t, dir, sock)
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		switch {
		case fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0:
			t.Errorf("%s has mode %04o; state files are private to scmd", path, fi.Mode().Perm())
		case fi.IsDir() && fi.Mode().Perm()&0o022 != 0:
			t.Errorf("%s has mode %04o; only scmd may write its state", path, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
