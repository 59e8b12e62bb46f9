package wrap

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/eventlog"
)

// Handler runs the program configured for the service it is started as.
type Handler struct{}

// logger is where the wrapper says what it does: the event log, under the
// service's name as source.
type logger interface {
	Info(uint32, string) error
	Warning(uint32, string) error
	Error(uint32, string) error
}

type quiet struct{}

func (quiet) Info(uint32, string) error    { return nil }
func (quiet) Warning(uint32, string) error { return nil }
func (quiet) Error(uint32, string) error   { return nil }

// run is one wrapped service's state.
type run struct {
	name    string
	cfg     Config
	elog    logger
	reaper  *Reaper
	status  chan<- svc.Status
	accepts svc.Accepted
	stdout  io.Writer
	stderr  io.Writer
	logs    []*Log
	child   *Child
	notify  *net.UnixConn
	ready   chan struct{}

	notifyDir string // holds notify's socket
}

// closeNotify closes NOTIFY_SOCKET and removes it.
func (w *run) closeNotify() {
	if w.notify != nil {
		w.notify.Close()
		os.RemoveAll(w.notifyDir)
	}
}

// Execute is the service: it starts the program, restarts or stops as
// AppExit says when it exits, throttles one that dies too soon, and on STOP
// escalates from SIGINT to SIGTERM to SIGKILL of everything it started.
func (Handler) Execute(args []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	w := &run{name: args[0], status: s, elog: quiet{}}
	if l, err := eventlog.Open(w.name); err == nil {
		w.elog = l
		defer l.Close()
	}
	s <- svc.Status{State: svc.StartPending, CheckPoint: 1, WaitHint: 10000}
	conn := client.Dial(client.SocketPath())
	cfg, err := Load(conn, w.name)
	conn.Close()
	if err != nil {
		w.elog.Error(1, fmt.Sprintf("%s: %v", w.name, err))
		return false, uint32(windows.ERROR_INVALID_PARAMETER)
	}
	w.cfg = cfg
	w.accepts = svc.AcceptStop | svc.AcceptShutdown
	if cfg.PauseContinue {
		w.accepts |= svc.AcceptPauseAndContinue
	}
	if w.reaper, err = NewReaper(); err != nil {
		w.elog.Error(1, err.Error())
		return false, uint32(windows.ERROR_NOT_SUPPORTED)
	}
	if err := w.openLogs(); err != nil {
		w.elog.Error(1, fmt.Sprintf("opening the logs of %s: %v", w.name, err))
		return false, uint32(windows.ERROR_ACCESS_DENIED)
	}
	defer w.closeLogs()
	defer w.closeNotify()

	throttled := 0
	for {
		if err := w.start(); err != nil {
			w.elog.Error(1, err.Error())
			return false, uint32(windows.ERROR_FILE_NOT_FOUND)
		}
		if stop := w.waitReady(r); stop {
			w.stop(1)
			return false, 0
		}
		s <- svc.Status{State: svc.Running, Accepts: w.accepts}
		code, stop := w.supervise(r)
		if stop {
			return false, 0
		}
		// The program exited on its own.
		switch action := w.cfg.ExitAction(code); action {
		case ExitExit:
			w.elog.Info(1, fmt.Sprintf("%s exited with %d; stopping the service", w.cfg.Application, code))
			s <- svc.Status{State: svc.StopPending, CheckPoint: 1, WaitHint: 3000}
			KillStragglers()
			return code != 0, uint32(code)
		case ExitIgnore:
			w.elog.Info(1, fmt.Sprintf("%s exited with %d; the service goes on without it", w.cfg.Application, code))
			if w.idle(r) {
				return false, 0
			}
			continue
		}
		delay := time.Duration(w.cfg.RestartDelay) * time.Millisecond
		if time.Since(w.child.Started) < time.Duration(w.cfg.Throttle)*time.Millisecond {
			// Died too soon: wait longer each time, up to 256 s, shown as
			// PAUSED (NSSM's way) with the delay as wait hint.
			throttled++
			backoff := time.Duration(1<<min(throttled-1, 8)) * time.Second
			if backoff > delay {
				delay = backoff
			}
			w.elog.Warning(1, fmt.Sprintf("%s exited with %d after %v; throttling restart by %v", w.cfg.Application, code, time.Since(w.child.Started).Round(time.Millisecond), delay))
			s <- svc.Status{State: svc.Paused, Accepts: w.accepts &^ svc.AcceptPauseAndContinue, WaitHint: uint32(delay.Milliseconds())}
		} else {
			throttled = 0
			w.elog.Info(1, fmt.Sprintf("%s exited with %d; restarting", w.cfg.Application, code))
		}
		if w.sleep(r, delay) {
			return false, 0
		}
	}
}

func (w *run) openLogs() error {
	c := &w.cfg
	if c.AppStdout != "" {
		l, err := OpenLog(c.AppStdout, c, c.RotateFiles)
		if err != nil {
			return err
		}
		w.logs = append(w.logs, l)
		w.stdout = l
	}
	switch {
	case c.AppStderr == "":
	case c.AppStderr == c.AppStdout:
		w.stderr = w.stdout
	default:
		l, err := OpenLog(c.AppStderr, c, c.RotateFiles)
		if err != nil {
			return err
		}
		w.logs = append(w.logs, l)
		w.stderr = l
	}
	return nil
}

func (w *run) closeLogs() {
	for _, l := range w.logs {
		l.Close()
	}
}

