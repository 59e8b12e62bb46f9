package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// benchService is a test service installed in an in-process SCM, with a
// connection that can start it and watch it.
type benchService struct {
	conn *client.Conn
	h    uint64
}

func newBenchService(b *testing.B, conn *client.Conn, scm uint64, name string, args string) *benchService {
	r, err := client.Call(conn.CreateService, &pb.CreateServiceRequest{
		Scm: scm, ServiceName: name, DesiredAccess: windows.SERVICE_ALL_ACCESS,
		ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_DEMAND_START,
		BinaryPathName: filepath.Join(binDir, "testsvc") + " " + args,
	})
	if err != nil {
		b.Fatal(err)
	}
	return &benchService{conn: conn, h: r.Handle}
}

// until runs start and waits for the service to reach a state, one
// change at a time as a command-line client waits.
func (s *benchService) until(b *testing.B, start func(), state uint32) {
	now, err := client.Call(s.conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: s.h})
	if err != nil {
		b.Fatal(err)
	}
	start()
	st := now.Status
	for st.CurrentState != state {
		n, err := client.Call(s.conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: s.h, State: st.CurrentState, CheckPoint: st.CheckPoint})
		if err != nil {
			b.Fatal(err)
		}
		if n.Hung {
			b.Fatalf("hung in state %d", n.Status.CurrentState)
		}
		st = n.Status
	}
}

func (s *benchService) start(b *testing.B) {
	s.until(b, func() {
		if _, err := client.Call(s.conn.StartService, &pb.StartServiceRequest{Handle: s.h}); err != nil {
			b.Fatal(err)
		}
	}, windows.SERVICE_RUNNING)
}

func (s *benchService) stop(b *testing.B) {
	s.until(b, func() {
		if _, err := client.Call(s.conn.ControlService, &pb.ControlServiceRequest{Handle: s.h, Control: windows.SERVICE_CONTROL_STOP}); err != nil {
			b.Fatal(err)
		}
	}, windows.SERVICE_STOPPED)
}

func percentiles(b *testing.B, name string, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), name+"-p50-µs")
	b.ReportMetric(float64(d[len(d)*9/10].Microseconds()), name+"-p90-µs")
}

// benchSCMD runs the real scmd on the state in dir, as users run it, and
// points SCM_SOCKET at it; it stops when the benchmark ends.
func benchSCMD(b *testing.B, dir string) *exec.Cmd {
	sock := filepath.Join(dir, "scm.sock")
	b.Setenv("SCM_SOCKET", sock)
	return startSCMD(b, dir, sock)
}

func dialBench(b *testing.B) (*client.Conn, uint64) {
	benchSCMD(b, b.TempDir())
	conn := client.Dial(client.SocketPath())
	b.Cleanup(func() { conn.Close() })
	scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_ALL_ACCESS})
	if err != nil {
		b.Fatal(err)
	}
	return conn, scm.Handle
}

// BenchmarkStartToRunning measures StartService until the service reports
// RUNNING, for a Go service built on windows/svc, against the floor: fork
// and exec of the same binary and one byte back over a socketpair.
func BenchmarkStartToRunning(b *testing.B) {
	conn, scm := dialBench(b)
	s := newBenchService(b, conn, scm, "bench", "")
	var starts, floors []time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		s.start(b)
		starts = append(starts, time.Since(t0))
		s.stop(b)

		t0 = time.Now()
		handshake(b)
		floors = append(floors, time.Since(t0))
	}
	percentiles(b, "start", starts)
	percentiles(b, "floor", floors)
}

// handshake is the floor: fork+exec testsvc, which writes one byte to the
// socket it inherits and exits.
func handshake(b *testing.B) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	theirs := os.NewFile(uintptr(fds[1]), "theirs")
	defer theirs.Close()
	defer unix.Close(fds[0])
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	pid, err := syscall.ForkExec(filepath.Join(binDir, "testsvc"), []string{"testsvc", "-mode", "handshake"}, &syscall.ProcAttr{
		Env:   []string{"SCM_CONTROL_FD=3"},
		Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd(), theirs.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1)
	if n, err := unix.Read(fds[0], buf); n != 1 || err != nil {
		b.Fatal("no handshake byte", err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
}

// BenchmarkControlRoundTrip measures ControlService(INTERROGATE) until the
// handler's answer is back, against a bare round trip of one packet over a
// socketpair to another process.
func BenchmarkControlRoundTrip(b *testing.B) {
	conn, scm := dialBench(b)
	s := newBenchService(b, conn, scm, "bench", "")
	s.start(b)
	defer s.stop(b)

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	theirs := os.NewFile(uintptr(fds[1]), "theirs")
	devnull, _ := os.Open(os.DevNull)
	pid, err := syscall.ForkExec(filepath.Join(binDir, "testsvc"), []string{"testsvc", "-mode", "echo"}, &syscall.ProcAttr{
		Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd(), theirs.Fd()},
	})
	theirs.Close()
	devnull.Close()
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		unix.Close(fds[0])
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
	}()

	var controls, bare []time.Duration
	buf := make([]byte, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		r, err := client.Call(conn.ControlService, &pb.ControlServiceRequest{Handle: s.h, Control: windows.SERVICE_CONTROL_INTERROGATE})
		if err != nil || r.Win32Error != 0 {
			b.Fatal(err, r)
		}
		controls = append(controls, time.Since(t0))

		t0 = time.Now()
		unix.Write(fds[0], []byte("ping"))
		if n, err := unix.Read(fds[0], buf); n != 4 || err != nil {
			b.Fatal("echo", n, err)
		}
		bare = append(bare, time.Since(t0))
	}
	percentiles(b, "control", controls)
	percentiles(b, "socketpair", bare)
}

