package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func TestResilienceFlagsAndVariables(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]string{"--rate-limit", "180/1m", "--fault-rate", "0.2", "--fault-operations", "entityQuery, relationship.*", "--latency", "50ms"},
		env{envFaultSeed: "42", envFaultRate: "0.9"}.get)
	require.NoError(t, err)
	assert.Equal(t, &tenant.RateLimit{Requests: 180, Window: time.Minute}, cfg.rateLimit)
	assert.Equal(t, 0.2, cfg.faultRate, "the flag wins over the variable")
	assert.Equal(t, int64(42), cfg.faultSeed)
	assert.Equal(t, []string{"entityQuery", "relationship.*"}, cfg.faultOperations)
	plan, ok := cfg.faults()
	require.True(t, ok)
	require.NoError(t, plan.Validate())
	assert.Equal(t, tenant.FaultLatency, plan.Rules[0].Kind)
	assert.Len(t, plan.Rules, 6)

	cfg, err = parseConfig(nil, env{envRateLimit: "5"}.get)
	require.NoError(t, err)
	assert.Equal(t, &tenant.RateLimit{Requests: 5}, cfg.rateLimit)
	_, ok = cfg.faults()
	assert.False(t, ok, "no fault flags: the fixture's plan stays")

	for args, want := range map[string]string{
		"--rate-limit lots":       `--rate-limit "lots": the rate limit is REQUESTS or REQUESTS/WINDOW`,
		"--rate-limit 5/soon":     `--rate-limit "5/soon": the rate limit window is a positive duration`,
		"--fault-rate 2":          `--fault-rate "2": the fault rate is a fraction from 0 to 1`,
		"--fault-rate NaN":        `--fault-rate "NaN": the fault rate is a fraction from 0 to 1`,
		"--rate-limit 2000000000": `--rate-limit "2000000000": the rate limit is REQUESTS or REQUESTS/WINDOW, such as 180/1m, with REQUESTS from 0 to 1000000000`,
		"--fault-seed x":          `--fault-seed "x": the fault seed is a whole number`,
		"--fault-operations [x":   `--fault-operations "[x": "[x" is not an operation pattern`,
		"--latency -1s":           `--latency "-1s": the latency is a duration`,
	} {
		code, _, stderr := runOnce(t, strings.Fields(args), nil)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, stderr, want, args)
	}
	code, _, stderr := runOnce(t, nil, env{envFaultRate: "often"})
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `TENANTKIT_FAULT_RATE="often": the fault rate is a fraction`)
	for _, s := range []string{envRateLimit, envFaultRate, envFaultSeed, envFaultOperations, envLatency, "docs/resilience.md"} {
		assert.Contains(t, usage, s)
	}
}

// The served mock applies the rate limit and the faults the flags ask for.
func TestServedMockAppliesRateLimitAndFaults(t *testing.T) {
	t.Parallel()
	s := start(t, []string{"--addr", "127.0.0.1:0", "--quiet", "--rate-limit", "2/1m",
		"--fault-rate", "1", "--fault-operations", "getSessionInfo"}, nil)
	get := func(path string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(`{"typeName":"Project"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "ApiKey demo-key-service")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	assert.Equal(t, http.StatusOK, get("/V2.0/services/data/entityQuery").StatusCode, "faults apply to getSessionInfo only")
	assert.Equal(t, http.StatusOK, get("/V2.0/services/data/entityQuery").StatusCode)
	resp := get("/V2.0/services/data/entityQuery")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "60", resp.Header.Get("Retry-After"))
	assert.Contains(t, s.stderr.String(), "rate limit")
	assert.Contains(t, s.stderr.String(), "injecting faults")

	// A reset restores the tenant as the flags made it: the budget starts
	// afresh and the faults stay.
	reset, err := http.Post(s.url+"/_mock/tenants/default/reset", "application/json", nil)
	require.NoError(t, err)
	reset.Body.Close()
	require.Equal(t, http.StatusOK, reset.StatusCode)
	assert.Equal(t, http.StatusOK, get("/V2.0/services/data/entityQuery").StatusCode)
	assert.Equal(t, http.StatusOK, get("/V2.0/services/data/entityQuery").StatusCode)
	assert.Equal(t, http.StatusTooManyRequests, get("/V2.0/services/data/entityQuery").StatusCode)
	faults, err := http.Get(s.url + "/_mock/tenants/default/faults")
	require.NoError(t, err)
	body, _ := io.ReadAll(faults.Body)
	faults.Body.Close()
	assert.Contains(t, string(body), `"operations":["getSessionInfo"]`)
}

func TestVendorRateLimitsFlag(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig(nil, env{}.get)
	require.NoError(t, err)
	assert.Nil(t, cfg.vendorLimits, "unset: the fixture's setting stays")
	cfg, err = parseConfig([]string{"--vendor-rate-limits"}, env{envVendorLimits: "0"}.get)
	require.NoError(t, err)
	require.NotNil(t, cfg.vendorLimits)
	assert.True(t, *cfg.vendorLimits, "the flag wins over the variable")
	cfg, err = parseConfig(nil, env{envVendorLimits: "false"}.get)
	require.NoError(t, err)
	require.NotNil(t, cfg.vendorLimits)
	assert.False(t, *cfg.vendorLimits)
	_, err = parseConfig(nil, env{envVendorLimits: "often"}.get)
	assert.ErrorContains(t, err, `TENANTKIT_VENDOR_RATE_LIMITS="often": not a boolean`)
}
