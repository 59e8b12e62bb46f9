package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc/eventlog"
	"github.com/openscm/scm/windows/svc/mgr"
)

// BenchmarkCreateService measures durable creates: each is fsynced before
// CreateService returns.
func BenchmarkCreateService(b *testing.B) {
	benchSCMD(b, b.TempDir())
	m, err := mgr.Connect()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Disconnect()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := m.CreateService(fmt.Sprintf("bench%d", i), "/bin/true", mgr.Config{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkOpenServiceQueryConfig measures OpenService, QueryServiceConfig
// and CloseServiceHandle, one round trip each, over the unix socket.
func BenchmarkOpenServiceQueryConfig(b *testing.B) {
	dir := b.TempDir()
	scmtest.Populate(b, dir, 100)
	benchSCMD(b, dir)
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := client.Call(conn.OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: fmt.Sprintf("svc%05d", i%100), DesiredAccess: windows.SERVICE_QUERY_CONFIG})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := client.Call(conn.QueryServiceConfig, &pb.HandleRequest{Handle: h.Handle}); err != nil {
			b.Fatal(err)
		}
		client.Call(conn.CloseServiceHandle, &pb.HandleRequest{Handle: h.Handle})
	}
}

// BenchmarkEnumServicesStatusEx10k enumerates 10,000 services, sizing the
// buffer the Windows way (ask, then fetch), as mgr.ListServices does.
func BenchmarkEnumServicesStatusEx10k(b *testing.B) {
	dir := b.TempDir()
	scmtest.Populate(b, dir, 10000)
	benchSCMD(b, dir)
	m, err := mgr.Connect()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Disconnect()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		names, err := m.ListServices()
		if err != nil || len(names) != 10000 {
			b.Fatalf("%d services, %v", len(names), err)
		}
	}
}

// BenchmarkQueryServiceStatus measures status queries with 1 and 8 clients,
// each on its own connection; ns/op is per call across all clients.
func BenchmarkQueryServiceStatus(b *testing.B) {
	dir := b.TempDir()
	scmtest.Populate(b, dir, 10)
	benchSCMD(b, dir)
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			benchStatusCalls(b, clients, func() *client.Conn { return client.Dial(client.SocketPath()) })
		})
	}
}

// benchStatusCalls has clients, each on a connection of its own from dial,
// query svc00001's status b.N times in all, and reports the calls per
// second and the p50 round trip.
func benchStatusCalls(b *testing.B, clients int, dial func() *client.Conn) {
	type conn struct {
		c *client.Conn
		h uint64
	}
	conns := make([]conn, clients)
	for i := range conns {
		c := dial()
		defer c.Close()
		scm, err := client.Call(c.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
		if err != nil {
			b.Fatal(err)
		}
		h, err := client.Call(c.OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: "svc00001", DesiredAccess: windows.SERVICE_QUERY_STATUS})
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = conn{c, h.Handle}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	rtts := make([][]time.Duration, clients)
	b.ResetTimer()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := client.Call(c.c.QueryServiceStatus, &pb.HandleRequest{Handle: c.h}); err != nil {
					b.Error(err)
					return
				}
				rtts[i] = append(rtts[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	var all []time.Duration
	for _, r := range rtts {
		all = append(all, r...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Nanoseconds())/1e3, "p50-µs")
	}
}

// BenchmarkSCMDRSS10k reports the resident memory of a real scmd that has
// loaded 10,000 services and answered an enumeration of them.
func BenchmarkSCMDRSS10k(b *testing.B) {
	dir := b.TempDir()
	scmtest.Populate(b, dir, 10000)
	sock := filepath.Join(dir, "scm.sock")
	b.Setenv("SCM_SOCKET", sock)
	b.Cleanup(func() { removeSCMCgroupDirs(sock) }) // each scmd is killed, and leaves its directory
	var rss float64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(filepath.Join(binDir, "scmd"), "--state-dir", dir, "--socket", sock)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		if err := dialUntilUp(sock); err != nil {
			b.Fatal(err)
		}
		m, err := mgr.Connect()
		if err != nil {
			b.Fatal(err)
		}
		if names, err := m.ListServices(); err != nil || len(names) != 10000 {
			b.Fatalf("%d services, %v", len(names), err)
		}
		m.Disconnect()
		rss = vmRSS(b, cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
	}
	b.ReportMetric(rss, "RSS-MB")
}

func vmRSS(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkReportEvent measures events written durably, one call each,
// through windows/svc/eventlog.
func BenchmarkReportEvent(b *testing.B) {
	benchSCMD(b, b.TempDir())
	l, err := eventlog.Open("bench")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.Info(1, "a benchmark event with a message of ordinary length"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
