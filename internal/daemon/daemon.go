// Package daemon assembles scmd from its parts: the registry, the services
// database and its API, the event log, the launcher, adoption of the hosts
// an earlier scmd left running, socket activation, and the watchers of
// devices, addresses, the clock and power. cmd/scmd and the tests build the
// SCM here alike, so what the tests measure is what users run.
package daemon

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/internal/eventlog"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/metrics"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/remote"
	"github.com/openscm/scm/internal/server"
	"github.com/openscm/scm/internal/sessions"
	"github.com/openscm/scm/internal/statedir"
)

// Options say where an SCM keeps its state and serves its API.
type Options struct {
	StateDir string // the registry, the event log and everything durable
	Socket   string // the API's unix socket

	// Listen, when set, is the TCP address where other machines reach the
	// API over TLS (internal/remote), with the certificates in the state
	// directory's remote/; a host without a port listens on
	// remote.DefaultPort.
	Listen string

	// Metrics, when set, is a loopback address where scmd serves
	// Prometheus' GET /metrics over plain HTTP (internal/metrics); a
	// host without a port listens on metrics.DefaultPort (9182, as
	// windows_exporter). Any other address is refused.
	Metrics string

	// Embedded runs the SCM inside a process that has children of its
	// own (a test): it does not become the subreaper that reaps every
	// child, so what a service leaves behind outlives it unless a cgroup
	// holds it.
	Embedded bool

	// AdoptionGrace is how long hosts of an earlier scmd have to come
	// back; 5 s when zero.
	AdoptionGrace time.Duration

	// Utmp is the utmp file the login sessions are read from where
	// systemd-logind does not run; /run/utmp when empty.
	Utmp string

	// Logf receives what the SCM does on its own; nil discards it.
	Logf func(format string, args ...any)
}

// Daemon is one assembled SCM.
type Daemon struct {
	Manager *manager.Manager
	Socket  string // the API's socket, absolute

	opts     Options
	store    *registry.Store
	events   *eventlog.Store
	launcher *launch.Launcher
	listener net.Listener
	tcp      net.Listener // Listen's, or nil
	metricsL net.Listener // Metrics', or nil
	tlsConf  *tls.Config
	logf     func(format string, args ...any)

	// Remote is the address other machines reach the API on, once Open
	// has bound it; empty without Options.Listen.
	Remote string

	// MetricsAddress is where GET /metrics is served over plain HTTP,
	// once Open has bound it; empty without Options.Metrics.
	MetricsAddress string
}

