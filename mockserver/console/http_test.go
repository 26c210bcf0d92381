package console_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func get(t *testing.T, srv *mocktest.Server, method, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// Every page that only reads is whole without JavaScript: the server
// renders it from the tenant and the reports.
func TestConsolePagesAreRenderedOnTheServer(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.IntegratorOAuth)
	require.Error(t, c.Credentials.Delete(t.Context(), "no-such-credential"))
	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	base := "/_mock/ui/t/" + srv.Tenant().ID() + "/"
	denials := srv.Audit(tenant.AuditFilter{Operation: "deleteCredential"})
	require.Len(t, denials, 1)
	denied := denials[0]

	resp, _ := get(t, srv, http.MethodGet, "/", "Accept", "text/html,application/xhtml+xml")
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/_mock/ui/", resp.Header.Get("Location"), "a browser at / lands on the console")
	resp, _ = get(t, srv, http.MethodGet, "/")
	assert.Equal(t, "/_mock/", resp.Header.Get("Location"), "anything else on the landing document")
	resp, _ = get(t, srv, http.MethodGet, "/_mock/ui/")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, base, resp.Header.Get("Location"))
	second, err := srv.Mock.CreateTenant(tenant.Demo())
	require.NoError(t, err)
	resp, _ = get(t, srv, http.MethodGet, "/_mock/ui/?t="+second.ID()) // the tenant picker without JavaScript
	assert.Equal(t, "/_mock/ui/t/"+second.ID()+"/", resp.Header.Get("Location"))
	resp, _ = get(t, srv, http.MethodGet, "/_mock/ui/?t=nope")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	_, page := get(t, srv, http.MethodGet, base)
	assert.Contains(t, page, `<option value="`+second.ID()+`"`, "the picker lists every tenant")

	for _, tc := range []struct{ path, want string }{
		{base, "demo-key-service"},
		{base, "integrations:integration:view"}, // a role's permissions
		{base + "live", "deleteCredential"},
		{base + "live?outcome=deny", "integrations:integration:delete"},
		{base + "live/" + fmt.Sprint(denied.Seq), "give user 2001 a role with integrations:integration:delete"},
		{base + "privilege", "user_management"},
		{base + "visibility?user=2001&entityType=Project", "/Project/12"},
		{base + "controls", "apiDataAccess"},
	} {
		resp, body := get(t, srv, http.MethodGet, tc.path)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", tc.path, body)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), tc.path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'", tc.path)
		assert.Contains(t, body, tc.want, tc.path)
		assert.NotContains(t, body, "demo-integrator-secret", "%s: no client secret", tc.path)
		resp, body = get(t, srv, http.MethodHead, tc.path)
		assert.Equal(t, http.StatusOK, resp.StatusCode, tc.path)
		assert.Empty(t, body, tc.path)
	}
	_, live := get(t, srv, http.MethodGet, base+"live?outcome=allow")
	assert.NotContains(t, live, `data-outcome="deny"`, "the filter applies on the server")

	resp, manifest := get(t, srv, http.MethodGet, base+"privilege/manifest.yaml?credential=demo-integrator")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/yaml; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, manifest, "id: demo-integrator")
	assert.Contains(t, manifest, "integrations:integration:delete")
}

