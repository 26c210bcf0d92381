package mocktest_test

// bulk/execute end to end: the real SDK against the in-process mock. Each
// sub-request walks the request path a top-level request walks.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const bulkPath = "/V2.0/services/bulk/execute"

// withoutReferenceID is an error body without its per-request referenceId.
func withoutReferenceID(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "body: %s", body)
	require.NotEmpty(t, m["referenceId"], "body: %s", body)
	delete(m, "referenceId")
	return m
}

// usageOf is the usage of the API key of user, nil when it has none.
func usageOf(srv *mocktest.Server, user int64) *tenant.CredentialUsage {
	for _, u := range srv.Tenant().Usage() {
		if u.Caller.Kind == "api_key" && u.Caller.User == user {
			return &u
		}
	}
	return nil
}

// postBulk sends a raw bulk body with Bob's key.
func postBulk(t *testing.T, srv *mocktest.Server, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+bulkPath, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "ApiKey demo-key-bob")
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// Bob (Viewer: Project and Deals) sends a Project query, a Task query and
// a create: the Project query is answered, the Task query is refused at
// the object step with the very body a top-level Task query gets, the
// create at the permission step; each sub-request has its own audit entry
// and counts in the key's usage under its own operation.
func TestBulkJudgesEachSubRequestAsItsOwnOperation(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	ctx := t.Context()

	_, alone := bob.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Task"})
	var aloneErr *client.ObjectAccessError
	require.ErrorAs(t, alone, &aloneErr)

	res, err := bob.Data.Bulk(ctx, []client.BulkRequest{
		{Method: http.MethodPost, URL: "/data/entityQuery", Body: dataapi.EntityQueryRequest{TypeName: "Project", Fields: &[]string{"Name"}}},
		{Method: http.MethodPost, URL: "data/entityQuery", Body: dataapi.EntityQueryRequest{TypeName: "Task"}},
		{Method: http.MethodPut, URL: "/data/objects/Project", Body: map[string]any{"Name": "from bulk"}},
	})
	require.NoError(t, err)
	require.Len(t, res, 3)

	assert.Equal(t, http.StatusOK, res[0].StatusCode)
	var page dataapi.EntityQueryResult
	require.NoError(t, res[0].Decode(&page))
	assert.Len(t, page.Entities, 4, "Bob sees the 4 Sales projects, as alone")

	assert.Equal(t, http.StatusForbidden, res[1].StatusCode)
	assert.Equal(t, withoutReferenceID(t, aloneErr.Body), withoutReferenceID(t, res[1].Body),
		"a refused sub-request answers what the operation answers alone")
	var objErr *client.ObjectAccessError
	require.ErrorAs(t, res[1].Err(), &objErr)
	assert.Equal(t, "entityQuery", objErr.Operation)
	assert.Equal(t, "Task", objErr.EntityType)
	require.ErrorAs(t, res[1].Decode(&page), &objErr, "Decode of a refusal is its error")

	assert.Equal(t, http.StatusForbidden, res[2].StatusCode)
	var permErr *client.PermissionError
	require.ErrorAs(t, res[2].Err(), &permErr)
	assert.Equal(t, "createObject", permErr.Operation)
	_, err = bob.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Project", Where: nil})
	require.NoError(t, err)

	// Audit: the bulk call and each sub-request, under its own operation.
	require.Len(t, srv.Audit(tenant.AuditFilter{Operation: "bulkExecute"}), 1)
	queries := srv.Audit(tenant.AuditFilter{Operation: "entityQuery", EffectiveUser: 1002})
	require.Len(t, queries, 4) // alone (Task), bulk (Project, Task), alone (Project)
	assert.Equal(t, "deny", queries[0].Outcome)
	assert.Equal(t, "allow", queries[1].Outcome)
	assert.Equal(t, "deny", queries[2].Outcome)
	assert.Equal(t, "object", queries[2].Step)
	assert.Equal(t, http.StatusForbidden, queries[2].Status)
	require.NotNil(t, queries[2].Caller)
	assert.Equal(t, "api_key", queries[2].Caller.Kind)
	creates := srv.Audit(tenant.AuditFilter{Operation: "createObject"})
	require.Len(t, creates, 1)
	assert.Equal(t, "permission", creates[0].Step)
	assert.Empty(t, srv.Audit(tenant.AuditFilter{Operation: "createObject", Outcome: "allow"}), "nothing was created")

	// Usage: per operation, the bulk call once.
	u := usageOf(srv, 1002)
	require.NotNil(t, u)
	assert.Equal(t, 1, u.Operations["bulkExecute"])
	assert.Equal(t, 4, u.Operations["entityQuery"])
	assert.Equal(t, 1, u.Operations["createObject"])
	assert.Equal(t, 2, u.EntityTypes["Project"], "the allowed Project queries used the type")
	assert.Zero(t, u.EntityTypes["Task"], "a refused query used nothing")
}