// Open loads the SCM's state and binds its sockets; Run then serves. On
// error, whatever Open took is released.
func Open(o Options) (*Daemon, error) {
	if o.AdoptionGrace == 0 {
		o.AdoptionGrace = 5 * time.Second
	}
	d := &Daemon{opts: o, logf: o.Logf}
	if d.logf == nil {
		d.logf = func(string, ...any) {}
	}
	if err := d.open(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Daemon) open() (err error) {
	o := d.opts
	if o.Metrics != "" {
		// Refused before anything is opened.
		if _, err := metrics.LoopbackAddress(o.Metrics); err != nil {
			return err
		}
	}
	if err := statedir.Prepare(o.StateDir); err != nil {
		return err
	}
	if d.store, err = registry.Open(filepath.Join(o.StateDir, "registry.db")); err != nil {
		return err
	}
	owner := uint32(os.Geteuid())
	m, err := manager.Open(d.store, time.Now, owner)
	if err != nil {
		return fmt.Errorf("opening the services database: %w", err)
	}
	d.Manager = m
	m.Logf = d.logf
	if d.events, err = eventlog.Open(filepath.Join(o.StateDir, "eventlog.db")); err != nil {
		return err
	}
	m.SetEventLog(d.events, eventlog.NewForwarder(eventlog.JournalSocket, eventlog.SyslogSocket))
	m.SetStateDir(o.StateDir)
	// Loading the database leaves garbage behind; give it back before
	// settling in for a long life.
	debug.FreeOSMemory()

	if d.Socket, err = filepath.Abs(o.Socket); err != nil {
		return err
	}
	if owner == 0 {
		if err := launch.EnsureServiceUsers(); err != nil {
			d.logf("LocalService and NetworkService will not start: %v", err)
		}
	}
	d.launcher, err = launch.New(m, launch.Options{
		Owner:       owner,
		SocketPath:  d.Socket,
		ReapOrphans: !o.Embedded,
		CgroupName:  cgroupName(d.Socket),
		TrackFile:   filepath.Join(o.StateDir, "processes.json"),
		Logf:        d.logf,
	})
	if err != nil {
		return err
	}
	m.SetLauncher(d.launcher)
	// Hosts initialising at once, per CPU. With one, a burst of a hundred
	// starts leaves `sc query` a tenth of the wait it has with no limit,
	// but a boot of a thousand services takes half as long again: each
	// launch waits on the round trips of the one before. With eight the
	// boot is as quick as with no limit, and a burst's wait is halved.
	m.SetLaunchSlots(8 * runtime.NumCPU())
	if err := m.EnableAdoption(o.StateDir, d.launcher, d.Socket+protocol.HostSocketSuffix, o.AdoptionGrace); err != nil {
		return err
	}
	m.EnableActivation(filepath.Join(o.StateDir, "pipe"))
	if d.listener, err = listen(d.Socket); err != nil {
		return err
	}
	if o.Listen != "" {
		if d.tlsConf, err = remote.ServerConfig(remote.ServerDir(o.StateDir)); err != nil {
			return err
		}
		if d.tcp, err = net.Listen("tcp", remote.Address(o.Listen)); err != nil {
			return err
		}
		d.Remote = d.tcp.Addr().String()
	}
	if o.Metrics != "" {
		if d.metricsL, err = metrics.Listen(o.Metrics); err != nil {
			return err
		}
		d.MetricsAddress = d.metricsL.Addr().String()
	}
	return nil
}

// Run serves the API, adopts what an earlier scmd left running, boots the
// automatic services and follows devices and system events, until ctx is
// done. Then it shuts the services down in Windows' order and kills what is
// left; the API stays up meanwhile, as the event log does on Windows, so
// services can write their last events from their shutdown handlers.
func (d *Daemon) Run(ctx context.Context) error {
	m := d.Manager
	srv := server.New(m, uint32(os.Geteuid()))
	served := make(chan error, 1)
	watching, stopWatching := context.WithCancel(context.Background())
	defer stopWatching()
	// The login sessions are followed before the API serves, so that
	// what it says of them is there from the first call.
	sess := &sessions.Watcher{Utmp: d.opts.Utmp}
	m.SetSessions(sess)
	sess.Start(watching, m.SessionChanges, func(err error) {
		d.logf("login sessions are not followed (%v): SERVICE_CONTROL_SESSIONCHANGE is not sent", err)
	})

	l := d.listener
	d.listener = nil // the server closes it
	go func() { served <- srv.Serve(l) }()
	if d.tcp != nil {
		tcp := d.tcp
		d.tcp = nil
		go func() {
			if err := srv.ServeTLS(tcp, d.tlsConf); err != nil {
				d.logf("remote callers are no longer served: %v", err)
			}
		}()
	}
	if d.metricsL != nil {
		ml := d.metricsL
		d.metricsL = nil
		ms := metrics.NewServer(metrics.Handler(m.MetricsSnapshot))
		defer ms.Close()
		go func() {
			if err := ms.Serve(ml); err != nil && err != http.ErrServerClosed {
				d.logf("metrics are no longer served: %v", err)
			}
		}()
	}

	// Device events are listened for from the start, so none is lost
	// while hosts come back; they are acted on once adoption is over, so
	// a trigger cannot start a second copy of a service about to be
	// adopted.
	uevents, uerr := devices.ListenUevents()
	if uerr != nil {
		d.logf("no device events (%v): device triggers fire only at start-up", uerr)
	} else {
		context.AfterFunc(watching, func() { uevents.Close() })
	}
	booted := make(chan struct{})
	go func() {
		defer close(booted)
		m.WaitAdoption()
		d.watch(watching, uevents)
		m.Boot(watching.Done())
	}()

	var err error
	servedDone := false
	select {
	case <-ctx.Done():
	case err = <-served:
		// The API failed under the SCM: stop the services all the same.
		servedDone = true
	}
	// The boot stops before the services do: a start the shutdown
	// refuses is not a failure that sends the SCM to last-known-good.
	stopWatching()
	<-booted
	m.Shutdown()
	d.launcher.KillAll()
	d.waitReaped(10 * time.Second)
	srv.Close()
	if !servedDone {
		if serr := <-served; err == nil {
			err = serr
		}
	}
	m.FlushEvents()
	return err
}

// waitReaped waits for the last service process to be reaped, so nothing
// the SCM started outlives it.
func (d *Daemon) waitReaped(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for d.launcher.Running() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// Close releases what Open took. After Run it removes the service cgroups
// and closes the files.
func (d *Daemon) Close() error {
	if d.listener != nil {
		d.listener.Close()
	}
	if d.tcp != nil {
		d.tcp.Close()
	}
	if d.metricsL != nil {
		d.metricsL.Close()
	}
	if d.launcher != nil {
		d.launcher.Close()
	}
	if d.Manager != nil {
		d.Manager.Close()
	}
	var err error
	if d.events != nil {
		err = d.events.Close()
	}
	if d.store != nil {
		if serr := d.store.Close(); err == nil {
			err = serr
		}
	}
	return err
}

// listen binds the socket, replacing a stale one left by an scmd that died
// but refusing to steal one that still answers.
func listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("another scmd is serving on %s", path)
	}
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// Everyone may connect; what they may do is the access check's business.
	if err := os.Chmod(path, 0o666); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// cgroupName names this SCM's cgroup directory after its socket, so two
// SCMs on one machine keep their services apart.
func cgroupName(socket string) string {
	sum := sha256.Sum256([]byte(socket))
	return "scm-" + hex.EncodeToString(sum[:6])
}
