package server

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

func burst(conn *client.Conn, n int) []error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := conn.EnumEventLogs(&pb.Empty{}); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// A client whose sockets scmd all closed while idle (its session held no
// handle) goes on working when calls go at once: a socket that tried to
// join the dead session is refused, and the call goes again on a new one.
func TestClientAfterIdleCloseOfItsSession(t *testing.T) {
	sock := serveWithTimeouts(t, 200*time.Millisecond, RequestReadTimeout)
	failed := 0
	for trial := 0; trial < 3; trial++ {
		conn := client.Dial(sock)
		if errs := burst(conn, 8); len(errs) > 0 {
			t.Fatalf("warm-up: %v", errs[0])
		}
		waitIdleClosed(t, sock)
		if errs := burst(conn, 4); len(errs) > 0 {
			failed++
			t.Logf("trial %d: %v", trial, errs[0])
			// Now: a socket outside the session sits in the pool.
			h, err := conn.OpenSCManager(&pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT | windows.SC_MANAGER_QUERY_LOCK_STATUS})
			if err == nil {
				var wg sync.WaitGroup
				var bad int
				var mu sync.Mutex
				for i := 0; i < 8; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for j := 0; j < 20; j++ {
							if _, err := conn.QueryServiceLockStatus(&pb.HandleRequest{Handle: h.Handle}); err != nil {
								mu.Lock()
								bad++
								if bad == 1 {
									t.Logf("  e.g. %v", err)
								}
								mu.Unlock()
							}
						}
					}()
				}
				wg.Wait()
				t.Logf("  afterwards: %d of 160 calls with a handle the Conn opened failed", bad)
			}
		}
		conn.Close()
	}
	if failed > 0 {
		t.Errorf("%d of 3 trials had a call fail after idle sockets were closed", failed)
	}
}

// waitIdleClosed returns once scmd has closed a connection idle since now,
// and so every one idle since before.
func waitIdleClosed(t *testing.T, sock string) {
	t.Helper()
	later, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	io.WriteString(later, "POST /scm.v1.ServiceControlManager/EnumEventLogs HTTP/1.1\r\nHost: scm\r\nContent-Type: application/proto\r\nContent-Length: 0\r\n\r\n")
	closedByServer(t, later, 30*time.Second)
}
