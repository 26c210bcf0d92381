package mockserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const createProject = "/V2.0/services/data/objects/Project"

func (h *harness) setFaults(rules ...tenant.FaultRule) {
	h.t.Helper()
	require.NoError(h.t, h.srv.DefaultTenant().SetFaults(tenant.Faults{Seed: 1, Rules: rules}))
}

func (h *harness) setRateLimit(requests int, window time.Duration) {
	h.t.Helper()
	_, err := h.srv.DefaultTenant().UpdateSettings(func(s *tenant.Settings) {
		s.RateLimit = tenant.RateLimit{Requests: requests, Window: window}
	})
	require.NoError(h.t, err)
}

func (h *harness) lastAudit(op string) tenant.AuditEntry {
	h.t.Helper()
	entries := h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: op, Limit: 1})
	require.Len(h.t, entries, 1)
	return entries[0]
}

func TestRateLimitPerCredentialInEachShape(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setRateLimit(3, time.Minute)
	tok := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	other := h.token(genesysToken, "demo-admin", "demo-admin-secret", "")

	for i := 1; i <= 3; i++ {
		r := h.do(http.MethodGet, credentials, nil, bearer(tok)...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.Equal(t, strconv.Itoa(i), r.header.Get("inin-ratelimit-count"))
		assert.Equal(t, "3", r.header.Get("inin-ratelimit-allowed"))
		assert.Equal(t, "60", r.header.Get("inin-ratelimit-reset"), "the clock does not move")
	}
	r := h.do(http.MethodGet, credentials, nil, bearer(tok)...)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "60", r.header.Get("Retry-After"))
	body := r.object(t)
	assert.Equal(t, "too.many.requests", body["code"])
	assert.Equal(t, "Rate limit exceeded the maximum. [3] requests for [60] seconds", body["message"])
	assert.Equal(t, float64(429), body["status"])
	assert.Equal(t, wire.StepRateLimit, r.decision.Step)
	assert.Equal(t, wire.CodeRateLimited, r.decision.Code)
	assert.Equal(t, "demo-integrator", r.decision.Caller.ID)
	assert.Contains(t, r.decision.Reason, "made 4 requests in the current 60-second window; the tenant allows 3")
	e := h.lastAudit("listCredentials")
	assert.Equal(t, wire.OutcomeDeny, e.Outcome)
	assert.Equal(t, wire.StepRateLimit, e.Step)
	assert.Equal(t, http.StatusTooManyRequests, e.Status)

	// Each credential has its own budget; token requests are not counted.
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, credentials, nil, bearer(other)...).status)
	h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")

	// The data API answers in its shape, with the vendor's quota text; logins are not counted.
	for range 3 {
		require.Equal(t, http.StatusOK, h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...).status)
	}
	r = h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "RequestLimitExceeded", r.object(t)["errorCode"])
	assert.Contains(t, r.object(t)["message"], "API calls quota exceeded")
	assert.Empty(t, r.header.Get("inin-ratelimit-count"), "Genesys headers on the credentials API only")
	for range 5 {
		r = h.do(http.MethodPost, "/V2.0/services/authentication/login", map[string]any{"userName": "bob@demo.tenantkit.dev", "password": "demo-password"})
		require.Equal(t, http.StatusOK, r.status)
	}

	// The relationship API answers with a problem.
	rel := h.token(dealcloudToken, "demo-reporting", "demo-reporting-secret", "data")
	for range 3 {
		require.Equal(t, http.StatusOK, h.do(http.MethodGet, rowsPath+"Deals", nil, bearer(rel)...).status)
	}
	r = h.do(http.MethodGet, rowsPath+"Deals", nil, bearer(rel)...)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "too_many_requests", r.object(t)["errorCode"])
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))

	// The window follows the server's clock.
	h.clock.Advance(61 * time.Second)
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, credentials, nil, bearer(tok)...).status)

	// Turning the limit off.
	h.setRateLimit(0, 0)
	for range 5 {
		r = h.do(http.MethodGet, credentials, nil, bearer(tok)...)
		require.Equal(t, http.StatusOK, r.status)
		assert.Empty(t, r.header.Get("inin-ratelimit-allowed"))
	}
}

