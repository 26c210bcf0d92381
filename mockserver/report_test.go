package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func strPtr(s string) *string { return &s }

// integratorRun is what a credentials-and-rows sync integration does with
// the demo integrator client: read types and credentials, create one, read
// deal rows itself and as Carol, and try to delete a credential.
func integratorRun(t *testing.T, srv *mocktest.Server) {
	t.Helper()
	ctx := t.Context()
	c := srv.Client(mocktest.IntegratorOAuth)
	_, err := c.Credentials.Types(ctx)
	require.NoError(t, err)
	for _, err := range c.Credentials.ListingAll(ctx, nil) {
		require.NoError(t, err)
	}
	_, err = c.Credentials.Create(ctx, credentialsapi.Credential{Name: strPtr("ERP"), Type: credentialsapi.CredentialType{Name: strPtr("basicAuth")},
		CredentialFields: &map[string]string{"userName": "erp", "password": "pw"}})
	require.NoError(t, err)
	_, err = c.Relationship.Rows(ctx, "Deals", nil)
	require.NoError(t, err)
	_, err = c.Relationship.Rows(ctx, "Deals", &relationshipapi.GetRowsParams{}, client.AsUser(mocktest.CarolID))
	require.NoError(t, err)
	err = c.Credentials.Delete(ctx, "5f1c3a2e-8b4d-4c1e-9a7f-1d2e3f4a5b01")
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
}

// After a realistic run the report shows the demo integrator used the
// integrations and data scopes, never user_management, and was denied
// integrations:integration:delete.
func TestLeastPrivilegeReportForTheIntegrator(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	integratorRun(t, srv)

	r, err := srv.Mock.LeastPrivilege("default")
	require.NoError(t, err)
	c, ok := r.Credential("oauth_client", "demo-integrator")
	require.True(t, ok)
	assert.Equal(t, 8, c.Requests) // a token per API, types, listing, create, rows, rows as 6045, delete
	assert.Equal(t, 1, c.Denied)
	assert.Equal(t, mockserver.Grant{
		Granted: []string{"data", "integrations", "user_management"},
		Used:    []string{"data", "integrations"},
		Unused:  []string{"user_management"},
		Missing: []string{},
	}, c.Scopes)
	assert.Equal(t, []string{"integrations:integration:add", "integrations:integration:view"}, c.Permissions.Used)
	assert.Equal(t, []string{"integrations:integration:delete"}, c.Permissions.Missing)
	assert.Equal(t, []string{"data:entity:add", "data:entity:edit", "integrations:integration:edit", "user_management:proxy:view"}, c.Permissions.Unused)
	assert.Equal(t, []string{"Deals"}, c.EntityTypes.Used)
	assert.Equal(t, []int64{mocktest.CarolID}, c.Principals)
	require.Len(t, c.Denials, 1)
	assert.Equal(t, "deleteCredential", c.Denials[0].Operation)
	assert.Equal(t, "permission", c.Denials[0].Step)

	// Credentials nobody used are listed with nothing used.
	rep, ok := r.Credential("", "demo-reporting")
	require.True(t, ok)
	assert.Zero(t, rep.Requests)
	assert.Equal(t, []string{"data"}, rep.Scopes.Unused)

	var text strings.Builder
	require.NoError(t, r.WriteText(&text))
	assert.Contains(t, text.String(), "OAuth client demo-integrator (user 2001): 8 requests, 1 denied")
	assert.Contains(t, text.String(), `
  scopes        granted: data integrations user_management
                used:    data integrations
                unused:  user_management
  permissions   granted:`)
	assert.Contains(t, text.String(), "denied:       deleteCredential at permission: integrations:integration:delete ×1")
}

// Under enforcement: audit the denied request goes through, and the
// report still lists what it would have needed.
func TestReportRecordsAuditModeDenials(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	srv.UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	c := srv.Client(mocktest.ReportingOAuth)
	_, err := c.Relationship.ProxyAssignments(t.Context(), nil)
	require.NoError(t, err, "audit mode allows the request")

	r, err := srv.Mock.LeastPrivilege("default")
	require.NoError(t, err)
	cr, _ := r.Credential("", "demo-reporting")
	assert.Equal(t, []string{"user_management"}, cr.Scopes.Missing)
	require.Len(t, cr.Denials, 1)
	assert.True(t, cr.Denials[0].Audit)
}