// environment is the program's: the service's own, or AppEnvironment in
// its place, plus AppEnvironmentExtra, plus NOTIFY_SOCKET when asked for.
func (w *run) environment() []string {
	env := os.Environ()
	if len(w.cfg.AppEnvironment) > 0 {
		env = append([]string(nil), w.cfg.AppEnvironment...)
	}
	env = append(env, w.cfg.AppEnvironmentEx...)
	if w.notify != nil {
		env = append(env, "NOTIFY_SOCKET="+w.notify.LocalAddr().String())
	}
	return env
}

func (w *run) start() error {
	if w.cfg.Notify && w.notify == nil {
		// In a directory of the wrapper's own: a name another user could
		// take first in the shared temporary directory would keep the
		// service from starting.
		dir, err := os.MkdirTemp("", "scm-wrap-")
		if err != nil {
			return fmt.Errorf("NOTIFY_SOCKET: %w", err)
		}
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("NOTIFY_SOCKET: %w", err)
		}
		w.notify, w.notifyDir = conn, dir
		go w.readNotify()
	}
	w.ready = make(chan struct{})
	child, err := w.reaper.Start(&w.cfg, w.environment(), w.stdout, w.stderr)
	if err != nil {
		return err
	}
	w.child = child
	w.elog.Info(1, fmt.Sprintf("started %s (process %d)", w.cfg.Application, child.PID))
	return nil
}

// readNotify reads sd_notify messages: READY=1 makes the service RUNNING,
// STATUS= goes to the event log.
func (w *run) readNotify() {
	buf := make([]byte, 4096)
	for {
		n, err := w.notify.Read(buf)
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			switch {
			case line == "READY=1":
				select {
				case <-w.ready:
				default:
					close(w.ready)
				}
			case strings.HasPrefix(line, "STATUS="):
				w.elog.Info(2, strings.TrimPrefix(line, "STATUS="))
			}
		}
	}
}

// waitReady waits, for a program that signals readiness, until it does,
// reporting progress; it reports true if a stop came first.
func (w *run) waitReady(r <-chan svc.ChangeRequest) bool {
	if !w.cfg.Notify {
		return false
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for cp := uint32(2); ; cp++ {
		select {
		case <-w.ready:
			return false
		case code := <-w.child.Exited:
			w.child.Exited <- code // the supervisor sees it
			return false
		case <-tick.C:
			w.status <- svc.Status{State: svc.StartPending, CheckPoint: cp, WaitHint: 3000}
		case c := <-r:
			if c.Cmd == svc.Stop || c.Cmd == svc.Shutdown {
				return true
			}
			if c.Cmd == svc.Interrogate {
				w.status <- c.CurrentStatus
			}
		}
	}
}

// supervise runs until the program exits (its code) or a stop comes.
func (w *run) supervise(r <-chan svc.ChangeRequest) (int, bool) {
	for {
		select {
		case code := <-w.child.Exited:
			// Its output drains on its own: a descendant may still hold
			// the pipe, and must not hold up the restart.
			return code, false
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				w.status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				w.stop(1)
				return 0, true
			case svc.Pause:
				w.child.Signal(syscall.SIGSTOP)
				w.status <- svc.Status{State: svc.Paused, Accepts: w.accepts}
			case svc.Continue:
				w.child.Signal(syscall.SIGCONT)
				w.status <- svc.Status{State: svc.Running, Accepts: w.accepts}
			default:
				if sig, ok := w.cfg.Controls[uint32(c.Cmd)]; ok {
					w.child.Signal(sig)
				}
			}
		}
	}
}

// idle keeps the service running after the program exited with an Ignore
// action, until a stop; it reports true then.
func (w *run) idle(r <-chan svc.ChangeRequest) bool {
	for c := range r {
		switch c.Cmd {
		case svc.Interrogate:
			w.status <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			KillStragglers()
			return true
		}
	}
	return true
}

// sleep waits out a restart delay; a stop ends it (true).
func (w *run) sleep(r <-chan svc.ChangeRequest, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return false
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				w.status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				w.status <- svc.Status{State: svc.StopPending, CheckPoint: 1, WaitHint: 1000}
				KillStragglers()
				return true
			}
		}
	}
}

// stop escalates: SIGINT and AppStopMethodConsole, SIGTERM and
// AppStopMethodWindow, then SIGKILL, each step to the whole process group
// and left out if AppStopMethodSkip says so; a checkpoint for each. Then
// nothing the program started is left.
func (w *run) stop(checkpoint uint32) {
	steps := []struct {
		skip uint32
		sig  syscall.Signal
		wait uint32
	}{
		{SkipConsole, syscall.SIGINT, w.cfg.StopConsole},
		{SkipWindow, syscall.SIGTERM, w.cfg.StopWindow},
	}
	hint := uint32(1000)
	for _, st := range steps {
		if w.cfg.StopSkip&st.skip == 0 {
			hint += st.wait
		}
	}
	w.status <- svc.Status{State: svc.StopPending, CheckPoint: checkpoint, WaitHint: hint}
	exited := false
	for _, st := range steps {
		if w.cfg.StopSkip&st.skip != 0 {
			continue
		}
		w.child.Signal(st.sig)
		select {
		case <-w.child.Exited:
			exited = true
		case <-time.After(time.Duration(st.wait) * time.Millisecond):
		}
		checkpoint++
		w.status <- svc.Status{State: svc.StopPending, CheckPoint: checkpoint, WaitHint: hint}
		if exited {
			break
		}
	}
	// Whatever is left of the group goes, with or without the leader.
	if w.cfg.StopSkip&SkipTerminate == 0 || !exited {
		w.child.Signal(syscall.SIGKILL)
	}
	if !exited {
		<-w.child.Exited
	}
	KillStragglers()
	w.child.WaitOutput()
	w.elog.Info(1, fmt.Sprintf("stopped %s", w.cfg.Application))
}
