// Package statedir prepares the directory that holds scmd's durable state
// (the registry, the event log, the host key, what runs) and refuses one
// that another user could have tampered with: whoever can write there can
// rewrite the services database of a root daemon, or forge the key that
// lets a process claim to be a running service.
package statedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Prepare creates dir (mode 0700) if it does not exist, and checks that it,
// everything in it, and every directory above it are safe for the current
// user to trust:
//   - dir and everything in it belong to the current user and are not
//     writable by group or others;
//   - each directory above belongs to the current user or root, and is
//     writable by nobody else, or is sticky (as /tmp is), so no one else
//     can move dir away and put one of their own in its place.
//
// The error names the first offending path and what is wrong with it.
func Prepare(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return fmt.Errorf("creating the state directory: %w", err)
	}
	uid := uint32(os.Geteuid())
	for parent := filepath.Dir(abs); ; parent = filepath.Dir(parent) {
		if err := checkAncestor(parent, uid); err != nil {
			return err
		}
		if parent == filepath.Dir(parent) {
			break
		}
	}
	return filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return unsafe(path, "is a symbolic link")
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSocket != 0 {
			// The API socket may live here; who may connect is its mode's
			// business and the access check's, not the state's.
			return checkOwner(path, fi, uid)
		}
		if err := checkOwner(path, fi, uid); err != nil {
			return err
		}
		if fi.Mode().Perm()&0o022 != 0 {
			return unsafe(path, fmt.Sprintf("is writable by group or others (mode %04o)", fi.Mode().Perm()))
		}
		return nil
	})
}

// checkAncestor checks one directory above the state directory. A
// symbolic link there is judged as itself (its owner could repoint it) and
// then as what it leads to.
func checkAncestor(path string, uid uint32) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if owner := fi.Sys().(*syscall.Stat_t).Uid; owner != uid && owner != 0 {
			return unsafe(path, fmt.Sprintf("is a symbolic link of uid %d, not of uid %d or root", owner, uid))
		}
		if fi, err = os.Stat(path); err != nil {
			return err
		}
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != uid && st.Uid != 0 {
		return unsafe(path, fmt.Sprintf("belongs to uid %d, not to uid %d or root", st.Uid, uid))
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return unsafe(path, fmt.Sprintf("is writable by group or others and not sticky (mode %04o)", fi.Mode().Perm()))
	}
	return nil
}

func checkOwner(path string, fi fs.FileInfo, uid uint32) error {
	if owner := fi.Sys().(*syscall.Stat_t).Uid; owner != uid {
		return unsafe(path, fmt.Sprintf("belongs to uid %d, not to uid %d", owner, uid))
	}
	return nil
}

// ErrUnsafe is the error Prepare wraps for a state directory it refuses.
var ErrUnsafe = errors.New("unsafe state directory")

func unsafe(path, why string) error {
	return fmt.Errorf("%w: %s %s; fix its owner and mode (chown, chmod go-w) or choose another --state-dir", ErrUnsafe, path, why)
}