// A manifest wider than the run used fails the check, naming the excess;
// one narrower than the run needed names what is missing; the exact grant
// passes.
func TestManifestCheck(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	integratorRun(t, srv)
	r, err := srv.Mock.LeastPrivilege("default")
	require.NoError(t, err)

	wide, err := mockserver.ParseManifest("wide.yaml", []byte(`
credentials:
  - id: demo-integrator
    scopes: [integrations, data, user_management]
    permissions: [integrations:integration:view, integrations:integration:add, integrations:integration:edit]
`))
	require.NoError(t, err)
	problems := r.Check(wide)
	require.Len(t, problems, 3)
	assert.Equal(t, "demo-integrator: the manifest grants scope user_management, which the run never used", problems[0])
	assert.Equal(t, "demo-integrator: the manifest grants permission integrations:integration:edit, which the run never used", problems[1])
	assert.Equal(t, "demo-integrator: the run needed permission integrations:integration:delete, which the manifest does not grant", problems[2])

	exact, err := mockserver.ParseManifest("exact.yaml", []byte(`
credentials:
  - id: demo-integrator
    scopes: [integrations, data]
    permissions: [integrations:integration:view, integrations:integration:add, integrations:integration:delete]
    entityTypes: [Deals]
`))
	require.NoError(t, err)
	assert.Empty(t, r.Check(exact))

	_, err = mockserver.ParseManifest("bad.yaml", []byte("credentials:\n  - id: x\n    scope: [data]\n"))
	assert.ErrorContains(t, err, "bad.yaml: line 3: field scope not found")
}

// The visibility diff for user 2001 on Project lists exactly the 8 projects
// outside Integrations-Test under bypass, for each of its credentials, and
// nothing under enforce.
func TestVisibilityDiffForTheServiceAccount(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	outside := []string{"/Project/1", "/Project/2", "/Project/3", "/Project/4", "/Project/9", "/Project/10", "/Project/11", "/Project/12"}

	d, err := srv.Mock.Visibility("default", mocktest.ServiceID, "project")
	require.NoError(t, err)
	assert.Equal(t, "enforce", d.APIDataAccess)
	assert.Equal(t, []string{"/Project/5", "/Project/6", "/Project/7", "/Project/8"}, d.UI.IDs)
	require.Len(t, d.Credentials, 3, "demo-key-service, demo-integrator, demo-reporting (the revoked key reads nothing)")
	for _, c := range d.Credentials {
		assert.Empty(t, c.APIOnly, c.ID)
		assert.Empty(t, c.UIOnly, c.ID)
		assert.Equal(t, 4, c.Rows.Count, c.ID)
	}

	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	d, err = srv.Mock.Visibility("default", mocktest.ServiceID, "Project")
	require.NoError(t, err)
	for _, c := range d.Credentials {
		var ids []string
		for _, r := range c.APIOnly {
			ids = append(ids, r.ID)
		}
		assert.Equal(t, outside, ids, c.ID)
		assert.Empty(t, c.UIOnly, c.ID)
		assert.Equal(t, 12, c.Rows.Count)
	}
	first := d.Credentials[0].APIOnly[0]
	assert.Equal(t, "visible through apiDataAccess: bypass; the UI hides it: not shared with user 2001 or its groups Integrations-Test (owned by user 1001, shared with groups Sales)", first.Reason)
}

// A credential refused the type reads nothing: the rows the UI shows are
// listed on the UI side, with the step that refused the read.
func TestVisibilityDiffNamesTheRefusingStep(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	d, err := srv.Mock.Visibility("default", mocktest.BobID, "Task")
	require.NoError(t, err)
	assert.Equal(t, 3, d.UI.Count, "Bob sees the Sales tasks in the UI")
	for _, c := range d.Credentials {
		require.NotNil(t, c.Denied, c.ID)
		assert.Equal(t, "object", c.Denied.Step)
		assert.Len(t, c.UIOnly, 3)
	}
	_, err = srv.Mock.Visibility("default", 999, "Task")
	assert.ErrorContains(t, err, "no user 999")
	_, err = srv.Mock.Visibility("default", mocktest.BobID, "Nope")
	assert.ErrorContains(t, err, `no entity type "Nope"`)
}