func TestFaultStatusesInEachShape(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	rel := h.token(dealcloudToken, "demo-reporting", "demo-reporting-secret", "data")
	type call struct {
		op, method, path string
		body             any
		headers          []string
		codeField        string
	}
	calls := []call{
		{"entityQuery", http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-service"), "errorCode"},
		{"listCredentials", http.MethodGet, credentials, nil, bearer(tok), "code"},
		{"getRows", http.MethodGet, rowsPath + "Deals", nil, bearer(rel), "errorCode"},
	}
	want := map[tenant.FaultKind]map[string]string{
		tenant.Fault500: {"entityQuery": "InternalError", "listCredentials": "internal.server.error", "getRows": "internal_error"},
		tenant.Fault503: {"entityQuery": "ServiceUnavailable", "listCredentials": "service.unavailable", "getRows": "service_unavailable"},
		tenant.Fault429: {"entityQuery": "RequestLimitExceeded", "listCredentials": "too.many.requests", "getRows": "too_many_requests"},
	}
	status := map[tenant.FaultKind]int{tenant.Fault500: 500, tenant.Fault503: 503, tenant.Fault429: 429}
	for kind, codes := range want {
		for _, c := range calls {
			h.setFaults(tenant.FaultRule{Operations: []string{c.op}, Kind: kind, Probability: 1, RetryAfter: 2 * time.Second, Times: 1})
			r := h.do(c.method, c.path, c.body, c.headers...)
			require.Equal(t, status[kind], r.status, "%s %s: %s", kind, c.op, r.body)
			assert.Equal(t, codes[c.op], r.object(t)[c.codeField], "%s %s", kind, c.op)
			if kind == tenant.Fault500 {
				assert.Empty(t, r.header.Get("Retry-After"))
			} else {
				assert.Equal(t, "2", r.header.Get("Retry-After"))
			}
			assert.Equal(t, wire.StepFault, r.decision.Step)
			assert.Equal(t, wire.CodeInjectedFault, r.decision.Code)
			assert.Equal(t, wire.OutcomeDeny, r.decision.Outcome)
			assert.Contains(t, r.decision.Reason, "the request was not performed")
			e := h.lastAudit(c.op)
			assert.Equal(t, string(kind), e.Fault)
			assert.Equal(t, status[kind], e.Status)

			// Times: 1 — the next request is served.
			r = h.do(c.method, c.path, c.body, c.headers...)
			assert.Equal(t, http.StatusOK, r.status, "%s %s", kind, c.op)
		}
	}

	// Token endpoints too, in their API's shape.
	h.setFaults(tenant.FaultRule{Operations: []string{"credentials.getToken"}, Kind: tenant.Fault503, Probability: 1, Times: 1})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-admin"}, "client_secret": {"demo-admin-secret"}}
	r := h.do(http.MethodPost, genesysToken, form)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "service.unavailable", r.object(t)["code"])
}

func TestFaultSeedRepeatsARun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	run := func() string {
		var b strings.Builder
		for range 40 {
			r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...)
			fmt.Fprintf(&b, "%d ", r.status)
		}
		return b.String()
	}
	plan := func(seed int64) tenant.Faults {
		return tenant.Faults{Seed: seed, Rules: []tenant.FaultRule{
			{Kind: tenant.Fault503, Probability: 0.2},
			{Kind: tenant.Fault500, Probability: 0.1},
		}}
	}
	tn := h.srv.DefaultTenant()
	require.NoError(t, tn.SetFaults(plan(7)))
	first := run()
	assert.Contains(t, first, "503")
	assert.Contains(t, first, "500")
	assert.Contains(t, first, "200")
	require.NoError(t, tn.SetFaults(plan(7)))
	assert.Equal(t, first, run(), "the same seed repeats the run")
	require.NoError(t, tn.SetFaults(plan(8)))
	assert.NotEqual(t, first, run(), "another seed, another run")
}

func TestFaultLatencyDelaysAndHonoursCancellation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setFaults(tenant.FaultRule{Operations: []string{"getSessionInfo"}, Kind: tenant.FaultLatency, Probability: 1, Latency: 100 * time.Millisecond})
	start := time.Now()
	r := h.do(http.MethodGet, "/V2.0/services/authentication/getSessionInfo", nil, apiKey("demo-key-service")...)
	assert.Equal(t, http.StatusOK, r.status)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.Equal(t, "latency", h.lastAudit("getSessionInfo").Fault)

	h.setFaults(tenant.FaultRule{Operations: []string{"getSessionInfo"}, Kind: tenant.FaultLatency, Probability: 1, Latency: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url+"/V2.0/services/authentication/getSessionInfo", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "ApiKey demo-key-service")
	_, err = h.http.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The server gives up on the request too (and records it).
	require.Eventually(t, func() bool {
		e := h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "getSessionInfo", Limit: 1})
		return len(e) == 1 && e[0].Outcome == wire.OutcomeDeny
	}, 10*time.Second, 10*time.Millisecond)
}

