// Package layering holds the test of the repository's dependency rules:
// what a program linking a client-side package pays for. A service built
// on windows/svc, a program calling mgr or the event log, and the command-
// line tools link no part of the daemon: not its store (bbolt), not its
// launcher, state machine, manager or server.
package layering

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// daemonOnly are the packages only scmd may link.
var daemonOnly = []string{
	"go.etcd.io/bbolt",
	"github.com/openscm/scm/internal/registry",
	"github.com/openscm/scm/internal/services",
	"github.com/openscm/scm/internal/eventlog",
	"github.com/openscm/scm/internal/launch",
	"github.com/openscm/scm/internal/core",
	"github.com/openscm/scm/internal/manager",
	"github.com/openscm/scm/internal/server",
}

// clientSide are the packages and programs that must not link them.
var clientSide = []string{
	"github.com/openscm/scm/windows",
	"github.com/openscm/scm/windows/svc",
	"github.com/openscm/scm/windows/svc/mgr",
	"github.com/openscm/scm/windows/svc/eventlog",
	"github.com/openscm/scm/windows/svc/debug",
	"github.com/openscm/scm/windows/svc/example",
	"github.com/openscm/scm/windows/svc/trigger",
	"github.com/openscm/scm/windows/registry",
	"github.com/openscm/scm/cmd/sc",
	"github.com/openscm/scm/cmd/scm-wrap",
	"github.com/openscm/scm/cmd/net",
	"github.com/openscm/scm/cmd/reg",
	"github.com/openscm/scm/cmd/wevtutil",
	"github.com/openscm/scm/cmd/pnputil",
	"github.com/openscm/scm/cmd/qwinsta",
	"github.com/openscm/scm/cmd/scm-agent",
}

// The console is a client too: what it may do, scmd decides, as for sc.
// It serves HTTP, so only the daemon's code is barred from it.
var consoles = []string{"github.com/openscm/scm/cmd/scm-console"}

func TestClientsLinkNoDaemonCode(t *testing.T) {
	for _, pkg := range append(clientSide, consoles...) {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		for _, banned := range daemonOnly {
			if deps[banned] {
				t.Errorf("%s links %s", pkg, banned)
			}
		}
	}
}

// A service that only reports its status talks to scmd over its control
// channel: windows/svc links no HTTP stack or protobuf runtime, and a
// service built on it carries no API client. The windows package, like
// x/sys's, declares the raw SCM calls (OpenSCManager, ...) and so imports
// internal/client; the linker leaves it out of a program that makes none,
// which a service's binary shows.
func TestServicesLinkNoAPIClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/openscm/scm/windows/svc").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		switch {
		case d == "net/http", strings.HasPrefix(d, "connectrpc.com/"), strings.HasPrefix(d, "google.golang.org/protobuf/"):
			t.Errorf("windows/svc links %s", d)
		}
	}
	exe := filepath.Join(t.TempDir(), "scmsvc")
	if out, err := exec.Command("go", "build", "-o", exe, "github.com/openscm/scm/internal/compare/scmsvc").CombinedOutput(); err != nil {
		t.Fatalf("building a service: %v\n%s", err, out)
	}
	syms, err := exec.Command("go", "tool", "nm", exe).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	for _, pkg := range []string{"github.com/openscm/scm/internal/client.", "github.com/openscm/scm/internal/api/scmmsg."} {
		if strings.Contains(string(syms), pkg) {
			t.Errorf("a service on windows/svc carries %s", strings.TrimSuffix(pkg, "."))
		}
	}
}

// The command-line tools and the client packages call scmd through
// internal/client's unary client: they link no HTTP stack (net/http,
// Connect) and no protobuf runtime, which would cost each run of sc its
// start-up time, and they are static programs.
func TestClientsLinkNoHTTPStack(t *testing.T) {
	for _, pkg := range clientSide {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, d := range strings.Fields(string(out)) {
			if d == "net/http" || strings.HasPrefix(d, "connectrpc.com/") {
				t.Errorf("%s links %s", pkg, d)
			}
			// The protobuf runtime registers every message and reads the
			// program's own binary before main runs: the messages of
			// internal/api/scmmsg encode themselves instead.
			if strings.HasPrefix(d, "google.golang.org/protobuf/") || d == "github.com/openscm/scm/internal/api/scmv1" {
				t.Errorf("%s links %s", pkg, d)
			}
			// os/user and net bring cgo (NSS, the resolver) where a C
			// compiler is at hand, and with it the dynamic loader, which
			// every service start and every sc run would pay for.
			if pkg != "github.com/openscm/scm/cmd/scm-wrap" && (d == "runtime/cgo" || d == "os/user" || d == "net") {
				t.Errorf("%s links %s", pkg, d)
			}
			// A remote call goes through the scm-remote bridge: the TLS
			// stack alone would add a millisecond to every sc run.
			if d == "crypto/tls" || d == "github.com/openscm/scm/internal/remote" {
				t.Errorf("%s links %s", pkg, d)
			}
		}
	}
}
