package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// realPython is the interpreter python3 runs, not a wrapper in PATH
// (pyenv's shim is a shell script): the floor and the service run the same.
func realPython(tb testing.TB) string {
	python, err := exec.LookPath("python3")
	if err != nil {
		tb.Skip("no python3")
	}
	out, err := exec.Command(python, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// pythonDir is the Python package's directory.
func pythonDir(tb testing.TB) string {
	dir, err := filepath.Abs("../../python")
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// waitState long-polls scmd until the service reaches state.
func waitState(tb testing.TB, h windows.Handle, state uint32) {
	var last, cp uint32
	for {
		n, err := client.Shared().WaitServiceStatus(&pb.WaitServiceStatusRequest{Handle: uint64(h), State: last, CheckPoint: cp})
		if err != nil {
			tb.Fatal(err)
		}
		if n.Status.CurrentState == state {
			return
		}
		last, cp = n.Status.CurrentState, n.Status.CheckPoint
	}
}

// BenchmarkPythonServiceStart measures StartService until RUNNING for a
// pywin32-style service (the classic template under pythonservice.py),
// against the floor of starting the same interpreter and reading one byte
// it writes, in the same run.
func BenchmarkPythonServiceStart(b *testing.B) {
	python := realPython(b)
	benchSCMD(b, b.TempDir())
	install := exec.Command(python, filepath.Join(pythonDir(b), "tests", "services", "classic.py"), "install")
	install.Env = append(os.Environ(), "PYTHONPATH="+pythonDir(b))
	if out, err := install.CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	m, err := mgr.Connect()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Disconnect()
	s, err := m.OpenService("PyClassic")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	var scm, floor time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		waitState(b, s.Handle, windows.SERVICE_RUNNING)
		scm += time.Since(t0)
		if _, err := s.Control(svc.Stop); err != nil {
			b.Fatal(err)
		}
		waitState(b, s.Handle, windows.SERVICE_STOPPED)

		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		c := exec.Command(python, "-c", "import os; os.write(3, b'x')")
		c.ExtraFiles = []*os.File{w}
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		w.Close()
		if _, err := r.Read(make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
		floor += time.Since(t0)
		r.Close()
		c.Wait()
	}
	b.ReportMetric(float64(scm.Microseconds())/float64(b.N)/1000, "start-ms")
	b.ReportMetric(float64(floor.Microseconds())/float64(b.N)/1000, "floor-ms")
	b.ReportMetric(scm.Seconds()/floor.Seconds(), "x-floor")
}

// BenchmarkPythonQueryServiceStatus measures win32service.QueryServiceStatus
// calls a second from Python, against a real scmd.
func BenchmarkPythonQueryServiceStatus(b *testing.B) {
	python := realPython(b)
	benchSCMD(b, b.TempDir())
	const script = `
import sys, time
import win32service as ws
scm = ws.OpenSCManager(None, None, ws.SC_MANAGER_ALL_ACCESS)
h = ws.CreateService(scm, "PyBench", "PyBench", ws.SERVICE_ALL_ACCESS, ws.SERVICE_WIN32_OWN_PROCESS,
                     ws.SERVICE_DEMAND_START, ws.SERVICE_ERROR_NORMAL, "/bin/true", None, 0, None, None, None)
n = int(sys.argv[1])
t0 = time.perf_counter()
for _ in range(n):
    ws.QueryServiceStatus(h)
print(time.perf_counter() - t0)
`
	c := exec.Command(python, "-c", script, strconv.Itoa(b.N*100))
	c.Env = append(os.Environ(), "PYTHONPATH="+pythonDir(b))
	out, err := c.CombinedOutput()
	if err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("%q: %v", out, err)
	}
	b.ReportMetric(float64(b.N*100)/secs, "calls/s")
}
