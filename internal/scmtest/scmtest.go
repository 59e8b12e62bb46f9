// Package scmtest runs a real SCM inside a test process: the bbolt registry
// in a temporary directory and the API on a unix socket, which SCM_SOCKET
// then names for the clients under test.
package scmtest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/server"
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
	dir := tb.TempDir()
	store, err := registry.Open(filepath.Join(dir, "registry.db"))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := manager.Open(store, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	sock := filepath.Join(dir, "scm.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	srv := server.New(m, uint32(os.Geteuid()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	tb.Setenv("SCM_SOCKET", sock)
	tb.Cleanup(func() {
		srv.Close()
		<-done
		store.Close()
	})
	return &SCM{Dir: dir, Socket: sock, Manager: m}
}