// The admin API serves the report and the diff as JSON (matching the admin
// spec, checked by the validating client) and as text.
func TestReportAndVisibilityOverTheAdminAPI(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	integratorRun(t, srv)
	admin, err := adminapi.NewClientWithResponses(srv.URL, adminapi.WithHTTPClient(srv.HTTPClient()))
	require.NoError(t, err)
	ctx := t.Context()

	rep, err := admin.GetReportWithResponse(ctx, "default", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rep.StatusCode(), "%s", rep.Body)
	var found bool
	for _, c := range rep.JSON200.Credentials {
		if c.Id == "demo-integrator" {
			found = true
			assert.Equal(t, []string{"user_management"}, c.Scopes.Unused)
			assert.Equal(t, []string{"integrations:integration:delete"}, c.Permissions.Missing)
		}
	}
	assert.True(t, found)

	text := adminapi.GetReportParamsFormat("text")
	rep, err = admin.GetReportWithResponse(ctx, "default", &adminapi.GetReportParams{Format: &text})
	require.NoError(t, err)
	assert.Equal(t, "text/plain; charset=utf-8", rep.HTTPResponse.Header.Get("Content-Type"))
	assert.Contains(t, string(rep.Body), "OAuth client demo-integrator (user 2001)")

	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	vis, err := admin.GetVisibilityWithResponse(ctx, "default", &adminapi.GetVisibilityParams{User: mocktest.ServiceID, EntityType: "Project"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, vis.StatusCode(), "%s", vis.Body)
	assert.Len(t, vis.JSON200.Credentials[0].ApiOnly, 8)

	vis, err = admin.GetVisibilityWithResponse(ctx, "default", &adminapi.GetVisibilityParams{User: 4242, EntityType: "Project"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, vis.StatusCode())
	assert.Contains(t, vis.JSON404.Message, "no user 4242")

	resp, err := srv.HTTPClient().Get(srv.URL + "/_mock/tenants/default/visibility?user=abc&entityType=Project")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// The manifest a report suggests is exactly the grant the run needed: it
// passes the check, and it round-trips through YAML.
func TestReportSuggestsTheExactManifest(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	integratorRun(t, srv)
	_, err := srv.Client(mocktest.AliceLogin).Data.GetSessionInfo(t.Context()) // Admin: permission "*"
	require.NoError(t, err)
	r, err := srv.Mock.LeastPrivilege("default")
	require.NoError(t, err)

	var b strings.Builder
	require.NoError(t, r.Manifest("demo-integrator").WriteYAML(&b))
	assert.Equal(t, `credentials:
  - id: demo-integrator
    scopes: [data, integrations]
    permissions: [integrations:integration:add, integrations:integration:delete, integrations:integration:view]
    entityTypes: [Deals]
    asUser:
      - user: 6045
        permissions: []
        entityTypes: [Deals]
`, b.String(), "the rows read as Carol need Carol's entity type")

	b.Reset()
	require.NoError(t, r.Manifest().WriteYAML(&b))
	m, err := mockserver.ParseManifest("suggested.yaml", []byte(b.String()))
	require.NoError(t, err, b.String())
	assert.Len(t, m.Credentials, 2, "every used credential")
	assert.Empty(t, r.Check(m))
}

// An API key is listed with its name and its value, and a manifest may name
// it by either.
func TestManifestNamesAnAPIKeyByNameOrValue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.query(t, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...)
	rep, err := h.srv.LeastPrivilege("default")
	require.NoError(t, err)
	byName, ok := rep.Credential("", "service")
	require.True(t, ok)
	byValue, ok := rep.Credential("", "demo-key-service")
	require.True(t, ok)
	assert.Equal(t, byName, byValue)
	assert.Equal(t, "demo-key-service", byName.Key)
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "API key service (demo-key-service, user 2001): 1 requests, 0 denied")

	for _, id := range []string{"service", "demo-key-service"} {
		m, err := mockserver.ParseManifest("grant.yaml", []byte("credentials:\n  - id: "+id+"\n    entityTypes: [Project]\n"))
		require.NoError(t, err)
		assert.Empty(t, rep.Check(m), id)
		m, err = mockserver.ParseManifest("grant.yaml", []byte("credentials:\n  - id: "+id+"\n    entityTypes: [Deals]\n"))
		require.NoError(t, err)
		assert.NotEmpty(t, rep.Check(m), "%s: the check ran", id)
	}
	assert.Len(t, rep.Manifest("demo-key-service").Credentials, 1, "Manifest takes a key's value too")
}
