package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// BenchmarkWrapStdout measures how fast scm-wrap captures a program's
// output to its log, against cat copying the same bytes to a file in the
// same run.
func BenchmarkWrapStdout(b *testing.B) {
	const size = 64 << 20
	benchSCMD(b, b.TempDir())
	m, err := mgr.Connect()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Disconnect()
	dir := b.TempDir()
	prog := filepath.Join(dir, "writer.sh")
	os.WriteFile(prog, []byte(fmt.Sprintf("#!/bin/sh\nhead -c %d /dev/zero\nexec sleep 1000\n", size)), 0o755)
	var wrapped, cat time.Duration
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("writer%d", i)
		out := filepath.Join(dir, name+".log")
		install := exec.Command(filepath.Join(binDir, "scm-wrap"), "install", name, "--AppStdout", out, "--", prog)
		if o, err := install.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, o)
		}
		s, err := m.OpenService(name)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			if fi, err := os.Stat(out); err == nil && fi.Size() == size {
				break
			}
			time.Sleep(time.Millisecond)
		}
		wrapped += time.Since(t0)
		s.Control(svc.Stop)
		s.Close()

		t0 = time.Now()
		c := exec.Command("/bin/sh", "-c", fmt.Sprintf("head -c %d /dev/zero | cat > %s", size, filepath.Join(dir, "cat.out")))
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
		cat += time.Since(t0)
	}
	mb := float64(size) / (1 << 20) * float64(b.N)
	b.ReportMetric(mb/wrapped.Seconds(), "wrap-MB/s")
	b.ReportMetric(mb/cat.Seconds(), "cat-MB/s")
}
