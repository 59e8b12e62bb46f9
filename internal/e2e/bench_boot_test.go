package e2e

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// BenchmarkBoot1000 boots 1,000 automatic services (the test service, on
// windows/svc) in 20 load-order groups of 50, each service depending on its
// counterpart in the group before, in chains 10 deep. It reports the time
// from starting a real scmd until all 1,000 are RUNNING, against the floor
// of 1,000 bare fork+exec+handshakes run with the same parallelism (20
// rounds of 50), and the time from SIGTERM until that scmd has shut them
// down and exited.
func BenchmarkBoot1000(b *testing.B) {
	const groups, perGroup = 20, 50
	var boot, floor, down time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		var order []string
		for g := 0; g < groups; g++ {
			order = append(order, fmt.Sprintf("Group%02d", g))
		}
		scmtest.PopulateWith(b, dir, groups*perGroup, func(i int, c *services.Config) {
			g := i / perGroup
			c.Start = windows.SERVICE_AUTO_START
			c.ImagePath = filepath.Join(binDir, "testsvc")
			c.Group = order[g]
			if g%10 != 0 {
				c.DependOnService = []string{fmt.Sprintf("svc%05d", i-perGroup)}
			}
		})
		writeGroupOrder(b, dir, order)

		t0 := time.Now()
		cmd := benchSCMD(b, dir)
		conn := client.Dial(client.SocketPath())
		scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_ENUMERATE_SERVICE})
		if err != nil {
			b.Fatal(err)
		}
		for {
			asked := time.Now()
			n := countRunning(b, conn, scm.Handle)
			if n == groups*perGroup {
				break
			}
			if time.Since(t0) > time.Minute {
				b.Fatalf("%d of %d services run after a minute", n, groups*perGroup)
			}
			// Every service's status, back to back, would take from the
			// starting services the CPU it costs scmd and this process:
			// a pause four times as long as the asking (at most 20 ms),
			// as a monitoring client leaves.
			time.Sleep(min(4*time.Since(asked), 20*time.Millisecond))
		}
		boot += time.Since(t0)
		conn.Close()

		t0 = time.Now()
		stopSCMD(cmd)
		down += time.Since(t0)

		t0 = time.Now()
		for g := 0; g < groups; g++ {
			var wg sync.WaitGroup
			for j := 0; j < perGroup; j++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					handshake(b)
				}()
			}
			wg.Wait()
		}
		floor += time.Since(t0)
	}
	n := float64(b.N)
	b.ReportMetric(boot.Seconds()/n, "boot-s")
	b.ReportMetric(floor.Seconds()/n, "floor-s")
	b.ReportMetric(down.Seconds()/n, "shutdown-s")
}

// countRunning counts the services that are RUNNING, in one enumeration.
func countRunning(b *testing.B, conn *client.Conn, scm uint64) int {
	r, err := client.Call(conn.EnumServicesStatus, &pb.EnumServicesStatusRequest{
		Scm: scm, ServiceType: windows.SERVICE_WIN32, ServiceState: windows.SERVICE_ACTIVE, BufSize: 1 << 24, Ex: true})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, e := range r.Services {
		if e.Status.CurrentState == windows.SERVICE_RUNNING {
			n++
		}
	}
	return n
}

func writeGroupOrder(b *testing.B, dir string, order []string) {
	store, err := registry.Open(filepath.Join(dir, "registry.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	err = store.Update(func(tx *registry.Tx) error {
		k, err := tx.CreateKey(services.ControlKey + `\ServiceGroupOrder`)
		if err != nil {
			return err
		}
		return k.SetValue(registry.MultiStringValue("List", order))
	})
	if err != nil {
		b.Fatal(err)
	}
}
