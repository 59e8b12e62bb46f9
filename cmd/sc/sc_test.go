package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/windows"
)

func TestParseConfigArgs(t *testing.T) {
	c, ok := parseConfigArgs([]string{"binPath=", "/bin/x a", "type=", "share", "type=", "interact", "start=", "delayed-auto", "depend=", "a/+g/", "DisplayName=", "X", "tag=", "yes"})
	if !ok {
		t.Fatal("rejected")
	}
	if *c.binPath != "/bin/x a" || *c.typ != 0x120 || *c.start != 2 || !c.delayed || !c.tag || *c.display != "X" {
		t.Errorf("parsed %+v", c)
	}
	if len(c.deps) != 2 || c.deps[0] != "a" || c.deps[1] != "+g" {
		t.Errorf("deps %q", c.deps)
	}
	for _, bad := range [][]string{{"start="}, {"start=", "often"}, {"nonsense"}, {"bogus=", "1"}, {"tag=", "maybe"}} {
		if _, ok := parseConfigArgs(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestUsageWithoutSCM(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"create", "x"}, &out); code != exitInvalidCommandLine {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(out.String(), "sc <server> create [service name] [binPath= ]") {
		t.Errorf("usage: %s", out.String())
	}
}

// FuzzArgs runs sc on any arguments with no SCM listening: every verb's
// parsing runs, nothing may panic, and the exit status is a usage error, a
// success, or the code of a call that could not reach the SCM.
func FuzzArgs(f *testing.F) {
	f.Add("create\x00svc\x00binPath=\x00/bin/true\x00start=\x00auto")
	f.Add("failure\x00svc\x00reset=\x0060\x00actions=\x00restart/100/run/5")
	f.Add("query\x00type=\x00service\x00bufsize=\x0010")
	f.Add("config\x00svc\x00depend=\x00/")
	f.Add("sdset\x00svc\x00D:(A;;CC;;;SY)")
	f.Add("\\\\host\x00qc\x00svc\x00100")
	os.Setenv("SCM_SOCKET", filepath.Join(f.TempDir(), "nothing-listens-here"))
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		var out bytes.Buffer
		code := run(args, &out)
		switch code {
		case 0, exitInvalidCommandLine, int(windows.RPC_S_SERVER_UNAVAILABLE), int(windows.ERROR_INVALID_SECURITY_DESCR):
		default:
			t.Fatalf("sc %q exited %d:\n%s", args, code, out.String())
		}
	})
}

// sc with no arguments lists every verb it has.
func TestUsageListsEveryVerb(t *testing.T) {
	for verb := range commands {
		if !strings.Contains(strings.ToLower(usageMain), "  "+verb+"-") {
			t.Errorf("sc's command list lacks %q", verb)
		}
	}
}
