package mockserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func TestTenantsNeverShareCredentials(t *testing.T) {
	h := newHarness(t)
	t2, err := h.srv.CreateTenant(tenant.Demo())
	require.NoError(t, err)
	assert.Equal(t, "@"+t2.ID(), t2.CredentialSuffix())
	assert.Empty(t, h.srv.DefaultTenant().CredentialSuffix())

	keys := map[string]string{}
	for _, k := range t2.APIKeys() {
		keys[k.Name] = k.Key
	}
	assert.Equal(t, "demo-key-bob@"+t2.ID(), keys["bob"])

	// The suffixed key reaches tenant 2, the plain key the default tenant.
	svc2 := apiKey("demo-key-service@" + t2.ID())
	r := h.do(http.MethodPut, "/V2.0/services/data/objects/Project", map[string]any{"Name": "Only in t2"}, svc2...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Len(t, h.query(t, map[string]any{"typeName": "Project"}, svc2...).Entities, 5)
	assert.Len(t, h.query(t, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...).Entities, 4)

	// Clients and logins too; secrets and passwords are unchanged.
	tok := h.token(genesysToken, "demo-integrator@"+t2.ID(), "demo-integrator-secret", "")
	assert.True(t, strings.HasPrefix(tok, t2.ID()+"."), "tokens name their tenant")
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, credentials, nil, bearer(tok)...).status)
	sess := loginSession(t, h, "bob@demo.tenantkit.dev@"+t2.ID())
	r = h.do(http.MethodGet, "/V2.0/services/authentication/getSessionInfo", nil, "Authorization", "Session "+sess)
	assert.Equal(t, "bob@demo.tenantkit.dev@"+t2.ID(), r.object(t)["userName"])

	// Each tenant audits its own requests.
	assert.NotEmpty(t, t2.Audit(tenant.AuditFilter{Operation: "createObject"}))
	assert.Empty(t, h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "createObject"}))

	// Reset drops the change and the issued token.
	require.NoError(t, h.srv.ResetTenant(t2.ID()))
	assert.Len(t, h.query(t, map[string]any{"typeName": "Project"}, svc2...).Entities, 4)
	assert.Equal(t, http.StatusUnauthorized, h.do(http.MethodGet, credentials, nil, bearer(tok)...).status)
}

const acmeFixture = `
tenant: {id: acme, name: Acme}
groups: [{name: Staff}]
roles:
  - {name: Reader, permissions: ["integrations:*"], entityTypes: [Widget]}
users:
  - {id: 7, name: Wile, email: wile@acme.example, password: pw, groups: [Staff], roles: [Reader]}
apiKeys:
  - {name: wile, key: acme-key, user: 7}
oauthClients:
  - {clientId: acme-client, secret: acme-secret, user: 7, scopes: [integrations, data]}
entityTypes:
  - name: Widget
    fields: {Name: string, Weight: number}
entities:
  - {type: Widget, id: 1, owner: 7, fields: {Name: Rocket skates, Weight: 4.5}}
  - {type: Widget, id: 2, owner: 7, fields: {Name: Anvil, Weight: 100}}
`

