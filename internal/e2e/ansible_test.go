package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestAnsible runs the openscm.scm collection's test playbooks with
// ansible-playbook against a real scmd, on localhost over the local
// connection, and checks with sc what they did: a service brought to a
// declared state, no change on a second run, none in check mode, its
// removal, and service_info's view of it.
func TestAnsible(t *testing.T) {
	playbook, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Fatal("ansible-playbook is needed for the Ansible collection's test (.ci/run installs Debian's ansible-core)")
	}
	python := "/usr/bin/python3" // the interpreter ansible-core's package runs modules with
	if _, err := os.Stat(python); err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			t.Fatal("python3 is needed for the Ansible collection's test (.ci/run installs it)")
		}
	}
	collections, err := filepath.Abs("../../ansible")
	if err != nil {
		t.Fatal(err)
	}
	playbooks := filepath.Join(collections, "ansible_collections", "openscm", "scm", "tests", "playbooks")
	sock := filepath.Join(t.TempDir(), "scm.sock")
	startSCMD(t, t.TempDir(), sock)

	// Ansible writes only under tmp: its home, temporary files and config.
	tmp := t.TempDir()
	config := filepath.Join(tmp, "ansible.cfg")
	if err := os.WriteFile(config, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(tmp, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"HOME="+filepath.Join(tmp, "home"),
		"ANSIBLE_CONFIG="+config,
		"ANSIBLE_COLLECTIONS_PATH="+collections,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(tmp, "local"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(tmp, "remote"),
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_RETRY_FILES_ENABLED=0",
		"PYTHONDONTWRITEBYTECODE=1",
		"SCM_SOCKET="+sock,
		"SCM_PYTHON="+pythonDir(t), // the modules' fallback when the package is not installed
	)
	testsvc := filepath.Join(binDir, "testsvc")
	run := func(name string, args ...string) (changed int) {
		t.Helper()
		cmd := exec.Command(playbook, append([]string{
			"-i", "localhost,", "-c", "local",
			"-e", "ansible_python_interpreter=" + python,
			"-e", "testsvc=" + testsvc,
			filepath.Join(playbooks, name),
		}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ansible-playbook %s %v: %v\n%s", name, args, err, out)
		}
		ok, changed, failed := recap(t, string(out))
		if failed != 0 || ok == 0 {
			t.Fatalf("ansible-playbook %s %v: ok=%d failed=%d\n%s", name, args, ok, failed, out)
		}
		t.Logf("%s %v: ok=%d changed=%d", name, args, ok, changed)
		return changed
	}

	if c := run("converge.yml"); c != 2 {
		t.Errorf("converge.yml created 2 services and changed %d", c)
	}
	want := []struct{ args, text string }{
		{"qc ansible-web", "START_TYPE         : 2   AUTO_START\n"},
		{"qc ansible-web", "BINARY_PATH_NAME   : " + testsvc + " -mode normal\n"},
		{"qc ansible-web", "DISPLAY_NAME       : Ansible test web\n"},
		{"qc ansible-web", "DEPENDENCIES       : ansible-dep\n"},
		{"qc ansible-dep", "START_TYPE         : 3   DEMAND_START\n"},
		{"qdescription ansible-web", "DESCRIPTION:  Serves the test site\n"},
		{"qfailure ansible-web", "RESET_PERIOD (in seconds)    : 86400\n"},
		{"qfailure ansible-web", "COMMAND_LINE                 : /bin/true\n"},
		{"qfailure ansible-web", "FAILURE_ACTIONS              : RESTART -- Delay = 1000 milliseconds.\n" +
			"                                       RUN PROCESS -- Delay = 2000 milliseconds.\n"},
		{"qfailureflag ansible-web", "FAILURE_ACTIONS_ON_NONCRASH_FAILURES: TRUE\n"},
		{"query ansible-web", "STATE              : 4  RUNNING \n"},
		{"query ansible-dep", "STATE              : 4  RUNNING \n"}, // started as web's dependency
	}
	checkSC(t, sock, want)

	if c := run("converge.yml"); c != 0 {
		t.Errorf("a second run of converge.yml changed %d tasks, want 0", c)
	}
	if c := run("converge.yml", "--check", "-e", "web_start_mode=disabled", "-e", "web_description=Other",
		"-e", "web_state=stopped"); c != 1 {
		t.Errorf("converge.yml in check mode with another state changed %d tasks, want 1", c)
	}
	checkSC(t, sock, want) // nothing moved
	run("info.yml")

	if c := run("absent.yml"); c != 1 { // one task, looping over both
		t.Errorf("absent.yml removed the services and changed %d tasks, want 1", c)
	}
	for _, name := range []string{"ansible-web", "ansible-dep"} {
		out, err := sc(sock, "query", name)
		if err == nil || !strings.Contains(out, "FAILED 1060:") {
			t.Errorf("sc query %s after absent.yml: %v\n%s", name, err, out)
		}
	}
	if c := run("absent.yml"); c != 0 {
		t.Errorf("a second run of absent.yml changed %d tasks, want 0", c)
	}
}

func sc(sock string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(binDir, "sc"), args...)
	cmd.Env = append(os.Environ(), "SCM_SOCKET="+sock)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// checkSC checks that each sc command's output holds its text.
func checkSC(t *testing.T, sock string, want []struct{ args, text string }) {
	t.Helper()
	for _, w := range want {
		out, err := sc(sock, strings.Fields(w.args)...)
		if err != nil || !strings.Contains(out, w.text) {
			t.Errorf("sc %s: %v, want %q in\n%s", w.args, err, w.text, out)
		}
	}
}

var recapLine = regexp.MustCompile(`(?m)^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)`)

// recap reads the PLAY RECAP's counts for localhost.
func recap(t *testing.T, out string) (ok, changed, failed int) {
	t.Helper()
	m := recapLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no PLAY RECAP for localhost in\n%s", out)
	}
	ok, _ = strconv.Atoi(m[1])
	changed, _ = strconv.Atoi(m[2])
	failed, _ = strconv.Atoi(m[3])
	return ok, changed, failed
}
