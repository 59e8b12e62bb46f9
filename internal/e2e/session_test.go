package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/windows"
)

// TestSessionSharesHandles: goroutines sharing one client connection do
// not wait on each other. While one waits for a service to change, another
// queries it with the same handle, over a second socket that joined the
// first one's session; the handles go when the client does.
func TestSessionSharesHandles(t *testing.T) {
	scm := scmtest.Start(t)
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	h, _, err := createService(conn, "shared")
	if err != nil {
		t.Fatal(err)
	}
	before := scm.Manager.HandleCount()
	last, err := client.Call(conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: h})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := client.Call(conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: h,
			State: last.Status.CurrentState, CheckPoint: last.Status.CheckPoint, TimeoutMs: 60000})
		waited <- err
	}()
	// The query cannot be served on the socket the wait holds; it gets
	// a socket of its own, with the handle the first one opened.
	t0 := time.Now()
	for i := 0; i < 10; i++ {
		if _, err := client.Call(conn.QueryServiceStatus, &pb.HandleRequest{Handle: h}); err != nil {
			t.Fatalf("query beside a wait: %v", err)
		}
	}
	select {
	case err := <-waited:
		t.Fatalf("the wait ended (%v): the queries did not run beside it", err)
	default:
	}
	t.Logf("10 queries beside a wait in %v", time.Since(t0))
	conn.Close()
	if err := <-waited; err == nil {
		t.Error("a wait under way survived Close")
	}
	eventually(t, 10*time.Second, func() string {
		return fmt.Sprintf("%d handles, %d before the client opened its own", scm.Manager.HandleCount(), before-2)
	}, func() bool { return scm.Manager.HandleCount() == before-2 })
}

// TestSessionJoinOnlyBySameProcess: a session's token is no use to
// another process, even the same user's.
func TestSessionJoinOnlyBySameProcess(t *testing.T) {
	scmtest.Start(t)
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	h, token, err := createService(conn, "guarded")
	if err != nil {
		t.Fatal(err)
	}
	if token == "" {
		t.Fatal("the first call brought no session token")
	}
	out, err := exec.Command(filepath.Join(binDir, "attack"), "join", token, fmt.Sprint(h)).CombinedOutput()
	if err != nil {
		t.Fatalf("attack join: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != fmt.Sprintf("403 Forbidden %d", windows.ERROR_ACCESS_DENIED) {
		t.Errorf("another process joining with the token: %q, want refused with 5", got)
	}
}

// createService makes a stopped service and returns a handle to it and the
// connection's session token.
func createService(conn *client.Conn, name string) (uint64, string, error) {
	scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_ALL_ACCESS})
	if err != nil {
		return 0, "", err
	}
	r, err := client.Call(conn.CreateService, &pb.CreateServiceRequest{Scm: scm.Handle, ServiceName: name,
		DesiredAccess: windows.SERVICE_ALL_ACCESS, ServiceType: windows.SERVICE_WIN32_OWN_PROCESS,
		StartType: windows.SERVICE_DEMAND_START, BinaryPathName: "/bin/true"})
	if err != nil {
		return 0, "", err
	}
	return r.Handle, conn.SessionToken(), nil
}

// TestWaitReturnsAChangeFromBeforeTheRecord: a caller whose last sight of
// a service is older than the handle's record is answered at once with
// the status now, not after its timeout.
func TestWaitReturnsAChangeFromBeforeTheRecord(t *testing.T) {
	scmtest.Start(t)
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	h, _, err := createService(conn, "stale")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *pb.ServiceNotification, 1)
	go func() {
		n, err := client.Call(conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: h,
			State: windows.SERVICE_RUNNING, TimeoutMs: 60000})
		if err != nil {
			t.Error(err)
		}
		got <- n
	}()
	select {
	case n := <-got:
		if n == nil || n.Status.CurrentState != windows.SERVICE_STOPPED {
			t.Fatalf("got %v, want the service stopped", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a wait from a stale status waited for a change that had happened")
	}
}

// TestRecordsPerClientBounded: each service handle that records changes
// is visited by every change of its service, so a client may have only
// MaxRecordsPerClient of them; closing one makes room.
func TestRecordsPerClientBounded(t *testing.T) {
	scmtest.Start(t)
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	h, _, err := createService(conn, "watched")
	if err != nil {
		t.Fatal(err)
	}
	scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
	if err != nil {
		t.Fatal(err)
	}
	handles := []uint64{h}
	for i := 1; i <= 64; i++ {
		r, err := client.Call(conn.OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: "watched", DesiredAccess: windows.SERVICE_QUERY_STATUS})
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, r.Handle)
	}
	for i, h := range handles {
		_, err := client.Call(conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: h})
		switch {
		case i < 64 && err != nil:
			t.Fatalf("record %d: %v", i+1, err)
		case i == 64 && err != windows.ERROR_NO_SYSTEM_RESOURCES:
			t.Fatalf("record 65: %v, want 1450", err)
		}
	}
	if _, err := client.Call(conn.CloseServiceHandle, &pb.HandleRequest{Handle: handles[0]}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Call(conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: handles[64]}); err != nil {
		t.Fatalf("a record after one was closed: %v", err)
	}
}
