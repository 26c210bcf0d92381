package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// A request made AS-USER a principal is judged by the principal's roles, so
// what it lacked is the principal's, not the credential user's: after the
// integrator client acting as Bob (1002) is refused
// user_management:proxy:view, the report lists Bob as a principal with that
// permission missing, never as missing from the client's own grant (which
// holds it), and the suggested manifest asks for it under Bob. AS-USER is a
// relationship API header (its spec declares it), so the calls are
// relationship calls.
func TestProxiedDenialsAreThePrincipals(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	asBob := srv.Client(mocktest.IntegratorOAuth, client.WithAsUser(mocktest.BobID))
	_, err := asBob.Relationship.ProxyAssignments(t.Context(), nil)
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"user_management:proxy:view"}, pe.Missing)
	_, err = asBob.Relationship.Rows(t.Context(), "Task", nil)
	var oe *client.ObjectAccessError
	require.ErrorAs(t, err, &oe)
	_, err = asBob.Relationship.Rows(t.Context(), "Project", nil)
	require.NoError(t, err)
	_, err = asBob.Relationship.Rows(t.Context(), "Deals", nil, client.AsUser(0))
	require.NoError(t, err)

	check := func(t *testing.T, c mockserver.CredentialReport) {
		t.Helper()
		assert.Equal(t, 5, c.Requests, "the token request and four calls")
		assert.Equal(t, 2, c.Denied)
		assert.Contains(t, c.Permissions.Granted, "user_management:proxy:view")
		assert.Empty(t, c.Permissions.Missing, "the key's own grant lacked nothing")
		assert.Empty(t, c.EntityTypes.Missing)
		assert.Equal(t, []string{"Deals"}, c.EntityTypes.Used, "only the request made as the key's own user")
		assert.Equal(t, []int64{mocktest.BobID}, c.Principals)
		require.Len(t, c.AsUser, 1)
		bob := c.AsUser[0]
		assert.Equal(t, mocktest.BobID, bob.User)
		assert.Equal(t, 3, bob.Requests)
		assert.Equal(t, 2, bob.Denied)
		assert.Equal(t, []string{"integrations:integration:view"}, bob.Permissions.Granted)
		assert.Equal(t, []string{"user_management:proxy:view"}, bob.Permissions.Missing)
		assert.Equal(t, []string{"Project"}, bob.EntityTypes.Used)
		assert.Equal(t, []string{"Task"}, bob.EntityTypes.Missing)
		for _, d := range c.Denials {
			assert.Equal(t, mocktest.BobID, d.Principal, "%s at %s", d.Operation, d.Step)
		}
	}

	// mocktest's report ...
	c, ok := srv.Report().Credential("oauth_client", "demo-integrator")
	require.True(t, ok)
	check(t, c)

	// ... the admin API's, in JSON and text ...
	resp, err := srv.HTTPClient().Get(srv.URL + "/_mock/tenants/default/report")
	require.NoError(t, err)
	var rep mockserver.Report
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	resp.Body.Close()
	c, ok = rep.Credential("oauth_client", "demo-integrator")
	require.True(t, ok)
	check(t, c)
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "  as user 1002: 3 requests, 2 denied (the principal's roles applied)\n    permissions   granted: integrations:integration:view\n")
	assert.Contains(t, text.String(), "denied:       getProxyAssignments at permission: user_management:proxy:view ×1 (as user 1002)")
	assert.NotContains(t, text.String(), "missing: user_management:proxy:view\n  entity types")

	// ... and the manifest it suggests, which passes its own check.
	var b strings.Builder
	require.NoError(t, rep.Manifest("demo-integrator").WriteYAML(&b))
	assert.Equal(t, `credentials:
  - id: demo-integrator
    scopes: [data]
    permissions: []
    entityTypes: [Deals]
    asUser:
      - user: 1002
        permissions: [user_management:proxy:view]
        entityTypes: [Project, Task]
`, b.String())
	m, err := mockserver.ParseManifest("suggested.yaml", []byte(b.String()))
	require.NoError(t, err)
	assert.Empty(t, rep.Check(m))

	// A declared grant that leaves the principal's need out fails the check.
	m.Credentials[0].AsUser[0].Permissions = []string{}
	assert.Equal(t, []string{"demo-integrator as user 1002: the run needed permission user_management:proxy:view, which the manifest does not grant"}, rep.Check(m))
	m.Credentials[0].AsUser = []mockserver.ManifestPrincipal{}
	assert.Equal(t, []string{"demo-integrator: the run acted as user 1002, which the manifest does not declare"}, rep.Check(m))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
