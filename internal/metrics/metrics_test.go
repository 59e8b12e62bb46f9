package metrics

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/windows"
)

func TestFormat(t *testing.T) {
	s := &Snapshot{
		Handles: 3,
		Services: []Service{
			{Name: "dcsvc", DisplayName: "Declared Configuration(DC) service", PathName: `/usr/bin/dcsvc -k "net svcs"`,
				RunAs: "LocalSystem", StartType: windows.SERVICE_DEMAND_START, State: windows.SERVICE_STOPPED},
			{Name: "Themes", DisplayName: "Themes", PathName: `C:\WINDOWS\System32\svchost.exe -k netsvcs -p`,
				RunAs: `NT AUTHORITY\LocalService`, StartType: windows.SERVICE_AUTO_START, State: windows.SERVICE_RUNNING,
				PID: 2856, ProcessStart: 1724489100, Restarts: 2, LastStart: 0.25, HasLastStart: true},
			// A start type windows_exporter cannot name: the service is left out.
			{Name: "odd", StartType: 7, State: windows.SERVICE_RUNNING},
		},
	}
	s.StartDurations.Observe(0.25)
	s.StartDurations.Observe(0.003)
	s.StartDurations.Observe(500)
	var b strings.Builder
	if err := Format(&b, s); err != nil {
		t.Fatal(err)
	}
	want := `# HELP scm_handles_open Handles open on the SCM: OpenSCManager's, OpenService's, the database lock's and event sources'.
# TYPE scm_handles_open gauge
scm_handles_open 3
# HELP scm_service_failure_restarts_total Restarts of the service that its failure actions (SC_ACTION_RESTART) made since scmd started.
# TYPE scm_service_failure_restarts_total counter
scm_service_failure_restarts_total{name="Themes"} 2
scm_service_failure_restarts_total{name="dcsvc"} 0
# HELP scm_service_last_start_duration_seconds Seconds from StartService to RUNNING of the service's last start that reached RUNNING since scmd started.
# TYPE scm_service_last_start_duration_seconds gauge
scm_service_last_start_duration_seconds{name="Themes"} 0.25
# HELP scm_service_start_duration_seconds Seconds from StartService to RUNNING of every service's starts since scmd started.
# TYPE scm_service_start_duration_seconds histogram
scm_service_start_duration_seconds_bucket{le="0.005"} 1
scm_service_start_duration_seconds_bucket{le="0.01"} 1
scm_service_start_duration_seconds_bucket{le="0.025"} 1
scm_service_start_duration_seconds_bucket{le="0.05"} 1
scm_service_start_duration_seconds_bucket{le="0.1"} 1
scm_service_start_duration_seconds_bucket{le="0.25"} 2
scm_service_start_duration_seconds_bucket{le="0.5"} 2
scm_service_start_duration_seconds_bucket{le="1"} 2
scm_service_start_duration_seconds_bucket{le="2.5"} 2
scm_service_start_duration_seconds_bucket{le="5"} 2
scm_service_start_duration_seconds_bucket{le="10"} 2
scm_service_start_duration_seconds_bucket{le="30"} 2
scm_service_start_duration_seconds_bucket{le="60"} 2
scm_service_start_duration_seconds_bucket{le="120"} 2
scm_service_start_duration_seconds_bucket{le="+Inf"} 3
scm_service_start_duration_seconds_sum 500.253
scm_service_start_duration_seconds_count 3
# HELP windows_service_info A metric with a constant '1' value labeled with service information
# TYPE windows_service_info gauge
windows_service_info{display_name="Themes",name="Themes",path_name="C:\\WINDOWS\\System32\\svchost.exe -k netsvcs -p",run_as="NT AUTHORITY\\LocalService"} 1
windows_service_info{display_name="Declared Configuration(DC) service",name="dcsvc",path_name="/usr/bin/dcsvc -k \"net svcs\"",run_as="LocalSystem"} 1
# HELP windows_service_process Process of started service. The value is the creation time of the process as a unix timestamp.
# TYPE windows_service_process gauge
windows_service_process{name="Themes",process_id="2856"} 1.7244891e+09
# HELP windows_service_start_mode The start mode of the service (StartMode)
# TYPE windows_service_start_mode gauge
windows_service_start_mode{name="Themes",start_mode="auto"} 1
windows_service_start_mode{name="Themes",start_mode="boot"} 0
windows_service_start_mode{name="Themes",start_mode="disabled"} 0
windows_service_start_mode{name="Themes",start_mode="manual"} 0
windows_service_start_mode{name="Themes",start_mode="system"} 0
windows_service_start_mode{name="dcsvc",start_mode="auto"} 0
windows_service_start_mode{name="dcsvc",start_mode="boot"} 0
windows_service_start_mode{name="dcsvc",start_mode="disabled"} 0
windows_service_start_mode{name="dcsvc",start_mode="manual"} 1
windows_service_start_mode{name="dcsvc",start_mode="system"} 0
# HELP windows_service_state The state of the service (State)
# TYPE windows_service_state gauge
windows_service_state{name="Themes",state="continue pending"} 0
windows_service_state{name="Themes",state="pause pending"} 0
windows_service_state{name="Themes",state="paused"} 0
windows_service_state{name="Themes",state="running"} 1
windows_service_state{name="Themes",state="start pending"} 0
windows_service_state{name="Themes",state="stop pending"} 0
windows_service_state{name="Themes",state="stopped"} 0
windows_service_state{name="dcsvc",state="continue pending"} 0
windows_service_state{name="dcsvc",state="pause pending"} 0
windows_service_state{name="dcsvc",state="paused"} 0
windows_service_state{name="dcsvc",state="running"} 0
windows_service_state{name="dcsvc",state="start pending"} 0
windows_service_state{name="dcsvc",state="stop pending"} 0
windows_service_state{name="dcsvc",state="stopped"} 1
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// With no services and no starts: the SCM's own series only, the
// histogram's empty buckets among them.
func TestFormatEmpty(t *testing.T) {
	var b strings.Builder
	if err := Format(&b, &Snapshot{}); err != nil {
		t.Fatal(err)
	}
	for _, family := range []string{"windows_service_", "scm_service_failure_restarts_total", "scm_service_last_start"} {
		if strings.Contains(b.String(), family) {
			t.Errorf("an empty snapshot has %s:\n%s", family, b.String())
		}
	}
	if !strings.Contains(b.String(), "\nscm_service_start_duration_seconds_count 0\n") {
		t.Errorf("no empty histogram:\n%s", b.String())
	}
}

func TestLabelEscaping(t *testing.T) {
	s := &Snapshot{Services: []Service{{
		Name:        `a"b`,
		DisplayName: "line one\nline two",
		PathName:    `C:\dir\"x".exe`,
		RunAs:       "bad\xffbyte",
		StartType:   windows.SERVICE_DEMAND_START,
		State:       windows.SERVICE_STOPPED,
	}}}
	var b strings.Builder
	if err := Format(&b, s); err != nil {
		t.Fatal(err)
	}
	want := `windows_service_info{display_name="line one\nline two",name="a\"b",path_name="C:\\dir\\\"x\".exe",run_as="bad` + "\uFFFD" + `byte"} 1` + "\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("want\n%s\nin\n%s", want, b.String())
	}
	if !strings.Contains(b.String(), `windows_service_state{name="a\"b",state="stopped"} 1`+"\n") {
		t.Errorf("state line not escaped:\n%s", b.String())
	}
	if got := string(appendEscaped(nil, "a\\b\n\"c\"", false)); got != `a\\b\n"c"` {
		t.Errorf("HELP escaping: %s", got)
	}
}

