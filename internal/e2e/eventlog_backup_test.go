package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/openscm/scm/windows/svc/eventlog"
)

// userDir makes a directory under the system's temporary directory, which
// every user can reach, owned by uid and with the given mode.
func userDir(t *testing.T, uid, gid uint32, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "scm-bu")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runCode runs cmd and returns its exit code and output.
func runCode(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func writeEvent(t *testing.T, source, text string) {
	t.Helper()
	l, err := eventlog.Open(source)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Info(1, text); err != nil {
		t.Fatal(err)
	}
}

func logHas(t *testing.T, log, text string) bool {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "wevtutil"), "qe", log, "/f:text").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return strings.Contains(string(out), text)
}

// TestBackupNeverOverwrites: `wevtutil cl LOG /bu:FILE` refuses a file
// that exists, or a symbolic link, with ERROR_FILE_EXISTS, touches
// neither, and leaves the log as it was; a new file gets the backup, and
// only then is the log cleared.
func TestBackupNeverOverwrites(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, t.TempDir(), sock)
	writeEvent(t, "backup-test", "keep me")
	wevtutil := filepath.Join(binDir, "wevtutil")
	dir := t.TempDir()

	precious := filepath.Join(dir, "passwd")
	content := []byte("root:x:0:0:root:/root:/bin/bash\n")
	os.WriteFile(precious, content, 0o644)
	link := filepath.Join(dir, "link")
	target := filepath.Join(dir, "target")
	os.Symlink(target, link)
	linkToPrecious := filepath.Join(dir, "link-to-passwd")
	os.Symlink(precious, linkToPrecious)
	for _, path := range []string{precious, link, linkToPrecious} {
		code, out := runCode(t, exec.Command(wevtutil, "cl", "Application", "/bu:"+path))
		if code != 80 || !strings.Contains(out, "Failed to clear log Application. The file exists.") {
			t.Errorf("/bu:%s: exit %d: %s", path, code, out)
		}
	}
	if b, _ := os.ReadFile(precious); !bytes.Equal(b, content) {
		t.Errorf("the existing file was written: %q", b)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("the symbolic link was followed: %v", err)
	}
	if !logHas(t, "Application", "keep me") {
		t.Fatal("a refused backup cleared the log")
	}

	backup := filepath.Join(dir, "app.xml")
	if code, out := runCode(t, exec.Command(wevtutil, "cl", "Application", "/bu:"+backup)); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	b, _ := os.ReadFile(backup)
	if !strings.Contains(string(b), "<Data>keep me</Data>") {
		t.Errorf("backup: %s", b)
	}
	if logHas(t, "Application", "keep me") {
		t.Error("the log was not cleared after its backup")
	}
}

// TestBackupAsOrdinaryUser: an ordinary user may not clear System, and is
// told so before any file is made; on the user's own scmd, where the user
// is the administrator, the backup is the user's file, and a directory the
// user may not write to gets ERROR_ACCESS_DENIED.
func TestBackupAsOrdinaryUser(t *testing.T) {
	u := newOrdinaryUser(t)
	sock := publicSocket(t)
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, t.TempDir(), sock)
	wevtutil := filepath.Join(binDir, "wevtutil")

	open := userDir(t, 0, 0, 0o777)
	denied := filepath.Join(open, "system.xml")
	code, out := runCode(t, u.Command(wevtutil, "cl", "System", "/bu:"+denied))
	if code != 5 || !strings.Contains(out, "Access is denied.") {
		t.Errorf("clearing System as %s: exit %d: %s", u.Name, code, out)
	}
	if _, err := os.Lstat(denied); !os.IsNotExist(err) {
		t.Errorf("a file was made before the access check: %v", err)
	}

	// The user's own SCM.
	home := userDir(t, u.UID, u.GID, 0o700)
	state := filepath.Join(home, "state")
	userSock := filepath.Join(home, "scm.sock")
	scmd := u.Command(filepath.Join(binDir, "scmd"), "--state-dir", state, "--socket", userSock)
	if err := scmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopSCMD(scmd) })
	waitForSocketT(t, userSock)
	asUser := func(args ...string) (int, string) {
		cmd := u.Command(wevtutil, args...)
		cmd.Env = append(os.Environ(), "SCM_SOCKET="+userSock)
		return runCode(t, cmd)
	}
	backup := filepath.Join(home, "app.xml")
	if code, out := asUser("cl", "Application", "/bu:"+backup); code != 0 {
		t.Fatalf("the user's own log: exit %d: %s", code, out)
	}
	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != u.UID {
		t.Errorf("backup owned by uid %d, not the caller's %d", st.Uid, u.UID)
	}
	rootOnly := userDir(t, 0, 0, 0o755)
	code, out = asUser("cl", "Application", "/bu:"+filepath.Join(rootOnly, "app.xml"))
	if code != 5 || !strings.Contains(out, "Access is denied.") {
		t.Errorf("a directory the user cannot write: exit %d: %s", code, out)
	}
	if entries, _ := os.ReadDir(rootOnly); len(entries) != 0 {
		t.Errorf("files made in a directory the user cannot write: %v", entries)
	}
}
