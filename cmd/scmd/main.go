// Command scmd is the service control manager: it keeps the services
// database and serves the SCM's API on a unix socket. It runs in the
// foreground until SIGINT or SIGTERM.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/internal/eventlog"
	"github.com/openscm/scm/internal/launch"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/power"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/server"
	"github.com/openscm/scm/internal/statedir"
)

// The main goroutine keeps the main thread to itself. The launcher spends
// a thread on each restricted fork (launch's privilegePlan.fork) and relies
// on the runtime ending it; the runtime cannot end the main thread, only
// park it for good with the dropped capabilities still on it.
func init() { runtime.LockOSThread() }

func main() {
	stateDir := flag.String("state-dir", defaultStateDir(), "directory for the registry file and all durable state")
	socket := flag.String("socket", "", "unix socket to serve on (default: /run/scm/scm.sock as root, else inside the state directory)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("scmd: ")
	if *socket == "" {
		*socket = defaultSocket(*stateDir)
	}
	if err := run(*stateDir, *socket); err != nil {
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

func run(stateDir, socket string) error {
	if err := statedir.Prepare(stateDir); err != nil {
		return err
	}
	store, err := registry.Open(filepath.Join(stateDir, "registry.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	m, err := manager.Open(store, time.Now, uint32(os.Geteuid()))
	if err != nil {
		return fmt.Errorf("opening the services database: %w", err)
	}
	events, err := eventlog.Open(filepath.Join(stateDir, "eventlog.db"))
	if err != nil {
		return err
	}
	defer events.Close()
	m.SetEventLog(events, eventlog.NewForwarder(eventlog.JournalSocket, eventlog.SyslogSocket))
	m.SetStateDir(stateDir)
	// Loading the database leaves garbage behind; give it back before
	// settling in for a long life.
	debug.FreeOSMemory()
	abs, _ := filepath.Abs(socket)
	if os.Geteuid() == 0 {
		if err := launch.EnsureServiceUsers(); err != nil {
			log.Printf("LocalService and NetworkService will not start: %v", err)
		}
	}
	launcher, err := launch.New(m, launch.Options{
		Owner:       uint32(os.Geteuid()),
		SocketPath:  abs,
		ReapOrphans: true,
		CgroupName:  cgroupName(abs),
		TrackFile:   filepath.Join(stateDir, "processes.json"),
		Logf:        log.Printf,
	})
	if err != nil {
		return err
	}
	m.Logf = log.Printf
	m.SetLauncher(launcher)
	if err := m.EnableAdoption(stateDir, launcher, abs+protocol.HostSocketSuffix, 5*time.Second); err != nil {
		return err
	}
	m.EnableActivation(filepath.Join(stateDir, "pipe"))
	l, err := listen(socket)
	if err != nil {
		return err
	}
	srv := server.New(m, uint32(os.Geteuid()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	stopBoot := make(chan struct{})
	go func() {
		m.WaitAdoption()
		watchDevices(m)
		m.Boot(stopBoot)
	}()

	log.Printf("serving on %s", abs)
	log.Printf("export SCM_SOCKET=%s", abs)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		log.Printf("%v: stopping services", s)
		close(stopBoot)
		// The API stays up until the last service has stopped, as the
		// event log does on Windows: services write their last events
		// from their PRESHUTDOWN and SHUTDOWN handlers, and the manager
		// refuses new starts meanwhile.
		shutdown(m, launcher)
		srv.Close()
		<-done
		m.FlushEvents()
		return nil
	case err := <-done:
		return err
	}
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

// shutdown stops the services, kills what is left, and waits for the last
// process to be reaped, so that nothing scmd started outlives it.
func shutdown(m *manager.Manager, l *launch.Launcher) {
	m.Shutdown()
	l.KillAll()
	deadline := time.Now().Add(10 * time.Second)
	for l.Running() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	l.Close()
}

// cgroupName names this SCM's cgroup directory after its socket, so two
// SCMs on one machine keep their services apart.
func cgroupName(socket string) string {
	sum := sha256.Sum256([]byte(socket))
	return "scm-" + hex.EncodeToString(sum[:6])
}

// watchDevices fires trigger-starts for the devices present now and the
// IP availability now, as Windows does at boot, and then for each device
// that arrives and each change of IP availability.
func watchDevices(m *manager.Manager) {
	u, err := devices.ListenUevents()
	if err != nil {
		log.Printf("no device events (%v): device triggers fire only at start-up", err)
	}
	for _, d := range m.DeviceMappings().Present() {
		m.DeviceArrived(d)
	}
	if devices.HasAddress() {
		m.IPAvailability(true)
	}
	if u != nil {
		go func() {
			for {
				ev, err := u.Next()
				if err != nil {
					log.Printf("device events: %v", err)
					return
				}
				d, ok := m.DeviceMappings().FromEvent(ev)
				switch {
				case !ok:
				case ev.Action == "add":
					m.DeviceArrived(d)
					m.DeviceEvent(d, true)
				case ev.Action == "remove":
					m.DeviceEvent(d, false)
				}
			}
		}()
	}
	go func() {
		if err := devices.WatchNetwork(m.IPAvailability, m.NetBind); err != nil {
			log.Printf("address changes: %v", err)
		}
	}()
	go func() {
		if err := devices.WatchClock(m.TimeChanged); err != nil {
			log.Printf("clock changes: %v", err)
		}
	}()
	go func() {
		// Windows sends PBT_APMRESUMEAUTOMATIC on every resume and
		// PBT_APMRESUMESUSPEND when a user woke the machine; logind does
		// not say why it woke, so both go, as for a user's wake.
		err := power.Watch(func() { m.PowerEvent(power.PBT_APMSUSPEND) }, func() {
			m.PowerEvent(power.PBT_APMRESUMEAUTOMATIC)
			m.PowerEvent(power.PBT_APMRESUMESUSPEND)
		})
		log.Printf("suspend and resume are not reported (%v): SERVICE_CONTROL_POWEREVENT is not sent", err)
	}()
}
