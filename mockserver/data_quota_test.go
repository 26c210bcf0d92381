package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// With settings.vendorRateLimits the data API takes 25 calls per second
// from the whole organization (the vendor: "up to 25 requests per second.
// The quota is global for the organization, and not per user."): API keys
// and sessions of different users share one budget; logins and logouts are
// not counted; the 26th call is a 429 in the vendor's wording.
func TestDataOrganizationQuota(t *testing.T) {
	f := tenant.Demo()
	f.Settings.VendorRateLimits = true
	h := newHarness(t, mockserver.WithFixture(f))
	bob := apiKey("demo-key-bob")
	service := apiKey("demo-key-service")
	info := "/V2.0/services/authentication/getSessionInfo"
	list := "/V2.0/services/metadata/listEntities"
	for i := range 12 {
		require.Equal(t, http.StatusOK, h.do(http.MethodGet, info, nil, bob...).status, i)
		require.Equal(t, http.StatusOK, h.do(http.MethodGet, list, nil, service...).status, i)
	}
	// Logins and logouts do not count.
	for range 3 {
		sess := loginSession(t, h, "bob@demo.tenantkit.dev")
		require.Equal(t, http.StatusOK, h.do(http.MethodGet, "/V2.0/services/authentication/logout", nil, "Authorization", "Session "+sess).status)
	}
	sess := loginSession(t, h, "bob@demo.tenantkit.dev")
	require.Equal(t, http.StatusOK, h.do(http.MethodGet, info, nil, "Authorization", "Session "+sess).status) // the 25th

	r := h.do(http.MethodGet, list, nil, service...)
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	body := r.object(t)
	assert.Equal(t, "RequestLimitExceeded", body["errorCode"])
	assert.True(t, strings.HasPrefix(body["message"].(string), "API calls quota exceeded"), body["message"])
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, wire.StepRateLimit, r.decision.Step)
	assert.Contains(t, r.decision.Reason, "organization")

	// The next second starts a new budget.
	h.clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, list, nil, service...).status)

	// A reset of the tenant starts the budget afresh.
	r = h.do(http.MethodPost, "/_mock/tenants/default/reset", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	for range 25 {
		require.Equal(t, http.StatusOK, h.do(http.MethodGet, info, nil, bob...).status)
	}
	assert.Equal(t, http.StatusTooManyRequests, h.do(http.MethodGet, info, nil, bob...).status)
}
