package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// ordinaryUser makes a Linux user of its own for the test, with no
// privilege and no group but its own, and deletes it when the test ends.
// Tests that attack scmd run their attackers as this user.
type ordinaryUser struct {
	Name     string
	UID, GID uint32
}

func newOrdinaryUser(t testing.TB) *ordinaryUser {
	t.Helper()
	name := fmt.Sprintf("scmt%d", os.Getpid()%1000000)
	if _, err := user.Lookup(name); err != nil {
		out, err := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
		if err != nil {
			t.Fatalf("useradd %s: %v\n%s", name, err, out)
		}
		t.Cleanup(func() { exec.Command("userdel", name).Run() })
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &ordinaryUser{Name: name, UID: uint32(uid), GID: uint32(gid)}
}

// Command returns cmd set to run as the user.
func (u *ordinaryUser) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: []uint32{}}}
	return cmd
}

// Attack returns the attack program (internal/e2e/attack) running one of
// its attacks as the user.
func (u *ordinaryUser) Attack(attack string, args ...string) *exec.Cmd {
	return u.Command(filepath.Join(binDir, "attack"), append([]string{attack}, args...)...)
}

// publicSocket returns a socket path in a directory every user can
// reach, for tests whose clients run as an ordinary user.
func publicSocket(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "scm-sock")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "scm.sock")
}
