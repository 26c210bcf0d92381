package openapi_test

import (
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/openapi"
)

func TestSpecsLoadAndValidate(t *testing.T) {
	t.Parallel()
	for _, api := range openapi.VendorAPIs {
		t.Run(string(api), func(t *testing.T) {
			doc, err := openapi.Load(api)
			require.NoError(t, err)
			ops, err := openapi.Operations(api, doc)
			require.NoError(t, err)
			require.NotEmpty(t, ops)
			for _, op := range ops {
				// Every operation lists the error responses it can return.
				codes := doc.Paths.Find(op.Path).GetOperation(op.Method).Responses.Map()
				if len(op.Schemes) > 0 {
					assert.Contains(t, codes, "401", "%s must document 401", op.ID)
				}
				if len(op.Scopes) > 0 || len(op.Permissions) > 0 || op.EntityType != nil {
					assert.Contains(t, codes, "403", "%s must document 403", op.ID)
				}
				assert.Contains(t, codes, "429", "%s must document 429", op.ID)
			}
		})
	}
}

func TestUnknownSpec(t *testing.T) {
	t.Parallel()
	_, err := openapi.Load("nope")
	require.ErrorContains(t, err, `no spec named "nope"`)
}

func find(t *testing.T, api openapi.API, id string) openapi.Operation {
	t.Helper()
	doc, err := openapi.Load(api)
	require.NoError(t, err)
	ops, err := openapi.Operations(api, doc)
	require.NoError(t, err)
	i := slices.IndexFunc(ops, func(o openapi.Operation) bool { return o.ID == id })
	require.GreaterOrEqual(t, i, 0, "operation %s", id)
	return ops[i]
}

func TestRequirementsFromSpecs(t *testing.T) {
	t.Parallel()
	del := find(t, openapi.Credentials, "deleteCredential")
	assert.Equal(t, [][]string{{"integrations"}}, del.Scopes)
	assert.Equal(t, []string{"integrations:integration:delete"}, del.Permissions)
	assert.False(t, del.ReadOnly)

	list := find(t, openapi.Credentials, "listCredentials")
	assert.Equal(t, [][]string{{"integrations:readonly"}, {"integrations"}}, list.Scopes)
	assert.Equal(t, "integrations:readonly | integrations", openapi.ScopeText(list.Scopes))

	proxy := find(t, openapi.Relationship, "getProxyAssignments")
	assert.Equal(t, [][]string{{"user_management"}}, proxy.Scopes)

	rows := find(t, openapi.Relationship, "queryRows")
	assert.True(t, rows.ReadOnly, "a read by POST is replay-safe")
	assert.Equal(t, &openapi.EntityTypeRef{In: "path", Name: "entryType"}, rows.EntityType)

	eq := find(t, openapi.Data, "entityQuery")
	assert.Equal(t, []string{"ApiKeyAuth", "SessionAuth"}, eq.Schemes)
	assert.Empty(t, eq.Scopes)

	login := find(t, openapi.Data, "login")
	assert.Empty(t, login.Schemes, "login is public")
}

// x-read-only marks a POST that only reads; the old name x-idempotent, which
// said something else, is refused rather than silently ignored.
func TestReadOnlyExtension(t *testing.T) {
	t.Parallel()
	spec := func(ext string) string {
		return `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /q:
    post:
      operationId: q
      ` + ext + `: true
      responses:
        "200": {description: ok}
`
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec("x-read-only")))
	require.NoError(t, err)
	ops, err := openapi.Operations(openapi.Data, doc)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	assert.True(t, ops[0].ReadOnly)

	doc, err = openapi3.NewLoader().LoadFromData([]byte(spec("x-idempotent")))
	require.NoError(t, err)
	_, err = openapi.Operations(openapi.Data, doc)
	assert.ErrorContains(t, err, "x-idempotent is now x-read-only")
}

// An operation declares AS-USER by a header parameter of that name; only the
// relationship API's proxy, row and schema operations do.
func TestAsUserIsReadFromTheSpecs(t *testing.T) {
	t.Parallel()
	var declared []string
	for _, api := range openapi.VendorAPIs {
		doc, err := openapi.Load(api)
		require.NoError(t, err)
		ops, err := openapi.Operations(api, doc)
		require.NoError(t, err)
		for _, op := range ops {
			if op.AsUser {
				declared = append(declared, string(op.API)+"."+op.ID)
			}
		}
	}
	assert.ElementsMatch(t, []string{
		"relationship.getProxyAssignments", "relationship.createProxyAssignments",
		"relationship.queryRows", "relationship.getRows",
		"relationship.createRows", "relationship.upsertRows", "relationship.updateRows", "relationship.deleteRows",
		"relationship.getEntryTypes", "relationship.getEntryType", "relationship.getEntryTypeFields",
		"relationship.getAllFields", "relationship.getSchemaUsers", "relationship.getCurrencies",
		"relationship.getFilterOperations",
	}, declared)
}
