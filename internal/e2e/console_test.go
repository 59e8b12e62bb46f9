package e2e

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsole drives a real Chromium against scm-console and a real
// scmd: the printed address logs in (once), a service created with sc
// appears without a reload, Start brings RUNNING to the page, the Event
// Viewer finds its 7036 and shows the next one as it is logged, a request
// without the session is refused, and an ordinary user's console shows
// the same list but gets Access is denied from Start.
func TestConsole(t *testing.T) {
	browser := chromium(t)
	dir, err := os.MkdirTemp("", "scm-console")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // nobody's console reaches the socket too
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, filepath.Join(dir, "state"), sock)

	root := startConsole(t, nil)
	ctx := newBrowser(t, browser)
	run(t, filepath.Join(binDir, "sc"), "create", "consvc", "binPath=", filepath.Join(binDir, "testsvc"), "DisplayName=", "Console test service")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(root),
		chromedp.WaitVisible(`body[data-loaded]`),
	); err != nil {
		t.Fatal(err)
	}
	// Created after the page loaded: it comes on the stream.
	run(t, filepath.Join(binDir, "sc"), "create", "latecomer", "binPath=", filepath.Join(binDir, "testsvc"))
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`tr[data-name="latecomer"]`),
		chromedp.Click(`tr[data-name="consvc"]`),
		chromedp.Click(`button[data-verb="start"]:not([disabled])`),
		chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-name="consvc"]').cells[2].textContent === "Running"`, chromedp.WithPollingTimeout(30*time.Second)),
	); err != nil {
		t.Fatalf("starting from the page: %v", err)
	}
	base := strings.SplitN(root, "/login", 2)[0]
	if r, err := http.Get(base + "/api/services"); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a request without the session: %v %v, want 401", r.StatusCode, err)
	}
	if r, err := http.Get(root); err != nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("the login address a second time: %v %v, want 403", r.StatusCode, err)
	}

	// The Event Viewer finds the start's 7036, and the stop's arrives
	// while it is open.
	has := func(text string) string {
		return `[...document.querySelectorAll('#events tbody tr')].some(tr => tr.event.message.includes(` + "`" + text + "`" + `))`
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/events"),
		chromedp.WaitVisible(`body[data-loaded]`),
		chromedp.SetValue(`#id`, "7036"),
		chromedp.Click(`#filter button[type=submit]`),
		chromedp.Poll[chromedp.Void](has("The Console test service service entered the running state."), chromedp.WithPollingTimeout(30*time.Second)),
	); err != nil {
		t.Fatalf("the Event Viewer: %v", err)
	}
	run(t, filepath.Join(binDir, "sc"), "stop", "consvc")
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](has("The Console test service service entered the stopped state."), chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(`#events tbody tr`),
		chromedp.Click(`#tab-xml`),
		chromedp.WaitVisible(`#xml-text`),
	); err != nil {
		t.Fatalf("a new event, live: %v", err)
	}
	xml, err := chromedp.Run(ctx, chromedp.Text(`#xml-text`))
	if err != nil || !strings.Contains(xml, "<EventID Qualifiers='0'>7036</EventID>") || !strings.Contains(xml, "Service Control Manager") {
		t.Errorf("the XML view shows %q (%v)", xml, err)
	}

	// nobody's console: the same list, and Start refused by scmd.
	nobody := startConsole(t, []string{"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"})
	ctx2 := newBrowser(t, browser)
	var message string
	if err := chromedp.Do(ctx2,
		chromedp.Navigate(nobody),
		chromedp.WaitVisible(`tr[data-name="consvc"]`),
		chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-name="consvc"]').cells[2].textContent === "Stopped"`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(`tr[data-name="consvc"]`),
		chromedp.Click(`button[data-verb="start"]:not([disabled])`),
		chromedp.WaitVisible(`#message`),
	); err != nil {
		t.Fatalf("nobody's console: %v", err)
	}
	if message, err = chromedp.Run(ctx2, chromedp.Text(`#message`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(message, "Error 5: Access is denied.") {
		t.Errorf("nobody's Start says %q, want Access is denied", message)
	}
}

// chromium is Debian's browser, which .ci/run installs.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is needed for the console's tests (.ci/run installs it)")
	return ""
}

// newBrowser is a headless Chromium of its own, gone with the test.
func newBrowser(t *testing.T, path string) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The browser lives as long as the context of its first action: that
	// one has no timeout, the test's steps do.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx
}

// startConsole runs scm-console (behind prefix, a command that changes
// who runs it) and returns the address it printed.
func startConsole(t *testing.T, prefix []string) string {
	args := append(prefix, filepath.Join(binDir, "scm-console"))
	cmd := exec.Command(args[0], args[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), "Open "); ok {
			go func() {
				for lines.Scan() {
				}
			}()
			return url
		}
	}
	t.Fatal("scm-console printed no address")
	return ""
}