// A malformed sub-request is a 400 (or the 404/405 of a request that
// names no operation) in its own sub-response; the others still run.
func TestBulkMalformedSubRequestsAreAnsweredInTheirSubResponses(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	res, err := bob.Data.Bulk(t.Context(), []client.BulkRequest{
		{Method: http.MethodPost, URL: "/data/entityQuery", Body: map[string]any{"fields": []string{"Name"}}}, // no typeName
		{Method: http.MethodPost, URL: "/data/entityQuery", Body: map[string]any{"typeName": 7}},
		{Method: http.MethodGet, URL: "/data/nothingHere"},
		{Method: http.MethodPatch, URL: "/data/entityQuery"},
		{Method: http.MethodGet, URL: "../../api/v2/integrations/credentials"},
		{Method: "GET", URL: "https://elsewhere.example/V2.0/services/authentication/getSessionInfo"},
		{Method: http.MethodGet, URL: "/data/objects/Project/1?fields=Name"},
		{Method: http.MethodGet, URL: "authentication/getSessionInfo"},
	})
	require.NoError(t, err)
	require.Len(t, res, 8)
	want := []int{400, 400, 404, 405, 400, 400, 200, 200}
	for i, r := range res {
		assert.Equal(t, want[i], r.StatusCode, "sub-request %d: %s", i, r.Body)
		if r.StatusCode >= 400 {
			var m map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &m), "sub-request %d", i)
			assert.NotEmpty(t, m["errorCode"], "sub-request %d answers in the data API's error body", i)
			assert.NotContains(t, string(r.Body), "demo-key-bob", "no secret echoed")
		}
	}
	var ve *client.ValidationError
	require.ErrorAs(t, res[0].Err(), &ve)
	var nf *client.NotFoundError
	require.ErrorAs(t, res[2].Err(), &nf)
	var obj dataapi.Entity
	require.NoError(t, res[6].Decode(&obj))
	assert.Equal(t, "/Project/1", obj.Id)

	// The vendor SDK's PascalCase keys; the sub-request's body keeps its
	// own (entity field names are PascalCase).
	status, body := postBulk(t, srv, `{"Requests":[{"Url":"/data/entityQuery","Method":"POST","Body":{"TypeName":"Project","Fields":["Name"]}}],"Transactional":false,"Batch":true}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var out dataapi.BulkResult
	require.NoError(t, json.Unmarshal(body, &out))
	require.Len(t, out.Responses, 1)
	assert.Equal(t, 200, out.Responses[0].StatusCode)

	// transactional: true is not modelled: a 400 for the whole call.
	status, body = postBulk(t, srv, `{"requests":[{"url":"/authentication/getSessionInfo","method":"GET"}],"transactional":true}`)
	assert.Equal(t, http.StatusBadRequest, status, "%s", body)
}

// Writes through bulk keep their bodies as sent (PascalCase entity fields)
// and are performed as the operation alone performs them.
func TestBulkWritesAsTheOperationAlone(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	svc := srv.Client(mocktest.APIKey("demo-key-service"))
	res, err := svc.Data.Bulk(t.Context(), []client.BulkRequest{
		{Method: http.MethodPut, URL: "/data/objects/Project", Body: map[string]any{"Name": "Made in bulk"}},
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res[0].StatusCode, "%s", res[0].Body)
	var created dataapi.CreateResult
	require.NoError(t, res[0].Decode(&created))
	typ, id, _ := strings.Cut(strings.TrimPrefix(created.Id, "/"), "/")
	got, err := svc.Data.GetObject(t.Context(), typ, id, &dataapi.GetObjectParams{Fields: &[]string{"Name"}})
	require.NoError(t, err)
	assert.Equal(t, "Made in bulk", got.AdditionalProperties["Name"])
	writes := srv.Audit(tenant.AuditFilter{Operation: "createObject", Outcome: "allow"})
	require.Len(t, writes, 1)
	assert.True(t, writes[0].Write)
}

// More sub-requests than maxItems are a 400 before any runs; bulk inside
// bulk and logout are refused in their sub-responses; no credential is a
// 401 for the whole call, and no sub-request runs.
func TestBulkBoundsNestingAndCredential(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	ctx := t.Context()

	many := make([]client.BulkRequest, 101)
	for i := range many {
		many[i] = client.BulkRequest{Method: http.MethodPost, URL: "/data/entityQuery", Body: map[string]any{"typeName": "Project"}}
	}
	_, err := bob.Data.Bulk(ctx, many)
	var ve *client.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, http.StatusBadRequest, ve.StatusCode)
	assert.Empty(t, srv.Audit(tenant.AuditFilter{Operation: "entityQuery"}), "no sub-request ran")

	res, err := bob.Data.Bulk(ctx, []client.BulkRequest{
		{Method: http.MethodPost, URL: "/bulk/execute", Body: map[string]any{"requests": []any{map[string]any{"url": "/authentication/getSessionInfo", "method": "GET"}}}},
		{Method: http.MethodGet, URL: "/authentication/logout"},
		{Method: http.MethodPost, URL: "/authentication/login", Body: map[string]any{"userName": "alice@demo.tenantkit.dev", "password": "demo-password"}},
	})
	require.NoError(t, err)
	// logout takes sessions only: an API key is refused as alone (401).
	for i, want := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusBadRequest} {
		assert.Equal(t, want, res[i].StatusCode, "sub-request %d: %s", i, res[i].Body)
	}
	assert.Contains(t, string(res[0].Body), "cannot run inside a bulk request")
	bulks := srv.Audit(tenant.AuditFilter{Operation: "bulkExecute"})
	require.Len(t, bulks, 3, "the refused 101, the nested call (refused, not run), the outer call")
	assert.Equal(t, "deny", bulks[1].Outcome)
	assert.Equal(t, "validate", bulks[1].Step)
	assert.EqualValues(t, 1002, bulks[1].EffectiveUser)
	assert.Empty(t, srv.Audit(tenant.AuditFilter{Operation: "getSessionInfo"}), "the nested call's sub-request never ran")
	assert.Empty(t, srv.Audit(tenant.AuditFilter{Operation: "login", Outcome: "allow"}))

	// A session may not end itself inside a bulk call (later sub-requests
	// would run on the subject resolved for the call): refused, and the
	// session lives on.
	sess := srv.Client(mocktest.Login("bob@demo.tenantkit.dev", "demo-password"))
	res, err = sess.Data.Bulk(ctx, []client.BulkRequest{{Method: http.MethodGet, URL: "/authentication/logout"}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, res[0].StatusCode, "%s", res[0].Body)
	_, err = sess.Data.GetSessionInfo(ctx)
	require.NoError(t, err)

	before := len(srv.Audit(tenant.AuditFilter{Operation: "getSessionInfo"}))
	anon := srv.Client(mocktest.Credential{})
	_, err = anon.Data.Bulk(ctx, []client.BulkRequest{{Method: http.MethodGet, URL: "/authentication/getSessionInfo"}})
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, http.StatusUnauthorized, ue.StatusCode)
	assert.Len(t, srv.Audit(tenant.AuditFilter{Operation: "getSessionInfo"}), before, "no sub-request ran")
}

// The rate limit counts the bulk call once: its sub-requests draw no
// budget.
func TestBulkSpendsOneUnitOfTheRateLimit(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithClientOptions(client.WithMaxRetries(0)))
	srv.SetRateLimit(2, time.Minute)
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	subs := make([]client.BulkRequest, 5)
	for i := range subs {
		subs[i] = client.BulkRequest{Method: http.MethodGet, URL: "/authentication/getSessionInfo"}
	}
	res, err := bob.Data.Bulk(t.Context(), subs)
	require.NoError(t, err)
	for _, r := range res {
		assert.Equal(t, http.StatusOK, r.StatusCode, "%s", r.Body)
	}
	_, err = bob.Data.GetSessionInfo(t.Context())
	require.NoError(t, err, "the bulk call spent one unit of two")
	_, err = bob.Data.GetSessionInfo(t.Context())
	var rl *client.RateLimitError
	require.ErrorAs(t, err, &rl)
}

// A cancelled outer request runs no sub-request: the handler stops before
// the next one and the call answers 503.
func TestBulkHonoursTheOuterContext(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, bulkPath,
		strings.NewReader(`{"requests":[{"url":"/authentication/getSessionInfo","method":"GET"}]}`))
	req.Host = "127.0.0.1"
	req.Header.Set("Authorization", "ApiKey demo-key-bob")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.Mock.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s", rec.Body)
	assert.Empty(t, srv.Audit(tenant.AuditFilter{Operation: "getSessionInfo"}), "no sub-request ran")
}

// Injected faults meet the bulk call once: a plan that fails every
// entityQuery leaves a bulk call's entityQuery sub-requests alone, and a
// plan that fails bulkExecute fails the whole call before any sub-request.
func TestBulkMeetsFaultsAsTheOuterCallOnly(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithClientOptions(client.WithMaxRetries(0)))
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	subs := []client.BulkRequest{{Method: http.MethodPost, URL: "/data/entityQuery", Body: dataapi.EntityQueryRequest{TypeName: "Project"}}}

	srv.SetFaults(tenant.Faults{Seed: 1, Rules: []tenant.FaultRule{{Operations: []string{"entityQuery"}, Kind: tenant.Fault500, Probability: 1}}})
	res, err := bob.Data.Bulk(t.Context(), subs)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res[0].StatusCode, "%s", res[0].Body)

	srv.SetFaults(tenant.Faults{Seed: 1, Rules: []tenant.FaultRule{{Operations: []string{"bulkExecute"}, Kind: tenant.Fault503, Probability: 1}}})
	before := len(srv.Audit(tenant.AuditFilter{Operation: "entityQuery"}))
	_, err = bob.Data.Bulk(t.Context(), subs)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusServiceUnavailable, ae.StatusCode)
	assert.Len(t, srv.Audit(tenant.AuditFilter{Operation: "entityQuery"}), before, "no sub-request ran")
}

// Under enforcement: audit a sub-request is let through and recorded
// audit-deny, exactly as alone.
func TestBulkSubRequestsFollowEnforcementAudit(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	srv.UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	res, err := bob.Data.Bulk(t.Context(), []client.BulkRequest{{Method: http.MethodPost, URL: "/data/entityQuery", Body: dataapi.EntityQueryRequest{TypeName: "Task"}}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res[0].StatusCode, "%s", res[0].Body)
	q := srv.Audit(tenant.AuditFilter{Operation: "entityQuery"})
	require.Len(t, q, 1)
	assert.Equal(t, "audit-deny", q[0].Outcome)
	assert.Equal(t, "object", q[0].Step)
}
