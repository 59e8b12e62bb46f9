package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/internal/scmtest"
)

// The most used Go service library ports by the import prefix: the Windows
// backend of github.com/kardianos/service (a tagged release, from the Go
// module proxy) builds against this module with its imports' prefix, its
// file name's build constraint and syscall's StringToUTF16Ptr changed, and
// its logging example installs (with its event source), starts, reports
// running, restarts, stops and uninstalls under scmd. Nothing of it is
// kept in this repository.
func TestKardianosService(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads and builds a module")
	}
	const version = "v1.3.0"
	src := downloadModule(t, "github.com/kardianos/service@"+version)
	example, err := os.ReadFile(filepath.Join(src, "example", "logging", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	// The example names systemd units as its dependencies, which Windows
	// would take for services (and refuse the start with 1075): they go.
	text := string(example)
	text = strings.Replace(text, `"Requires=network.target",`, "", 1)
	text = strings.Replace(text, `"After=network-online.target syslog.target"},`, "},", 1)
	// The files that build on Windows: the portable ones, and the Windows
	// backend, whose name is its build constraint.
	work := portModule(t, "github.com/kardianos/service", src, map[string]string{
		"service.go": "service.go", "console.go": "console.go", "version.go": "version.go",
		"service_go1.8.go": "service_go1.8.go", "template.go": "template.go",
		"service_windows.go": "service_scm.go",
	}, map[string]string{
		"example/logging/main.go": text,
		// Status has no verb in the example: a program of the test's asks it.
		"example/status/main.go": `package main

import (
	"fmt"

	"github.com/kardianos/service"
)

type nothing struct{}

func (nothing) Start(service.Service) error { return nil }
func (nothing) Stop(service.Service) error  { return nil }

func main() {
	s, err := service.New(nothing{}, &service.Config{Name: "GoServiceExampleLogging"})
	if err != nil {
		panic(err)
	}
	st, err := s.Status()
	fmt.Println(st, err == service.ErrNotInstalled, err)
}
`,
	})
	bin := goBuild(t, work, "./example/logging", "./example/status")

	// The service is automatic: created before the boot has read the
	// database, the boot would start it.
	scmtest.Start(t).Manager.WaitBoot()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(bin, args[0]), args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	status := func() string { return run("status") }
	if got := status(); got != "0 true the service is not installed" {
		t.Errorf("Status before install: %q, want StatusUnknown and ErrNotInstalled", got)
	}
	run("logging", "-service", "install")
	if out := runTool(t, "reg", "query", `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\GoServiceExampleLogging`); !strings.Contains(out, "EventMessageFile") {
		t.Errorf("no event source installed:\n%s", out)
	}
	if got := status(); got != "2 false <nil>" {
		t.Errorf("Status after install: %q, want StatusStopped", got)
	}
	run("logging", "-service", "start")
	if got := status(); got != "1 false <nil>" {
		t.Errorf("Status after start: %q, want StatusRunning", got)
	}
	run("logging", "-service", "restart")
	if got := status(); got != "1 false <nil>" {
		t.Errorf("Status after restart: %q, want StatusRunning", got)
	}
	run("logging", "-service", "stop")
	if got := status(); got != "2 false <nil>" {
		t.Errorf("Status after stop: %q, want StatusStopped", got)
	}
	if out := runTool(t, "wevtutil", "qe", "Application", "/q:*[System[Provider[@Name='GoServiceExampleLogging']]]", "/f:text"); !strings.Contains(out, "I'm Stopping!") {
		t.Errorf("the service's own events are not in the Application log:\n%s", out)
	}
	t.Logf("kardianos/service %s under scmd: installed, started, running, restarted, stopped", version)
	run("logging", "-service", "uninstall")
	if got := status(); got != "0 true the service is not installed" {
		t.Errorf("Status after uninstall: %q, want ErrNotInstalled", got)
	}
}

// port changes what a Windows Go file needs to build against this module:
// the import prefix, its build constraint, and syscall's Windows-only
// string helper.
func port(src string) string {
	src = strings.ReplaceAll(src, `"golang.org/x/sys/`, `"github.com/openscm/scm/`)
	src = strings.ReplaceAll(src, "syscall.StringToUTF16Ptr", "windows.StringToUTF16Ptr")
	var out []string
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(line, "//go:build windows") || strings.HasPrefix(line, "// +build windows") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// downloadModule fetches a module from the Go module proxy into the module
// cache and returns its directory.
func downloadModule(t *testing.T, mod string) string {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v\n%s%s", mod, err, out, stderr.Bytes())
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download %s: %s", mod, out)
	}
	return info.Dir
}

// runTool runs one of the built command-line tools and returns its output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// portModule makes a module of the given path in a temporary directory: the
// files of src named in files (ported, under their new names) and extra
// files as they are, requiring this repository by a replace directive.
func portModule(t *testing.T, path, src string, files, extra map[string]string) string {
	t.Helper()
	work := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for from, to := range files {
		b, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			t.Fatal(err)
		}
		write(to, port(string(b)))
	}
	for name, text := range extra {
		write(name, text)
	}
	write("go.mod", "module "+path+"\n\ngo 1.25.0\n\nrequire github.com/openscm/scm v0.0.0\n\nreplace github.com/openscm/scm => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum))
	return work
}

// goBuild builds packages of a module made by portModule, and returns the
// directory of the programs.
func goBuild(t *testing.T, work string, pkgs ...string) string {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", append([]string{"build", "-o", bin}, pkgs...)...)
	build.Dir = work
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s does not build against the mirror: %v\n%s", work, err, out)
	}
	return bin
}