func TestLoopbackAddress(t *testing.T) {
	good := map[string]string{
		"127.0.0.1":      "127.0.0.1:9182",
		"127.0.0.1:9000": "127.0.0.1:9000",
		"127.1.2.3:0":    "127.1.2.3:0",
		"localhost":      "127.0.0.1:9182",
		"localhost:1234": "127.0.0.1:1234",
		"::1":            "[::1]:9182",
		"[::1]":          "[::1]:9182",
		"[::1]:9100":     "[::1]:9100",
	}
	for in, want := range good {
		got, err := LoopbackAddress(in)
		if err != nil || got != want {
			t.Errorf("LoopbackAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ":9182", "0.0.0.0", "0.0.0.0:9182", "[::]:9182", "::", "10.0.0.1", "192.168.1.5:9182", "example.com", "example.com:9182"} {
		if _, err := LoopbackAddress(in); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("LoopbackAddress(%q): %v, want ErrNotLoopback", in, err)
		}
	}
	for _, in := range []string{"127.0.0.1:http", "127.0.0.1:99999", "127.0.0.1:-1"} {
		if _, err := LoopbackAddress(in); err == nil {
			t.Errorf("LoopbackAddress(%q) accepted", in)
		}
	}
}

func TestHandler(t *testing.T) {
	snap := func() *Snapshot {
		return &Snapshot{Services: []Service{{Name: "x", StartType: windows.SERVICE_DEMAND_START, State: windows.SERVICE_RUNNING}}}
	}
	srv := httptest.NewServer(NewServer(Handler(snap)).Handler)
	defer srv.Close()

	// Go's client asks for gzip and undoes it.
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ContentType || !resp.Uncompressed {
		t.Fatalf("%s %q uncompressed=%v", resp.Status, resp.Header.Get("Content-Type"), resp.Uncompressed)
	}
	if !strings.Contains(string(body), `windows_service_state{name="x",state="running"} 1`+"\n") {
		t.Fatalf("body:\n%s", body)
	}

	// Asked for no compression, it gets none.
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "" || string(plain) != string(body) {
		t.Fatalf("identity: %q\n%s", resp.Header.Get("Content-Encoding"), plain)
	}

	// gzip by hand.
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	resp.Body.Close()
	if string(unzipped) != string(body) {
		t.Fatalf("gzip:\n%s", unzipped)
	}

	for _, c := range []struct {
		method, path string
		status       int
	}{{"POST", "/metrics", 405}, {"GET", "/", 404}, {"GET", "/metrics/x", 404}, {"HEAD", "/metrics", 200}} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %s, want %d", c.method, c.path, resp.Status, c.status)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                          false,
		"gzip":                      true,
		"identity":                  false,
		"br, gzip;q=0.5":            true,
		"gzip;q=0":                  false,
		"gzip; q=0.0, identity":     false,
		"deflate, gzip ; q=1, zstd": true,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}

// This test's own process started a moment ago.
func TestProcessStart(t *testing.T) {
	got, ok := ProcessStart(uint32(os.Getpid()))
	if !ok {
		t.Skip("no /proc")
	}
	now := time.Now().Unix()
	if got > now+1 || got < now-3600 {
		t.Errorf("ProcessStart = %d, now %d", got, now)
	}
	if _, ok := ProcessStart(0); ok {
		t.Error("pid 0 has a start time")
	}
}

func TestFillProcessStarts(t *testing.T) {
	s := &Snapshot{Services: []Service{{Name: "a", PID: 7}, {Name: "b", PID: 7}, {Name: "c"}, {Name: "d", PID: 9}}}
	calls := 0
	FillProcessStarts(s, func(pid uint32) (int64, bool) {
		calls++
		if pid == 7 {
			return 1000, true
		}
		return 0, false
	})
	if calls != 2 || s.Services[0].ProcessStart != 1000 || s.Services[1].ProcessStart != 1000 || s.Services[2].ProcessStart != 0 || s.Services[3].ProcessStart != 0 {
		t.Errorf("%d calls: %+v", calls, s.Services)
	}
}

func BenchmarkFormat10000(b *testing.B) {
	s := &Snapshot{}
	for i := range 10000 {
		name := "svc" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + fmt.Sprint(i)
		s.Services = append(s.Services, Service{Name: name, DisplayName: "Service " + name, PathName: "/usr/bin/" + name,
			RunAs: "LocalSystem", StartType: windows.SERVICE_AUTO_START, State: windows.SERVICE_RUNNING, PID: uint32(1000 + i), ProcessStart: 1700000000})
	}
	var n int64
	for b.Loop() {
		c := &countWriter{}
		if err := Format(c, s); err != nil {
			b.Fatal(err)
		}
		n = c.n
	}
	b.ReportMetric(float64(n), "bytes/scrape")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
