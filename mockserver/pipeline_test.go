package mockserver_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const firstCredential = "5f1c3a2e-8b4d-4c1e-9a7f-1d2e3f4a5b01"

func TestScopeDenied(t *testing.T) {
	h := newHarness(t)
	tok := h.token(dealcloudToken, "demo-reporting", "demo-reporting-secret", "")
	r := h.do(http.MethodGet, proxyPath, nil, bearer(tok)...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	m := r.object(t)
	assert.Equal(t, "missing_scopes", m["errorCode"])
	assert.Equal(t, "Missing required oauth scopes: user_management", m["detail"])

	d := r.decision
	assert.Equal(t, "getProxyAssignments", d.Operation)
	assert.Equal(t, wire.OutcomeDeny, d.Outcome)
	assert.Equal(t, wire.StepScope, d.Step)
	assert.Equal(t, wire.CodeMissingScopes, d.Code)
	assert.Equal(t, []string{"user_management"}, d.Missing)
	assert.Equal(t, "grant scope user_management to client demo-reporting", d.Fix)
	require.NotNil(t, d.Caller)
	assert.Equal(t, wire.Caller{Kind: "oauth_client", ID: "demo-reporting", User: 2001}, *d.Caller)
}

func TestScopeAlternatives(t *testing.T) {
	h := newHarness(t)
	ro := h.token(genesysToken, "demo-readonly", "demo-readonly-secret", "")
	// Reads accept integrations:readonly or integrations.
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, credentials, nil, bearer(ro)...).status)
	// Writes need integrations: the closest alternative names it.
	r := h.do(http.MethodDelete, credentials+"/"+firstCredential, nil, bearer(ro)...)
	require.Equal(t, http.StatusForbidden, r.status)
	m := r.object(t)
	assert.Equal(t, "missing.scopes", m["code"])
	assert.Equal(t, "Missing required oauth scopes: integrations", m["message"])
	assert.Equal(t, []string{"integrations"}, r.decision.Missing)

	// A token narrowed to data holds neither read scope: the first
	// alternative is named.
	data := h.token(genesysToken, "demo-readonly", "demo-readonly-secret", "data")
	r = h.do(http.MethodGet, credentials, nil, bearer(data)...)
	require.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, []string{"integrations:readonly"}, r.decision.Missing)
}

func TestPermissionDenied(t *testing.T) {
	h := newHarness(t)
	tok := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	r := h.do(http.MethodDelete, credentials+"/"+firstCredential, nil, bearer(tok)...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	m := r.object(t)
	assert.Equal(t, "missing.any.permissions", m["code"])
	assert.EqualValues(t, 403, m["status"])
	assert.Contains(t, m["message"], "[integrations:integration:delete]")
	assert.Equal(t, map[string]any{"permissions": "integrations:integration:delete"}, m["messageParams"])
	assert.Equal(t, r.header.Get("ININ-Correlation-Id"), m["contextId"])

	d := r.decision
	assert.Equal(t, wire.StepPermission, d.Step)
	assert.Equal(t, wire.CodeMissingPermissions, d.Code)
	assert.Equal(t, []string{"integrations:integration:delete"}, d.Missing)
	assert.Equal(t, "give user 2001 a role with integrations:integration:delete", d.Fix)
	assert.EqualValues(t, 2001, d.EffectiveUser)

	// The credential is still there.
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, credentials+"/"+firstCredential, nil, bearer(tok)...).status)
}

func TestProxyDenied(t *testing.T) {
	h := newHarness(t)
	tok := h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data")
	r := h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(bearer(tok), []string{"AS-USER", "1001"})...)
	require.Equal(t, http.StatusUnauthorized, r.status, "the vendor answers an unauthorised proxy 401: %s", r.body)
	assert.Equal(t, "proxy_not_allowed", r.object(t)["errorCode"])
	d := r.decision
	assert.Equal(t, wire.StepProxy, d.Step)
	assert.Equal(t, wire.CodeProxyNotAllowed, d.Code)
	assert.EqualValues(t, 1001, d.Principal)
	assert.Contains(t, d.Fix, "proxyUserId: 2001, users: [1001, and the proxy user's current principals")

	for _, v := range []string{"abc", "-4"} {
		r := h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(bearer(tok), []string{"AS-USER", v})...)
		assert.Equal(t, http.StatusBadRequest, r.status, "AS-USER %s: %s", v, r.body)
	}
	// An id that names no user is refused like one without an assignment.
	r = h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(bearer(tok), []string{"AS-USER", "999999"})...)
	assert.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
	assert.Equal(t, "proxy_not_allowed", r.object(t)["errorCode"])
}

