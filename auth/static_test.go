package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
)

// seen is what an echo server saw of one request.
type seen struct {
	Authorization string
	AsUser        string
	HasAsUser     bool
	Body          string
}

// newEchoServer starts a server that records every request and answers 200.
func newEchoServer(t *testing.T) (*httptest.Server, func() []seen) {
	t.Helper()
	var (
		got = make(chan seen, 100)
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		has := len(r.Header.Values(auth.AsUserHeader)) > 0
		got <- seen{Authorization: r.Header.Get("Authorization"), AsUser: r.Header.Get(auth.AsUserHeader), HasAsUser: has, Body: b.String()}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	drain := func() []seen {
		var out []seen
		for {
			select {
			case s := <-got:
				out = append(out, s)
			default:
				return out
			}
		}
	}
	return srv, drain
}

// do sends one request through hc and checks the status.
func do(t *testing.T, ctx context.Context, hc *http.Client, method, url, body string, wantStatus int) {
	t.Helper()
	var r *bytes.Reader
	if body != "" {
		r = bytes.NewReader([]byte(body))
	}
	var req *http.Request
	var err error
	if r != nil {
		req, err = http.NewRequestWithContext(ctx, method, url, r)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, url, nil)
	}
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, wantStatus, resp.StatusCode)
}

func TestStaticProvidersSetAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		provider auth.Provider
		want     string
	}{
		{"api key", auth.APIKey("k-123"), "ApiKey k-123"},
		{"bearer", auth.Bearer("t-456"), "Bearer t-456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, drain := newEchoServer(t)
			hc := &http.Client{Transport: &auth.Transport{Provider: tt.provider}}
			do(t, t.Context(), hc, http.MethodGet, srv.URL+"/x", "", http.StatusOK)
			got := drain()
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, got[0].Authorization)
		})
	}
}

func TestStaticProvidersRejectEmptyCredential(t *testing.T) {
	t.Parallel()
	for _, p := range []auth.Provider{auth.APIKey(""), auth.Bearer("")} {
		req := httptestRequest(t)
		err := p.Apply(req)
		require.ErrorIs(t, err, auth.ErrNoCredential)
		assert.Empty(t, req.Header.Get("Authorization"))

		// Through a client the error survives net/http's *url.Error.
		srv, drain := newEchoServer(t)
		hc := &http.Client{Transport: &auth.Transport{Provider: p}}
		req, err = http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		_, err = hc.Do(req) //nolint:bodyclose // no response on error
		require.ErrorIs(t, err, auth.ErrNoCredential)
		assert.Empty(t, drain(), "nothing is sent without a credential")
	}
}

func httptestRequest(t *testing.T) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1/", nil)
	require.NoError(t, err)
	return req
}

// holder keeps a provider in an unexported field, as a client struct would.
type holder struct {
	name     string
	provider auth.Provider
}

func TestProvidersNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value"
	session, err := auth.NewSession("https://data.example.com", "alice", secret)
	require.NoError(t, err)
	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL: "https://login.example.com/oauth/token", ClientID: "client-1", ClientSecret: secret,
	})
	require.NoError(t, err)

	providers := map[string]auth.Provider{
		"auth.APIKey(****)": auth.APIKey(secret),
		"auth.Bearer(****)": auth.Bearer(secret),
		`auth.Session(user="alice", server=https://data.example.com/)`:                                  session,
		`auth.ClientCredentials(client_id="client-1", token_url=https://login.example.com/oauth/token)`: cc,
	}
	for want, p := range providers {
		assert.Equal(t, want, fmt.Sprint(p))
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, p)
			assert.NotContains(t, out, secret, verb)
			out = fmt.Sprintf(verb, holder{"h", p})
			assert.NotContains(t, out, secret, "nested "+verb)
			out = fmt.Sprintf(verb, &holder{"h", p})
			assert.NotContains(t, out, secret, "nested pointer "+verb)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("configured", "provider", p)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("configured", "provider", p)
		assert.NotContains(t, buf.String(), secret)
	}
}

func TestErrNoCredentialMessage(t *testing.T) {
	t.Parallel()
	err := auth.APIKey("").Apply(httptestRequest(t))
	assert.True(t, errors.Is(err, auth.ErrNoCredential))
	assert.Equal(t, "auth: auth.APIKey: empty credential", err.Error())
}
