package mockserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Each kind of authentication failure, on each API, in its surface's shape.
func TestAuthenticationFailures(t *testing.T) {
	h := newHarness(t)

	login := h.do(http.MethodPost, "/V2.0/services/authentication/login",
		map[string]any{"userName": "bob@demo.tenantkit.dev", "password": "demo-password"})
	require.Equal(t, http.StatusOK, login.status, "%s", login.body)
	session, _ := login.object(t)["sessionId"].(string)
	genesys := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	dealcloud := h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data")

	// Expire the session and both tokens: sessions last 8h, tokens 86399 s
	// and 900 s. Tokens issued after the jump are fresh.
	h.clock.Advance(24 * time.Hour)

	query := map[string]any{"typeName": "Project"}
	cases := []struct {
		name     string
		method   string
		path     string
		body     any
		header   []string
		code     string // wire code in the decision
		bodyCode string // vendor code in the body
	}{
		{"data missing", http.MethodPost, entityQuery, query, nil, wire.CodeMissingCredential, "Unauthorized"},
		{"data malformed", http.MethodPost, entityQuery, query, []string{"Authorization", "Basic Ym9iOnB3"}, wire.CodeMalformedCredential, "Unauthorized"},
		{"data unknown key", http.MethodPost, entityQuery, query, apiKey("no-such-key"), wire.CodeUnknownCredential, "Unauthorized"},
		{"data revoked key", http.MethodPost, entityQuery, query, apiKey("demo-key-revoked"), wire.CodeRevokedCredential, "Unauthorized"},
		{"data unknown session", http.MethodPost, entityQuery, query, []string{"Authorization", "Session t1.NOPE"}, wire.CodeUnknownCredential, "Unauthorized"},
		{"data expired session", http.MethodPost, entityQuery, query, []string{"Authorization", "Session " + session}, wire.CodeExpiredCredential, "SessionTimeout"},
		{"credentials missing", http.MethodGet, credentials, nil, nil, wire.CodeMissingCredential, "authentication.required"},
		{"credentials malformed", http.MethodGet, credentials, nil, apiKey("demo-key-bob"), wire.CodeMalformedCredential, "bad.credentials"},
		{"credentials unknown", http.MethodGet, credentials, nil, bearer("t1.UNKNOWN"), wire.CodeUnknownCredential, "bad.credentials"},
		{"credentials expired", http.MethodGet, credentials, nil, bearer(genesys), wire.CodeExpiredCredential, "credentials.expired"},
		{"relationship missing", http.MethodGet, rowsPath + "Deals", nil, nil, wire.CodeMissingCredential, "unauthorized"},
		{"relationship malformed", http.MethodGet, rowsPath + "Deals", nil, []string{"Authorization", "Bearer"}, wire.CodeMalformedCredential, "unauthorized"},
		{"relationship unknown", http.MethodGet, rowsPath + "Deals", nil, bearer("garbage"), wire.CodeUnknownCredential, "unauthorized"},
		{"relationship expired", http.MethodGet, rowsPath + "Deals", nil, bearer(dealcloud), wire.CodeExpiredCredential, "token_expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, tc.body, tc.header...)
			require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
			assert.Equal(t, wire.OutcomeDeny, r.decision.Outcome)
			assert.Equal(t, wire.StepAuthenticate, r.decision.Step)
			assert.Equal(t, tc.code, r.decision.Code)
			assert.NotEmpty(t, r.decision.Reason)
			assert.NotEmpty(t, r.decision.Fix)
			m := r.object(t)
			for _, key := range []string{"errorCode", "code"} {
				if v, ok := m[key]; ok {
					assert.Equal(t, tc.bodyCode, v)
				}
			}
			if _, ok := m["title"]; ok { // problem+json
				assert.Equal(t, tc.bodyCode, m["errorCode"])
			}
		})
	}
}

func TestRevokedKeyDecisionNamesTheKeyNotTheSecret(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-revoked")...)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.NotNil(t, r.decision.Caller)
	assert.Equal(t, wire.Caller{Kind: "api_key", ID: "service-old", User: 2001}, *r.decision.Caller)
	assert.NotContains(t, r.header.Get(wire.DecisionHeader), "demo-key-revoked")
}