// AS-USER applies only where an operation's spec declares it (the
// relationship API's proxy and row operations). The data and credentials
// APIs ignore the header, as the vendors do: no proxy step, the caller's
// own user is effective, and the answer, decision, audit principal and
// usage are those of the same request without it. Before, both APIs
// switched the effective user (or refused the proxy) on AS-USER.
func TestAsUserIgnoredWhereNotDeclared(t *testing.T) {
	h := newHarness(t)
	gen := bearer(h.token(genesysToken, "demo-integrator", "demo-integrator-secret", ""))
	cases := []struct {
		name, method, path string
		body               any
		cred               []string
		user               int64
	}{
		// Service (2001) may act as Carol (6045); without the header it
		// sees other Deals than Carol does.
		{"data, a proxy the caller holds", http.MethodPost, entityQuery, map[string]any{"typeName": "Deals"}, apiKey("demo-key-service"), 2001},
		// Bob holds no proxy assignment: not refused.
		{"data, a proxy the caller lacks", http.MethodPost, entityQuery, map[string]any{"typeName": "Deals"}, apiKey("demo-key-bob"), 1002},
		{"credentials", http.MethodGet, credentials + "/types", nil, gen, 2001},
	}
	for _, c := range cases {
		plain := h.do(c.method, c.path, c.body, c.cred...)
		require.Equal(t, http.StatusOK, plain.status, "%s: %s", c.name, plain.body)
		for _, v := range []string{"6045", "1001", "999999", "carol"} {
			r := h.do(c.method, c.path, c.body, hdrs(c.cred, []string{"AS-USER", v})...)
			require.Equal(t, http.StatusOK, r.status, "%s, AS-USER %s: %s", c.name, v, r.body)
			assert.JSONEq(t, string(plain.body), string(r.body), "%s, AS-USER %s", c.name, v)
			assert.Equal(t, wire.OutcomeAllow, r.decision.Outcome)
			assert.EqualValues(t, c.user, r.decision.EffectiveUser, "%s, AS-USER %s", c.name, v)
			assert.Zero(t, r.decision.Principal, "%s, AS-USER %s", c.name, v)
		}
	}
	for _, e := range h.srv.DefaultTenant().Audit(tenant.AuditFilter{}) {
		if e.Operation == "entityQuery" || e.Operation == "listCredentialTypes" {
			assert.Zero(t, e.Principal, "%s: no principal in the audit log", e.Operation)
			assert.Equal(t, wire.OutcomeAllow, e.Outcome, "%s", e.Operation)
		}
	}
	rep, err := h.srv.LeastPrivilege(h.srv.DefaultTenant().ID())
	require.NoError(t, err)
	for _, id := range []struct{ kind, id string }{{"api_key", "service"}, {"api_key", "bob"}, {"oauth_client", "demo-integrator"}} {
		c, ok := rep.Credential(id.kind, id.id)
		require.True(t, ok, "%s %s", id.kind, id.id)
		assert.Empty(t, c.Principals, "%s %s acted as nobody", id.kind, id.id)
		assert.Zero(t, c.Denied, "%s %s", id.kind, id.id)
	}
}

func TestObjectTypeDenied(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task"}, apiKey("demo-key-bob")...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	m := r.object(t)
	assert.Equal(t, "EntityTypeNotAccessible", m["errorCode"])
	assert.NotEmpty(t, m["referenceId"])
	d := r.decision
	assert.Equal(t, wire.StepObject, d.Step)
	assert.Equal(t, wire.CodeObjectNotAccessible, d.Code)
	assert.Equal(t, "Task", d.EntityType)
	assert.Equal(t, "give user 1002 a role whose entityTypes include Task", d.Fix)

	// The type is found wherever the spec says it is: CZQL FROM, query
	// parameter, path.
	r = h.do(http.MethodPost, "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FROM Task"}, apiKey("demo-key-bob")...)
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "Task", r.decision.EntityType)
	r = h.do(http.MethodGet, entityQuery+"?typeName=Task", nil, apiKey("demo-key-bob")...)
	assert.Equal(t, http.StatusForbidden, r.status)
	r = h.do(http.MethodGet, "/V2.0/services/data/objects/Task/1", nil, apiKey("demo-key-bob")...)
	assert.Equal(t, http.StatusForbidden, r.status)

	// Relationship API: entry_type_not_accessible.
	tok := h.token(dealcloudToken, "demo-readonly", "demo-readonly-secret", "")
	r = h.do(http.MethodGet, rowsPath+"Task", nil, bearer(tok)...)
	require.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "entry_type_not_accessible", r.object(t)["errorCode"])
}

