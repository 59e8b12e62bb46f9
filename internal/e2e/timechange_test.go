package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

// TestTimeChange sets the wall clock (to what it is: a step of nothing)
// and checks that a service accepting TIMECHANGE gets the control, with
// SERVICE_TIMECHANGE_INFO, and that one not accepting it does not.
func TestTimeChange(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setting the clock takes root")
	}
	m := startSCMDShortTimeouts(t)
	logPath := filepath.Join(t.TempDir(), "svc.log")
	want := installTestService(t, m, "clockwatch", "-timechange", "-log", logPath)
	other := installTestService(t, m, "clockblind", "-log", logPath)
	for _, s := range []*mgr.Service{want, other} {
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, s, "running", running)
	}
	// Step the clock to where it is; the kernel reports any set.
	now := time.Now()
	if out, err := exec.Command("date", "-s", "@"+strconv.FormatFloat(float64(now.UnixNano())/1e9, 'f', 6, 64)).CombinedOutput(); err != nil {
		t.Skipf("date -s: %v %s", err, out)
	}
	waitFor(t, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "control cmd=16 context=123456 service=clockwatch") && strings.Contains(string(b), "timechange new=")
	})
	b, _ := os.ReadFile(logPath)
	if strings.Contains(string(b), "cmd=16 context=123456 service=clockblind") {
		t.Error("TIMECHANGE sent to a service that does not accept it")
	}
	for _, s := range []*mgr.Service{want, other} {
		s.Control(svc.Stop)
	}
}

// TestTimeChangeWhileBusy steps the clock while the service is busy with
// another control: TIMECHANGE waits for it to be free, and then arrives.
func TestTimeChangeWhileBusy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setting the clock takes root")
	}
	m := startSCMDShortTimeouts(t)
	logPath := filepath.Join(t.TempDir(), "svc.log")
	s := installTestService(t, m, "busyclock", "-timechange", "-log", logPath)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "running", running)
	held := make(chan error, 1)
	go func() {
		_, err := s.Control(250)
		held <- err
	}()
	waitFor(t, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "holding control 250")
	})
	now := time.Now()
	if out, err := exec.Command("date", "-s", "@"+strconv.FormatFloat(float64(now.UnixNano())/1e9, 'f', 6, 64)).CombinedOutput(); err != nil {
		t.Skipf("date -s: %v %s", err, out)
	}
	if err := os.WriteFile(logPath+".release", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-held; err != nil {
		t.Fatalf("control 250: %v", err)
	}
	waitFor(t, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "control cmd=16 context=123456 service=busyclock")
	})
	b, _ := os.ReadFile(logPath)
	if strings.Index(string(b), "released control 250") > strings.Index(string(b), "control cmd=16") {
		t.Errorf("TIMECHANGE reached the service while it was busy:\n%s", b)
	}
	s.Control(svc.Stop)
}
