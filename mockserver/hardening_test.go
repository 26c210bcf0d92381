package mockserver_test

// Client mistakes and hostile input: every answer is a clear 4xx in the
// API's shape, never a 500, a leaked secret or a bypassed step.

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The object step checks exactly the typeName key the handler reads: a
// second key that differs only in case cannot smuggle another type past it.
func TestCaseVariantTypeNameCannotBypassObjectAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 20 {
		r := h.do(http.MethodPost, entityQuery, `{"typeName":"Task","typename":"Project"}`, apiKey("demo-key-bob")...)
		require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
		assert.Equal(t, wire.StepObject, r.decision.Step)
	}
}

// Page numbers and offsets far beyond the data give an empty page, never a
// panic and never the first page again.
func TestHugePagePositionsGiveEmptyPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(genesysToken, "demo-admin", "demo-admin-secret", "")
	r := h.do(http.MethodGet, credentials+"?pageSize=3&pageNumber=4611686018427387904", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Empty(t, r.object(t)["entities"])

	tok = h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "") // each API accepts only its own tokens
	r = h.do(http.MethodGet, proxyPath+"?pageSize=3&pageNumber=4611686018427387904", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `[]`, string(r.body))

	r = h.do(http.MethodPost, rowsPath+"query/Deals", `{"skip":10000000000000000000}`, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Empty(t, r.object(t)["rows"])

	r = h.do(http.MethodPost, entityQuery, `{"typeName":"Project","paging":{"from":1e19}}`, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p page
	r.json(t, &p)
	assert.Empty(t, p.Entities)
	assert.False(t, p.Paging.HasMore)
}

// An Authorization header without a scheme, or with a tab after it, is
// never echoed: it may be the secret itself. A tab is whitespace like a
// space.
func TestAuthorizationValueIsNeverEchoed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(genesysToken, "demo-admin", "demo-admin-secret", "")
	r := h.do(http.MethodGet, credentials+"/types", nil, "Authorization", tok)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, wire.CodeMalformedCredential, r.decision.Code)
	assert.NotContains(t, string(r.body), tok)
	assert.NotContains(t, r.header.Get(wire.DecisionHeader), tok)
	for _, e := range h.srv.DefaultTenant().Audit(tenant.AuditFilter{}) {
		assert.NotContains(t, e.Reason, tok)
	}
	assert.Contains(t, string(r.body), "without a recognised scheme")

	r = h.do(http.MethodGet, credentials+"/types", nil, "Authorization", "Bearer\t"+tok)
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// A token request for a client the tenant does not know names no caller:
// an unknown id may be a mistyped secret, and it gets no usage record.
func TestUnknownClientIDIsNotRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, id := range []string{"nobody", "demo-admin-secret"} {
		r := h.do(http.MethodPost, genesysToken, "grant_type=client_credentials&client_id="+id+"&client_secret=x",
			"Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	for _, e := range h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "getToken"}) {
		assert.Nil(t, e.Caller)
		assert.Empty(t, e.Target)
	}
	r, err := h.srv.LeastPrivilege("default")
	require.NoError(t, err)
	for _, c := range r.Credentials {
		assert.NotContains(t, []string{"nobody", "demo-admin-secret"}, c.ID)
	}
}

// A body over the limit is a 413 (Content Too Large) in the API's shape
// and a refusal, also when the client asks for an explanation, whether the
// client declared its length or streamed it.
func TestOversizedBodyIsARefusal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mockserver.WithMaxBodyBytes(1024))
	body := `{"Name":"` + strings.Repeat("x", 2048) + `"}`
	for _, explain := range []string{"", "1"} {
		r := h.do(http.MethodPut, createProject, body, hdrs(apiKey("demo-key-service"), []string{wire.ExplainHeader, explain})...)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "%s", r.body)
		assert.Equal(t, wire.OutcomeDeny, r.decision.Outcome)
		assert.Equal(t, "InvalidArgument", r.object(t)["errorCode"])
		assert.Contains(t, string(r.body), "larger than the limit of 1024 bytes")
	}
	// Streamed (chunked, no Content-Length): the limit stops the read.
	req, err := http.NewRequest(http.MethodPut, h.url+createProject, io.MultiReader(strings.NewReader(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "ApiKey demo-key-service")
	resp, err := h.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
}

// An after-write fault only replaces an answer whose request took effect:
// a refusal reaches the client as it is, with its own step.
func TestAfterWriteFaultKeepsRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setFaults(tenant.FaultRule{Operations: []string{"deleteObject"}, Kind: tenant.Fault500, Probability: 1, AfterWrite: true})
	r := h.do(http.MethodDelete, createProject+"/1", nil, apiKey("demo-key-bob")...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, wire.StepPermission, r.decision.Step)
	assert.Equal(t, wire.StepPermission, h.lastAudit("deleteObject").Step)
}

