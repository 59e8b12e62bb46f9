package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows/svc/eventlog"
)

// TestEventLogSurvivesKill writes events while scmd is SIGKILLed, again and
// again: the log opens after each restart, holds the last event it
// acknowledged, and stays within its maximum size.
func TestEventLogSurvivesKill(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	const maxSize = 64 << 10
	last := ""
	for round := 0; round < 4; round++ {
		cmd := startSCMD(t, state, sock)
		if round == 0 {
			out, err := exec.Command(filepath.Join(binDir, "reg"), "add", `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application`,
				"/v", "MaxSize", "/t", "REG_DWORD", "/d", fmt.Sprint(maxSize), "/f").CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
		}
		checkLog(t, round, last, maxSize)
		l, err := eventlog.Open("durable")
		if err != nil {
			t.Fatal(err)
		}
		acks := make(chan string)
		go func() {
			defer close(acks)
			for i := 0; ; i++ {
				msg := fmt.Sprintf("round %d event %d %s", round, i, strings.Repeat("x", 100))
				if l.Info(uint32(1+i%1000), msg) != nil {
					return
				}
				acks <- msg
			}
		}()
		n := 0
		for msg := range acks {
			last = msg
			if n++; n == 200+50*round {
				cmd.Process.Kill()
				cmd.Wait()
			}
		}
	}
	cmd := startSCMD(t, state, sock)
	checkLog(t, 4, last, maxSize)
	cmd.Process.Kill()
	cmd.Wait()
}

func checkLog(t *testing.T, round int, last string, maxSize uint64) {
	t.Helper()
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	info, err := client.Call(conn.GetEventLogInfo, &pb.LogRequest{Log: "Application"})
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if info.Size > maxSize {
		t.Errorf("round %d: log of %d bytes, limit %d", round, info.Size, maxSize)
	}
	if last == "" {
		return
	}
	recs, err := client.Call(conn.ReadEventLog, &pb.ReadEventLogRequest{Log: "Application", NewestFirst: true, Count: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs.Records {
		if r.Message == last {
			return
		}
	}
	t.Fatalf("round %d: the last acknowledged event %q is gone", round, last[:30])
}
