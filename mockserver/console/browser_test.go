package console_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the console's screenshots to docs/console/")

// browserPath finds Chromium: TENANTKIT_CHROMIUM, else chromium or
// google-chrome on PATH. Without one the test is skipped, unless
// TENANTKIT_BROWSER_TESTS=1 (CI, which installs Debian's chromium) makes
// it required.
func browserPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TENANTKIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("TENANTKIT_BROWSER_TESTS") == "1" {
		t.Fatal("TENANTKIT_BROWSER_TESTS=1 but no Chromium found (install Debian's chromium, or set TENANTKIT_CHROMIUM)")
	}
	t.Skip("no Chromium on this machine (CI installs one; set TENANTKIT_CHROMIUM to use another)")
	return ""
}

// newBrowser starts headless Chromium at 1280×860 and returns a context
// for its first tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1280, 860),
		chromedp.Flag("disable-gpu", true),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTime)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank"))) // start the browser
	return ctx
}

// screenshot saves the page, whole, to docs/console/NAME.png with
// -update-screenshots, else to a temporary directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join("..", "..", "docs", "console")
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	// After the highlight of fresh rows has faded.
	require.NoError(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getAnimations().length === 0`)))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, "text of %s", sel)
	return s
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// projects is what the service account's API key reads of Project.
func projects(t *testing.T, srv *mocktest.Server) int {
	t.Helper()
	page, err := srv.Client(mocktest.ServiceKey).Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project", Fields: &[]string{"Name"}})
	require.NoError(t, err)
	return len(page.Entities)
}

// TestConsoleInABrowser drives the console in headless Chromium against a
// real mock: the live stream, the least-privilege and visibility pages,
// a control, and the same-origin protection of the controls.
func TestConsoleInABrowser(t *testing.T) {
	ctx := newBrowser(t)
	srv := mocktest.Start(t)
	base := srv.URL + "/_mock/ui/t/" + srv.Tenant().ID() + "/"

	// The tenant page.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_mock/ui/"), chromedp.WaitVisible(chromedp.CSS("#users"))))
	assert.Contains(t, text(t, ctx, "#key-service"), "demo-key-service")
	assert.Contains(t, text(t, ctx, "#client-demo-integrator"), "user_management")
	screenshot(t, ctx, "tenant")

	// Long names wrap or scroll inside their table; the page itself never
	// grows wider than the window.
	long := tenant.Demo()
	long.Tenant.Name = strings.Repeat("Very-Long-Tenant-Name-", 8)
	long.Users[0].Name = strings.Repeat("Alice-With-A-Very-Long-Name", 8)
	long.Roles[0].Permissions = append(long.Roles[0].Permissions, strings.Repeat("very:long:permission:name", 8))
	lt, err := srv.Mock.CreateTenant(long)
	require.NoError(t, err)
	for _, page := range []string{"", "live", "privilege", "visibility?user=1001&entityType=Project", "controls"} {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_mock/ui/t/"+lt.ID()+"/"+page), chromedp.WaitVisible(chromedp.CSS("main"))))
		fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		require.NoError(t, err)
		assert.True(t, fits, "page %q is no wider than the window", page)
	}
	require.NoError(t, srv.Mock.DeleteTenant(lt.ID()))

	// A request the SDK is refused appears in the live stream, with the
	// permission it lacked, within a second of the answer.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"live"),
		chromedp.WaitVisible(chromedp.CSS("table.live"))))
	require.NoError(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.querySelector("[data-live-state]").textContent.includes("live")`)),
		"the page connects to the stream")
	c := srv.Client(mocktest.IntegratorOAuth)
	//lint:ignore SA1019 any allowed request will do; the deprecated listing still works
	_, err = c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	err = c.Credentials.Delete(t.Context(), "no-such-credential")
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
	wait, cancel := context.WithTimeout(ctx, time.Second)
	err = chromedp.Do(wait, chromedp.WaitVisible(`//tbody[@data-live-rows]/tr[1][@data-outcome="deny"]//code[contains(., "integrations:integration:delete")]`))
	cancel()
	require.NoError(t, err, "the denied request appears in the stream within a second")
	assert.Contains(t, text(t, ctx, "tbody[data-live-rows] tr:first-child"), "deleteCredential")
	screenshot(t, ctx, "live")

	// Its detail page says what would allow it.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("tbody[data-live-rows] tr:first-child td:first-child a")),
		chromedp.WaitVisible(chromedp.CSS("dl.facts"))))
	detail := text(t, ctx, "dl.facts")
	assert.Contains(t, detail, "integrations:integration:delete")
	assert.Contains(t, detail, "to allow it")
	screenshot(t, ctx, "request")

	// Least privilege: demo-integrator never used user_management and
	// lacked integrations:integration:delete.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"privilege"), chromedp.WaitVisible(chromedp.ID("cred-demo-integrator"))))
	assert.Contains(t, text(t, ctx, `#cred-demo-integrator tr:nth-child(1) td[data-grant="unused"]`), "user_management")
	assert.Contains(t, text(t, ctx, `#cred-demo-integrator tr:nth-child(2) td[data-grant="missing"]`), "integrations:integration:delete")
	screenshot(t, ctx, "privilege")

	// Visibility: under bypass the service account's API key reads the 8
	// projects the UI hides from user 2001.
	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%svisibility?user=%d&entityType=Project", base, mocktest.ServiceID)),
		chromedp.WaitVisible(chromedp.ID("v-service"))))
	apiOnly, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#v-service + p [data-api-only]`), "data-api-only"))
	require.NoError(t, err)
	assert.Equal(t, "8", apiOnly.Value)
	screenshot(t, ctx, "visibility")
	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessEnforce })

	// Controls: flipping apiDataAccess in the page changes what the next
	// API request returns.
	before := projects(t, srv)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"controls"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-control="settings"]`)),
		chromedp.SetValue(chromedp.CSS(`select[name="apiDataAccess"]`), "bypass"),
		chromedp.Click(chromedp.CSS(`form[data-control="settings"] button`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("[data-control-status]").textContent.includes("apiDataAccess bypass")`)))
	after := projects(t, srv)
	assert.Equal(t, 4, before)
	assert.Equal(t, 12, after, "the next request reads what bypass shows")
	screenshot(t, ctx, "controls")

	// A page of another origin cannot use a control: its request reaches
	// the admin API and is refused, and the tenant is unchanged. The mock
	// is served here once more, behind a handler that records what reaches
	// it.
	var mu sync.Mutex
	var seen []string
	mock := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		srv.Mock.ServeHTTP(sw, r)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s origin=%s -> %d", r.Method, r.URL.Path, r.Header.Get("Origin"), sw.status))
		mu.Unlock()
	}))
	defer mock.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>elsewhere</title><script>
			fetch(%q, {method: "POST", mode: "no-cors"}).finally(() => { document.title = "sent"; });
		</script>`, mock.URL+"/_mock/tenants/"+srv.Tenant().ID()+"/reset")
	}))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // another origin
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(otherURL),
		chromedp.Poll[chromedp.Void](`document.title === "sent"`)))
	mu.Lock()
	assert.Equal(t, []string{"POST /_mock/tenants/" + srv.Tenant().ID() + "/reset origin=" + otherURL + " -> 403"}, seen)
	mu.Unlock()
	assert.Equal(t, tenant.DataAccessBypass, srv.Settings().APIDataAccess, "the reset was refused: the page's change stands")

	// The fault plan, from the page's JSON.
	plan := `{"seed": 7, "rules": [{"operations": ["entityQuery"], "kind": "503", "probability": 0.5}]}`
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"controls"),
		chromedp.Poll[chromedp.Void](`document.querySelector("#faults").value.includes("rules")`), // the current plan is read in
		chromedp.SetValue(chromedp.ID("faults"), plan),
		chromedp.Click(chromedp.CSS(`form[data-control="faults"] button`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("[data-control-status]").textContent.includes("1 rule")`)))
	faults, _ := srv.Tenant().Faults()
	require.Len(t, faults.Rules, 1)
	assert.Equal(t, int64(7), faults.Seed)

	// Destructive controls ask once: dismissed, nothing happens; accepted,
	// the admin API does it.
	answers := make(chan bool, 4)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: <-answers})
		}
	}()
	answers <- false
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[data-control="reset"] button`))))
	answers <- true
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[data-control="expire"] button`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("[data-control-status]").textContent.includes("Expired")`)))
	assert.Equal(t, tenant.DataAccessBypass, srv.Settings().APIDataAccess, "the dismissed reset did nothing")
	assert.Contains(t, text(t, ctx, "[data-control-status]"), "token(s)")
	answers <- true
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[data-control="reset"] button`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("[data-control-status]").textContent.includes("reset")`)))
	assert.Equal(t, tenant.DataAccessEnforce, srv.Settings().APIDataAccess, "the reset restored the fixture's settings")
	faults, _ = srv.Tenant().Faults()
	assert.Empty(t, faults.Rules)
}
