package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/openapi"
)

// specRouters routes a request to its operation in any of the four specs.
type specRouters struct {
	vendor []routers.Router
	admin  routers.Router
}

var loadRouters = sync.OnceValues(func() (*specRouters, error) {
	out := &specRouters{}
	for _, api := range append(append([]openapi.API(nil), openapi.VendorAPIs...), openapi.Admin) {
		doc, err := openapi.Load(api)
		if err != nil {
			return nil, err
		}
		doc.Servers = nil
		r, err := legacy.NewRouter(doc)
		if err != nil {
			return nil, err
		}
		if api == openapi.Admin {
			out.admin = r
		} else {
			out.vendor = append(out.vendor, r)
		}
	}
	return out, nil
})

// validatingTransport checks every response against its operation in the
// spec (status documented, headers and body matching), and that every
// vendor response carries a decision header.
type validatingTransport struct {
	t    testing.TB
	base http.RoundTripper
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := vt.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	rs, err := loadRouters()
	if err != nil {
		vt.t.Errorf("load specs: %v", err)
		return resp, nil
	}
	admin := strings.HasPrefix(req.URL.Path, "/_mock/")
	list := rs.vendor
	if admin {
		list = []routers.Router{rs.admin}
	}
	for _, r := range list {
		route, params, ferr := r.FindRoute(req)
		if ferr != nil || hasEmpty(params) {
			continue
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if verr := openapi3filter.ValidateResponse(req.Context(), in); verr != nil {
			vt.t.Errorf("response to %s %s (%d %s) does not match the spec: %v", req.Method, req.URL.Path, resp.StatusCode, body, verr)
		}
		if !admin {
			if _, ok := wire.ParseDecision(resp.Header.Get(wire.DecisionHeader)); !ok {
				vt.t.Errorf("response to %s %s has no decision header", req.Method, req.URL.Path)
			}
		}
		break
	}
	return resp, nil
}

// fixedClock is a settable clock for tests.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fixedClock {
	return &fixedClock{now: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is one mock server on loopback with a validating client.
type harness struct {
	t     testing.TB
	srv   *mockserver.Server
	url   string
	http  *http.Client
	clock *fixedClock
}

func newHarness(t testing.TB, opts ...mockserver.Option) *harness {
	t.Helper()
	clock := newClock()
	srv, err := mockserver.New(append([]mockserver.Option{mockserver.WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &harness{
		t: t, srv: srv, url: ts.URL, clock: clock,
		http: &http.Client{Transport: &validatingTransport{t: t, base: ts.Client().Transport}},
	}
}

// response is a read response.
type response struct {
	status   int
	header   http.Header
	body     []byte
	decision wire.Decision
}

func (r *response) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

func (r *response) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// do sends a request; body may be nil, a string (sent as is), url.Values
// (a form) or anything else (sent as JSON). It must run on the test
// goroutine; other goroutines use try.
func (h *harness) do(method, path string, body any, headers ...string) *response {
	h.t.Helper()
	r, err := h.try(method, path, body, headers...)
	require.NoError(h.t, err)
	return r
}

// try is do for any goroutine: it reports errors instead of failing.
func (h *harness) try(method, path string, body any, headers ...string) (*response, error) {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	d, _ := wire.ParseDecision(resp.Header.Get(wire.DecisionHeader))
	return &response{status: resp.StatusCode, header: resp.Header, body: b, decision: d}, nil
}

// token gets a bearer token from the credentials (Genesys) or relationship
// (DealCloud) token endpoint.
func (h *harness) token(path, clientID, secret, scope string) string {
	h.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := h.do(http.MethodPost, path, form)
	require.Equal(h.t, http.StatusOK, r.status, "token: %s", r.body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(h.t, &tok)
	require.NotEmpty(h.t, tok.AccessToken)
	return tok.AccessToken
}

const (
	genesysToken   = "/oauth/token"
	dealcloudToken = "/api/rest/v1/oauth/token"
	entityQuery    = "/V2.0/services/data/entityQuery"
	credentials    = "/api/v2/integrations/credentials"
	proxyPath      = "/api/rest/v1/management/user/proxy"
	rowsPath       = "/api/rest/v4/data/entrydata/rows/"
)

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
func apiKey(k string) []string   { return []string{"Authorization", "ApiKey " + k} }

func hdrs(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func hasEmpty(params map[string]string) bool {
	for _, v := range params {
		if v == "" {
			return true
		}
	}
	return false
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
