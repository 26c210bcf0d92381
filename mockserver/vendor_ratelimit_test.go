package mockserver_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const schemaPath = "/api/rest/v4/schema/"

// With settings.vendorRateLimits, the Schema APIs take 5 calls per second
// per credential, all schema operations together (the vendor's documented
// limit, the spec's x-rate-limit on the schema tag); the 6th is a 429 with
// an integer Retry-After. Rows are not limited by it.
func TestVendorSchemaRateLimit(t *testing.T) {
	f := tenant.Demo()
	f.Settings.VendorRateLimits = true
	h := newHarness(t, mockserver.WithFixture(f))
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	for _, op := range []string{"entryTypes", "allfields", "entryTypes/Deals/fields", "users", "currencies"} {
		r := h.do(http.MethodGet, schemaPath+op, nil, admin...)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", op, r.body)
	}
	r := h.do(http.MethodGet, schemaPath+"filteroperations", nil, admin...)
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q is an integer: the vendor's SDK reads int(Retry-After)", r.header.Get("Retry-After"))
	assert.Equal(t, 1, ra)
	body := r.object(t)
	assert.Equal(t, "Requests to the Schema APIs are limited to 5 calls per second.", body["message"])
	assert.Equal(t, "too_many_requests", body["errorCode"])
	assert.Equal(t, wire.StepRateLimit, r.decision.Step)
	assert.Contains(t, r.decision.Reason, "vendorRateLimits")

	// Rows and the management API are not limited by it.
	for range 8 {
		r = h.do(http.MethodGet, rowsPath+"Deals", nil, admin...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	// Another credential has its own budget.
	integ := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data"))
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, schemaPath+"entryTypes", nil, integ...).status)

	// The next second starts a new budget.
	h.clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, schemaPath+"entryTypes", nil, admin...).status)
}

// Off by default; the admin API switches it.
func TestVendorRateLimitsOffByDefault(t *testing.T) {
	h := newHarness(t)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	for range 12 {
		r := h.do(http.MethodGet, schemaPath+"entryTypes", nil, admin...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	r := h.do(http.MethodGet, "/_mock/tenants/default/settings", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, false, r.object(t)["vendorRateLimits"])

	r = h.do(http.MethodPatch, "/_mock/tenants/default/settings", map[string]any{"vendorRateLimits": true})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, true, r.object(t)["vendorRateLimits"])
	h.clock.Advance(time.Second)
	statuses := []int{}
	for range 6 {
		statuses = append(statuses, h.do(http.MethodGet, schemaPath+"currencies", nil, admin...).status)
	}
	assert.Equal(t, []int{200, 200, 200, 200, 200, 429}, statuses)
}
