package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestConsoleLayouts opens the console on a small machine's services at a
// desktop's 1280×800 and a phone's 390×844: both render the list and the
// Properties dialog without scrolling sideways, and the screenshots are
// real images of that size. With SCM_SCREENSHOTS=dir it keeps them there
// (the README's come from this test).
func TestConsoleLayouts(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, filepath.Join(dir, "state"), sock)
	sc := filepath.Join(binDir, "sc")
	testsvc := filepath.Join(binDir, "testsvc")
	for _, s := range []struct{ name, display, description string }{
		{"nats", "NATS Server", "Messaging for the services of this machine."},
		{"caddy", "Caddy", "Serves the intranet over HTTPS, with certificates it renews itself."},
		{"backup", "Nightly backup", "Copies /srv to the backup host; started by its timer."},
		{"metrics-agent", "Metrics agent", "Ships this machine's metrics to the monitoring cluster."},
		{"mqtt-bridge", "MQTT bridge", "Forwards sensor readings from the plant floor."},
		{"thumbnailer", "Thumbnailer", "Makes previews of uploaded images."},
		{"legacy-import", "Legacy import", "Imports orders from the old system (retired)."},
	} {
		run(t, sc, "create", s.name, "binPath=", testsvc, "DisplayName=", s.display)
		run(t, sc, "description", s.name, s.description)
	}
	run(t, sc, "config", "nats", "start=", "auto")
	run(t, sc, "config", "caddy", "start=", "delayed-auto")
	run(t, sc, "config", "metrics-agent", "start=", "auto")
	run(t, sc, "config", "legacy-import", "start=", "disabled")
	run(t, sc, "config", "caddy", "depend=", "nats")
	run(t, sc, "failure", "caddy", "reset=", "86400", "actions=", "restart/60000/restart/60000/run/60000")
	for _, name := range []string{"nats", "caddy", "metrics-agent"} {
		run(t, sc, "start", name)
	}

	root := startConsole(t, nil)
	ctx := newBrowser(t, browser)
	running := `['nats', 'caddy', 'metrics-agent'].every(n => document.querySelector('tr[data-name="' + n + '"]').cells[2].textContent === "Running")`
	do(t, ctx, "the services view",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(root),
		chromedp.WaitVisible(`body[data-loaded]`),
		chromedp.Poll[chromedp.Void](running, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(`tr[data-name="caddy"]`),
	)
	shot(t, ctx, "console-services.png", 1280, 800)

	// The keyboard: arrows and End move the selection, Enter opens the
	// Properties, Escape closes them.
	selectedIs := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.querySelector('tr[aria-selected=true]').dataset.name === "`+name+`"`, chromedp.WithPollingTimeout(10*time.Second))
	}
	do(t, ctx, "the keyboard",
		chromedp.KeyEvent(kb.ArrowDown), selectedIs("legacy-import"),
		chromedp.KeyEvent(kb.End), selectedIs("thumbnailer"),
		chromedp.KeyEvent(kb.ArrowUp), selectedIs("backup"),
		chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`#props[data-loaded="backup"]`),
		chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(`#props`),
		chromedp.Click(`tr[data-name="caddy"]`),
	)
	do(t, ctx, "the Properties dialog",
		chromedp.Click(`#open-props`),
		chromedp.WaitVisible(`#props[data-loaded="caddy"]`),
		chromedp.Click(`#tab-recovery`),
		chromedp.WaitVisible(`#panel-recovery`),
	)
	shot(t, ctx, "console-recovery.png", 1280, 800)
	do(t, ctx, "the General tab", chromedp.Click(`#tab-general`))
	shot(t, ctx, "console-general.png", 1280, 800)

	do(t, ctx, "a phone's screen",
		chromedp.Click(`#p-cancel`),
		chromedp.EmulateViewport(390, 844),
		chromedp.WaitVisible(`tr[data-name="caddy"]`),
	)
	shot(t, ctx, "console-phone.png", 390, 844)
	do(t, ctx, "the Properties dialog on a phone",
		chromedp.Click(`#open-props`),
		chromedp.WaitVisible(`#props[data-loaded="caddy"]`),
	)
	shot(t, ctx, "console-phone-properties.png", 390, 844)
}

// shot captures the viewport, checks that nothing on the page is wider
// than it, and keeps the image in $SCM_SCREENSHOTS if set.
func shot(t *testing.T, ctx context.Context, name string, width, height int) {
	t.Helper()
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Errorf("%s: the page scrolls sideways (%v)", name, err)
	}
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width != width || cfg.Height != height {
		t.Errorf("%s: a %dx%d image (%v), want %dx%d", name, cfg.Width, cfg.Height, err, width, height)
	}
	if dir := os.Getenv("SCM_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Going back and forth between the services and the Event Viewer, each
// page with its stream open, never runs the browser out of connections to
// the console (six per host): a page left closes its stream, also when the
// browser keeps it for Back.
func TestConsoleNavigation(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	startSCMD(t, filepath.Join(dir, "state"), sock)
	root := startConsole(t, nil)
	ctx := newBrowser(t, browser)
	do(t, ctx, "logging in", chromedp.Navigate(root), chromedp.WaitVisible(`body[data-loaded]`))
	// pageIs waits for the page to be at path, loaded, and for cond, across
	// the navigation that takes it there.
	pageIs := func(what, path, cond string) {
		t.Helper()
		js := `location.pathname === "` + path + `" && document.body.dataset.loaded !== undefined && (` + cond + `)`
		eventually(t, 20*time.Second, func() string { return what }, func() bool {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			return err == nil && ok
		})
	}
	for i := 0; i < 8; i++ {
		do(t, ctx, "the Event Viewer link", chromedp.Evaluate[chromedp.Void](`document.querySelector("#to-events").click()`))
		pageIs(fmt.Sprintf("round %d: the Event Viewer", i), "/events", "true")
		// Back, as a user goes: the services page, live again.
		do(t, ctx, "back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		pageIs(fmt.Sprintf("round %d: back at the services", i), "/", "true")
		name := fmt.Sprintf("nav%d", i)
		run(t, filepath.Join(binDir, "sc"), "create", name, "binPath=", filepath.Join(binDir, "testsvc"))
		pageIs(fmt.Sprintf("round %d: %s on the page", i, name), "/", `document.querySelector('tr[data-name="`+name+`"]') !== null`)
		do(t, ctx, "the services anew", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.href = "/?round=%d"`, i)))
		pageIs(fmt.Sprintf("round %d: the services anew", i), "/", fmt.Sprintf(`location.search === "?round=%d" && performance.getEntriesByName("services-shown").length > 0`, i))
	}
}