func TestTokenEndpoints(t *testing.T) {
	h := newHarness(t)
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	t.Run("genesys defaults", func(t *testing.T) {
		r := h.do(http.MethodPost, genesysToken, form("grant_type", "client_credentials", "client_id", "demo-integrator", "client_secret", "demo-integrator-secret"))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		m := r.object(t)
		assert.Equal(t, "bearer", m["token_type"])
		assert.EqualValues(t, 86399, m["expires_in"])
		assert.Equal(t, "data integrations user_management", m["scope"], "no scope requested: every allowed scope")
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
		assert.NotEmpty(t, r.header.Get("ININ-Correlation-Id"))
	})
	t.Run("basic auth", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, h.url+genesysToken, nil)
		require.NoError(t, err)
		req.SetBasicAuth("demo-readonly", "demo-readonly-secret")
		req.Body = http.NoBody
		r := h.do(http.MethodPost, genesysToken, form("grant_type", "client_credentials"),
			"Authorization", req.Header.Get("Authorization"))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.Equal(t, "data integrations:readonly", r.object(t)["scope"])
	})
	t.Run("dealcloud narrowing", func(t *testing.T) {
		r := h.do(http.MethodPost, dealcloudToken, form("grant_type", "client_credentials", "client_id", "demo-integrator",
			"client_secret", "demo-integrator-secret", "scope", "data"))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		m := r.object(t)
		assert.EqualValues(t, 900, m["expires_in"])
		assert.Equal(t, "data", m["scope"])
	})
	t.Run("invalid_scope", func(t *testing.T) {
		r := h.do(http.MethodPost, dealcloudToken, form("grant_type", "client_credentials", "client_id", "demo-reporting",
			"client_secret", "demo-reporting-secret", "scope", "data user_management"))
		require.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, "invalid_scope", r.object(t)["error"])
		assert.Equal(t, []string{"user_management"}, r.decision.Missing)
		assert.Equal(t, wire.StepScope, r.decision.Step)
	})
	t.Run("invalid_client", func(t *testing.T) {
		r := h.do(http.MethodPost, genesysToken, form("grant_type", "client_credentials", "client_id", "demo-integrator", "client_secret", "s3cr3t-guess"))
		require.Equal(t, http.StatusUnauthorized, r.status)
		m := r.object(t)
		assert.Equal(t, "invalid_client", m["error"])
		assert.NotEmpty(t, m["description"], "Genesys repeats the description")
		assert.Equal(t, wire.CodeUnknownCredential, r.decision.Code)
		assert.NotContains(t, string(r.body)+r.header.Get(wire.DecisionHeader), "s3cr3t-guess")
	})
	t.Run("unsupported_grant_type", func(t *testing.T) {
		r := h.do(http.MethodPost, dealcloudToken, form("grant_type", "password", "client_id", "demo-integrator", "client_secret", "demo-integrator-secret"))
		require.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, "unsupported_grant_type", r.object(t)["error"])
	})
	t.Run("lifetime setting", func(t *testing.T) {
		_, err := h.srv.DefaultTenant().UpdateSettings(func(s *tenantSettings) { s.TokenLifetime = time.Minute })
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = h.srv.DefaultTenant().UpdateSettings(func(s *tenantSettings) { s.TokenLifetime = 0 }) })
		r := h.do(http.MethodPost, genesysToken, form("grant_type", "client_credentials", "client_id", "demo-admin", "client_secret", "demo-admin-secret"))
		require.Equal(t, http.StatusOK, r.status)
		assert.EqualValues(t, 60, r.object(t)["expires_in"])
		tok := r.object(t)["access_token"].(string)
		assert.Equal(t, http.StatusOK, h.do(http.MethodGet, credentials, nil, bearer(tok)...).status)
		h.clock.Advance(61 * time.Second)
		assert.Equal(t, http.StatusUnauthorized, h.do(http.MethodGet, credentials, nil, bearer(tok)...).status)
	})
	t.Run("issuance is audited without the secret", func(t *testing.T) {
		entries := h.srv.DefaultTenant().Audit(auditFilter{Operation: "getToken"})
		require.NotEmpty(t, entries)
		last := entries[len(entries)-1]
		assert.Equal(t, "demo-admin", last.Target)
		assert.True(t, last.Write)
		for _, e := range entries {
			assert.NotContains(t, e.Reason, "s3cr3t-guess")
			assert.NotContains(t, e.Reason, "demo-admin-secret")
		}
	})
}

// RFC 6749 has clients form-encode HTTP Basic client credentials, as
// golang.org/x/oauth2 does: a suffixed client id ("demo-integrator@t2")
// arrives as "demo-integrator%40t2". Both forms authenticate.
func TestTokenEndpointDecodesFormEncodedBasicCredentials(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t2, err := h.srv.CreateTenant(tenant.Demo())
	require.NoError(t, err)
	id := "demo-integrator@" + t2.ID()
	for _, user := range []string{id, url.QueryEscape(id)} {
		req, err := http.NewRequest(http.MethodPost, h.url+genesysToken, strings.NewReader("grant_type=client_credentials"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, "demo-integrator-secret")
		resp, err := h.http.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, user)
	}
}
