package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestRemote runs two scmds, A and B, in two network namespaces joined by
// a veth pair, B serving other machines over TLS, and runs the scripts of
// testdata/remote: the clients, in A's namespace, manage B's services as
// `sc \\B` does on Windows. In A's namespace the name B resolves to B's
// address (/etc/netns/<A>/hosts, which `ip netns exec` puts in place of
// /etc/hosts).
func TestRemote(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces take root")
	}
	n := newNetPair(t)
	// Where nobody can reach B's socket, for the local caller it is
	// compared with.
	work, err := os.MkdirTemp("", "scm-remote")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(work, 0o755)
	t.Cleanup(func() { os.RemoveAll(work) })
	stateA, stateB := filepath.Join(work, "stateA"), filepath.Join(work, "stateB")
	sockA, sockB := filepath.Join(work, "a.sock"), filepath.Join(work, "b.sock")

	scmd := filepath.Join(binDir, "scmd")
	run(t, scmd, "cert", "init", "--state-dir", stateB, "--host", "B")
	for _, account := range []string{"root", "nobody", "nosuchaccount", "revokeme"} {
		run(t, scmd, "cert", "client", account, "--state-dir", stateB, "--out", filepath.Join(work, account))
	}
	// A CA B has never heard of, and a client it issued.
	run(t, scmd, "cert", "init", "--state-dir", filepath.Join(work, "otherca"), "--host", "B")
	run(t, scmd, "cert", "client", "root", "--state-dir", filepath.Join(work, "otherca"), "--out", filepath.Join(work, "stranger"))

	n.startSCMD(t, n.a, stateA, sockA, "")
	n.startSCMD(t, n.b, stateB, sockB, n.addrB)

	testscript.Run(t, testscript.Params{
		Dir: "testdata/remote",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("SCM_SOCKET", sockA) // A's own SCM
			env.Setenv("SCM_SOCKET_B", sockB)
			env.Setenv("TESTSVC", filepath.Join(binDir, "testsvc"))
			env.Setenv("CERTS", work)
			env.Setenv("PYTHONPATH", pythonDir(t))
			env.Setenv("PYTHONDONTWRITEBYTECODE", "1")
			env.Setenv("SCM_CA", filepath.Join(work, "root", "ca.pem"))
			env.Setenv("SCM_CERT", filepath.Join(work, "root", "client.pem"))
			env.Setenv("SCM_KEY", filepath.Join(work, "root", "client.key"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"inA":    n.cmdInA,
			"waitB":  n.cmdWaitB,
			"nobody": cmdNobody,
		},
	})
	t.Run("console", func(t *testing.T) { n.consoleOnB(t, work, sockB) })
}

// consoleOnB runs scm-console in A's namespace showing B (--host B, with
// root's certificate), and a client there that logs in, lists B's
// services and starts one of them through the console.
func (n *netPair) consoleOnB(t *testing.T, certs, sockB string) {
	env := append(os.Environ(), "SCM_CA="+filepath.Join(certs, "root", "ca.pem"),
		"SCM_CERT="+filepath.Join(certs, "root", "client.pem"), "SCM_KEY="+filepath.Join(certs, "root", "client.key"))
	onB := exec.Command(filepath.Join(binDir, "sc"), "create", "fromconsole", "binPath=", filepath.Join(binDir, "testsvc"))
	onB.Env = append(os.Environ(), "SCM_SOCKET="+sockB)
	if out, err := onB.CombinedOutput(); err != nil {
		t.Fatalf("sc create on B: %v\n%s", err, out)
	}
	login := startConsoleIn(t, n.a, env, "--host", "B")
	const browse = `
import http.cookiejar, json, sys, urllib.request
url, name = sys.argv[1:3]
base = url.split("/login")[0]
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
web.open(url).read()
csrf = json.load(web.open(base + "/api/session"))["csrf"]
names = sorted(s["name"] for s in json.load(web.open(base + "/api/services")))
print("listed:", " ".join(names))
start = urllib.request.Request(base + "/api/services/" + name + "/start", method="POST", headers={"X-Csrf-Token": csrf, "Origin": base})
print("start:", web.open(start).status)
`
	client := exec.Command("ip", "netns", "exec", n.a, "python3", "-c", browse, login, "fromconsole")
	got, err := client.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "start: 200") || !regexp.MustCompile(`listed:.* fromconsole`).Match(got) {
		t.Fatalf("through the console on A: %v\n%s", err, got)
	}
	eventually(t, 30*time.Second, func() string { return "fromconsole never ran on B" }, func() bool {
		q := exec.Command(filepath.Join(binDir, "sc"), "query", "fromconsole")
		q.Env = append(os.Environ(), "SCM_SOCKET="+sockB)
		o, _ := q.CombinedOutput()
		return strings.Contains(string(o), "RUNNING")
	})
	stop := exec.Command(filepath.Join(binDir, "sc"), "stop", "fromconsole")
	stop.Env = append(os.Environ(), "SCM_SOCKET="+sockB)
	stop.Run()
	eventually(t, 30*time.Second, func() string { return "fromconsole never stopped on B" }, func() bool {
		q := exec.Command(filepath.Join(binDir, "sc"), "query", "fromconsole")
		q.Env = append(os.Environ(), "SCM_SOCKET="+sockB)
		o, _ := q.CombinedOutput()
		return strings.Contains(string(o), "STOPPED")
	})

	// nobody from A, whom B's registry and enumeration are closed to,
	// still reads a service whose descriptor lets network users query it.
	sdset := exec.Command(filepath.Join(binDir, "sc"), "sdset", "fromconsole", "D:(A;;CCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;CCLCSWRC;;;NU)")
	sdset.Env = append(os.Environ(), "SCM_SOCKET="+sockB)
	if out, err := sdset.CombinedOutput(); err != nil {
		t.Fatalf("sc sdset on B: %v\n%s", err, out)
	}
	nobodyEnv := append(os.Environ(), "SCM_CA="+filepath.Join(certs, "root", "ca.pem"),
		"SCM_CERT="+filepath.Join(certs, "nobody", "client.pem"), "SCM_KEY="+filepath.Join(certs, "nobody", "client.key"))
	login = startConsoleIn(t, n.a, nobodyEnv, "--host", "B")
	const look = `
import http.cookiejar, json, sys, urllib.error, urllib.request
url, name = sys.argv[1:3]
base = url.split("/login")[0]
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
web.open(url).read()
try:
    web.open(base + "/api/services")
except urllib.error.HTTPError as e:
    print("list:", json.load(e)["error"]["code"])
row = json.load(web.open(base + "/api/services/" + name))
print("row:", row["state"], row["startupType"], row["logOnAs"])
deps = json.load(web.open(base + "/api/services/" + name + "/dependencies"))
print("deps:", deps["dependsOn"]["name"], len(deps["dependents"].get("children", [])))
`
	got, err = exec.Command("ip", "netns", "exec", n.a, "python3", "-c", look, login, "fromconsole").CombinedOutput()
	if err != nil || string(got) != "list: 5\nrow: 1 Manual Local System\ndeps: fromconsole 0\n" {
		t.Fatalf("nobody's console on A: %v\n%s", err, got)
	}
}

