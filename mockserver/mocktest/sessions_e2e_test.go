package mocktest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// sessionClient is an SDK client over an auth.Session for bob.
func sessionClient(t *testing.T, srv *mocktest.Server, opts ...client.Option) (*client.Client, *auth.Session) {
	t.Helper()
	sess, err := auth.NewSession(srv.URL, "bob@demo.tenantkit.dev", "demo-password", auth.WithSessionHTTPClient(srv.HTTPClient()))
	require.NoError(t, err)
	c, err := client.New(srv.URL, append([]client.Option{client.WithHTTPClient(srv.HTTPClient()), client.WithAuth(sess)}, opts...)...)
	require.NoError(t, err)
	return c, sess
}

// rawInfo calls getSessionInfo with a fixed session id over raw HTTP.
func rawInfo(t *testing.T, srv *mocktest.Server, id string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/V2.0/services/authentication/getSessionInfo", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Session "+id)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// A session unused for 30 minutes (the vendor's inactivity timeout) is a
// 401 SessionTimeout; auth.Session logs in again once and the call goes
// through.
func TestSessionIdleTimeoutRelogin(t *testing.T) {
	t.Parallel()
	clock := mocktest.NewClock(start)
	srv := mocktest.Start(t, mocktest.WithClock(clock))
	c, sess := sessionClient(t, srv)
	ctx := t.Context()

	_, err := c.Data.GetSessionInfo(ctx)
	require.NoError(t, err)
	first, err := sess.SessionID(ctx)
	require.NoError(t, err)

	clock.Advance(29 * time.Minute)
	_, err = c.Data.GetSessionInfo(ctx)
	require.NoError(t, err)
	again, _ := sess.SessionID(ctx)
	assert.Equal(t, first, again, "used within 30 minutes: the same session")

	clock.Advance(30 * time.Minute)
	status, body := rawInfo(t, srv, first)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "SessionTimeout", body["errorCode"])
	fixed := srv.Client(mocktest.Credential{}, client.WithRequestEditor(header("Authorization", "Session "+first)))
	_, err = fixed.Data.GetSessionInfo(ctx)
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, ue.Decision.Reason, "unused for 30m0s, the tenant's sessionIdleTimeout")

	info, err := c.Data.GetSessionInfo(ctx)
	require.NoError(t, err, "auth.Session logs in again after SessionTimeout")
	renewed, _ := sess.SessionID(ctx)
	assert.NotEqual(t, first, renewed)
	require.NotNil(t, info.SessionId)
	assert.Equal(t, renewed, *info.SessionId)

	// Turned off, only the lifetime counts.
	srv.UpdateSettings(func(s *tenant.Settings) { s.SessionIdleTimeout = 0 })
	clock.Advance(2 * time.Hour)
	status, _ = rawInfo(t, srv, renewed)
	assert.Equal(t, http.StatusOK, status)
}

// With settings.maxSessionsPerUser a login beyond the limit ends the
// user's oldest session, which is then answered SessionTimeout; each
// auth.Session logs in again once and its call goes through.
func TestMaxSessionsPerUserEndsTheOldestSession(t *testing.T) {
	t.Parallel()
	clock := mocktest.NewClock(start)
	srv := mocktest.Start(t, mocktest.WithClock(clock))
	srv.UpdateSettings(func(s *tenant.Settings) { s.MaxSessionsPerUser = 1 })
	ctx := t.Context()
	a, sa := sessionClient(t, srv)
	b, sb := sessionClient(t, srv)

	_, err := a.Data.GetSessionInfo(ctx)
	require.NoError(t, err)
	idA, _ := sa.SessionID(ctx)
	_, err = b.Data.GetSessionInfo(ctx) // logs in: a's session ends
	require.NoError(t, err)
	idB, _ := sb.SessionID(ctx)

	status, body := rawInfo(t, srv, idA)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "SessionTimeout", body["errorCode"])
	status, _ = rawInfo(t, srv, idB)
	assert.Equal(t, http.StatusOK, status)

	_, err = a.Data.GetSessionInfo(ctx)
	require.NoError(t, err, "a logs in again once")
	idA2, _ := sa.SessionID(ctx)
	assert.NotEqual(t, idA, idA2)
	status, _ = rawInfo(t, srv, idB)
	assert.Equal(t, http.StatusUnauthorized, status, "a's new login ended b's session")

	// A fixed, ended session is reported as expired.
	fixed := srv.Client(mocktest.Credential{}, client.WithRequestEditor(header("Authorization", "Session "+idA)))
	_, err = fixed.Data.GetSessionInfo(ctx)
	requireUnauthenticated(t, err, client.ReasonExpired)
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, ue.Decision.Reason, "maxSessionsPerUser", "the explanation says why the session ended")

	// The admin API shows and sets the limit.
	r := adminJSON(t, srv, http.MethodGet, "/_mock/tenants/default/settings", "")
	assert.EqualValues(t, 1, r["maxSessionsPerUser"])
	assert.Equal(t, "30m0s", r["sessionIdleTimeout"])
	r = adminJSON(t, srv, http.MethodPatch, "/_mock/tenants/default/settings", `{"maxSessionsPerUser": 0, "sessionIdleTimeout": "10m"}`)
	assert.EqualValues(t, 0, r["maxSessionsPerUser"])
	assert.Equal(t, "10m0s", r["sessionIdleTimeout"])
}

func adminJSON(t *testing.T, srv *mocktest.Server, method, path, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// With settings.vendorRateLimits the data API takes 25 calls per second
// from the whole organization; the SDK reports the 26th as a
// *RateLimitError in the vendor's wording, with Retry-After.
func TestDataOrganizationQuotaThroughTheSDK(t *testing.T) {
	t.Parallel()
	clock := mocktest.NewClock(start)
	srv := mocktest.Start(t, mocktest.WithClock(clock))
	srv.UpdateSettings(func(s *tenant.Settings) { s.VendorRateLimits = true })
	ctx := t.Context()
	bob, _ := sessionClient(t, srv, client.WithMaxRetries(0))
	service := srv.Client(mocktest.ServiceKey, client.WithMaxRetries(0))
	for i := range 25 {
		c := bob
		if i%2 == 1 {
			c = service
		}
		_, err := c.Data.ListEntities(ctx)
		require.NoError(t, err, "call %d", i+1)
	}
	_, err := service.Data.ListEntities(ctx)
	var rl *client.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, http.StatusTooManyRequests, rl.StatusCode)
	assert.Equal(t, "RequestLimitExceeded", rl.Code)
	assert.True(t, strings.HasPrefix(rl.Message, "API calls quota exceeded"), rl.Message)
	assert.Equal(t, time.Second, rl.RetryAfter)

	clock.Advance(time.Second)
	_, err = service.Data.ListEntities(ctx)
	require.NoError(t, err)

	// A reset starts the budget afresh.
	for range 24 {
		_, err = bob.Data.ListEntities(ctx)
		require.NoError(t, err)
	}
	_, err = bob.Data.ListEntities(ctx)
	require.ErrorAs(t, err, &rl)
	srv.Reset()
	srv.UpdateSettings(func(s *tenant.Settings) { s.VendorRateLimits = true })
	_, err = bob.Data.ListEntities(ctx)
	require.NoError(t, err, "after the reset (auth.Session logs in again: the reset dropped its session)")
}
