package launch

import (
	"os"
	"path/filepath"
	"syscall"
)

// RunAs starts a program as a user, for CreateProcessAsUser and
// WTSSendMessage: in a session of its own, with env and in dir (the user's
// home when empty), stdio its standard input, output and error (nil ones,
// and the ones not given, on /dev/null). It is no service: it has no channel, and the
// reaper collects it when it exits, and calls exited. A bare argv[0] is
// looked for in the PATH env gives.
func (l *Launcher) RunAs(uid uint32, argv, env []string, dir string, stdio []*os.File, exited func()) (int, error) {
	who, err := lookupUID(uid)
	if err != nil {
		return 0, err
	}
	if !filepath.IsAbs(argv[0]) {
		p, err := lookPathIn(argv[0], env)
		if err != nil {
			return 0, err
		}
		argv = append([]string{p}, argv[1:]...)
	}
	if dir == "" {
		dir = who.home
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			dir = "/" // nobody's home is /nonexistent
		}
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	files := []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()}
	for i, f := range stdio {
		if i < len(files) && f != nil {
			files[i] = f.Fd()
		}
	}
	attr := &syscall.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: true, Credential: who.credential(l.opts.Owner)},
	}
	return l.reaper.Start(func() (int, error) { return syscall.ForkExec(argv[0], argv, attr) }, func(int, syscall.WaitStatus) { exited() })
}

// lookPathIn finds a program in the PATH of env, or the system's.
func lookPathIn(name string, env []string) (string, error) {
	for _, kv := range env {
		if len(kv) > 5 && kv[:5] == "PATH=" {
			for _, dir := range filepath.SplitList(kv[5:]) {
				p := filepath.Join(dir, name)
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
					return p, nil
				}
			}
			return "", os.ErrNotExist
		}
	}
	return lookPath(name)
}
