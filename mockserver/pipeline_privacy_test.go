package mockserver_test

// What the pipeline's answers must not reveal, and what enforcement: audit
// may relax: a hidden row reads as a missing one, an unknown AS-USER id as
// one without a proxy assignment, and a refused proxy never widens a view.

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// correlationRE matches the per-request ids of error bodies.
var correlationRE = regexp.MustCompile(`"(traceId|referenceId|contextId)":"[^"]*"`)

// wireView is what a caller can read off a response: status, body and
// every header but the per-request ones, with the per-request ids blanked and the given
// strings replaced by "X".
func wireView(r *response, replace ...string) string {
	var b strings.Builder
	b.WriteString(http.StatusText(r.status) + "\n")
	for _, k := range slices.Sorted(maps.Keys(r.header)) {
		v := r.header[k]
		switch k {
		case "Date", "Inin-Correlation-Id", "Inin-Ratelimit-Count", "Inin-Ratelimit-Reset":
			continue // per request, or per credential and time
		}
		b.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	b.WriteString(correlationRE.ReplaceAllString(string(r.body), `"$1":""`))
	s := b.String()
	for _, old := range replace {
		s = strings.ReplaceAll(s, old, "X")
	}
	return s
}

// An AS-USER id that names no user gets exactly the refusal of an existing
// user without a proxy assignment: same status, body and decision, with or
// without X-Tenantkit-Explain. The audit log tells them apart.
func TestUnknownAsUserReadsAsNoProxyAssignment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data"))
	for _, explain := range []bool{false, true} {
		headers := func(asUser string) []string {
			hs := hdrs(tok, []string{"AS-USER", asUser})
			if explain {
				hs = append(hs, wire.ExplainHeader, "1")
			}
			return hs
		}
		unknown := h.do(http.MethodGet, rowsPath+"Deals", nil, headers("4242")...)
		existing := h.do(http.MethodGet, rowsPath+"Deals", nil, headers("1001")...)
		require.Equal(t, http.StatusUnauthorized, existing.status, "%s", existing.body)
		assert.Equal(t, wireView(existing, "1001"), wireView(unknown, "4242"), "explain=%v", explain)
		assert.Equal(t, wire.StepProxy, unknown.decision.Step)
		assert.EqualValues(t, 4242, unknown.decision.Principal)
		assert.EqualValues(t, 2001, unknown.decision.EffectiveUser, "a refused proxy leaves the caller effective")
	}

	// The credentials and data APIs do not declare AS-USER: neither id has
	// any effect there (TestAsUserIgnoredWhereNotDeclared), so neither can
	// tell users apart.
	gen := bearer(h.token(genesysToken, "demo-integrator", "demo-integrator-secret", ""))
	for _, c := range []struct {
		method, path string
		body         any
		cred         []string
	}{{http.MethodGet, credentials + "/types", nil, gen}, {http.MethodPost, entityQuery, `{"typeName":"Project"}`, apiKey("demo-key-service")}} {
		unknown := h.do(c.method, c.path, c.body, hdrs(c.cred, []string{"AS-USER", "4242"})...)
		existing := h.do(c.method, c.path, c.body, hdrs(c.cred, []string{"AS-USER", "1001"})...)
		assert.Equal(t, http.StatusOK, unknown.status, "%s", c.path)
		assert.Equal(t, wireView(existing), wireView(unknown), "%s", c.path)
	}

	// A value that is not a user id at all is still malformed.
	r := h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(tok, []string{"AS-USER", "carol"})...)
	assert.Equal(t, http.StatusBadRequest, r.status)

	// The audit log keeps the detail.
	var reasons []string
	for _, e := range h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "getRows"}) {
		if e.Step == wire.StepProxy {
			reasons = append(reasons, e.Reason)
		}
	}
	assert.Contains(t, strings.Join(reasons, "\n"), "4242 is not a user of this tenant")
}

// Under enforcement: audit a refused AS-USER is recorded as audit-deny and
// the request goes on with the caller's own rights and rows: Bob acting as
// Alice (no proxy assignment) reads Bob's deals, not Alice's.
func TestAuditModeKeepsTheCallersViewWhenTheProxyFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, err := h.srv.DefaultTenant().UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	require.NoError(t, err)

	bob := bearer(h.token(dealcloudToken, "demo-readonly", "demo-readonly-secret", "data"))
	own := h.do(http.MethodGet, rowsPath+"Deals", nil, bob...)
	require.Equal(t, http.StatusOK, own.status, "%s", own.body)
	for _, asUser := range []string{"1001", "4242"} {
		r := h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(bob, []string{"AS-USER", asUser})...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.JSONEq(t, string(own.body), string(r.body), "AS-USER %s must not widen Bob's view", asUser)
		assert.Equal(t, wire.OutcomeAuditDeny, r.decision.Outcome)
		assert.Equal(t, wire.StepProxy, r.decision.Step)
		assert.EqualValues(t, 1002, r.decision.EffectiveUser)
	}
	var p struct {
		TotalRecords int `json:"totalRecords"`
	}
	own.json(t, &p)
	assert.Equal(t, 3, p.TotalRecords, "Bob sees the three Sales deals")

	// The data API too: Bob's key acting as Alice reads Bob's projects.
	ownProjects := h.do(http.MethodPost, entityQuery, `{"typeName":"Project"}`, apiKey("demo-key-bob")...)
	r := h.do(http.MethodPost, entityQuery, `{"typeName":"Project"}`, hdrs(apiKey("demo-key-bob"), []string{"AS-USER", "1001"})...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, string(ownProjects.body), string(r.body))

	entries := h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "getRows"})
	last := entries[len(entries)-1]
	assert.Equal(t, wire.OutcomeAuditDeny, last.Outcome)
	assert.EqualValues(t, 1002, last.EffectiveUser)
	assert.EqualValues(t, 4242, last.Principal)

	// A malformed AS-USER and a missing credential are refused even so.
	assert.Equal(t, http.StatusBadRequest, h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(bob, []string{"AS-USER", "x"})...).status)
	assert.Equal(t, http.StatusUnauthorized, h.do(http.MethodGet, rowsPath+"Deals", nil, "AS-USER", "1001").status)
}

