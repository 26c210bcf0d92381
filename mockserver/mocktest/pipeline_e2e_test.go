package mocktest_test

// The SDK's view of what the pipeline must not reveal and what audit mode
// may relax.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// An AS-USER id that names no user is a *ProxyError, like an existing user
// the caller holds no assignment for: the SDK cannot tell them apart.
func TestUnknownAsUserIsAProxyError(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	for _, id := range []int64{mocktest.AliceID, 4242} {
		_, err := srv.Client(mocktest.IntegratorOAuth, client.WithAsUser(id)).Relationship.Rows(t.Context(), "Deals", nil)
		var pe *client.ProxyError
		require.ErrorAs(t, err, &pe, "AS-USER %d", id)
		assert.Equal(t, 401, pe.StatusCode, "the vendor answers an unauthorised proxy 401")
		assert.Equal(t, id, pe.Principal)
		assert.Equal(t, client.CodeProxyNotAllowed, pe.Decision.Code)
		assert.Equal(t, mocktest.ServiceID, pe.Decision.EffectiveUser)
	}
	// A refused proxy is not a stale token: the SDK fetched one token per
	// client and did not renew it on the 401.
	assert.Len(t, srv.Audit(tenant.AuditFilter{Operation: "getToken"}), 2)
}

// Under enforcement: audit, a client acting as a user it holds no
// assignment for reads what its own user sees, never the principal's rows.
func TestAuditModeProxyKeepsTheCallersRows(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	srv.UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	own, err := srv.Client(mocktest.ReadonlyOAuth).Relationship.Rows(t.Context(), "Deals", nil)
	require.NoError(t, err)
	var d client.Decision
	asAlice, err := srv.Client(mocktest.ReadonlyOAuth, client.WithAsUser(mocktest.AliceID)).Relationship.Rows(t.Context(), "Deals", nil, client.Explain(&d))
	require.NoError(t, err)
	assert.Equal(t, own, asAlice)
	assert.Len(t, own.Rows, 3)
	assert.Equal(t, client.OutcomeAuditDeny, d.Outcome)
	assert.EqualValues(t, 1002, d.EffectiveUser)
}

// A user_management token of a user whose roles lack
// user_management:proxy:view gets a *PermissionError naming it, not the
// tenant's proxy assignments.
func TestProxyAssignmentsNeedViewPermission(t *testing.T) {
	t.Parallel()
	f := tenant.Demo()
	for i, c := range f.OAuthClients {
		if c.ClientID == "demo-readonly" {
			f.OAuthClients[i].Scopes = append(f.OAuthClients[i].Scopes, "user_management")
		}
	}
	srv := mocktest.Start(t, mocktest.WithFixture(f))
	_, err := srv.Client(mocktest.ReadonlyOAuth).Relationship.ProxyAssignments(t.Context(), nil)
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"user_management:proxy:view"}, pe.Missing)

	list, err := srv.Client(mocktest.IntegratorOAuth).Relationship.ProxyAssignments(t.Context(), nil)
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

// An operation that takes one of several scope sets: Missing names what the
// closest set lacks, Alternatives every set the spec accepts.
func TestScopeErrorListsEveryAcceptedScopeSet(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	_, err := srv.Client(mocktest.ReportingOAuth).Credentials.Types(t.Context())
	var se *client.ScopeError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"integrations:readonly"}, se.Missing)
	assert.ElementsMatch(t, [][]string{{"integrations:readonly"}, {"integrations"}}, se.Alternatives)
}

// A 400 whose message names a field has it in ValidationError.Fields, on
// every API (the data API's error body has no field list: the message
// names it first).
func TestValidationErrorNamesTheField(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	var ve *client.ValidationError

	_, err := srv.Client(mocktest.ServiceKey).Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Spaceship"})
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Fields, 1, "%v", err)
	assert.Equal(t, "typeName", ve.Fields[0].Field)

	limit := 0
	_, err = srv.Client(mocktest.IntegratorOAuth.WithScopes("data")).Relationship.Rows(ctx, "Deals", &relationshipapi.GetRowsParams{Limit: &limit})
	require.ErrorAs(t, err, &ve)
	require.NotEmpty(t, ve.Fields, "%v", err)
	assert.Equal(t, "limit", ve.Fields[0].Field)
}
