package compare

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
	"golang.org/x/sys/unix"
)

// scmRig is scmd on a state directory of its own, with n services of
// scmsvc. The in-process client is windows/svc/mgr; it has no way to wait
// for a status, so the waiting is done as net waits (WaitServiceStatus),
// on connections of its own: one per 64 services, as a client keeps
// change records for 64 of its service handles at most.
type scmRig struct {
	root, state, sock string
	scmd              string
	n                 int
	d                 *daemon
	m                 *mgr.Mgr
	svcs              []*mgr.Service
	watches           []*client.Conn // service i's is watches[i/recordsPerClient]
	handles           []uint64       // the services' handles on their watch
	pids              []uint32       // the services' processes, as last seen running
}

func newSCM(b *testing.B, n int, auto bool) rig {
	r := &scmRig{root: b.TempDir(), n: n, scmd: bin(b, "scmd")}
	r.state = filepath.Join(r.root, "state")
	r.sock = filepath.Join(r.root, "scm.sock")
	must(b, os.Mkdir(r.state, 0o700))
	image := bin(b, "scmsvc")
	start := uint32(windows.SERVICE_DEMAND_START)
	if auto {
		start = windows.SERVICE_AUTO_START
	}
	// The services are written into the registry file scmd opens, as
	// many `sc create` would but in one transaction.
	scmtest.PopulateWith(b, r.state, n, func(i int, c *services.Config) {
		c.Name = serviceName(i)
		c.ImagePath = image
		c.Start = start
	})
	b.Setenv("SCM_SOCKET", r.sock)
	return r
}

func (r *scmRig) launch(b *testing.B) {
	r.d = startDaemon(b, filepath.Join(r.root, "scmd.log"), r.scmd, "--state-dir", r.state, "--socket", r.sock)
}

// answering waits until scmd accepts connections.
func (r *scmRig) answering(b *testing.B) {
	deadline := time.Now().Add(stepTimeout)
	for {
		c, err := net.Dial("unix", r.sock)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("scmd does not answer on %s: %v\n%s", r.sock, err, r.d.tail())
		}
		time.Sleep(time.Millisecond)
	}
}

// ready connects the clients and opens every service on both.
func (r *scmRig) ready(b *testing.B) {
	r.answering(b)
	m, err := mgr.Connect()
	if err != nil {
		b.Fatal(err)
	}
	r.m = m
	r.svcs = make([]*mgr.Service, r.n)
	r.handles = make([]uint64, r.n)
	if r.pids == nil {
		r.pids = make([]uint32, r.n)
	}
	var scm *pb.HandleReply
	for i := range r.n {
		if r.svcs[i], err = m.OpenService(serviceName(i)); err != nil {
			b.Fatal(err)
		}
		if i%recordsPerClient == 0 {
			w := client.Dial(r.sock)
			r.watches = append(r.watches, w)
			if scm, err = client.Call(w.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT}); err != nil {
				b.Fatal(err)
			}
		}
		h, err := client.Call(r.watch(i).OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: serviceName(i), DesiredAccess: windows.SERVICE_QUERY_STATUS})
		if err != nil {
			b.Fatal(err)
		}
		r.handles[i] = h.Handle
	}
}

// waitAllUp asks scmd for every service's status until all run, from
// before scmd answers, pausing between questions as pollPause says.
func (r *scmRig) waitAllUp(b *testing.B) {
	deadline := time.Now().Add(stepTimeout + time.Duration(r.n)*50*time.Millisecond)
	conn := client.Dial(r.sock)
	defer conn.Close()
	var scm uint64
	running := 0
	for {
		t0 := time.Now()
		if scm == 0 {
			if h, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_ENUMERATE_SERVICE}); err == nil {
				scm = h.Handle
			}
		}
		if scm != 0 {
			e, err := client.Call(conn.EnumServicesStatus, &pb.EnumServicesStatusRequest{Scm: scm, ServiceType: windows.SERVICE_WIN32,
				ServiceState: windows.SERVICE_ACTIVE, BufSize: 64 << 20, Ex: true})
			if err != nil {
				b.Fatal(err)
			}
			running = 0
			for _, s := range e.Services {
				if s.Status.CurrentState == windows.SERVICE_RUNNING {
					running++
				}
			}
			if running == r.n {
				r.pids = make([]uint32, r.n)
				for _, s := range e.Services {
					if i, err := strconv.Atoi(strings.TrimPrefix(s.ServiceName, "svc")); err == nil && i < r.n {
						r.pids[i] = s.Status.ProcessId
					}
				}
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d services running\n%s", running, r.n, r.d.tail())
		}
		time.Sleep(pollPause(time.Since(t0)))
	}
}

