package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
)

const (
	ccClientID = "client-7f3a"
	ccSecret   = "sup3r-s3cret/with+chars"
)

// tokenServer is an OAuth client-credentials endpoint shaped like the
// credentials API (StyleBasic: Basic auth, no scope required) or the
// relationship API (StyleForm: client_id/client_secret/scope form fields),
// plus an API that accepts the tokens it issued.
type tokenServer struct {
	*httptest.Server
	t         *testing.T
	style     auth.TokenStyle
	tokenPath string
	wantScope string // the scope field the endpoint expects ("" : none)
	expiresIn int

	mu          sync.Mutex
	hits        int
	issued      []string
	valid       map[string]bool
	failTokens  bool // answer 401 invalid_client to every token request
	rejectFirst bool // the API rejects the first token issued
	rejectAll   bool // the API rejects every token
	api         []seen
}

func newTokenServer(t *testing.T, style auth.TokenStyle, wantScope string, expiresIn int) *tokenServer {
	t.Helper()
	s := &tokenServer{t: t, style: style, wantScope: wantScope, expiresIn: expiresIn, valid: map[string]bool{}}
	s.tokenPath = "/oauth/token"
	if style == auth.StyleForm {
		s.tokenPath = "/api/rest/v1/oauth/token"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+s.tokenPath, s.token)
	mux.HandleFunc("/api/", s.apiCall)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	// Genesys sends "description" as well; the "debug" field stands for a
	// server that echoes what it was sent: it must never reach an error string.
	writeJSON(w, status, map[string]string{
		"error": code, "description": desc, "error_description": desc,
		"debug": "received client_secret=" + ccSecret,
	})
}

func (s *tokenServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "want client_credentials")
		return
	}
	var id, secret string
	switch s.style {
	case auth.StyleBasic:
		user, pass, ok := r.BasicAuth()
		if !ok || r.PostForm.Has("client_id") || r.PostForm.Has("client_secret") {
			oauthError(w, http.StatusBadRequest, "invalid_request", "credentials belong in HTTP Basic")
			return
		}
		// RFC 6749 2.3.1: the id and secret are form-encoded before Basic.
		id, _ = url.QueryUnescape(user)
		secret, _ = url.QueryUnescape(pass)
	case auth.StyleForm:
		if r.Header.Get("Authorization") != "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "credentials belong in the form")
			return
		}
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	if s.failTokens || id != ccClientID || secret != ccSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	if got := r.PostForm.Get("scope"); got != s.wantScope || r.PostForm.Has("scope") != (s.wantScope != "") {
		oauthError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("scope %q is not allowed", got))
		return
	}
	tok := fmt.Sprintf("tok-%d", len(s.issued)+1)
	s.issued = append(s.issued, tok)
	s.valid[tok] = !(s.rejectFirst && len(s.issued) == 1)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": s.expiresIn})
}

func (s *tokenServer) apiCall(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	authz := r.Header.Get("Authorization")
	s.mu.Lock()
	s.api = append(s.api, seen{Authorization: authz, Body: string(b)})
	ok := !s.rejectAll && s.valid[strings.TrimPrefix(authz, "Bearer ")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Invalid login credentials.", "code": "bad.credentials", "status": 401})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entities": []any{}})
}

func (s *tokenServer) tokenHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func (s *tokenServer) apiRequests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.api...)
}

func (s *tokenServer) config(scopes ...string) auth.ClientCredentialsConfig {
	return auth.ClientCredentialsConfig{
		TokenURL: s.URL + s.tokenPath, ClientID: ccClientID, ClientSecret: ccSecret,
		Scopes: scopes, Style: s.style,
	}
}

func newCC(t *testing.T, cfg auth.ClientCredentialsConfig) (*auth.ClientCredentials, *http.Client) {
	t.Helper()
	cc, err := auth.NewClientCredentials(cfg)
	require.NoError(t, err)
	return cc, &http.Client{Transport: &auth.Transport{Provider: cc}}
}

func TestClientCredentialsStyles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		style     auth.TokenStyle
		scopes    []string
		wantScope string
		expiresIn int
		tokenURL  func(base string) string
	}{
		{"credentials API: basic, no scope", auth.StyleBasic, nil, "", 86399, auth.CredentialsTokenURL},
		{"credentials API: basic with scope", auth.StyleBasic, []string{"integrations:readonly"}, "integrations:readonly", 86399, auth.CredentialsTokenURL},
		{"relationship API: form with scopes", auth.StyleForm, []string{"data", "user_management"}, "data user_management", 900, auth.RelationshipTokenURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTokenServer(t, tt.style, tt.wantScope, tt.expiresIn)
			cfg := srv.config(tt.scopes...)
			cfg.TokenURL = tt.tokenURL(srv.URL + "/")
			cc, hc := newCC(t, cfg)

			for range 5 {
				do(t, t.Context(), hc, http.MethodGet, srv.URL+"/api/v2/integrations/credentials", "", http.StatusOK)
			}
			assert.Equal(t, 1, srv.tokenHits(), "the token is cached across requests")
			for _, r := range srv.apiRequests() {
				assert.Equal(t, "Bearer tok-1", r.Authorization)
			}
			tok, err := cc.Token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "tok-1", tok)
			out := fmt.Sprintf("%v %+v %#v %s", cc, holder{"h", cc}, &holder{"h", cc}, holder{"h", cc})
			assert.NotContains(t, out, ccSecret)
			assert.NotContains(t, out, "tok-1")
		})
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A token whose expires_in is too long to represent is cached, not
// fetched again for every request.
func TestClientCredentialsHugeLifetimeIsCached(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleForm, "data", 10_000_000_000)
	_, hc := newCC(t, srv.config("data"))
	url := srv.URL + "/api/rest/v4/data/entrydata/rows/company"
	for range 3 {
		do(t, t.Context(), hc, http.MethodGet, url, "", http.StatusOK)
	}
	assert.Equal(t, 1, srv.tokenHits())
}

func TestClientCredentialsRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		expiresIn     int
		refreshBefore time.Duration
		refreshAt     time.Duration // after the fetch
	}{
		{"RefreshBefore", 600, 30 * time.Second, 570 * time.Second},
		{"default RefreshBefore", 900, 0, 840 * time.Second},
		{"capped at half the lifetime", 60, 0, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTokenServer(t, auth.StyleForm, "data", tt.expiresIn)
			cfg := srv.config("data")
			cfg.RefreshBefore = tt.refreshBefore
			cc, hc := newCC(t, cfg)
			clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			auth.SetClock(cc, clock.Now)
			url := srv.URL + "/api/rest/v4/data/entrydata/rows/company"

			do(t, t.Context(), hc, http.MethodGet, url, "", http.StatusOK)
			clock.Advance(tt.refreshAt - time.Second)
			do(t, t.Context(), hc, http.MethodGet, url, "", http.StatusOK)
			assert.Equal(t, 1, srv.tokenHits(), "still cached just before the refresh point")

			clock.Advance(time.Second)
			do(t, t.Context(), hc, http.MethodGet, url, "", http.StatusOK)
			assert.Equal(t, 2, srv.tokenHits(), "refreshed at the refresh point, before expiry")
			api := srv.apiRequests()
			assert.Equal(t, "Bearer tok-2", api[len(api)-1].Authorization)
		})
	}
}

// A token that lives one second is refreshed after half of it, on the
// injected clock: no test waits in real time.
func TestClientCredentialsRefreshesShortLivedToken(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleBasic, "", 1) // refresh after half of 1s
	cc, _ := newCC(t, srv.config())
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	auth.SetClock(cc, clock.Now)

	tok, err := cc.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
	clock.Advance(499 * time.Millisecond)
	tok, err = cc.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok, "still cached just before half its lifetime")
	clock.Advance(time.Millisecond)
	tok, err = cc.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "tok-2", tok)
}

func TestClientCredentialsKeepsValidTokenWhenEarlyRefreshFails(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleBasic, "", 120)
	cc, _ := newCC(t, srv.config())
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	auth.SetClock(cc, clock.Now)

	tok, err := cc.Token(t.Context())
	require.NoError(t, err)
	srv.mu.Lock()
	srv.failTokens = true
	srv.mu.Unlock()

	clock.Advance(90 * time.Second) // due for refresh (60s before expiry), not expired
	tok2, err := cc.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, tok, tok2, "the refresh failed; the still-valid token is used")

	clock.Advance(30 * time.Second) // expired
	_, err = cc.Token(t.Context())
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "invalid_client", te.Code)
}

func TestClientCredentialsRenewsOnceOn401(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleBasic, "", 86399)
	srv.rejectFirst = true
	_, hc := newCC(t, srv.config())

	const body = `{"name":"crm","type":{"name":"basicAuth"},"credentialFields":{"userName":"u","password":"p"}}`
	do(t, t.Context(), hc, http.MethodPost, srv.URL+"/api/v2/integrations/credentials", body, http.StatusOK)

	assert.Equal(t, 2, srv.tokenHits())
	api := srv.apiRequests()
	require.Len(t, api, 2)
	assert.Equal(t, seen{Authorization: "Bearer tok-1", Body: body}, api[0])
	assert.Equal(t, seen{Authorization: "Bearer tok-2", Body: body}, api[1], "repeated with the new token and the original body")

	// Later requests keep the new token.
	do(t, t.Context(), hc, http.MethodGet, srv.URL+"/api/v2/integrations/credentials", "", http.StatusOK)
	assert.Equal(t, 2, srv.tokenHits())
}

func TestClientCredentialsConcurrent401sFetchOnce(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleForm, "data", 900)
	srv.rejectFirst = true
	_, hc := newCC(t, srv.config("data"))

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			do(t, t.Context(), hc, http.MethodGet, srv.URL+"/api/rest/v4/data/entrydata/rows/company", "", http.StatusOK)
		})
	}
	wg.Wait()
	assert.Equal(t, 2, srv.tokenHits(), "one first token and one replacement, however many requests saw the 401")
}