func TestFaultDropAndTruncate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	count := func() int {
		return len(h.query(t, map[string]any{"typeName": "Project"}, svc...).Entities)
	}
	before := count()

	// A dropped connection before the handler: nothing happened.
	h.setFaults(tenant.FaultRule{Operations: []string{"createObject"}, Kind: tenant.FaultDrop, Probability: 1, Times: 1})
	_, err := h.try(http.MethodPut, createProject, map[string]any{"Name": "Dropped"}, svc...)
	require.Error(t, err)
	assert.Equal(t, before, count())
	e := h.lastAudit("createObject")
	assert.Equal(t, "drop", e.Fault)
	assert.False(t, e.Write)

	// Dropped after the write: the object exists, the client never heard.
	h.setFaults(tenant.FaultRule{Operations: []string{"createObject"}, Kind: tenant.FaultDrop, Probability: 1, AfterWrite: true, Times: 1})
	_, err = h.try(http.MethodPut, createProject, map[string]any{"Name": "Dropped after"}, svc...)
	require.Error(t, err)
	assert.Equal(t, before+1, count())
	assert.True(t, h.lastAudit("createObject").Write)

	// Truncated: the full Content-Length is advertised, half the body sent.
	h.setFaults(tenant.FaultRule{Operations: []string{"entityQuery"}, Kind: tenant.FaultTruncate, Probability: 1, Times: 1})
	req, err := http.NewRequest(http.MethodPost, h.url+entityQuery, strings.NewReader(`{"typeName":"Project"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "ApiKey demo-key-service")
	resp, err := http.DefaultClient.Do(req) // a raw client: the validating one reads the body itself
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	n, _ := strconv.Atoi(resp.Header.Get("Content-Length"))
	assert.Positive(t, n)
	var got []byte
	buf := make([]byte, 512)
	for {
		k, rerr := resp.Body.Read(buf)
		got = append(got, buf[:k]...)
		if rerr != nil {
			assert.ErrorContains(t, rerr, "unexpected EOF")
			break
		}
	}
	assert.Equal(t, n/2, len(got))
	assert.Equal(t, "truncate", h.lastAudit("entityQuery").Fault)
	assert.Equal(t, http.StatusOK, h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, svc...).status)
}

func TestIdempotencyKeyDeduplicatesWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	count := func() int {
		return len(h.query(t, map[string]any{"typeName": "Project"}, svc...).Entities)
	}
	before := count()
	body := map[string]any{"Name": "Once only", "State": "Draft"}

	// The first attempt is performed and its answer lost (500 after the write).
	h.setFaults(tenant.FaultRule{Operations: []string{"createObject"}, Kind: tenant.Fault500, Probability: 1, AfterWrite: true, Times: 1})
	key := hdrs(svc, []string{"Idempotency-Key", "create-once-1"})
	r := h.do(http.MethodPut, createProject, body, key...)
	require.Equal(t, http.StatusInternalServerError, r.status)
	assert.Equal(t, "InternalError", r.object(t)["errorCode"])
	assert.Equal(t, wire.StepFault, r.decision.Step)
	assert.Equal(t, wire.OutcomeAllow, r.decision.Outcome, "the request was allowed and performed")
	assert.Contains(t, r.decision.Reason, "after the request was performed")
	e := h.lastAudit("createObject")
	assert.True(t, e.Write)
	assert.Equal(t, "500", e.Fault)
	assert.Equal(t, before+1, count())

	// The repeat with the same key gets the first answer, and nothing is created.
	r = h.do(http.MethodPut, createProject, body, key...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	id := r.object(t)["id"]
	assert.Equal(t, fmt.Sprintf("/Project/%d", 13), id)
	e = h.lastAudit("createObject")
	assert.True(t, e.Replayed)
	assert.False(t, e.Write)
	assert.Equal(t, before+1, count())

	// The same key for a different request is refused; another caller's key space is its own.
	r = h.do(http.MethodPut, createProject, map[string]any{"Name": "Something else"}, key...)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.object(t)["message"], `"create-once-1" was already used for a different request`)
	r = h.do(http.MethodPut, createProject, body, hdrs(apiKey("demo-key-bob"), []string{"Idempotency-Key", "create-once-1"})...)
	assert.Equal(t, http.StatusForbidden, r.status, "Bob may not create; the key does not answer for him")

	// Without a key, a repeat is a second write.
	h.setFaults(tenant.FaultRule{Operations: []string{"createObject"}, Kind: tenant.Fault500, Probability: 1, AfterWrite: true, Times: 1})
	require.Equal(t, http.StatusInternalServerError, h.do(http.MethodPut, createProject, body, svc...).status)
	require.Equal(t, http.StatusOK, h.do(http.MethodPut, createProject, body, svc...).status)
	assert.Equal(t, before+3, count())

	// Concurrent repeats of one key are performed once.
	h.setFaults()
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			r, err := h.try(http.MethodPut, createProject, body, hdrs(svc, []string{"Idempotency-Key", "concurrent"})...)
			if err == nil && r.status == http.StatusOK {
				ids[i] = fmt.Sprint(r.object(t)["id"])
			}
		})
	}
	wg.Wait()
	for _, got := range ids {
		assert.Equal(t, ids[0], got)
	}
	assert.Equal(t, before+4, count())

	// A reset forgets the keys.
	h.srv.DefaultTenant().Reset()
	r = h.do(http.MethodPut, createProject, body, key...)
	require.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.header.Get("Idempotent-Replayed"))
}

func TestAdminFaultsRateLimitAndExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	admin, err := adminapi.NewClientWithResponses(h.url, adminapi.WithHTTPClient(h.http))
	require.NoError(t, err)

	got, err := admin.GetFaultsWithResponse(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Empty(t, got.JSON200.Rules)

	seed := int64(9)
	set, err := admin.SetFaultsWithResponse(ctx, "default", adminapi.Faults{Seed: &seed, Rules: []adminapi.FaultRule{
		{Operations: &[]string{"listCredentials"}, Kind: "503", Probability: 1, RetryAfter: ptr("3s"), Times: ptr(1)},
	}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, set.StatusCode(), "%s", set.Body)
	assert.Equal(t, "3s", *set.JSON200.Rules[0].RetryAfter)
	tok := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	r := h.do(http.MethodGet, credentials, nil, bearer(tok)...)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "3", r.header.Get("Retry-After"))

	bad, err := admin.SetFaultsWithResponse(ctx, "default", adminapi.Faults{Rules: []adminapi.FaultRule{{Kind: "latency", Probability: 1}}})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, bad.StatusCode())
	assert.Contains(t, bad.JSON400.Message, "rules[0].latency: a latency fault needs a positive latency")
	typo, err := admin.SetFaultsWithResponse(ctx, "default", adminapi.Faults{Rules: []adminapi.FaultRule{{Kind: "500", Probability: 1, Operations: &[]string{"entityquery"}}}})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, typo.StatusCode())
	assert.Contains(t, typo.JSON400.Message, `rules[0].operations[0]: "entityquery" matches no operation (names are case-sensitive: did you mean entityQuery?)`)
	plan, err := admin.GetFaultsWithResponse(ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, int64(9), *plan.JSON200.Seed, "the refused plan did not replace the one in force")

	// Rate limit through the settings.
	patched, err := admin.UpdateSettingsWithResponse(ctx, "default", adminapi.SettingsPatch{RateLimit: &adminapi.RateLimit{Requests: 1, Window: ptr("10s")}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, patched.StatusCode(), "%s", patched.Body)
	assert.Equal(t, adminapi.RateLimit{Requests: 1, Window: ptr("10s")}, patched.JSON200.RateLimit)
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, credentials, nil, bearer(tok)...).status)
	r = h.do(http.MethodGet, credentials, nil, bearer(tok)...)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "10", r.header.Get("Retry-After"))
	patched, err = admin.UpdateSettingsWithResponse(ctx, "default", adminapi.SettingsPatch{RateLimit: &adminapi.RateLimit{Requests: 0}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, patched.StatusCode())

	// Expiry on demand: the token is answered 401 credentials.expired.
	exp, err := admin.ExpireCredentialsWithResponse(ctx, "default", adminapi.ExpireRequest{ClientId: ptr("demo-integrator")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, exp.StatusCode(), "%s", exp.Body)
	assert.Equal(t, adminapi.ExpireResult{Tokens: 1, Sessions: 0}, *exp.JSON200)
	r = h.do(http.MethodGet, credentials, nil, bearer(tok)...)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "credentials.expired", r.object(t)["code"])

	exp, err = admin.ExpireCredentialsWithResponse(ctx, "default", adminapi.ExpireRequest{ClientId: ptr("nobody")})
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, exp.StatusCode())
	exp, err = admin.ExpireCredentialsWithBodyWithResponse(ctx, "default", "application/json", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, exp.StatusCode(), "%s", exp.Body)
}

func ptr[T any](v T) *T { return &v }
