package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// A handler that panics is answered 500 in the surface's shape, logged,
// and the server keeps serving.
func TestRecoverFromHandlerPanic(t *testing.T) {
	var logs bytes.Buffer
	s, err := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	for _, sp := range s.env.Specs().Vendor {
		if rt, ok := sp.Routes["listCredentialTypes"]; ok {
			rt.Handle = func(*pipeline.Request) error { panic("boom") }
		}
	}
	ts := httptest.NewServer(s)
	defer ts.Close()

	resp, err := http.PostForm(ts.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"demo-admin"}, "client_secret": {"demo-admin-secret"}})
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()

	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v2/integrations/credentials/types", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	var eb map[string]any
	require.NoError(t, json.Unmarshal(body, &eb))
	assert.Equal(t, "internal.server.error", eb["code"])
	d, ok := wire.ParseDecision(resp.Header.Get(wire.DecisionHeader))
	require.True(t, ok)
	assert.Equal(t, "listCredentialTypes", d.Operation)
	assert.True(t, strings.Contains(logs.String(), "panic serving request") && strings.Contains(logs.String(), "boom"))

	// Still serving.
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/api/v2/integrations/credentials", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// A write sent with an Idempotency-Key whose handler panics is answered
// 500, and a repeat with the same key is served again instead of waiting
// for an answer that will never come.
func TestIdempotentWriteThatPanicsReleasesItsKey(t *testing.T) {
	s, err := New()
	require.NoError(t, err)
	for _, sp := range s.env.Specs().Vendor {
		if rt, ok := sp.Routes["createCredential"]; ok {
			rt.Handle = func(*pipeline.Request) error { panic("boom") }
		}
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	resp, err := http.PostForm(ts.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"demo-admin"}, "client_secret": {"demo-admin-secret"}})
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()

	hc := &http.Client{Timeout: 5 * time.Second}
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v2/integrations/credentials",
			strings.NewReader(`{"name":"x","type":{"name":"basicAuth"},"credentialFields":{"userName":"u","password":"p"}}`))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(IdempotencyKeyHeader, "create-x")
		resp, err := hc.Do(req)
		require.NoError(t, err, "the repeat must not wait for the panicked request")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		assert.Contains(t, string(body), "internal.server.error")
	}
}