func TestClientCredentialsGivesUpWhenNewTokenIsRejected(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleBasic, "", 86399)
	srv.rejectAll = true
	_, hc := newCC(t, srv.config())

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v2/integrations/credentials", nil)
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	var body struct{ Code string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, "bad.credentials", body.Code)
	assert.Equal(t, 2, srv.tokenHits(), "the first token and one replacement, no loop")
	assert.Len(t, srv.apiRequests(), 2)
}

func TestClientCredentialsTokenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		style    auth.TokenStyle
		secret   string
		scopes   []string
		wantCode string
		status   int
	}{
		{"wrong secret (basic)", auth.StyleBasic, "wr0ng-s3cret", nil, "invalid_client", http.StatusUnauthorized},
		{"wrong secret (form)", auth.StyleForm, "wr0ng-s3cret", []string{"data"}, "invalid_client", http.StatusUnauthorized},
		{"bad scope", auth.StyleForm, ccSecret, []string{"bogus"}, "invalid_scope", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTokenServer(t, tt.style, "data", 900)
			cfg := srv.config(tt.scopes...)
			cfg.ClientSecret = tt.secret
			_, hc := newCC(t, cfg)

			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/rest/v4/data/entrydata/rows/company", nil)
			require.NoError(t, err)
			_, err = hc.Do(req) //nolint:bodyclose // no response on error
			var te *auth.TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.wantCode, te.Code)
			assert.Equal(t, tt.status, te.StatusCode)
			assert.Equal(t, ccClientID, te.ClientID)
			assert.NotEmpty(t, te.Description)
			assert.Contains(t, err.Error(), tt.wantCode)
			assert.Contains(t, err.Error(), te.Description)
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%#v", te)} {
				assert.NotContains(t, s, tt.secret)
				assert.NotContains(t, s, ccSecret)
				assert.NotContains(t, s, "debug", "the raw response body is not in the error")
			}
			assert.Empty(t, srv.apiRequests(), "no API call without a token")
		})
	}
}

func TestClientCredentialsTokenErrorMessage(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleBasic, "", 900)
	cfg := srv.config()
	cfg.ClientSecret = "nope"
	cc, _ := newCC(t, cfg)
	_, err := cc.Token(t.Context())
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf(`auth: token for client %q from %s: HTTP 401 invalid_client: Client authentication failed`, ccClientID, cfg.TokenURL), err.Error())
}

func TestClientCredentialsHonoursContext(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // read the body, so the server notices the client leave
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL: auth.CredentialsTokenURL(srv.URL), ClientID: ccClientID, ClientSecret: ccSecret,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	_, err = cc.Token(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), ccSecret)
}

func TestClientCredentialsUsesHTTPClient(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, auth.StyleBasic, "", 900)
	var calls sync.Map
	cfg := srv.config()
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Store(r.URL.Path, true)
		return http.DefaultTransport.RoundTrip(r)
	})}
	cc, _ := newCC(t, cfg)
	_, err := cc.Token(t.Context())
	require.NoError(t, err)
	_, ok := calls.Load("/oauth/token")
	assert.True(t, ok)
}

func TestNewClientCredentialsValidates(t *testing.T) {
	t.Parallel()
	good := auth.ClientCredentialsConfig{TokenURL: "https://login.example.com/oauth/token", ClientID: "id", ClientSecret: ccSecret}
	tests := []struct {
		name   string
		modify func(*auth.ClientCredentialsConfig)
	}{
		{"empty TokenURL", func(c *auth.ClientCredentialsConfig) { c.TokenURL = "" }},
		{"relative TokenURL", func(c *auth.ClientCredentialsConfig) { c.TokenURL = "/oauth/token" }},
		{"user info in TokenURL", func(c *auth.ClientCredentialsConfig) {
			c.TokenURL = "https://id:" + ccSecret + "@login.example.com/oauth/token"
		}},
		{"empty ClientID", func(c *auth.ClientCredentialsConfig) { c.ClientID = "" }},
		{"empty ClientSecret", func(c *auth.ClientCredentialsConfig) { c.ClientSecret = "" }},
		{"unknown style", func(c *auth.ClientCredentialsConfig) { c.Style = 9 }},
		{"negative RefreshBefore", func(c *auth.ClientCredentialsConfig) { c.RefreshBefore = -time.Second }},
	}
	for _, tt := range tests {
		cfg := good
		tt.modify(&cfg)
		_, err := auth.NewClientCredentials(cfg)
		require.Error(t, err, tt.name)
		assert.NotContains(t, err.Error(), ccSecret, tt.name)
	}
	cfg := good
	cfg.ClientSecret = ""
	_, err := auth.NewClientCredentials(cfg)
	require.ErrorIs(t, err, auth.ErrNoCredential)

	_, err = auth.NewClientCredentials(good)
	require.NoError(t, err)
}

func TestTokenURLHelpers(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "https://login.mypurecloud.com/oauth/token", auth.CredentialsTokenURL("https://login.mypurecloud.com/"))
	assert.Equal(t, "https://firm.dealcloud.com/api/rest/v1/oauth/token", auth.RelationshipTokenURL("https://firm.dealcloud.com"))
}