func TestAdminAPI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	admin, err := adminapi.NewClientWithResponses(h.url, adminapi.WithHTTPClient(h.http))
	require.NoError(t, err)

	health, err := admin.HealthzWithResponse(ctx)
	require.NoError(t, err)
	require.NotNil(t, health.JSON200)
	assert.Equal(t, 1, health.JSON200.Tenants)

	created, err := admin.CreateTenantWithBodyWithResponse(ctx, "application/yaml", strings.NewReader(acmeFixture))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	info := created.JSON201
	assert.Equal(t, "acme", info.Id)
	assert.False(t, info.Default)
	assert.Equal(t, "acme-key@acme", info.ApiKeys[0].Key)
	assert.Equal(t, "acme-client@acme", info.OauthClients[0].ClientId)
	assert.Equal(t, "wile@acme.example@acme", info.Users[0].Login)

	// The new tenant serves requests.
	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Widget", "orders": []any{map[string]any{"fieldName": "Weight", "order": "Descending"}}}, apiKey("acme-key@acme")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p page
	r.json(t, &p)
	assert.Equal(t, []string{"/Widget/2", "/Widget/1"}, ids(p))

	dup, err := admin.CreateTenantWithBodyWithResponse(ctx, "application/yaml", strings.NewReader(acmeFixture))
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, dup.StatusCode())

	// Fixture errors name the line and the field.
	bad, err := admin.CreateTenantWithBodyWithResponse(ctx, "application/yaml", strings.NewReader("users:\n  - {id: 1, name: A, email: a@b, roles: [Ghost]}\n"))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, bad.StatusCode())
	assert.Contains(t, bad.JSON400.Message, `request body:2: users[0].roles[0]: unknown role "Ghost"`)

	// JSON fixtures work too.
	created, err = admin.CreateTenantWithResponse(ctx, adminapi.Fixture{Tenant: &adminapi.FixtureTenant{Name: ptr("Empty")}})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)

	// Settings.
	bypass := adminapi.SettingsPatchApiDataAccess("bypass")
	set, err := admin.UpdateSettingsWithResponse(ctx, "default", adminapi.SettingsPatch{ApiDataAccess: &bypass})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, set.StatusCode(), "%s", set.Body)
	assert.EqualValues(t, "bypass", set.JSON200.ApiDataAccess)
	assert.Len(t, h.query(t, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...).Entities, 12)
	badEnum := adminapi.SettingsPatchApiDataAccess("sometimes")
	set, err = admin.UpdateSettingsWithResponse(ctx, "default", adminapi.SettingsPatch{ApiDataAccess: &badEnum})
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, set.StatusCode())

	// Audit log, filtered.
	op := "entityQuery"
	audit, err := admin.GetAuditWithResponse(ctx, "default", &adminapi.GetAuditParams{Operation: &op})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, audit.StatusCode(), "%s", audit.Body)
	require.Len(t, audit.JSON200.Entries, 1)
	assert.Equal(t, "service", audit.JSON200.Entries[0].Caller.Id)

	// Reset restores settings and clears the log.
	reset, err := admin.ResetTenantWithResponse(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, reset.StatusCode())
	got, err := admin.GetSettingsWithResponse(ctx, "default")
	require.NoError(t, err)
	assert.EqualValues(t, "enforce", got.JSON200.ApiDataAccess)

	list, err := admin.ListTenantsWithResponse(ctx)
	require.NoError(t, err)
	require.Len(t, list.JSON200.Tenants, 3)
	assert.True(t, list.JSON200.Tenants[0].Default)

	del, err := admin.DeleteTenantWithResponse(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, del.StatusCode())
	del, err = admin.DeleteTenantWithResponse(ctx, "default")
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, del.StatusCode())
	missing, err := admin.GetTenantWithResponse(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, missing.StatusCode())
	assert.Equal(t, "not_found", missing.JSON404.Error)
}

// A fixture posted to the admin API names the field that is wrong, every
// time, as YAML and as JSON.
func TestCreateTenantNamesTheWrongField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bodies := map[string]string{
		"application/yaml": "users:\n  - {id: 7, name: Wile, email: w@acme.test}\napiKeys:\n  - {name: wile, key: acme-key, user: seven, revoked: true}\n",
		"application/json": `{"users": [{"id": 7, "name": "Wile", "email": "w@acme.test"}], "apiKeys": [{"name": "wile", "key": "acme-key", "user": "seven", "revoked": true}]}`,
	}
	for ct, body := range bodies {
		for range 20 {
			st, resp, _ := h.send(browserRequest{method: http.MethodPost, path: "/_mock/tenants", body: body,
				headers: map[string]string{"Content-Type": ct}})
			require.Equal(t, http.StatusBadRequest, st, resp)
			assert.Contains(t, resp, `apiKeys[0].user: want a whole number, got \"seven\"`, ct)
			assert.NotContains(t, resp, "revoked:", ct)
		}
	}
	st, resp, _ := h.send(browserRequest{method: http.MethodPost, path: "/_mock/tenants", body: " ",
		headers: map[string]string{"Content-Type": "application/yaml"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Contains(t, resp, "body: the request body is empty; this operation needs one")
}
