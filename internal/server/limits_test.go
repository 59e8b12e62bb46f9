package server_test

import (
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/manager"
	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/windows"
)

// A connection holds at most MaxHandlesPerClient handles; past it every
// open fails with ERROR_NO_SYSTEM_RESOURCES, and when the connection goes,
// every one of its handles goes with it.
func TestHandlesPerConnectionCappedAndFreed(t *testing.T) {
	scm := scmtest.Start(t)
	base := scm.Manager.HandleCount()
	conn := client.Dial(scm.Socket)
	open := func() error {
		_, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
		return err
	}
	for i := 0; i < manager.MaxHandlesPerClient; i++ {
		if err := open(); err != nil {
			t.Fatalf("handle %d: %v", i+1, err)
		}
	}
	for i := 0; i < 10; i++ {
		if err := open(); err != windows.ERROR_NO_SYSTEM_RESOURCES {
			t.Fatalf("handle %d past the cap: got %v, want %v", i+1, err, windows.ERROR_NO_SYSTEM_RESOURCES)
		}
	}
	if n := scm.Manager.HandleCount() - base; n != manager.MaxHandlesPerClient {
		t.Fatalf("the manager holds %d handles for the connection, want %d", n, manager.MaxHandlesPerClient)
	}
	// Another connection is not affected by this one's cap.
	other := client.Dial(scm.Socket)
	defer other.Close()
	if _, err := client.Call(other.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT}); err != nil {
		t.Fatalf("another connection: %v", err)
	}
	conn.Close()
	deadline := time.Now().Add(30 * time.Second)
	for scm.Manager.HandleCount() != base+1 {
		if time.Now().After(deadline) {
			t.Fatalf("after disconnect the manager still holds %d handles, want %d", scm.Manager.HandleCount(), base+1)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
