// Command testsvc is a service built on windows/svc whose behaviour the
// end-to-end tests choose with -mode: it behaves, crashes at a chosen
// stage, ignores the SCM, forks grandchildren, floods, or speaks garbage.
// It appends what it sees to the file named by -log.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/eventlog"
)

var (
	mode       = flag.String("mode", "normal", "behaviour")
	logPath    = flag.String("log", "", "file to append events to")
	exitCode   = flag.Uint("exit", 0, "exit code to report when stopping")
	specific   = flag.Bool("specific", false, "the exit code is service-specific")
	share      = flag.String("share", "", "comma-separated services this host dispatches (share-process)")
	pre        = flag.String("preshutdown", "", "accept PRESHUTDOWN: stop on it, or hang on it")
	timechange = flag.Bool("timechange", false, "accept TIMECHANGE")
	netbind    = flag.Bool("netbind", false, "accept NETBIND*")
	power      = flag.Bool("power", false, "accept POWEREVENT")
	session    = flag.Bool("session", false, "accept SESSIONCHANGE")
	pidsPath   = flag.String("pids", "", "modes descendants and fork: file the descendants write their pids to")
	child      = flag.String("child", "", "run as one of mode descendants' descendants (setsid, setpgid, ignore-term, double-fork, leaf)")
)

func logf(format string, args ...any) {
	if *logPath == "" {
		return
	}
	f, err := os.OpenFile(*logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format+"\n", args...)
}

func main() {
	flag.Parse()
	if *child != "" {
		runDescendant(*child)
		return
	}
	isSvc, _ := svc.IsWindowsService()
	interactive, _ := svc.IsAnInteractiveSession()
	wd, _ := os.Getwd()
	logf("process pid=%d service=%v interactive=%v uid=%d cwd=%s env=%q", os.Getpid(), isSvc, interactive, os.Getuid(), wd, os.Getenv("SCMTEST"))
	switch *mode {
	case "crash-before-register":
		os.Exit(3)
	case "never-register":
		select {}
	case "handshake":
		// The floor of a start: exec, then one byte back over the socket.
		syscall.Write(3, []byte{1})
		return
	case "echo":
		// The floor of a control round trip: each packet comes back.
		buf := make([]byte, 256)
		for {
			n, err := syscall.Read(3, buf)
			if err != nil || n <= 0 {
				return
			}
			syscall.Write(3, buf[:n])
		}
	case "hostile":
		syscall.Write(3, []byte("\x07\x07 this is not the protocol"))
		select {}
	case "child-check":
		// A program the service runs is not a service itself.
		out, _ := exec.Command(os.Args[0], "-mode=report-only", "-log="+*logPath).CombinedOutput()
		logf("child said %q", out)
	}
	if *mode == "report-only" {
		return
	}
	var err error
	if *share != "" {
		table := map[string]svc.Handler{}
		for _, n := range strings.Split(*share, ",") {
			table[n] = &handler{}
		}
		err = svc.Dispatch(table)
	} else {
		err = svc.Run("ignored-for-own-process", &handler{})
	}
	logf("dispatcher returned %v", err)
}

type handler struct{}

// lastWords writes an event from a shutdown handler, as real services log
// their last lines while the SCM shuts down.
func lastWords(service, control string) {
	l, err := eventlog.Open(service)
	if err != nil {
		logf("last words: open: %v", err)
		return
	}
	defer l.Close()
	if err := l.Info(1, service+" stopping on "+control); err != nil {
		logf("last words: %v", err)
		return
	}
	logf("last words written on %s", control)
}