// BenchmarkStartStop100 starts 100 services at once, waits until all run,
// then stops them all; one op is the whole cycle.
func BenchmarkStartStop100(b *testing.B) {
	svcs := manyServices(b, "many", 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, phase := range []func(*benchService, *testing.B){(*benchService).start, (*benchService).stop} {
			var wg sync.WaitGroup
			for _, s := range svcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					phase(s, b)
				}()
			}
			wg.Wait()
		}
	}
}

// manyServices makes n test services on a real scmd, each with a client
// of its own, as n clients would start them.
func manyServices(b *testing.B, prefix string, n int) []*benchService {
	dialBench(b)
	var svcs []*benchService
	for i := 0; i < n; i++ {
		conn := client.Dial(client.SocketPath())
		b.Cleanup(func() { conn.Close() })
		scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_ALL_ACCESS})
		if err != nil {
			b.Fatal(err)
		}
		svcs = append(svcs, newBenchService(b, conn, scm.Handle, fmt.Sprintf("%s%d", prefix, i), ""))
	}
	return svcs
}

// BenchmarkQueryDuringStarts runs `sc query` while 100 services start at
// once and reports its p50 and p99: a burst of starts must not stall the
// SCM's other callers. The queries are a user's, timed by querymon in a
// login session of its own.
func BenchmarkQueryDuringStarts(b *testing.B) {
	svcs := manyServices(b, "burst", 100)
	var queries []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A query every 5 ms, as a monitor polls: back to back, the
		// queries' own processes would take the CPU from the starts.
		mon := startQueryMonitor(b, "burst0", 5*time.Millisecond)
		var wg sync.WaitGroup
		for _, s := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.start(b)
			}()
		}
		wg.Wait()
		queries = append(queries, mon.stop(b)...)
		for _, s := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.stop(b)
			}()
		}
		wg.Wait()
	}
	if len(queries) == 0 {
		b.Fatal("no query ran while the services started")
	}
	sort.Slice(queries, func(i, j int) bool { return queries[i] < queries[j] })
	b.ReportMetric(float64(queries[len(queries)/2].Microseconds()), "sc-query-p50-µs")
	b.ReportMetric(float64(queries[len(queries)*99/100].Microseconds()), "sc-query-p99-µs")
	b.ReportMetric(float64(len(queries))/float64(b.N), "queries/burst")
}

// queryMonitor is a running querymon.
type queryMonitor struct {
	cmd   *exec.Cmd
	stdin io.Closer
	out   *bufio.Scanner
}

// startQueryMonitor starts querymon on service, in a session of its own as
// a user's would be, and returns once it runs.
func startQueryMonitor(b *testing.B, service string, every time.Duration) *queryMonitor {
	cmd := exec.Command(filepath.Join(binDir, "querymon"), "-sc", filepath.Join(binDir, "sc"), "-service", service, "-every", every.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	m := &queryMonitor{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	if !m.out.Scan() || m.out.Text() != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatalf("querymon did not start: %q", m.out.Text())
	}
	return m
}

// stop ends the monitor and returns the queries it timed.
func (m *queryMonitor) stop(b *testing.B) []time.Duration {
	m.stdin.Close()
	var took []time.Duration
	for m.out.Scan() {
		us, err := strconv.Atoi(m.out.Text())
		if err != nil {
			b.Fatalf("querymon: %q", m.out.Text())
		}
		took = append(took, time.Duration(us)*time.Microsecond)
	}
	if err := m.cmd.Wait(); err != nil {
		b.Fatalf("querymon: %v", err)
	}
	return took
}
