package mockserver_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
)

// browserRequest is a request as a browser sends it: host names the server
// as the page's URL does (a DNS-rebinding page uses its own name for an
// address that resolves to loopback), and headers are what the browser
// adds (Origin, Sec-Fetch-Site, a form's Content-Type).
type browserRequest struct {
	method, path, host, body string
	headers                  map[string]string
}

func (h *harness) send(br browserRequest) (int, string, http.Header) {
	h.t.Helper()
	var rd io.Reader
	if br.body != "" {
		rd = strings.NewReader(br.body)
	}
	req, err := http.NewRequest(br.method, h.url+br.path, rd)
	require.NoError(h.t, err)
	if br.host != "" {
		req.Host = br.host
	}
	for k, v := range br.headers {
		req.Header.Set(k, v)
	}
	resp, err := h.http.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, string(b), resp.Header
}

func (h *harness) port() string {
	u, err := url.Parse(h.url)
	require.NoError(h.t, err)
	return u.Port()
}

func TestDNSRebindingPageCannotReachTheMock(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	evil := "rebind.attacker.example:" + h.port()
	page := map[string]string{"Origin": "http://" + evil, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}

	// The page's own origin is the attacker's name: to the browser every
	// request is same-origin, so only the Host header gives it away.
	status, body, _ := h.send(browserRequest{method: http.MethodGet, path: "/_mock/tenants", host: evil, headers: page})
	assert.Equal(t, http.StatusMisdirectedRequest, status)
	assert.NotContains(t, body, "demo-key-", "no API key value reaches the page")
	assert.Contains(t, body, `"error":"misdirected_request"`)
	assert.Contains(t, body, "rebind.attacker.example")
	assert.Contains(t, body, "--allowed-hosts")

	json := map[string]string{"Origin": "http://" + evil, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
	status, _, _ = h.send(browserRequest{method: http.MethodPatch, path: "/_mock/tenants/default/settings", host: evil,
		body: `{"apiDataAccess":"bypass","enforcement":"audit"}`, headers: json})
	assert.Equal(t, http.StatusMisdirectedRequest, status)
	st := h.srv.DefaultTenant().Settings()
	assert.Equal(t, "enforce", string(st.APIDataAccess), "the settings are unchanged")
	assert.Equal(t, "enforce", string(st.Enforcement))

	// The vendor APIs too: getServerDefinition would build its URLs from
	// the attacker's name, and a demo key would read data.
	status, body, hdr := h.send(browserRequest{method: http.MethodPost, path: "/V2.0/services/authentication/getServerDefinition",
		host: evil, body: `{}`, headers: json})
	assert.Equal(t, http.StatusMisdirectedRequest, status)
	assert.NotContains(t, body, "serverLocation")
	assert.Contains(t, body, `"errorCode"`, "in the data API's error shape")
	d, ok := wire.ParseDecision(hdr.Get(wire.DecisionHeader))
	require.True(t, ok)
	assert.Equal(t, wire.OutcomeDeny, d.Outcome)

	status, body, _ = h.send(browserRequest{method: http.MethodGet, path: "/api/rest/v4/data/entrydata/rows/Deal", host: evil,
		headers: map[string]string{"Authorization": "Bearer x"}})
	assert.Equal(t, http.StatusMisdirectedRequest, status)
	assert.Contains(t, body, `"errorCode":"misdirected_request"`, "in the relationship API's problem shape")

	// The health probe answers any Host: orchestrators probe by address.
	status, _, _ = h.send(browserRequest{method: http.MethodGet, path: mockserver.HealthPath, host: evil})
	assert.Equal(t, http.StatusOK, status)
}

func TestCrossSiteAdminWritesAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	own := "127.0.0.1:" + h.port()
	tok := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")

	// A page elsewhere sends what a form or a no-cors fetch may send
	// without a preflight: a simple POST with a form or text body.
	for _, br := range []browserRequest{
		{method: http.MethodPost, path: "/_mock/tenants/default/reset", body: "x=1", headers: map[string]string{
			"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
			"Content-Type": "application/x-www-form-urlencoded"}},
		{method: http.MethodPost, path: "/_mock/tenants/default/expire", body: `{"clientId":"demo-integrator"}`, headers: map[string]string{
			"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
			"Content-Type": "text/plain;charset=UTF-8"}},
		{method: http.MethodPost, path: "/_mock/tenants/default/expire", body: `{"clientId":"demo-integrator"}`, headers: map[string]string{
			"Origin": "null", "Content-Type": "text/plain"}}, // a sandboxed frame or a file:// page
		{method: http.MethodPost, path: "/_mock/tenants/default/expire", body: `{"clientId":"demo-integrator"}`, headers: map[string]string{
			"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site", "Content-Type": "text/plain"}}, // another local app
		{method: http.MethodPost, path: "/_mock/tenants/default/reset", headers: map[string]string{
			"Sec-Fetch-Site": "cross-site"}}, // a browser that left Origin out
	} {
		status, body, _ := h.send(br)
		assert.Equal(t, http.StatusForbidden, status, "%+v: %s", br.headers, body)
		assert.Contains(t, body, `"error":"forbidden_origin"`)
	}
	r := h.do(http.MethodGet, credentials+"/types", nil, bearer(tok)...)
	assert.Equal(t, http.StatusOK, r.status, "the token was not expired")

	// The admin API's own pages (the same origin) and programs (no Origin)
	// are served.
	status, body, _ := h.send(browserRequest{method: http.MethodPost, path: "/_mock/tenants/default/expire", body: `{"clientId":"demo-integrator"}`,
		headers: map[string]string{"Origin": "http://" + own, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}})
	assert.Equal(t, http.StatusOK, status, body)
	r = h.do(http.MethodGet, credentials+"/types", nil, bearer(tok)...)
	assert.Equal(t, http.StatusUnauthorized, r.status, "now the token is expired")
	status, body, _ = h.send(browserRequest{method: http.MethodGet, path: "/_mock/tenants/default",
		headers: map[string]string{"Origin": "https://attacker.example"}})
	assert.Equal(t, http.StatusForbidden, status, "a cross-origin read is refused as well")
	assert.NotContains(t, body, "demo-key-")
}

func TestAdminWritesAreJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		hdr := map[string]string{}
		if ct != "" {
			hdr["Content-Type"] = ct
		}
		status, body, _ := h.send(browserRequest{method: http.MethodPatch, path: "/_mock/tenants/default/settings",
			body: `{"apiDataAccess":"bypass"}`, headers: hdr})
		assert.Equal(t, http.StatusUnsupportedMediaType, status, "%q: %s", ct, body)
		assert.Contains(t, body, `"error":"unsupported_media_type"`)
		assert.Contains(t, body, "takes Content-Type application/json")
	}
	assert.Equal(t, "enforce", string(h.srv.DefaultTenant().Settings().APIDataAccess))

	// A form content type with no body is refused too; no body and no
	// Content-Type (curl -X POST) is a plain program's request.
	status, _, _ := h.send(browserRequest{method: http.MethodPost, path: "/_mock/tenants/default/reset",
		headers: map[string]string{"Content-Type": "text/plain"}})
	assert.Equal(t, http.StatusUnsupportedMediaType, status)
	status, body, _ := h.send(browserRequest{method: http.MethodPost, path: "/_mock/tenants/default/reset"})
	assert.Equal(t, http.StatusOK, status, body)
	status, body, _ = h.send(browserRequest{method: http.MethodPatch, path: "/_mock/tenants/default/settings",
		body: `{"apiDataAccess":"bypass"}`, headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
	assert.Equal(t, http.StatusOK, status, body)
}

func TestAllowedHosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mockserver.WithAllowedHosts("mock", ".example.test", "10.0.0.5"))
	p := h.port()
	for host, want := range map[string]int{
		"127.0.0.1:" + p: http.StatusOK, "127.0.0.2:" + p: http.StatusOK, "[::1]:" + p: http.StatusOK,
		"localhost:" + p: http.StatusOK, "LocalHost.:" + p: http.StatusOK, "app.localhost:" + p: http.StatusOK,
		"mock:" + p: http.StatusOK, "mock": http.StatusOK, "example.test": http.StatusOK, "api.example.test:" + p: http.StatusOK,
		"10.0.0.5:" + p:              http.StatusOK,
		"mock.attacker.example:" + p: http.StatusMisdirectedRequest, "notexample.test": http.StatusMisdirectedRequest,
		"localhost.attacker.example": http.StatusMisdirectedRequest, "10.0.0.6:" + p: http.StatusMisdirectedRequest,
		"127.0.0.1.attacker.example": http.StatusMisdirectedRequest,
	} {
		status, body, _ := h.send(browserRequest{method: http.MethodGet, path: "/_mock/healthz", host: host})
		assert.Equal(t, want, status, "Host %s: %s", host, body)
	}

	any := newHarness(t, mockserver.WithAllowedHosts("*"))
	status, _, _ := any.send(browserRequest{method: http.MethodGet, path: "/_mock/healthz", host: "anything.example"})
	assert.Equal(t, http.StatusOK, status)

	for _, bad := range []string{"mock:8080", "http://mock", "mock/x", "user@mock"} {
		_, err := mockserver.New(mockserver.WithAllowedHosts(bad))
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "without scheme, port or path")
		assert.Error(t, mockserver.CheckAllowedHosts(bad))
	}
	require.NoError(t, mockserver.CheckAllowedHosts("mock", "::1", "[fd00::1]", ".example.test", "*"))
}
