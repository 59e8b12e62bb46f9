package e2e

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// BenchmarkBoot1000 boots 1,000 automatic services (the test service, on
// windows/svc) in 20 load-order groups of 50, each service depending on its
// counterpart in the group before, in chains 10 deep; it reports the time
// to all RUNNING against the floor of 1,000 bare fork+exec+handshakes run
// with the same parallelism (20 rounds of 50), and the shutdown of the
// 1,000.
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
		scm := scmtest.StartIn(b, dir)

		t0 := time.Now()
		scm.Manager.Boot(nil)
		if n := len(scm.Manager.Running()); n != groups*perGroup {
			b.Fatalf("%d of %d services run", n, groups*perGroup)
		}
		boot += time.Since(t0)

		t0 = time.Now()
		scm.Manager.Shutdown()
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
