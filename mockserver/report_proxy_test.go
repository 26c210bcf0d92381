package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// A request made AS-USER a principal is judged by the principal's roles, so
// what it lacked is the principal's, not the credential user's: after the
// service key acting as Bob (1002) is refused data:entity:edit, the report
// lists Bob as a principal with that permission missing, never as missing
// from the key's own grant (which holds it), and the suggested manifest
// asks for it under Bob.
func TestProxiedDenialsAreThePrincipals(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	asBob := srv.Client(mocktest.ServiceKey, client.WithAsUser(mocktest.BobID))
	err := asBob.Data.UpdateObject(t.Context(), "Project", "3", dataapi.EntityValues{"State": "Active"})
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"data:entity:edit"}, pe.Missing)
	_, err = asBob.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Task"})
	var oe *client.ObjectAccessError
	require.ErrorAs(t, err, &oe)
	_, err = asBob.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
	require.NoError(t, err)
	_, err = srv.Client(mocktest.ServiceKey).Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Deals"})
	require.NoError(t, err)

	check := func(t *testing.T, c mockserver.CredentialReport) {
		t.Helper()
		assert.Equal(t, 4, c.Requests)
		assert.Equal(t, 2, c.Denied)
		assert.Contains(t, c.Permissions.Granted, "data:entity:edit")
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
		assert.Equal(t, []string{"data:entity:edit"}, bob.Permissions.Missing)
		assert.Equal(t, []string{"Project"}, bob.EntityTypes.Used)
		assert.Equal(t, []string{"Task"}, bob.EntityTypes.Missing)
		for _, d := range c.Denials {
			assert.Equal(t, mocktest.BobID, d.Principal, "%s at %s", d.Operation, d.Step)
		}
	}

	// mocktest's report ...
	c, ok := srv.Report().Credential("api_key", "service")
	require.True(t, ok)
	check(t, c)

	// ... the admin API's, in JSON and text ...
	resp, err := srv.HTTPClient().Get(srv.URL + "/_mock/tenants/default/report")
	require.NoError(t, err)
	var rep mockserver.Report
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	resp.Body.Close()
	c, ok = rep.Credential("api_key", "service")
	require.True(t, ok)
	check(t, c)
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "  as user 1002: 3 requests, 2 denied (the principal's roles applied)\n    permissions   granted: integrations:integration:view\n")
	assert.Contains(t, text.String(), "denied:       updateObject at permission: data:entity:edit ×1 (as user 1002)")
	assert.NotContains(t, text.String(), "missing: data:entity:edit\n  entity types")

	// ... and the manifest it suggests, which passes its own check.
	var b strings.Builder
	require.NoError(t, rep.Manifest("service").WriteYAML(&b))
	assert.Equal(t, `credentials:
  - id: service
    permissions: []
    entityTypes: [Deals]
    asUser:
      - user: 1002
        permissions: [data:entity:edit]
        entityTypes: [Project, Task]
`, b.String())
	m, err := mockserver.ParseManifest("suggested.yaml", []byte(b.String()))
	require.NoError(t, err)
	assert.Empty(t, rep.Check(m))

	// A declared grant that leaves the principal's need out fails the check.
	m.Credentials[0].AsUser[0].Permissions = []string{}
	assert.Equal(t, []string{"service as user 1002: the run needed permission data:entity:edit, which the manifest does not grant"}, rep.Check(m))
	m.Credentials[0].AsUser = []mockserver.ManifestPrincipal{}
	assert.Equal(t, []string{"service: the run acted as user 1002, which the manifest does not declare"}, rep.Check(m))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
