// Package scmtest runs a real SCM inside a test process: the bbolt registry
// in a temporary directory and the API on a unix socket, which SCM_SOCKET
// then names for the clients under test.
package scmtest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openscm/scm/internal/eventlog"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/server"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// SCM is one running SCM.
type SCM struct {
	Dir     string
	Socket  string
	Manager *manager.Manager
}

// Start starts an SCM for the test and points SCM_SOCKET at it; it stops
// when the test ends.
func Start(tb testing.TB) *SCM {
	tb.Helper()
	return StartIn(tb, tb.TempDir())
}

// StartIn starts an SCM on the state in dir.
func StartIn(tb testing.TB, dir string) *SCM {
	tb.Helper()
	store, err := registry.Open(filepath.Join(dir, "registry.db"))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := manager.Open(store, time.Now, uint32(os.Geteuid()))
	if err != nil {
		tb.Fatal(err)
	}
	events, err := eventlog.Open(filepath.Join(dir, "eventlog.db"))
	if err != nil {
		tb.Fatal(err)
	}
	m.SetEventLog(events, nil)
	m.SetStateDir(dir)
	sock := filepath.Join(dir, "scm.sock")
	l, err := launch.New(m, launch.Options{Owner: uint32(os.Geteuid()), SocketPath: sock})
	if err != nil {
		tb.Fatal(err)
	}
	m.SetLauncher(l)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	srv := server.New(m, uint32(os.Geteuid()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tb.Setenv("SCM_SOCKET", sock)
	tb.Cleanup(func() {
		srv.Close()
		<-done
		l.KillAll()
		m.FlushEvents()
		events.Close()
		store.Close()
	})
	return &SCM{Dir: dir, Socket: sock, Manager: m}
}

// Populate writes n demand-start services named svc00000... into the
// registry file in dir, in one transaction, for benchmarks that need a big
// database without paying one fsync per service to build it.
func Populate(tb testing.TB, dir string, n int) {
	PopulateWith(tb, dir, n, nil)
}

// PopulateWith is Populate with a hook to change each service's
// configuration before it is written.
func PopulateWith(tb testing.TB, dir string, n int, edit func(i int, c *services.Config)) {
	tb.Helper()
	store, err := registry.Open(filepath.Join(dir, "registry.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	err = store.Update(func(tx *registry.Tx) error {
		for i := 0; i < n; i++ {
			c := &services.Config{
				Name: fmt.Sprintf("svc%05d", i), Type: windows.SERVICE_WIN32_OWN_PROCESS,
				Start: windows.SERVICE_DEMAND_START, ErrorControl: windows.SERVICE_ERROR_NORMAL,
				ImagePath: "/usr/bin/true", DisplayName: fmt.Sprintf("Service number %d", i),
				ObjectName: services.LocalSystemAccount, PreshutdownTimeout: services.DefaultPreshutdownTimeout,
				Description: "A service for measuring the SCM",
			}
			if edit != nil {
				edit(i, c)
			}
			k, err := tx.CreateKey(services.ServicesKey + `\` + c.Name)
			if err != nil {
				return err
			}
			if err := c.Save(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}
