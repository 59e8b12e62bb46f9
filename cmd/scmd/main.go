// Command scmd is the service control manager: it keeps the services
// database and serves the SCM's API on a unix socket. It runs in the
// foreground until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/daemon"
)

// The main goroutine keeps the main thread to itself. The launcher spends
// a thread on each restricted fork (launch's privilegePlan.fork) and relies
// on the runtime ending it; the runtime cannot end the main thread, only
// park it for good with the dropped capabilities still on it.
func init() { runtime.LockOSThread() }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "cert" {
		log.SetFlags(0)
		log.SetPrefix("scmd: ")
		if err := certCommand(os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	stateDir := flag.String("state-dir", defaultStateDir(), "directory for the registry file and all durable state")
	socket := flag.String("socket", "", "unix socket to serve on (default: /run/scm/scm.sock as root, else inside the state directory)")
	listen := flag.String("listen", "", "also serve other machines on this TCP address, over TLS (see `scmd cert`); off by default")
	metricsAddr := flag.String("metrics", "", "serve Prometheus metrics (GET /metrics) over plain HTTP on this loopback address, port 9182 if it names none; off by default")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("scmd: ")
	if *socket == "" {
		*socket = defaultSocket(*stateDir)
	}
	if err := run(daemon.Options{StateDir: *stateDir, Socket: *socket, Listen: *listen, Metrics: *metricsAddr, Logf: log.Printf}); err != nil {
		log.Fatal(err)
	}
}

func defaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/scm"
	}
	return ".scm"
}

func defaultSocket(stateDir string) string {
	if os.Geteuid() == 0 {
		return client.DefaultSocket
	}
	return filepath.Join(stateDir, "scm.sock")
}

func run(o daemon.Options) error {
	d, err := daemon.Open(o)
	if err != nil {
		return err
	}
	defer d.Close()
	log.Printf("serving on %s", d.Socket)
	if d.Remote != "" {
		log.Printf("serving other machines on %s (TLS)", d.Remote)
	}
	if d.MetricsAddress != "" {
		log.Printf("serving metrics on http://%s/metrics", d.MetricsAddress)
	}
	log.Printf("export SCM_SOCKET=%s", d.Socket)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, func() { log.Printf("stopping services") })
	return d.Run(ctx)
}