func (r *scmRig) settle(b *testing.B) {}

// recordsPerClient is how many service handles of one client keep change
// records for WaitServiceStatus (scmd's bound).
const recordsPerClient = 64

// watch is the connection service i is waited on over.
func (r *scmRig) watch(i int) *client.Conn { return r.watches[i/recordsPerClient] }

// waitFrom waits until service i, last seen in state at checkpoint, is
// in want, and returns its process.
func (r *scmRig) waitFrom(b *testing.B, i int, state, checkpoint, want uint32) (pid uint32) {
	for state != want {
		n, err := client.Call(r.watch(i).WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: r.handles[i],
			State: state, CheckPoint: checkpoint, TimeoutMs: uint32(stepTimeout.Milliseconds())})
		if err != nil {
			b.Fatal(err)
		}
		if n.Status.CurrentState == state && n.Status.CheckPoint == checkpoint {
			b.Fatalf("%s never reached state %d", serviceName(i), want)
		}
		state, checkpoint, pid = n.Status.CurrentState, n.Status.CheckPoint, n.Status.ProcessId
	}
	return pid
}

// start returns once the service is RUNNING. StartService returns once
// the service's process has its start request: the service is
// START_PENDING, and the waiting starts there.
func (r *scmRig) start(b *testing.B, i int) {
	if err := r.svcs[i].Start(); err != nil {
		b.Fatal(err)
	}
	r.pids[i] = r.waitFrom(b, i, windows.SERVICE_START_PENDING, 0, windows.SERVICE_RUNNING)
}

// stop returns once the service has said it stopped and its process has
// exited: the others' "down" is after the reaping. The status the control
// returns is where the waiting starts, as a client of ControlService
// polls from it.
func (r *scmRig) stop(b *testing.B, i int) {
	pid := r.pids[i]
	if pid == 0 {
		st, err := r.svcs[i].Query()
		if err != nil {
			b.Fatal(err)
		}
		pid = st.ProcessId
	}
	pidfd, err := unix.PidfdOpen(int(pid), 0)
	if err != nil {
		b.Fatalf("%s: process %d: %v", serviceName(i), pid, err)
	}
	defer unix.Close(pidfd)
	st, err := r.svcs[i].Control(svc.Stop)
	if err != nil {
		b.Fatal(err)
	}
	r.waitFrom(b, i, uint32(st.State), st.CheckPoint, windows.SERVICE_STOPPED)
	// A pidfd turns readable when its process exits.
	for {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}, int(stepTimeout.Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			b.Fatalf("%s: process %d still there after STOPPED: %v", serviceName(i), pid, err)
		}
		break
	}
}

func (r *scmRig) query(b *testing.B, i int) {
	st, err := r.svcs[i].Query()
	if err != nil || st.State != svc.Running {
		b.Fatalf("%s: %v %v", serviceName(i), st.State, err)
	}
}

func (r *scmRig) cliStart(b *testing.B, i int) { runCLI(b, bin(b, "net"), "start", serviceName(i)) }

// cliStartSC is sc start, which returns at START_PENDING, then sc query
// until RUNNING.
func (r *scmRig) cliStartSC(b *testing.B, i int) {
	runCLI(b, bin(b, "sc"), "start", serviceName(i))
	untilOutput(b, "RUNNING", bin(b, "sc"), "query", serviceName(i))
}

func (r *scmRig) cliStop(b *testing.B, i int)   { runCLI(b, bin(b, "net"), "stop", serviceName(i)) }
func (r *scmRig) cliStatus(b *testing.B, i int) { runCLI(b, bin(b, "sc"), "query", serviceName(i)) }

// close stops scmd as a machine does, which stops its services.
func (r *scmRig) close(b *testing.B) {
	if r.m != nil {
		r.m.Disconnect()
		r.m = nil
	}
	for _, w := range r.watches {
		w.Close()
	}
	r.watches = nil
	if r.d != nil {
		r.d.stop(b, syscall.SIGTERM)
		r.d = nil
	}
	os.RemoveAll(r.root)
}
