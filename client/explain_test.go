package client_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// Explain asks the mock to explain an allowed call and hands the decision
// back; a denied call carries it on its error and in the target too.
func TestExplain(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.ServiceKey)

	var d client.Decision
	_, err := c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"}, client.Explain(&d))
	require.NoError(t, err)
	assert.Equal(t, client.OutcomeAllow, d.Outcome)
	assert.Equal(t, int64(2001), d.EffectiveUser)
	assert.Equal(t, "service", d.Caller.ID)
	assert.Equal(t, "allowed: api key service (user 2001); entity type Project is readable through the API; rows are limited to those visible to user 2001", d.Reason)

	// Without Explain the allowed decision carries no reason.
	_, err = c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
	require.NoError(t, err)

	var denied client.Decision
	_, err = srv.Client(mocktest.ReportingOAuth).Relationship.ProxyAssignments(t.Context(), nil, client.Explain(&denied))
	var se *client.ScopeError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, *se.Decision, denied)
	assert.Equal(t, "deny at scope (missing_scopes): the token of client demo-reporting holds scopes [data]; getProxyAssignments needs user_management; fix: grant scope user_management to client demo-reporting",
		denied.String())

	// Proxied calls name the principal as the effective user and the
	// credential's user as the caller.
	var proxied client.Decision
	_, err = srv.Client(mocktest.IntegratorOAuth).Relationship.Rows(t.Context(), "Deals", nil, client.Explain(&proxied), client.AsUser(mocktest.CarolID))
	require.NoError(t, err)
	assert.Equal(t, mocktest.CarolID, proxied.EffectiveUser)
	assert.Equal(t, mocktest.ServiceID, proxied.Caller.User)
	assert.Contains(t, proxied.Reason, "acting as user 6045")
}

// A server that sends no decision (a real vendor) leaves the target zero.
func TestExplainWithoutDecisionHeader(t *testing.T) {
	t.Parallel()
	var asked string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.Header.Get("X-Tenantkit-Explain")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`)) // the vendor's CredentialType[]
	}))
	defer ts.Close()
	c, err := client.New(ts.URL)
	require.NoError(t, err)
	d := client.Decision{Outcome: "stale"}
	_, err = c.Credentials.Types(t.Context(), client.Explain(&d))
	require.NoError(t, err)
	assert.Equal(t, "1", asked)
	assert.Equal(t, client.Decision{}, d)
}