// A row the effective user may not see and a row that does not exist read
// the same on the wire, for reads and updates: same status, body
// and headers, the decision included (deny at the row step, row_not_found).
// Only X-Tenantkit-Explain, the audit log and the admin API tell which.
func TestHiddenRowReadsAsMissingRow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key := apiKey("demo-key-service")
	const hidden, missing = "/Project/10", "/Project/77" // Project 10 is Executive: Admin only
	calls := []struct {
		method string
		body   any
	}{{http.MethodGet, nil}, {http.MethodPost, `{"State":"Cancelled"}`}}
	for _, c := range calls {
		hr := h.do(c.method, "/V2.0/services/data/objects"+hidden, c.body, key...)
		mr := h.do(c.method, "/V2.0/services/data/objects"+missing, c.body, key...)
		require.Equal(t, http.StatusNotFound, hr.status, "%s %s", c.method, hr.body)
		assert.Equal(t, wireView(mr, missing), wireView(hr, hidden), c.method)
		assert.Equal(t, wire.OutcomeDeny, hr.decision.Outcome)
		assert.Equal(t, wire.StepRow, hr.decision.Step)
		assert.Equal(t, wire.CodeRowNotFound, hr.decision.Code)
		assert.NotContains(t, hr.header.Get(wire.DecisionHeader), "share ")
	}

	// Asked to explain, the mock says which.
	explain := hdrs(key, []string{wire.ExplainHeader, "1"})
	hr := h.do(http.MethodGet, "/V2.0/services/data/objects"+hidden, nil, explain...)
	assert.Equal(t, wire.CodeRowHidden, hr.decision.Code)
	assert.Contains(t, hr.decision.Fix, "share /Project/10 with user 2001")
	mr := h.do(http.MethodGet, "/V2.0/services/data/objects"+missing, nil, explain...)
	assert.Equal(t, wire.CodeRowNotFound, mr.decision.Code)
	assert.Contains(t, mr.decision.Reason, "/Project/77 does not exist")
	assert.Equal(t, hr.body[:len(`{"errorCode":"EntityNotFound"`)], mr.body[:len(`{"errorCode":"EntityNotFound"`)])

	// The admin API's audit log keeps the detail.
	r := h.do(http.MethodGet, "/_mock/tenants/default/audit?operation=getObject", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var audit struct {
		Entries []tenant.AuditEntry `json:"entries"`
	}
	r.json(t, &audit)
	byTarget := map[string]tenant.AuditEntry{}
	for _, e := range audit.Entries {
		byTarget[e.Target] = e
	}
	assert.Equal(t, wire.CodeRowHidden, byTarget[hidden].Code)
	assert.Equal(t, wire.OutcomeDeny, byTarget[hidden].Outcome)
	assert.Equal(t, wire.OutcomeAllow, byTarget[missing].Outcome, "a missing row is no denial")
	assert.Empty(t, byTarget[missing].Code)
}

// demoWithReadonlyUserManagement is the demo tenant whose demo-readonly
// client (Bob, role Viewer) may also be issued user_management tokens.
func demoWithReadonlyUserManagement() *tenant.Fixture {
	f := tenant.Demo()
	for i, c := range f.OAuthClients {
		if c.ClientID == "demo-readonly" {
			f.OAuthClients[i].Scopes = append(f.OAuthClients[i].Scopes, "user_management")
		}
	}
	return f
}

// Reading proxy assignments needs the permission the spec declares
// (user_management:proxy:view), not just a user_management token: Bob's
// Viewer role lacks it, the integrator's role and Admin hold it, and a
// Caller acting AS-USER Bob is refused like Bob.
func TestReadingProxyAssignmentsNeedsThePermission(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mockserver.WithFixture(demoWithReadonlyUserManagement()))
	bob := bearer(h.token(dealcloudToken, "demo-readonly", "demo-readonly-secret", "user_management"))
	r := h.do(http.MethodGet, proxyPath, nil, bob...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, "missing_permissions", r.object(t)["errorCode"])
	assert.NotContains(t, string(r.body), "2001", "no assignment leaks")
	assert.Equal(t, wire.StepPermission, r.decision.Step)
	assert.Equal(t, []string{"user_management:proxy:view"}, r.decision.Missing)

	integ := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "user_management"))
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, proxyPath, nil, integ...).status)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "user_management"))
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, proxyPath, nil, admin...).status)

	r = h.do(http.MethodGet, proxyPath, nil, hdrs(integ, []string{"AS-USER", "1002"})...)
	assert.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, []string{"user_management:proxy:view"}, r.decision.Missing)
	assert.EqualValues(t, 1002, r.decision.EffectiveUser)
}