func TestConsoleRefusesWhatItDoesNotServe(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	base := "/_mock/ui/t/" + srv.Tenant().ID() + "/"
	for _, tc := range []struct {
		method, path string
		status       int
		want         string
	}{
		{http.MethodGet, "/_mock/ui/t/nope/", http.StatusNotFound, `no tenant &#34;nope&#34;`},
		{http.MethodGet, base + "nope", http.StatusNotFound, "no console page"},
		{http.MethodGet, "/_mock/ui/elsewhere", http.StatusNotFound, "no console page"},
		{http.MethodGet, base + "live/999", http.StatusNotFound, "not in the log"},
		{http.MethodGet, base + "live/abc", http.StatusNotFound, "not an audit entry number"},
		{http.MethodGet, base + "visibility?user=abc&entityType=Project", http.StatusBadRequest, "not a user id"},
		{http.MethodGet, base + "visibility?user=2001", http.StatusBadRequest, "pick an entity type"},
		{http.MethodGet, base + "visibility?user=999&entityType=Project", http.StatusBadRequest, "no user 999"},
		{http.MethodGet, base + "visibility?user=2001&entityType=Nope", http.StatusBadRequest, "Nope"},
		{http.MethodPost, base, http.StatusMethodNotAllowed, "use GET, HEAD"},
		{http.MethodDelete, base + "privilege", http.StatusMethodNotAllowed, "use GET, HEAD, POST"},
		{http.MethodPost, "/_mock/ui/static/console.css", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/_mock/ui/static/nope.js", http.StatusNotFound, ""},
	} {
		resp, body := get(t, srv, tc.method, tc.path)
		assert.Equal(t, tc.status, resp.StatusCode, "%s %s: %s", tc.method, tc.path, body)
		assert.Contains(t, body, tc.want, "%s %s", tc.method, tc.path)
	}
	resp, css := get(t, srv, http.MethodGet, "/_mock/ui/static/console.css")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/css")
	assert.Contains(t, css, "--allow")
}

// What a fixture names is shown as text, never run as markup.
func TestConsoleEscapesTenantData(t *testing.T) {
	t.Parallel()
	f := tenant.Demo()
	f.Users[0].Name = `<script>alert("x")</script>`
	srv := mocktest.Start(t, mocktest.WithFixture(f))
	_, body := get(t, srv, http.MethodGet, "/_mock/ui/t/"+srv.Tenant().ID()+"/")
	assert.NotContains(t, body, `<script>alert`)
	assert.Contains(t, body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`)
}

// A pasted manifest is checked against the run; like a control, it is a
// POST the admin API's same-origin rules apply to.
func TestConsoleChecksAPastedManifest(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.IntegratorOAuth)
	//lint:ignore SA1019 any allowed request will do; the deprecated listing still works
	_, err := c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	path := "/_mock/ui/t/" + srv.Tenant().ID() + "/privilege"
	post := func(manifest string, header ...string) (*http.Response, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path,
			strings.NewReader(url.Values{"manifest": {manifest}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := post("credentials:\n  - id: demo-integrator\n    scopes: [integrations, user_management]\n")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "user_management, which the run never used")

	resp, body = post("credentials:\n  - id: demo-integrator\n    scopes: [integrations]\n")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "The manifest covers the run")

	resp, body = post("credentials: [")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, `class="error"`)

	resp, _ = post(strings.Repeat("x", 70<<10))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a manifest over 64 KiB")

	resp, body = post("credentials: []\n", "Origin", "http://elsewhere.example")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, body)
	assert.Contains(t, body, "forbidden_origin")
}

// stuckWriter is a client that stopped reading: every write and flush
// blocks until the test lets go.
type stuckWriter struct {
	header  http.Header
	release chan struct{}
	once    sync.Once
	wrote   chan struct{}
}

func (w *stuckWriter) Header() http.Header { return w.header }
func (w *stuckWriter) WriteHeader(int)     {}
func (w *stuckWriter) Write(b []byte) (int, error) {
	w.once.Do(func() { close(w.wrote) })
	<-w.release
	return len(b), nil
}
func (w *stuckWriter) Flush() { <-w.release }

// A live stream whose page stopped reading never holds up a request: the
// tenant's requests go on, and the stream's entries are dropped, not
// queued without bound.
func TestAStuckLiveStreamDoesNotHoldUpRequests(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	w := &stuckWriter{header: http.Header{}, release: make(chan struct{}), wrote: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/_mock/ui/t/"+srv.Tenant().ID()+"/live/events", nil)
	require.NoError(t, err)
	req.Host = strings.TrimPrefix(srv.URL, "http://")
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Mock.ServeHTTP(w, req)
	}()
	<-w.wrote // the stream is open and stuck on its first write

	c := srv.Client(mocktest.APIKey("demo-key-bob"))
	const n = 600 // more than the stream's buffer of 256
	for i := range n {
		_, err := c.Data.EntityQuery(t.Context(), dataQuery("Task"))
		var oe *client.ObjectAccessError
		require.ErrorAs(t, err, &oe, "request %d", i)
	}
	assert.Len(t, srv.Audit(tenant.AuditFilter{Operation: "entityQuery"}), n)
	close(w.release) // the page reads again, then goes away
	cancel()
	<-done
}

// CloseStreams ends an open live stream.
func TestCloseStreamsEndsLiveStreams(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	r := openStream(t, srv)

	_, err := srv.Client(mocktest.ServiceKey).Data.EntityQuery(t.Context(), dataQuery("Project"))
	require.NoError(t, err)
	var event []string
	for len(event) == 0 || event[len(event)-1] != "" {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		if len(event) == 0 && !strings.HasPrefix(line, "event: ") {
			continue // the retry line and its blank line
		}
		event = append(event, line)
	}
	assert.Equal(t, "event: entry", event[0])
	assert.Contains(t, strings.Join(event, "\n"), `data-operation="entityQuery"`)

	srv.Mock.CloseStreams()
	_, err = io.Copy(io.Discard, r)
	require.NoError(t, err, "the stream ends")
	resp2, body := get(t, srv, http.MethodGet, "/_mock/ui/t/"+srv.Tenant().ID()+"/live/events")
	assert.Equal(t, http.StatusServiceUnavailable, resp2.StatusCode, fmt.Sprint(body))
}

func dataQuery(typeName string) dataapi.EntityQueryRequest {
	return dataapi.EntityQueryRequest{TypeName: typeName, Fields: &[]string{"Name"}}
}

// A tenant holds a bounded number of live streams; the next is told to
// come back later.
func TestLiveStreamsAreBounded(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	for range tenant.MaxAuditWatches {
		w, err := srv.Tenant().Watch(1)
		require.NoError(t, err)
		t.Cleanup(w.Stop)
	}
	resp, body := get(t, srv, http.MethodGet, "/_mock/ui/t/"+srv.Tenant().ID()+"/live/events")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.Contains(t, body, "too many audit watches")
}

// What an entry says cannot add fields to the stream's frame: a carriage
// return (which ends a line in server-sent events) starts another data
// line, and markup arrives escaped.
func TestLiveStreamFramesEntriesWhole(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	r := openStream(t, srv)

	srv.Tenant().Record(tenant.AuditEntry{Operation: "x", Outcome: "deny",
		Reason: "a\rid: 99\revent: evil\rdata: <b>injected</b>\r\nretry: 1"})
	var fields []string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		if line == "\n" && len(fields) > 0 && strings.HasPrefix(fields[0], "event: entry") {
			break
		}
		if line != "\n" && !strings.HasPrefix(line, ":") && !strings.HasPrefix(line, "retry: 2000") {
			fields = append(fields, line)
		}
	}
	require.GreaterOrEqual(t, len(fields), 3)
	assert.Equal(t, "event: entry\n", fields[0])
	assert.True(t, strings.HasPrefix(fields[1], "id: "), fields[1])
	for _, f := range fields[2:] {
		assert.True(t, strings.HasPrefix(f, "data: "), "every other line is data: %q", f)
		assert.NotContains(t, f, "\r")
	}
	assert.NotContains(t, strings.Join(fields, ""), "<b>")
}

// openStream opens the default tenant's live stream, closed when the test
// ends, and reads its first line (the stream is open).
func openStream(t *testing.T, srv *mocktest.Server) *bufio.Reader {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/_mock/ui/t/"+srv.Tenant().ID()+"/live/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := bufio.NewReader(resp.Body)
	first, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, ": tenantkit live requests\n", first)
	return r
}
