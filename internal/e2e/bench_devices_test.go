package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// BenchmarkDeviceArrivalToRunning measures from the creation of a tap
// device to its trigger-started service RUNNING, through real uevents.
func BenchmarkDeviceArrivalToRunning(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("tap devices take root")
	}
	state := b.TempDir()
	sock := filepath.Join(b.TempDir(), "scm.sock")
	b.Setenv("SCM_SOCKET", sock)
	cmd := exec.Command(filepath.Join(binDir, "scmd"), "--state-dir", state, "--socket", sock)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer stopSCMD(cmd)
	if err := dialUntilUp(sock); err != nil {
		b.Fatal(err)
	}
	m, err := mgr.Connect()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Disconnect()
	s, err := m.CreateService("ontap", filepath.Join(binDir, "testsvc"), mgr.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tap := fmt.Sprintf("scmb%d", os.Getpid()%100000)
	exec.Command(filepath.Join(binDir, "sc"), "triggerinfo", "ontap",
		`start/device/`+devices.ClassNet+`/VIRTUAL\NET\TAP\`+fmt.Sprint(upper(tap))).Run()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if out, err := exec.Command("ip", "tuntap", "add", "dev", tap, "mode", "tap").CombinedOutput(); err != nil {
			b.Skipf("ip tuntap: %v %s", err, out)
		}
		for {
			st, err := s.Query()
			if err != nil {
				b.Fatal(err)
			}
			if st.State == svc.Running {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		total += time.Since(t0)
		s.Control(svc.Stop)
		for st, _ := s.Query(); st.State != svc.Stopped; st, _ = s.Query() {
			time.Sleep(time.Millisecond)
		}
		exec.Command("ip", "tuntap", "del", "dev", tap, "mode", "tap").Run()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "arrival-to-running-µs")
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// BenchmarkUeventThroughput adds and removes tap devices as fast as ip
// can, one add and one remove per op (the CI runs 1,000), and checks the
// device source saw every one of them.
func BenchmarkUeventThroughput(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("tap devices take root")
	}
	u, err := devices.ListenUevents()
	if err != nil {
		b.Skip(err)
	}
	defer u.Close()
	prefix := fmt.Sprintf("scu%d", os.Getpid()%10000)
	seen := map[string]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; n < 2*b.N; {
			ev, err := u.Next()
			if err != nil {
				return
			}
			name := ev.Env["INTERFACE"]
			if _, ok := devices.FromEvent(ev); ok && len(name) > len(prefix) && name[:len(prefix)] == prefix && (ev.Action == "add" || ev.Action == "remove") {
				seen[ev.Action]++
				n++
			}
		}
	}()
	var batch []byte
	for c := 0; c < b.N; c++ {
		name := fmt.Sprintf("%sx%d", prefix, c)
		batch = append(batch, fmt.Sprintf("tuntap add dev %s mode tap\ntuntap del dev %s mode tap\n", name, name)...)
	}
	b.ResetTimer()
	cmd := exec.Command("ip", "-batch", "-")
	cmd.Stdin = bytesReader(batch)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ip -batch: %v %s", err, out)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
	}
	b.StopTimer()
	if seen["add"] != b.N || seen["remove"] != b.N {
		b.Fatalf("saw %d adds and %d removes of %d", seen["add"], seen["remove"], b.N)
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "uevents/s")
}

func bytesReader(b []byte) *os.File {
	r, w, _ := os.Pipe()
	go func() { w.Write(b); w.Close() }()
	return r
}
