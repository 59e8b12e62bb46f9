package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/internal/remote"
	"github.com/openscm/scm/internal/scmtest"
)

// TestMetrics scrapes a real scmd as Prometheus does, on its loopback
// --metrics address and on its TLS listener, and finds windows_exporter's
// series for a service sc created: stopped, then running once started,
// each change in the next scrape; a crash that a failure action restarts
// moves scm_service_failure_restarts_total. A --metrics address other
// machines could reach is refused.
func TestMetrics(t *testing.T) {
	tmp := t.TempDir()
	state, sock := filepath.Join(tmp, "state"), filepath.Join(tmp, "scm.sock")
	scmd := filepath.Join(binDir, "scmd")
	run(t, scmd, "cert", "init", "--state-dir", state)
	for _, account := range []string{"root", "nobody"} {
		run(t, scmd, "cert", "client", account, "--state-dir", state, "--out", filepath.Join(tmp, account))
	}
	logPath := startSCMDWith(t, state, sock, "--metrics", "127.0.0.1:0", "--listen", "127.0.0.1:0")
	url := waitLogLine(t, logPath, `serving metrics on (http://\S+/metrics)`)
	tlsAddr := waitLogLine(t, logPath, `serving other machines on (\S+) \(TLS\)`)

	sc := func(args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(binDir, "sc"), args...)
		cmd.Env = append(os.Environ(), "SCM_SOCKET="+sock)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	testsvc := filepath.Join(binDir, "testsvc")
	plain := &http.Client{Timeout: 10 * time.Second}
	loopback := func() (int, string, error) { return scrape(plain, url) }

	sc("create", "x", "binPath=", testsvc, "DisplayName=", `The "x" service`)
	text := waitScrape(t, loopback, `windows_service_state{name="x",state="stopped"} 1`)
	for _, want := range []string{
		`windows_service_info{display_name="The \"x\" service",name="x",path_name="` + testsvc + `",run_as="LocalSystem"} 1`,
		`windows_service_start_mode{name="x",start_mode="manual"} 1`,
		`windows_service_start_mode{name="x",start_mode="auto"} 0`,
		`windows_service_state{name="x",state="running"} 0`,
		`scm_service_failure_restarts_total{name="x"} 0`,
	} {
		if !hasLine(text, want) {
			t.Errorf("no %s in\n%s", want, text)
		}
	}
	if strings.Contains(text, `windows_service_process{name="x"`) {
		t.Errorf("a stopped service has a process:\n%s", text)
	}

	sc("start", "x")
	text = waitScrape(t, loopback, `windows_service_state{name="x",state="running"} 1`)
	if !hasLine(text, `windows_service_state{name="x",state="stopped"} 0`) {
		t.Errorf("running and stopped at once:\n%s", text)
	}
	for _, pattern := range []string{
		`(?m)^windows_service_process\{name="x",process_id="[1-9][0-9]*"\} [0-9.e+]+$`,
		`(?m)^scm_service_last_start_duration_seconds\{name="x"\} [0-9.e+-]+$`,
		`(?m)^scm_service_start_duration_seconds_count [1-9]`,
	} {
		if !regexp.MustCompile(pattern).MatchString(text) {
			t.Errorf("nothing matches %s in\n%s", pattern, text)
		}
	}

	// The TLS listener serves the same to a certificate whose account
	// may enumerate the services (root), and 403 to one whose may not
	// (nobody, a network logon).
	tlsGet := func(account string) (int, string, error) {
		cfg, err := remote.ClientConfig(remote.ClientFiles{
			CA:   filepath.Join(tmp, account, remote.CAFile),
			Cert: filepath.Join(tmp, account, remote.ClientCertFile),
			Key:  filepath.Join(tmp, account, remote.ClientKeyFile),
		}, "localhost")
		if err != nil {
			return 0, "", err
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
		defer c.CloseIdleConnections()
		return scrape(c, "https://"+tlsAddr+"/metrics")
	}
	status, text, err := tlsGet("root")
	if err != nil || status != 200 || !hasLine(text, `windows_service_state{name="x",state="running"} 1`) {
		t.Errorf("over TLS as root: %d %v\n%s", status, err, text)
	}
	if status, text, err := tlsGet("nobody"); err != nil || status != 403 {
		t.Errorf("over TLS as nobody: %d %v\n%s", status, err, text)
	}
	// Without a client certificate there is no TLS session at all.
	noCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if status, _, err := scrape(noCert, "https://"+tlsAddr+"/metrics"); err == nil {
		t.Errorf("over TLS without a certificate: %d", status)
	}

	sc("stop", "x")
	waitScrape(t, loopback, `windows_service_state{name="x",state="stopped"} 1`)

	// A crash its failure action restarts, once: the second crash runs a
	// command instead, and the service stays stopped.
	sc("create", "flaky", "binPath=", testsvc+" -mode crash-running")
	sc("failure", "flaky", "reset=", "60", "actions=", "restart/100/run/0", "command=", "/bin/true")
	sc("start", "flaky")
	text = waitScrape(t, loopback, `scm_service_failure_restarts_total{name="flaky"} 1`, `windows_service_state{name="flaky",state="stopped"} 1`)
	if !hasLine(text, `scm_service_failure_restarts_total{name="x"} 0`) {
		t.Errorf("x was restarted:\n%s", text)
	}

	// Other machines cannot reach a plain-HTTP --metrics.
	for _, addr := range []string{"0.0.0.0", ":9182", "[::]:9182", "192.0.2.1:9182", "example.com"} {
		other := filepath.Join(t.TempDir(), "state")
		out, err := exec.Command(scmd, "--state-dir", other, "--socket", other+".sock", "--metrics", addr).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "not a loopback address") {
			t.Errorf("--metrics %s: %v\n%s", addr, err, out)
		}
		if _, err := os.Stat(other); err == nil {
			t.Errorf("--metrics %s: the state directory was made before the address was refused", addr)
		}
	}
}