func TestHiddenRowIsNotFound(t *testing.T) {
	h := newHarness(t)
	// Project 9 is Executive: visible to Admin only.
	r := h.do(http.MethodGet, "/V2.0/services/data/objects/Project/9", nil, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
	assert.Equal(t, "EntityNotFound", r.object(t)["errorCode"])
	assert.Equal(t, wire.StepRow, r.decision.Step)
	assert.Equal(t, wire.CodeRowNotFound, r.decision.Code, "the header does not say the row exists")

	// A missing row reads the same.
	r = h.do(http.MethodGet, "/V2.0/services/data/objects/Project/99", nil, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, wire.CodeRowNotFound, r.decision.Code)

	// X-Tenantkit-Explain tells them apart.
	r = h.do(http.MethodGet, "/V2.0/services/data/objects/Project/9", nil, hdrs(apiKey("demo-key-service"), []string{wire.ExplainHeader, "1"})...)
	require.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, wire.CodeRowHidden, r.decision.Code)

	// Project 5 is shared with the service account's group.
	r = h.do(http.MethodGet, "/V2.0/services/data/objects/Project/5?fields=Name,Owner", nil, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, map[string]any{"id": "/Project/5", "Name": "Data Lake Ingestion",
		"Owner": map[string]any{"id": "/User/1001", "Name": "Alice Admin"}}, r.object(t))

	// Writes to hidden rows are 404 too.
	r = h.do(http.MethodPost, "/V2.0/services/data/objects/Project/9", map[string]any{"State": "Cancelled"}, apiKey("demo-key-service")...)
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestExplainHeaderFillsReasonForAllowed(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.decision.Reason)
	r = h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, hdrs(apiKey("demo-key-service"), []string{wire.ExplainHeader, "1"})...)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.decision.Reason, "api key service (user 2001)")
	assert.Contains(t, r.decision.Reason, "rows are limited to those visible to user 2001")
}

func TestAuditModeAllowsAndRecords(t *testing.T) {
	h := newHarness(t)
	tn := h.srv.DefaultTenant()
	_, err := tn.UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	require.NoError(t, err)

	tok := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	r := h.do(http.MethodDelete, credentials+"/"+firstCredential, nil, bearer(tok)...)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	assert.Equal(t, wire.OutcomeAuditDeny, r.decision.Outcome)
	assert.Equal(t, wire.StepPermission, r.decision.Step)
	assert.Equal(t, []string{"integrations:integration:delete"}, r.decision.Missing)
	assert.Contains(t, r.decision.Reason, "enforcement: audit")

	entries := tn.Audit(tenant.AuditFilter{Operation: "deleteCredential"})
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, wire.OutcomeAuditDeny, e.Outcome)
	assert.Equal(t, firstCredential, e.Target)
	assert.True(t, e.Write)
	assert.EqualValues(t, 2001, e.EffectiveUser)
	assert.Equal(t, "demo-integrator", e.Caller.ID)

	// Object and proxy denials are allowed too ...
	r = h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task"}, apiKey("demo-key-bob")...)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, wire.OutcomeAuditDeny, r.decision.Outcome)
	// ... but authentication failures are always enforced.
	r = h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task"}, apiKey("demo-key-revoked")...)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, wire.OutcomeDeny, r.decision.Outcome)
}

func TestEveryDecisionIsAudited(t *testing.T) {
	h := newHarness(t)
	tn := h.srv.DefaultTenant()
	before := len(tn.Audit(tenant.AuditFilter{}))
	h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-bob")...)
	h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task"}, apiKey("demo-key-bob")...)
	h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task"}, apiKey("nope")...)
	entries := tn.Audit(tenant.AuditFilter{})
	require.Len(t, entries, before+3)
	got := []string{entries[before].Outcome, entries[before+1].Outcome, entries[before+2].Outcome}
	assert.Equal(t, []string{wire.OutcomeAllow, wire.OutcomeDeny, wire.OutcomeDeny}, got)
	assert.Equal(t, wire.StepObject, entries[before+1].Step)
	assert.Equal(t, "bob", entries[before+1].Caller.ID)
}

// The credentials API's error bodies are built in pooled values: refusals
// of different kinds written at once must each be the body that kind
// writes alone (no messageParams entry or detail of another request).
func TestCredentialsErrorBodiesStayTheirOwnUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	integrator := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	readonly := h.token(genesysToken, "demo-readonly", "demo-readonly-secret", "")
	type call struct {
		method, path string
		headers      []string
	}
	calls := []call{
		{http.MethodDelete, credentials + "/" + firstCredential, bearer(integrator)}, // permission
		{http.MethodDelete, credentials + "/" + firstCredential, bearer(readonly)},   // scope
		{http.MethodGet, credentials + "/no-such-credential", bearer(integrator)},    // not found
		{http.MethodGet, credentials + "?pageSize=abc", bearer(integrator)},          // a field
	}
	// withoutContext is a body with its per-request contextId removed.
	withoutContext := func(r *response) (map[string]any, error) {
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil {
			return nil, err
		}
		delete(m, "contextId")
		return m, nil
	}
	want := make([]map[string]any, len(calls))
	for i, c := range calls {
		r := h.do(c.method, c.path, nil, c.headers...)
		require.GreaterOrEqual(t, r.status, 400, "%s", r.body)
		m, err := withoutContext(r)
		require.NoError(t, err)
		want[i] = m
	}
	require.Contains(t, want[0], "messageParams")
	require.Contains(t, want[1], "messageParams")
	require.NotContains(t, want[2], "messageParams")
	require.NotEmpty(t, want[3]["details"])

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 50 {
				i := (g + n) % len(calls)
				c := calls[i]
				r, err := h.try(c.method, c.path, nil, c.headers...)
				if !assert.NoError(t, err) {
					return
				}
				got, err := withoutContext(r)
				if !assert.NoError(t, err) || !assert.Equal(t, want[i], got, "call %d", i) {
					return
				}
			}
		})
	}
	wg.Wait()
}
