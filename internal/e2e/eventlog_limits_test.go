package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/eventlog"
)

// TestEventLogAgainstOrdinaryUser: an ordinary user may write to
// Application but not make an event larger than Windows takes (87), and
// flooding it with the largest events there are keeps the log within its
// MaxSize and eventlog.db within its logs' sizes plus eventlog.FileSlack;
// other sources' events go oldest first, and System's stay.
func TestEventLogAgainstOrdinaryUser(t *testing.T) {
	u := newOrdinaryUser(t)
	sock := publicSocket(t)
	t.Setenv("SCM_SOCKET", sock)
	state := t.TempDir()
	startSCMD(t, state, sock)
	const maxSize = 1 << 20
	for _, log := range []string{"Application", "System"} {
		out, err := exec.Command(filepath.Join(binDir, "reg"), "add", `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\`+log,
			"/v", "MaxSize", "/t", "REG_DWORD", "/d", fmt.Sprint(maxSize), "/f").CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	writeEvent(t, "early", "written before the flood")
	conn := client.Dial(sock)
	defer conn.Close()
	info := func(log string) *pb.EventLogInfo {
		i, err := client.Call(conn.GetEventLogInfo, &pb.LogRequest{Log: log})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	system := info("System")

	out, err := u.Attack("event-huge", "31839", "31840", "1000000", "31840", "1000000").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := "31839 0\n31840 87\n1000000 87\n31840 87\n1000000 87\n"; string(out) != want {
		t.Errorf("events too large: got\n%swant\n%s", out, want)
	}

	const flood = 40 // about 6 MiB of events into a log of 1 MiB
	if out, err := u.Attack("event-flood", fmt.Sprint(flood)).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	app := info("Application")
	if app.Size > maxSize {
		t.Errorf("Application takes %d bytes, MaxSize %d", app.Size, maxSize)
	}
	fi, err := os.Stat(filepath.Join(state, "eventlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	if sys := info("System"); uint64(fi.Size()) > app.Size+sys.Size+eventlog.FileSlack {
		t.Errorf("eventlog.db is %d bytes, its logs %d + %d, slack %d", fi.Size(), app.Size, sys.Size, eventlog.FileSlack)
	}
	t.Logf("eventlog.db %d bytes; Application %d bytes in %d events", fi.Size(), app.Size, app.Records)
	if app.Records != app.Newest-app.Oldest+1 || app.Oldest == 1 {
		t.Errorf("Application holds %d events from %d to %d: not the newest, or with holes", app.Records, app.Oldest, app.Newest)
	}
	newest, err := client.Call(conn.ReadEventLog, &pb.ReadEventLogRequest{Log: "Application", NewestFirst: true, Count: 1})
	if err != nil || len(newest.Records) != 1 || newest.Records[0].Strings[0] != fmt.Sprint(flood-1) {
		t.Errorf("the newest event is not the flood's last: %v %v", newest, err)
	}
	if logHas(t, "Application", "written before the flood") {
		t.Error("the oldest event outlived the flood")
	}
	if sys := info("System"); sys.Oldest != system.Oldest || sys.Records < system.Records {
		t.Errorf("a flood of Application took System's events: before %v, after %v", system, sys)
	}
}
