package client_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// A successful call hands back its status, header, correlation id and
// rate-limit values through CaptureResponse.
func TestCaptureResponse(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(200, ctJSON, `{"entities":[{"id":"c1","name":"one"}]}`,
		"ININ-Correlation-Id", "corr-7", "inin-ratelimit-count", "12", "inin-ratelimit-allowed", "300", "inin-ratelimit-reset", "41")))
	c := newClient(t, s)
	resp := client.Response{StatusCode: 999, Replayed: true} // stale values are cleared
	page, err := c.Credentials.List(t.Context(), nil, client.CaptureResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, "c1", page.Entities[0].Id)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "corr-7", resp.RequestID)
	assert.Equal(t, "corr-7", resp.Header.Get("ININ-Correlation-Id"))
	assert.Equal(t, &client.RateLimit{Count: 12, Allowed: 300, Reset: 41 * time.Second}, resp.RateLimit)
	assert.False(t, resp.Replayed)
}

// An error response fills it too; a call that got no response leaves it zero.
func TestCaptureResponseOnErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(404, ctJSON, `{"message":"gone","code":"not.found","status":404}`, "X-Request-Id", "req-1")))
	c := newClient(t, s)
	var resp client.Response
	_, err := c.Credentials.Get(t.Context(), "x", client.CaptureResponse(&resp))
	var nf *client.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, "req-1", resp.RequestID)
	assert.Nil(t, resp.RateLimit)

	s.Close()
	resp = client.Response{StatusCode: 1}
	_, err = c.Credentials.Get(t.Context(), "x", client.CaptureResponse(&resp))
	require.Error(t, err)
	assert.Equal(t, client.Response{}, resp)
}

// Through the mock: a write repeated with the same Idempotency-Key is
// answered from the first call, and Response.Replayed says so; the mock's
// rate limit shows in RateLimit.
func TestCaptureResponseReplayedAndRateLimitFromTheMock(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithRateLimit(100, time.Minute))
	data := srv.Client(mocktest.ServiceKey)
	var first, second client.Response
	values := dataapi.EntityValues{"Name": "Replay test"}
	a, err := data.Data.CreateObject(t.Context(), "Project", values, client.IdempotencyKey("create-1"), client.CaptureResponse(&first))
	require.NoError(t, err)
	b, err := data.Data.CreateObject(t.Context(), "Project", values, client.IdempotencyKey("create-1"), client.CaptureResponse(&second))
	require.NoError(t, err)
	assert.Equal(t, a.Id, b.Id)
	assert.False(t, first.Replayed)
	assert.True(t, second.Replayed)
	assert.Equal(t, 200, second.StatusCode)

	var listed client.Response
	_, err = srv.Client(mocktest.IntegratorOAuth).Credentials.Types(t.Context(), client.CaptureResponse(&listed))
	require.NoError(t, err)
	require.NotNil(t, listed.RateLimit, "the credentials API sends inin-ratelimit-*")
	assert.Equal(t, 100, listed.RateLimit.Allowed)
	assert.Positive(t, listed.RateLimit.Count)
	assert.NotEmpty(t, listed.RequestID)
}

// Operations and LookupOperation hand out deep copies: changing them does
// not change the SDK's table (and so its retry rules).
func TestOperationsIsADeepCopy(t *testing.T) {
	t.Parallel()
	ops := client.Operations()
	i := slices.IndexFunc(ops, func(op client.Operation) bool { return op.ID == "listCredentials" })
	require.GreaterOrEqual(t, i, 0)
	want := slices.Clone(ops[i].Scopes[0])
	ops[i].Scopes[0][0] = "changed"
	ops[i].Permissions[0] = "changed"
	again := client.Operations()
	assert.Equal(t, want, again[i].Scopes[0])
	assert.Equal(t, "integrations:integration:view", again[i].Permissions[0])

	op, ok := client.LookupOperation(client.CredentialsAPI, "listCredentials")
	require.True(t, ok)
	op.Scopes[0][0] = "changed"
	op2, _ := client.LookupOperation(client.CredentialsAPI, "listCredentials")
	assert.Equal(t, want, op2.Scopes[0])
}

// ReadOnly comes from the spec's x-read-only (POSTs that only read) and GET.
func TestOperationsReadOnly(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{"entityQuery": true, "query": true, "getObject": true, "createObject": false, "updateObject": false} {
		op, ok := client.LookupOperation(client.DataAPI, id)
		require.True(t, ok, id)
		assert.Equal(t, want, op.ReadOnly, id)
	}
	op, _ := client.LookupOperation(client.RelationshipAPI, "queryRows")
	assert.True(t, op.ReadOnly)
}

// Ptr fills the optional fields of the generated models.
func TestPtr(t *testing.T) {
	t.Parallel()
	p := dataapi.Paging{Limit: client.Ptr(50)}
	assert.Equal(t, 50, *p.Limit)
}