// startSCMDWith runs scmd on state and sock with more arguments until the
// test ends, its log in a file, and waits until it answers on sock.
func startSCMDWith(t *testing.T, state, sock string, args ...string) (logPath string) {
	t.Helper()
	logPath = filepath.Join(t.TempDir(), "scmd.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "scmd"), append([]string{"--state-dir", state, "--socket", sock}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	t.Cleanup(func() { removeSCMCgroupDirs(sock) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopSCMD(cmd)
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("scmd's log:\n%s", b)
		}
	})
	waitForSocketT(t, sock)
	return logPath
}

// waitLogLine waits for a line of scmd's log to match pattern and returns
// the pattern's first group.
func waitLogLine(t *testing.T, logPath, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		if m := re.FindSubmatch(b); m != nil {
			return string(m[1])
		}
		if time.Now().After(deadline) {
			t.Fatalf("scmd never logged %s:\n%s", pattern, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scrape GETs url as Prometheus does (text format, gzip accepted).
func scrape(c *http.Client, url string) (int, string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.3,*/*;q=0.1")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		err = fmt.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(b), err
}

// waitScrape scrapes until every line wanted is there, and returns that
// scrape.
func waitScrape(t *testing.T, get func() (int, string, error), want ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, text, err := get()
		if err == nil && status == 200 && hasLines(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("scrapes never had %q: last %d %v\n%s", want, status, err, text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasLine(text, line string) bool { return strings.Contains("\n"+text, "\n"+line+"\n") }

func hasLines(text string, lines []string) bool {
	for _, l := range lines {
		if !hasLine(text, l) {
			return false
		}
	}
	return true
}

// An ordinary user who asks for the metrics on the socket and stops
// reading the replies keeps no one else's scrape waiting: root's scrape of
// the same 3,000 services completes while the stalled ones hang.
func TestMetricsStalledScrapers(t *testing.T) {
	u := newOrdinaryUser(t)
	sock := publicSocket(t)
	state := t.TempDir()
	scmtest.Populate(t, state, 3000)
	startSCMD(t, state, sock)
	// Two: as many as one user may have in flight (MaxLargeRepliesPerUser).
	startAttackers(t, u, sock, 1, "stall-scrapes", "2")
	root := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	code, text, err := scrape(root, "http://scm/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("root's scrape beside stalled ones: %d %v", code, err)
	}
	if n := strings.Count(text, "windows_service_info{"); n != 3000 {
		t.Errorf("root's scrape has %d services, want 3000", n)
	}
}
