package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// harness is one mock server on loopback (mocktest.Start, every response
// validated against the specs) with a settable clock.
type harness struct {
	t     testing.TB
	srv   *mockserver.Server
	url   string
	http  *http.Client
	clock *mocktest.Clock
}

func newHarness(t testing.TB, opts ...mockserver.Option) *harness {
	t.Helper()
	clock := mocktest.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	m := mocktest.Start(t, mocktest.WithClock(clock), mocktest.WithServerOptions(opts...))
	return &harness{t: t, srv: m.Mock, url: m.URL, http: m.HTTPClient(), clock: clock}
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

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
