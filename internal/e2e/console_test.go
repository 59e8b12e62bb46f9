package e2e

import (
	"bufio"
	"context"
	"fmt"
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
		pick("consvc"),
		chromedp.Click(`button[data-verb="start"]:not([disabled])`),
		chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-name="consvc"]').cells[2].textContent === "Running"`, chromedp.WithPollingTimeout(30*time.Second)),
	); err != nil {
		t.Fatalf("starting from the page: %v", err)
	}
	base := strings.SplitN(root, "/login", 2)[0]

	// The Properties dialog: Recovery written from the page reads back with
	// sc qfailure; the Dependencies tab shows a dependent as sc made it.
	sc := filepath.Join(binDir, "sc")
	run(t, sc, "create", "condep", "binPath=", filepath.Join(binDir, "testsvc"), "depend=", "consvc", "DisplayName=", "Console dependent")
	do(t, ctx, "the Properties dialog",
		chromedp.WaitVisible(`tr[data-name="condep"]`),
		pick("consvc"),
		chromedp.Click(`#open-props`),
		chromedp.WaitVisible(`#props[data-loaded="consvc"]`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#p-status').textContent === "Running"`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(`#tab-recovery`),
		choose(`#p-first`, "1"),
		choose(`#p-second`, "1"),
		choose(`#p-subsequent`, "3"),
		choose(`#p-reset`, "1"),
		choose(`#p-reset-unit`, "86400"),
		choose(`#p-restart`, "2"),
		choose(`#p-restart-unit`, "60000"),
		choose(`#p-program`, "/bin/echo"),
		choose(`#p-cmdargs`, "failed"),
		chromedp.Click(`#p-failcount`),
		chromedp.Click(`#p-noncrash`),
		chromedp.Click(`#p-apply`),
		chromedp.WaitVisible(`#p-apply:not([disabled])`),
		chromedp.WaitVisible(`#props[data-loaded="consvc"]`),
		chromedp.Click(`#tab-deps`),
		chromedp.WaitVisible(`#panel-deps[data-loaded]`),
	)
	qf := run(t, sc, "qfailure", "consvc")
	for _, want := range []string{"RESET_PERIOD (in seconds)    : 86400", "COMMAND_LINE                 : /bin/echo failed /fail=%1%",
		"FAILURE_ACTIONS              : RESTART -- Delay = 120000 milliseconds.", "RESTART -- Delay = 120000 milliseconds.\n                                       RUN PROCESS -- Delay = 120000 milliseconds."} {
		if !strings.Contains(qf, want) {
			t.Errorf("sc qfailure after Apply lacks %q:\n%s", want, qf)
		}
	}
	if flag := run(t, sc, "qfailureflag", "consvc"); !strings.Contains(flag, "FAILURE_ACTIONS_ON_NONCRASH_FAILURES: TRUE") {
		t.Errorf("sc qfailureflag after Apply:\n%s", flag)
	}
	trees, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector('#p-dependson').textContent, document.querySelector('#p-dependents').textContent]`))
	if err != nil || trees[0] != "<No Dependencies>" || trees[1] != "Console dependent" {
		t.Errorf("the Dependencies tab shows %q (%v), want no dependencies and Console dependent", trees, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#p-cancel`), chromedp.WaitNotVisible(`#props`)); err != nil {
		t.Fatal(err)
	}

	// Stopping a service others depend on asks first, as services.msc
	// does, then stops them all.
	run(t, sc, "start", "condep")
	do(t, ctx, "Stop Other Services",
		chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-name="condep"]').cells[2].textContent === "Running"`, chromedp.WithPollingTimeout(30*time.Second)),
		pick("consvc"),
		chromedp.Click(`button[data-verb="stop"]:not([disabled])`),
		chromedp.WaitVisible(`#stopothers`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#stopothers-list').textContent === "Console dependent"`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(`#stopothers button[value=yes]`),
		chromedp.Poll[chromedp.Void](`['consvc', 'condep'].every(n => document.querySelector('tr[data-name="' + n + '"]').cells[2].textContent === "Stopped")`, chromedp.WithPollingTimeout(30*time.Second)),
	)
	run(t, sc, "start", "consvc")
	do(t, ctx, "consvc running again",
		chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-name="consvc"]').cells[2].textContent === "Running"`, chromedp.WithPollingTimeout(30*time.Second)))

	// New service and Delete.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#open-create`),
		choose(`#c-name`, "conmade"),
		choose(`#c-display`, "Made in the console"),
		choose(`#c-path`, filepath.Join(binDir, "testsvc")),
		choose(`#c-start`, "delayed"),
		chromedp.Click(`#create-form button[type=submit]`),
		chromedp.WaitNotVisible(`#create`),
		chromedp.WaitVisible(`tr[data-name="conmade"]`),
	); err != nil {
		t.Fatalf("New service: %v", err)
	}
	if qc := run(t, sc, "qc", "conmade"); !strings.Contains(qc, "AUTO_START  (DELAYED)") || !strings.Contains(qc, "Made in the console") {
		t.Errorf("sc qc of the console's new service:\n%s", qc)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(`#open-create`),
		choose(`#c-name`, "conmade"),
		choose(`#c-path`, "/bin/true"),
		chromedp.Click(`#create-form button[type=submit]`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#create-message').textContent.includes("Error 1073: The specified service already exists.")`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(`#c-cancel`),
		pick("conmade"),
		chromedp.Click(`#open-delete`),
		chromedp.Click(`#delete-form button[type=submit]`),
		chromedp.WaitNotPresent(`tr[data-name="conmade"]`),
	); err != nil {
		t.Fatalf("Delete: %v", err)
	}
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
	// The stop's event is newer than any the page has, and comes without
	// a reload.
	newest, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.max(0, ...[...document.querySelectorAll('#events tbody tr')].map(tr => tr.event.record))`))
	if err != nil {
		t.Fatal(err)
	}
	run(t, filepath.Join(binDir, "sc"), "stop", "consvc")
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll('#events tbody tr')].some(tr => tr.event.record > %d && tr.event.message.includes("The Console test service service entered the stopped state."))`, int64(newest)), chromedp.WithPollingTimeout(30*time.Second)),
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
	do(t, ctx2, "nobody's console",
		chromedp.Navigate(nobody),
		chromedp.WaitVisible(`tr[data-name="consvc"]`),
		chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-name="consvc"]').cells[2].textContent === "Stopped"`, chromedp.WithPollingTimeout(30*time.Second)),
		pick("consvc"),
		chromedp.Click(`button[data-verb="start"]:not([disabled])`),
		chromedp.WaitVisible(`#message`),
	)
	if message, err = chromedp.Run(ctx2, chromedp.Text(`#message`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(message, "Error 5: Access is denied.") {
		t.Errorf("nobody's Start says %q, want Access is denied", message)
	}
}

// pick selects a service's row with a click, as a user does, until the
// page says it is the selected one: a click computed as the list was still
// moving lands on another row.
func pick(name string) chromedp.Action[chromedp.Void] {
	row := fmt.Sprintf(`tr[data-name=%q]`, name)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			if _, err := chromedp.Click(row)(ctx, t); err != nil {
				return chromedp.Void{}, err
			}
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := chromedp.WaitVisible(row+`[aria-selected="true"]`)(wctx, t)
			cancel()
			if err == nil || ctx.Err() != nil {
				return chromedp.Void{}, err
			}
		}
	}
}

// do runs steps one by one, each within 30 s, and names the one that
// failed and what the page said.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, step := range steps {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(sctx, step)
		cancel()
		if err != nil {
			alert, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[role=alert]')].map(e => e.textContent).join(" | ")`))
			t.Fatalf("%s, step %d: %v (alerts: %s)", what, i+1, err, alert)
		}
	}
}

// choose sets a form field as a user would, with the input event the
// page listens for.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q; el.dispatchEvent(new Event("input", {bubbles: true})); })()`, sel, value))
}

// chromium is Debian's browser, which .ci/run installs.
func chromium(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is needed for the console's tests (.ci/run installs it)")
	return ""
}

// newBrowser is a headless Chromium of its own, gone with the test.
func newBrowser(t testing.TB, path string) context.Context {
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
func startConsole(t testing.TB, prefix []string) string {
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