// AnswerControl logs a power event as the SCM delivers it, before the
// answer goes back; a suspend is taken slowly, as a service saving its
// state would, so a test can tell the SCM waited for the answer.
//
// User-defined control 250 is held until the file <log>.release exists:
// the service is busy with a control for as long as a test wants.
func (h *handler) AnswerControl(c svc.ChangeRequest) uint32 {
	if c.Cmd == 250 && *logPath != "" {
		logf("holding control 250")
		for {
			if _, err := os.Stat(*logPath + ".release"); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		logf("released control 250")
	}
	if c.Cmd == svc.PowerEvent {
		if c.EventType == 4 { // PBT_APMSUSPEND
			time.Sleep(200 * time.Millisecond)
		}
		logf("power event=%d", c.EventType)
	}
	return 0
}

func (h *handler) Execute(args []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	reason, _ := svc.DynamicStartReason()
	logf("execute args=%q reason=%d handle=%v", args, reason, svc.StatusHandle() != 0)
	accepts := svc.AcceptStop | svc.AcceptShutdown | svc.AcceptPauseAndContinue
	if *pre != "" {
		accepts |= svc.AcceptPreShutdown
	}
	if *timechange {
		accepts |= svc.Accepted(windows.SERVICE_ACCEPT_TIMECHANGE)
	}
	if *netbind {
		accepts |= svc.AcceptNetBindChange
	}
	if *power {
		accepts |= svc.AcceptPowerEvent
	}
	if *session {
		accepts |= svc.AcceptSessionChange
	}
	if *mode == "shutdown-only" {
		accepts = svc.AcceptShutdown
	}
	switch *mode {
	case "never-report":
		select {}
	case "flood":
		for i := uint32(0); i < 5000; i++ {
			s <- svc.Status{State: svc.StartPending, CheckPoint: i, WaitHint: 10000}
		}
	case "crash-start-pending":
		s <- svc.Status{State: svc.StartPending, WaitHint: 3000}
		os.Exit(4)
	case "fork":
		// Grandchildren: one in the service's process group, one that
		// makes a session of its own, both outliving their parent shell.
		// Their pids go to -pids, so that the test looks for them alone.
		exec.Command("/bin/sh", "-c", `sleep 1000 & echo $! >> "$1"; setsid sleep 1001 & echo $! >> "$1"; exit 0`, "sh", *pidsPath).Run()
	case "slow-start":
		s <- svc.Status{State: svc.StartPending, CheckPoint: 1, WaitHint: 1000}
		time.Sleep(300 * time.Millisecond)
		s <- svc.Status{State: svc.StartPending, CheckPoint: 2, WaitHint: 1000}
		time.Sleep(300 * time.Millisecond)
	case "descendants":
		startDescendants()
	case "hang-start":
		s <- svc.Status{State: svc.StartPending, CheckPoint: 1, WaitHint: 500}
		select {}
	}
	s <- svc.Status{State: svc.Running, Accepts: accepts}
	if *mode == "crash-running" {
		time.Sleep(50 * time.Millisecond)
		os.Exit(5)
	}
	if *mode == "fork" {
		os.Exit(0) // gone without reporting STOPPED; its grandchildren must not survive
	}
	for c := range r {
		logf("control cmd=%d context=%d service=%s", c.Cmd, c.Context, args[0])
		if c.Cmd == svc.Cmd(windows.SERVICE_CONTROL_TIMECHANGE) && c.EventData != 0 {
			// EventData points at SERVICE_TIMECHANGE_INFO, as on Windows.
			info := (*[2]uint64)(unsafe.Add(unsafe.Pointer(nil), c.EventData))
			logf("timechange new=%d old=%d", info[0], info[1])
		}
		if c.Cmd == svc.SessionChange && c.EventData != 0 {
			// EventData points at WTSSESSION_NOTIFICATION, as on Windows.
			n := (*windows.WTSSESSION_NOTIFICATION)(unsafe.Add(unsafe.Pointer(nil), c.EventData))
			logf("session event=%d id=%d size=%d", c.EventType, n.SessionID, n.Size)
		}
		switch c.Cmd {
		case svc.Interrogate:
			s <- c.CurrentStatus
			s <- c.CurrentStatus // twice: the dispatcher must not deadlock
		case svc.Stop, svc.Shutdown:
			if *mode == "log-at-shutdown" && c.Cmd == svc.Shutdown {
				lastWords(args[0], "SHUTDOWN")
			}
			if *mode == "ignore-stop" {
				continue
			}
			s <- svc.Status{State: svc.StopPending, CheckPoint: 1, WaitHint: 2000}
			if *mode == "crash-stop-pending" {
				os.Exit(6)
			}
			return *specific, uint32(*exitCode)
		case svc.PreShutdown:
			if *mode == "log-at-shutdown" {
				lastWords(args[0], "PRESHUTDOWN")
			}
			if *pre == "hang" {
				continue
			}
			s <- svc.Status{State: svc.StopPending, CheckPoint: 1, WaitHint: 2000}
			return false, 0
		case svc.Pause:
			s <- svc.Status{State: svc.Paused, Accepts: accepts}
		case svc.Continue:
			s <- svc.Status{State: svc.Running, Accepts: accepts}
		}
	}
	return false, 0
}