// An assignment with no principals is stored as none and answered with an
// empty list, as the spec says (never null).
func TestEmptyProxyAssignment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "user_management")
	r := h.do(http.MethodPost, proxyPath, `{"proxyUserId":2001,"users":[]}`, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `{"proxyUser":{"id":2001,"email":"api-service@demo.tenantkit.dev","fullName":"API Service Account"},"users":[]}`, string(r.body))
	r = h.do(http.MethodPost, proxyPath, `{"proxyUserId":1e300,"users":[6045]}`, bearer(tok)...)
	assert.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
}

// A method the path does not take is a 405 naming the methods it does, on
// templated paths too (the data API creates with PUT, not POST).
func TestWrongMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct{ method, path, allow string }{
		{http.MethodPost, createProject, "PUT"},
		{http.MethodPatch, credentials + "/x", "GET, PUT, DELETE"},
		{http.MethodPut, entityQuery, "GET, POST"},
		{http.MethodPut, "/_mock/tenants/default/settings", "GET, PATCH"},
		// Literal paths win over templated ones: these are not
		// {credentialId} operations.
		{http.MethodPut, credentials + "/types", "GET"},
		{http.MethodDelete, credentials + "/types", "GET"},
		{http.MethodPut, credentials + "/listing", "GET"},
		{http.MethodDelete, credentials + "/listing", "GET"},
		{http.MethodPost, credentials + "/listing", "GET"},
	}
	for round := range 2 {
		for _, tc := range cases {
			r := h.do(tc.method, tc.path, nil, apiKey("demo-key-service")...)
			assert.Equal(t, http.StatusMethodNotAllowed, r.status, "%s %s: %s", tc.method, tc.path, r.body)
			assert.Equal(t, tc.allow, r.header.Get("Allow"), "%s %s", tc.method, tc.path)
		}
		if round == 0 { // literal paths that matched are remembered; the wrong methods stay 405
			for _, p := range []string{credentials + "/types", credentials + "/listing"} {
				r := h.do(http.MethodGet, p, nil, apiKey("demo-key-service")...)
				assert.NotEqual(t, http.StatusMethodNotAllowed, r.status, "GET %s", p)
			}
		}
	}
}

// A dotted path reads fields of the referenced entity, so it needs API
// access to that entity's type too; the reference itself does not, and
// without that access it is written as {id} alone.
func TestDottedPathsNeedAccessToTheReferencedType(t *testing.T) {
	t.Parallel()
	f, err := tenant.Parse("tasks.yaml", []byte(`
roles:
  - {name: TaskReader, entityTypes: [Task]}
users:
  - {id: 1, name: One, email: one@x, roles: [TaskReader]}
apiKeys:
  - {name: one, key: one-key, user: 1}
entityTypes:
  - name: Project
    fields: {Name: string, Budget: number}
  - name: Task
    fields: {Name: string, Project: ref:Project}
entities:
  - {type: Project, id: 1, owner: 1, fields: {Name: Secret plan, Budget: 1000000}}
  - {type: Task, id: 1, owner: 1, fields: {Name: Write it, Project: {ref: /Project/1}}}
`))
	require.NoError(t, err)
	h := newHarness(t, mockserver.WithFixture(f))
	r := h.do(http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Name","Project.Budget"]}`, apiKey("one-key")...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, wire.StepObject, r.decision.Step)
	assert.Equal(t, []string{"Project"}, r.decision.Missing)
	assert.NotContains(t, string(r.body), "1000000")

	// The reference itself is allowed, but only as its id: its Name is a
	// field of a type the user may not read.
	r = h.do(http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Name","Project"]}`, apiKey("one-key")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), `"Project":{"id":"/Project/1"}`)
	assert.NotContains(t, string(r.body), "Secret plan")

	// Under enforcement: audit the dotted path is served and recorded as
	// the object step it would have failed, in the header and the audit log.
	_, err = h.srv.DefaultTenant().UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	require.NoError(t, err)
	r = h.do(http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Name","Project.Budget"]}`, apiKey("one-key")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, wire.OutcomeAuditDeny, r.decision.Outcome)
	assert.Equal(t, wire.StepObject, r.decision.Step)
	assert.Equal(t, []string{"Project"}, r.decision.Missing)
	log := h.srv.DefaultTenant().Audit(tenant.AuditFilter{})
	last := log[len(log)-1]
	assert.Equal(t, wire.OutcomeAuditDeny, last.Outcome)
	assert.Equal(t, wire.StepObject, last.Step)
}
