package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"

	"github.com/chromedp/chromedp"
)

// consoleBench is a real scmd with 10,000 services, scm-console on it, and
// a headless Chromium logged in to the console.
type consoleBench struct {
	base string // the console's address, logged in
	ctx  context.Context
}

const consoleBenchServices = 10000

func newConsoleBench(b *testing.B) *consoleBench {
	browser := chromium(b)
	dir := b.TempDir()
	scmtest.PopulateWith(b, dir, consoleBenchServices, func(i int, c *services.Config) {
		if i == 0 {
			c.ImagePath = filepath.Join(binDir, "testsvc")
		}
	})
	benchSCMD(b, dir)
	login := startConsole(b, nil)
	ctx := newBrowser(b, browser)
	if err := chromedp.Do(ctx, chromedp.Navigate(login), chromedp.WaitVisible(`body[data-loaded]`)); err != nil {
		b.Fatal(err)
	}
	return &consoleBench{base: strings.SplitN(login, "/login", 2)[0], ctx: ctx}
}

// BenchmarkConsoleFirstRender10k measures opening the services view on
// 10,000 services until every row is in the page, against the floor: the
// same browser loading a static page of the same table from loopback.
func BenchmarkConsoleFirstRender10k(b *testing.B) {
	cb := newConsoleBench(b)
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, staticServicesPage(consoleBenchServices))
	}))
	defer floor.Close()
	// The browser times both, from the start of the navigation to the
	// frame after the list is in the page, so that the driver's own work
	// (chromedp mirrors the DOM it is given) is not counted.
	shown := func(url string) time.Duration {
		if err := chromedp.Do(cb.ctx, chromedp.Navigate(url),
			chromedp.Poll[chromedp.Void](`performance.getEntriesByName("services-shown").length > 0`, chromedp.WithPollingTimeout(time.Minute))); err != nil {
			b.Fatal(err)
		}
		ms, err := chromedp.Run(cb.ctx, chromedp.Evaluate[float64](`performance.getEntriesByName("services-shown")[0].startTime`))
		if err != nil {
			b.Fatal(err)
		}
		return time.Duration(ms * float64(time.Millisecond))
	}
	var renders, floors []time.Duration
	for i := 0; i < b.N; i++ {
		renders = append(renders, shown(cb.base+"/"))
		floors = append(floors, shown(floor.URL))
	}
	percentiles(b, "render", renders)
	percentiles(b, "floor", floors)
}

// staticServicesPage is the floor's page: the services view's table as
// plain HTML, with no script and no call to scmd.
func staticServicesPage(n int) string {
	var sb strings.Builder
	sb.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>floor</title></head><body><table><thead><tr>` +
		`<th>Name</th><th>Description</th><th>Status</th><th>Startup Type</th><th>Log On As</th></tr></thead><tbody>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, `<tr><td>%s</td><td>A service for measuring the SCM</td><td>Stopped</td><td>Manual</td><td>Local System</td></tr>`,
			html.EscapeString(fmt.Sprintf("Service number %d", i)))
	}
	sb.WriteString(`</tbody></table><script>requestAnimationFrame(() => setTimeout(() => performance.mark("services-shown")));</script></body></html>`)
	return sb.String()
}

// BenchmarkConsoleStatusToPage measures a start, among 10,000 services,
// until the page shows Running, against the floor: the same start seen by
// an API client waiting on the service's status (WaitServiceStatus).
func BenchmarkConsoleStatusToPage(b *testing.B) {
	cb := newConsoleBench(b)
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	scm, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
	if err != nil {
		b.Fatal(err)
	}
	h, err := client.Call(conn.OpenService, &pb.OpenServiceRequest{Scm: scm.Handle, ServiceName: "svc00000", DesiredAccess: windows.SERVICE_ALL_ACCESS})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchService{conn: conn, h: h.Handle}
	if err := chromedp.Do(cb.ctx, chromedp.Navigate(cb.base+"/"),
		chromedp.WaitVisible(fmt.Sprintf(`body[data-loaded="%d"]`, consoleBenchServices))); err != nil {
		b.Fatal(err)
	}
	shows := func(state string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.querySelector('tr[data-name="svc00000"]').cells[2].textContent === "`+state+`"`,
			chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(30*time.Second))
	}
	var pages, floors []time.Duration
	for i := 0; i < b.N; i++ {
		seen := make(chan time.Duration, 1)
		t0 := time.Now()
		go func() {
			err := chromedp.Do(cb.ctx, shows("Running"))
			if err != nil {
				b.Error(err)
			}
			seen <- time.Since(t0)
		}()
		s.start(b)
		floors = append(floors, time.Since(t0))
		pages = append(pages, <-seen)
		s.stop(b)
		if err := chromedp.Do(cb.ctx, shows("Stopped")); err != nil {
			b.Fatal(err)
		}
	}
	percentiles(b, "page", pages)
	percentiles(b, "floor", floors)
}
