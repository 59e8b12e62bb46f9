package svc_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"golang.org/x/sys/unix"
)

// rawStatus is a handler that reports START_PENDING with the raw call, at
// checkpoint 7, before it reports RUNNING through its channel.
type rawStatus struct{}

func (rawStatus) Execute(args []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	st := windows.SERVICE_STATUS{ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, CurrentState: windows.SERVICE_START_PENDING, CheckPoint: 7, WaitHint: 3000}
	if err := windows.SetServiceStatus(svc.StatusHandle(), &st); err != nil {
		return true, 1
	}
	if err := windows.SetServiceStatus(svc.StatusHandle()+1, &st); err != windows.ERROR_INVALID_HANDLE {
		return true, 2
	}
	s <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop}
	for range r {
	}
	return false, 0
}

// windows.SetServiceStatus with the handle svc.StatusHandle gives reports
// the running service's status, as the handler's channel does; another
// handle is ERROR_INVALID_HANDLE. The test stands in for scmd on the
// service's control channel.
func TestSetServiceStatus(t *testing.T) {
	if os.Getenv("SVC_TEST_HELPER") == "rawstatus" {
		svc.Run("raw", rawStatus{})
		os.Exit(0)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "scm"), os.NewFile(uintptr(fds[1]), "service")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSetServiceStatus$")
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Env = append(os.Environ(), "SVC_TEST_HELPER=rawstatus", protocol.EnvFD+"=3")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	theirs.Close()
	defer func() {
		ours.Close() // the service's SCM gone, it exits
		cmd.Wait()
	}()
	ours.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, protocol.MaxMessage)
	var seen []windows.SERVICE_STATUS
	for {
		n, err := ours.Read(buf)
		if err != nil {
			t.Fatalf("after %+v: %v", seen, err)
		}
		msg, err := protocol.Decode(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		switch m := msg.(type) {
		case *protocol.Register:
			start, _ := protocol.Encode(&protocol.Start{Service: m.Services[0], Args: m.Services[:1]})
			ours.Write(start)
		case *protocol.Status:
			seen = append(seen, m.SERVICE_STATUS)
			if m.CurrentState != windows.SERVICE_RUNNING {
				continue
			}
			if len(seen) < 2 || seen[len(seen)-2].CheckPoint != 7 || seen[len(seen)-2].CurrentState != windows.SERVICE_START_PENDING {
				t.Errorf("statuses %+v, want START_PENDING at checkpoint 7 before RUNNING", seen)
			}
			return // closing the channel ends the service
		}
	}
}
