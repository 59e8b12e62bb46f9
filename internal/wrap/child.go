package wrap

import (
	"fmt"
	"github.com/openscm/scm/internal/cmdline"
	"github.com/openscm/scm/internal/reap"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Reaper collects every child of the wrapper: the program it runs, and,
// since the wrapper is a child subreaper, whatever the program left behind
// when its parents died.
type Reaper struct{ r *reap.Reaper }

// NewReaper makes the process a subreaper and starts reaping.
func NewReaper() (*Reaper, error) {
	r, err := reap.New(true)
	if err != nil {
		return nil, err
	}
	return &Reaper{r}, nil
}

// Child is one run of the program.
type Child struct {
	PID     int
	Exited  chan int // its exit status, once
	Started time.Time
	outputs sync.WaitGroup
}

// Start runs the program in a process group of its own, with its output
// going to the logs (or nowhere) through pipes that are always drained.
func (r *Reaper) Start(c *Config, env []string, stdout, stderr io.Writer) (*Child, error) {
	argv := append([]string{c.Application}, cmdline.Split("x " + c.AppParameters)[1:]...)
	if c.AppParameters == "" {
		argv = []string{c.Application}
	}
	path := c.Application
	// Sockets the SCM holds for the service go on to the program in
	// systemd's form: from descriptor 3, LISTEN_FDS, LISTEN_FDNAMES, and
	// LISTEN_PID, which only the program's own process can set: scm-wrap
	// execs it through itself to do so.
	listen := listenFiles()
	if len(listen) > 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		path, argv = self, append([]string{self, ListenExec}, argv...)
		env = append(withoutSCMListen(env), "LISTEN_FDS="+strconv.Itoa(len(listen)), "LISTEN_FDNAMES="+os.Getenv("SCM_LISTEN_FDNAMES"))
	}
	// Read and write: a program may write to the output it is not
	// capturing, and must not fail for it.
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	ch := &Child{Exited: make(chan int, 1)}
	files := append([]uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()}, listen...)
	var closeAfter []*os.File
	for i, w := range []io.Writer{stdout, stderr} {
		if w == nil {
			continue
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		files[i+1] = pw.Fd()
		closeAfter = append(closeAfter, pw)
		ch.outputs.Add(1)
		go func(w io.Writer) {
			defer ch.outputs.Done()
			io.CopyBuffer(w, pr, make([]byte, 256<<10))
			pr.Close()
		}(w)
	}
	dir := c.AppDirectory
	if dir == "" {
		dir = filepath.Dir(c.Application)
	}
	pid, err := r.r.Start(func() (int, error) {
		return syscall.ForkExec(path, argv, &syscall.ProcAttr{
			Dir:   dir,
			Env:   env,
			Files: files,
			Sys:   &syscall.SysProcAttr{Setpgid: true},
		})
	}, func(_ int, ws syscall.WaitStatus) {
		status := ws.ExitStatus()
		if ws.Signaled() {
			status = 128 + int(ws.Signal())
		}
		ch.Exited <- status
	})
	for _, f := range closeAfter {
		f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.Application, err)
	}
	ch.PID, ch.Started = pid, time.Now()
	if c.Priority != 0 {
		syscall.Setpriority(syscall.PRIO_PROCESS, pid, c.Priority)
	}
	if len(c.Affinity) > 0 {
		var set unix.CPUSet
		for _, cpu := range c.Affinity {
			set.Set(cpu)
		}
		unix.SchedSetaffinity(pid, &set)
	}
	return ch, nil
}

// Signal sends sig to the program's process group.
func (ch *Child) Signal(sig syscall.Signal) { syscall.Kill(-ch.PID, sig) }

// WaitOutput waits until the program's output has all been written.
func (ch *Child) WaitOutput() { ch.outputs.Wait() }

// KillStragglers kills what the program left behind outside its process
// group: processes that made sessions of their own and were handed to the
// wrapper, as subreaper, when their parents died.
func KillStragglers() {
	self := os.Getpid()
	for i := 0; i < 50; i++ {
		left := childrenOf(self)
		if len(left) == 0 {
			return
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func childrenOf(parent int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[0] != "Z" && f[1] == strconv.Itoa(parent) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ListenExec is the first argument with which scm-wrap, as its own child,
// sets LISTEN_PID and execs the program.
const ListenExec = "--scm-wrap-listen-exec"

// ExecWithListenPID is that child: it runs in the program's process.
func ExecWithListenPID(argv []string) error {
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	return syscall.Exec(argv[0], argv, os.Environ())
}

// listenFiles are the sockets scmd handed the wrapper (descriptors 4...).
func listenFiles() []uintptr {
	n, _ := strconv.Atoi(os.Getenv("SCM_LISTEN_FDS"))
	var fds []uintptr
	for i := 0; i < n && i < 64; i++ {
		fds = append(fds, uintptr(4+i))
	}
	return fds
}

func withoutSCMListen(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "SCM_LISTEN_") {
			out = append(out, e)
		}
	}
	return out
}