// startConsoleIn runs scm-console in a namespace and returns the address
// it printed.
func startConsoleIn(t *testing.T, ns string, env []string, args ...string) string {
	console := exec.Command("ip", append([]string{"netns", "exec", ns, filepath.Join(binDir, "scm-console")}, args...)...)
	console.Env = env
	out, err := console.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	console.Stderr = os.Stderr
	if err := console.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { console.Process.Signal(os.Interrupt); console.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	login, ok := strings.CutPrefix(strings.TrimSpace(line), "Open ")
	if err != nil || !ok {
		t.Fatalf("scm-console printed %q (%v)", line, err)
	}
	return login
}

// netPair is two network namespaces joined by a veth pair.
type netPair struct {
	a, b         string // the namespaces' names
	addrA, addrB string
}

func newNetPair(t *testing.T) *netPair {
	t.Helper()
	pid := os.Getpid()
	n := &netPair{a: fmt.Sprintf("scmA%d", pid), b: fmt.Sprintf("scmB%d", pid), addrA: "10.231.0.1", addrB: "10.231.0.2"}
	for _, ns := range []string{n.a, n.b} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v %s", ns, err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	vethA, vethB := fmt.Sprintf("sva%d", pid), fmt.Sprintf("svb%d", pid)
	steps := [][]string{
		{"ip", "link", "add", vethA, "netns", n.a, "type", "veth", "peer", "name", vethB, "netns", n.b},
		{"ip", "-n", n.a, "addr", "add", n.addrA + "/30", "dev", vethA},
		{"ip", "-n", n.b, "addr", "add", n.addrB + "/30", "dev", vethB},
		{"ip", "-n", n.a, "link", "set", vethA, "up"},
		{"ip", "-n", n.b, "link", "set", vethB, "up"},
		{"ip", "-n", n.a, "link", "set", "lo", "up"},
		{"ip", "-n", n.b, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", s, err, out)
		}
	}
	// Names as A's namespace resolves them.
	etc := filepath.Join("/etc/netns", n.a)
	_, statErr := os.Stat("/etc/netns")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(etc)
		if os.IsNotExist(statErr) {
			os.Remove("/etc/netns")
		}
	})
	hosts := fmt.Sprintf("127.0.0.1 localhost\n%s A\n%s B\n", n.addrA, n.addrB)
	if err := os.WriteFile(filepath.Join(etc, "hosts"), []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

// startSCMD runs an scmd in namespace ns, serving other machines on
// listen if it is not empty, until the test ends.
func (n *netPair) startSCMD(t *testing.T, ns, state, sock, listen string) {
	t.Helper()
	args := []string{"netns", "exec", ns, filepath.Join(binDir, "scmd"), "--state-dir", state, "--socket", sock}
	if listen != "" {
		args = append(args, "--listen", listen)
	}
	cmd := exec.Command("ip", args...)
	log, err := os.Create(filepath.Join(t.TempDir(), "scmd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	t.Cleanup(func() { removeSCMCgroupDirs(sock) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopSCMD(cmd); log.Close() })
	waitForSocketT(t, sock)
}

// inA cmd args...: run one of the project's commands, or a command on
// PATH, in A's namespace.
func (n *netPair) cmdInA(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: inA cmd args...")
	}
	prog := filepath.Join(binDir, args[0])
	if _, err := os.Stat(prog); err != nil {
		prog = args[0] // python3, from PATH
	}
	err := ts.Exec("ip", append([]string{"netns", "exec", n.a, prog}, args[1:]...)...)
	if err != nil && !neg {
		ts.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	if err == nil && neg {
		ts.Fatalf("%s: unexpected success", strings.Join(args, " "))
	}
}

// waitB NAME STATE: wait, from A, until `sc \\B query NAME` says STATE.
func (n *netPair) cmdWaitB(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitB NAME STATE")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cmd := exec.Command("ip", "netns", "exec", n.a, filepath.Join(binDir, "sc"), `\\B`, "query", args[0])
		for _, k := range []string{"SCM_CA", "SCM_CERT", "SCM_KEY", "PATH"} {
			cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
		}
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), " "+args[1]+" ") {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s on B never reached %s:\n%s", args[0], args[1], out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
