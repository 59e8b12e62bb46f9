// Package scmtest runs a real SCM inside a test process: the bbolt registry
// in a temporary directory and the API on a unix socket, which SCM_SOCKET
// then names for the clients under test.
package scmtest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/openscm/scm/internal/daemon"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/registry"
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

// StartIn starts an SCM on the state in dir, assembled as scmd assembles
// it (adoption, activation, cgroups, the event log's forwarding, the
// watchers), but embedded in the test's process.
func StartIn(tb testing.TB, dir string) *SCM {
	tb.Helper()
	d, err := daemon.Open(daemon.Options{StateDir: dir, Socket: filepath.Join(dir, "scm.sock"), Embedded: true})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	tb.Setenv("SCM_SOCKET", d.Socket)
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("scmd: %v", err)
		}
		d.Close()
	})
	return &SCM{Dir: dir, Socket: d.Socket, Manager: d.Manager}
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
