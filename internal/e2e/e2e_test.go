// Package e2e runs the real binaries against a real scmd: each
// testdata/*.txtar script starts its own scmd on a fresh state directory and
// drives it with sc and reg, matching their output and exit codes.
package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/rogpeppe/go-internal/testscript"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scm-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755)
	build := exec.Command("go", "build", "-o", dir, "github.com/openscm/scm/cmd/...", "github.com/openscm/scm/internal/e2e/testsvc", "github.com/openscm/scm/internal/e2e/attack", "github.com/openscm/scm/internal/e2e/remotego", "github.com/openscm/scm/internal/e2e/querymon", "github.com/openscm/scm/windows/svc/example", "github.com/openscm/scm/windows/svc/example/devicewatch")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the commands:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			// The socket lives where any user can reach it, so scripts can
			// run clients as nobody.
			sockDir, err := os.MkdirTemp("", "scm-sock")
			if err != nil {
				return err
			}
			os.Chmod(sockDir, 0o755)
			env.Defer(func() { os.RemoveAll(sockDir) })
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("SCM_SOCKET", filepath.Join(sockDir, "scm.sock"))
			env.Setenv("STATE", filepath.Join(env.WorkDir, "state"))
			env.Setenv("TESTSVC", filepath.Join(binDir, "testsvc"))
			env.Values["scmd"] = &daemon{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"scmd":      cmdSCMD,
			"nobody":    cmdNobody,
			"waitstate": cmdWaitState,
			"waitfile":  cmdWaitFile,
			"waitevent": cmdWaitEvent,
		},
	})
}

// scmd start|stop|kill: run scmd on $STATE and $SCM_SOCKET, waiting until
// it answers; stop it with SIGTERM or SIGKILL.
func cmdSCMD(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: scmd start|stop|kill")
	}
	switch args[0] {
	case "start":
		cmd := exec.Command(filepath.Join(binDir, "scmd"), "--state-dir", ts.Getenv("STATE"), "--socket", ts.Getenv("SCM_SOCKET"))
		// scmd outlives this command, so its log goes to a file of its own.
		logFile, err := os.Create(filepath.Join(ts.Getenv("WORK"), "scmd.log"))
		if err != nil {
			ts.Fatalf("%v", err)
		}
		defer logFile.Close()
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			ts.Fatalf("starting scmd: %v", err)
		}
		d := ts.Value("scmd").(*daemon)
		d.cmd = cmd
		ts.Defer(func() {
			if d.cmd == cmd {
				stopSCMD(cmd)
				d.cmd = nil
			}
		})
		waitForSocket(ts, ts.Getenv("SCM_SOCKET"))
	case "stop", "kill":
		d := ts.Value("scmd").(*daemon)
		cmd := d.cmd
		if cmd == nil {
			ts.Fatalf("scmd is not running")
		}
		if args[0] == "stop" {
			cmd.Process.Signal(os.Interrupt)
		} else {
			cmd.Process.Kill()
		}
		cmd.Wait()
		d.cmd = nil
	default:
		ts.Fatalf("usage: scmd start|stop|kill")
	}
}

// daemon is the scmd a script runs; one script's commands run in turn.
type daemon struct{ cmd *exec.Cmd }

func waitForSocket(ts *testscript.TestScript, path string) {
	if err := dialUntilUp(path); err != nil {
		ts.Fatalf("%v", err)
	}
}

func waitForSocketT(t testing.TB, path string) {
	t.Helper()
	if err := dialUntilUp(path); err != nil {
		t.Fatal(err)
	}
}

// dialUntilUp waits until something accepts connections at path.
func dialUntilUp(path string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("scmd did not come up on %s: %v", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nobody cmd args...: run one of the commands as the user nobody.
func cmdNobody(ts *testscript.TestScript, neg bool, args []string) {
	full := append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", filepath.Join(binDir, args[0])}, args[1:]...)
	err := ts.Exec("setpriv", full...)
	if err != nil && !neg {
		ts.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	if err == nil && neg {
		ts.Fatalf("%s: unexpected success", strings.Join(args, " "))
	}
}

// waitstate NAME STATE: wait until the service is in a state (stopped,
// running, paused, ...), as a script cannot wait on a process it did not
// start.
func cmdWaitState(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitstate NAME STATE")
	}
	want := map[string]svc.State{"stopped": svc.Stopped, "running": svc.Running, "paused": svc.Paused,
		"start_pending": svc.StartPending, "stop_pending": svc.StopPending}[strings.ToLower(args[1])]
	// Scripts run in parallel, each with its own scmd: the query goes on a
	// connection of this script's, not the process's shared one.
	conn := client.Dial(ts.Getenv("SCM_SOCKET"))
	defer conn.Close()
	scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	h, err := client.Call(conn.OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: args[0], DesiredAccess: windows.SERVICE_QUERY_STATUS})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := client.Call(conn.QueryServiceStatus, &pb.HandleRequest{Handle: h.Handle})
		if err != nil {
			ts.Fatalf("%v", err)
		}
		if svc.State(st.CurrentState) == want {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s is in state %d, not %s", args[0], st.CurrentState, args[1])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitfile PATH TEXT: wait until a file exists and holds the text.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitfile PATH TEXT")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(ts.MkAbs(args[0]))
		if strings.Contains(string(b), args[1]) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s never held %q; it has %q", args[0], args[1], b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitevent SOURCE TEXT: wait until the Application log holds an event of
// SOURCE whose text holds TEXT.
func cmdWaitEvent(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitevent SOURCE TEXT")
	}
	query := fmt.Sprintf("/q:*[System[Provider[@Name='%s']]]", args[0])
	deadline := time.Now().Add(30 * time.Second)
	for {
		cmd := exec.Command(filepath.Join(binDir, "wevtutil"), "qe", "Application", query, "/f:text")
		cmd.Env = append(os.Environ(), "SCM_SOCKET="+ts.Getenv("SCM_SOCKET"))
		out, _ := cmd.Output()
		if strings.Contains(string(out), args[1]) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no %s event says %q; the log has:\n%s", args[0], args[1], out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopSCMD stops a test's scmd the way a machine does, so that the
// services it runs stop too and nothing outlives the test; one that does
// not exit in time is killed.
func stopSCMD(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
