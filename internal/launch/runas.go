package launch

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// RunAs starts a program as a user, for CreateProcessAsUser: in a session
// of its own, with env and in dir (the user's home when empty), stdin and
// output on /dev/null. It is no service: it has no channel, and the
// reaper collects it when it exits, and calls exited. A bare argv[0] is
// looked for in the PATH env gives.
func (l *Launcher) RunAs(uid uint32, argv, env []string, dir string, exited func()) (int, error) {
	return l.runAs(uid, argv, env, dir, nil, exited)
}

func (l *Launcher) runAs(uid uint32, argv, env []string, dir string, stdio []*os.File, exited func()) (int, error) {
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
	pid, err := l.reaper.Start(func() (int, error) { return syscall.ForkExec(argv[0], argv, attr) }, func(int, syscall.WaitStatus) { exited() })
	if err == nil {
		l.reaper.Exiting(pid) // it runs to its end: collected by its pid
	}
	return pid, err
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

// MaxConverseOutput bounds what Converse reads of a helper's answer.
const MaxConverseOutput = 4096

// Converse runs one of scmd's helpers (a program beside scmd's own, such as
// scm-sessionmsg) as a user, with input on its standard input, and returns
// its standard output once it exits. The end of ctx kills it.
func (l *Launcher) Converse(ctx context.Context, uid uint32, helper string, env []string, input []byte) ([]byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(filepath.Dir(exe), helper)
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	defer outR.Close()
	var (
		mu     sync.Mutex
		exited bool
	)
	done := make(chan struct{})
	pid, err := l.runAs(uid, []string{path}, env, "", []*os.File{inR, outW, nil}, func() {
		mu.Lock()
		exited = true
		mu.Unlock()
		close(done)
	})
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		return nil, err
	}
	// The end of ctx kills the helper's whole process group (it leads a
	// session of its own), but never a process that took its pid after it
	// was reaped. The input is written on the side: a helper that does not
	// read it must not hold the caller.
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !exited {
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
	defer stop()
	go func() {
		inW.Write(input)
		inW.Close()
	}()
	out, err := io.ReadAll(io.LimitReader(outR, MaxConverseOutput))
	<-done
	return out, err
}
