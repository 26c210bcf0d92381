package generic

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// noteSpec is a small API: notes, listed and read by bearer API key.
const noteSpec = `openapi: 3.0.3
info: {title: notes, version: "1"}
paths:
  /notes:
    get:
      operationId: listNotes
      x-resource: notes
      security: [{key: []}]
      parameters:
        - {name: limit, in: query, schema: {type: integer, default: 10, maximum: 50}}
        - {name: offset, in: query, schema: {type: integer}}
      responses:
        '200': {description: a page}
  /notes/{noteId}:
    get:
      operationId: getNote
      x-resource: notes
      x-action: read
      security: [{key: []}]
      parameters:
        - {name: noteId, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: a note
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer}, text: {type: string}}}
components:
  securitySchemes:
    key: {type: http, scheme: bearer}
`

const notePolicy = `credentials:
  key: api_key
paging:
  style: offset
  items: results
  limit: limit
  cursor: offset
resources:
  notes: {rows: enforce}
`

func load(t *testing.T, spec, policy string) (*API, []*tenant.FieldError) {
	t.Helper()
	a, err := Load("notes", Source{Name: "notes.yaml", Data: []byte(spec)}, Source{Name: "notes.policy.yaml", Data: []byte(policy)})
	if err == nil {
		return a, nil
	}
	var le *LoadError
	require.True(t, errors.As(err, &le), "%v", err)
	return nil, le.Errs
}

func TestLoadReadsTheSpecAndThePolicy(t *testing.T) {
	a, errs := load(t, noteSpec, notePolicy)
	require.Empty(t, errs)
	assert.Equal(t, tenant.IDInteger, a.Resources["notes"].IDFormat, "the id's format is its schema's")
	op := a.Operations["listNotes"]
	assert.Equal(t, ActionList, op.Action, "a GET on a collection path lists")
	assert.Equal(t, 10, op.LimitDefault)
	assert.Equal(t, "noteId", a.Operations["getNote"].IDParam)
	assert.Equal(t, "api_key", a.Doc.Components.SecuritySchemes["key"].Value.Extensions["x-credential"])
	assert.Equal(t, map[string]any{"in": "fixed", "name": "notes"}, a.Doc.Paths.Find("/notes").Get.Extensions["x-entity-type"])
}

// Every problem of a spec or a policy names the file, the line and the
// field.
func TestLoadErrorsNameFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, spec, policy string
		file               string
		line               int
		field, msg         string
	}{
		{name: "unknown policy key", spec: noteSpec, policy: notePolicy + "pagin: {}\n",
			file: "notes.policy.yaml", line: 10, field: "pagin", msg: "unknown key"},
		{name: "policy names a missing operation", spec: noteSpec, policy: notePolicy + "operations:\n  listNotez: {rows: bypass}\n",
			file: "notes.policy.yaml", line: 11, field: "operations.listNotez", msg: `no operation "listNotez"`},
		{name: "bad rows value in the policy", spec: noteSpec, policy: notePolicy + "operations:\n  listNotes:\n    rows: sometimes\n",
			file: "notes.policy.yaml", line: 12, field: "operations.listNotes.rows", msg: `"sometimes" is not one of enforce, bypass`},
		{name: "wrong value type in the policy", spec: noteSpec, policy: strings.Replace(notePolicy, "style: offset", "style: [offset]", 1),
			file: "notes.policy.yaml", line: 4, field: "paging.style", msg: "want text"},
		{name: "credentials name a missing scheme", spec: noteSpec, policy: strings.Replace(notePolicy, "  key: api_key", "  keys: api_key", 1),
			file: "notes.policy.yaml", line: 2, field: "credentials.keys", msg: `no security scheme "keys"`},
		{name: "bad x-action in the spec", spec: strings.Replace(noteSpec, "x-action: read", "x-action: fetch", 1), policy: notePolicy,
			file: "notes.yaml", line: 18, field: "paths./notes/{noteId}.get.x-action", msg: `"fetch" is not an action`},
		{name: "a list without the paging parameter", spec: strings.Replace(noteSpec, "name: limit,", "name: size,", 1), policy: notePolicy,
			file: "notes.yaml", line: 9, field: "paths./notes.get.parameters", msg: `no query parameter "limit"`},
		{name: "an invalid spec", spec: strings.Replace(noteSpec, "'200': {description: a page}", "'200': {}", 1), policy: notePolicy,
			file: "notes.yaml", line: 5, field: "paths./notes.get", msg: "not a valid OpenAPI 3 spec"},
		{name: "a public list", spec: strings.Replace(noteSpec, "      security: [{key: []}]\n      parameters:\n        - {name: limit", "      security: []\n      parameters:\n        - {name: limit", 1), policy: notePolicy,
			file: "notes.yaml", line: 8, field: "paths./notes.get.security", msg: "only an example operation may be public"},
		{name: "a key in the query", spec: strings.Replace(noteSpec, "key: {type: http, scheme: bearer}", "key: {type: apiKey, in: query, name: api_key}", 1),
			policy: strings.Replace(notePolicy, "credentials:\n  key: api_key\n", "", 1),
			file:   "notes.yaml", line: 30, field: "components.securitySchemes.key", msg: "the mock takes API keys in a header of their own"},
		{name: "a token endpoint without a lifetime", spec: strings.Replace(noteSpec, "paths:\n", `paths:
  /token:
    post:
      operationId: token
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: {type: object, properties: {grant_type: {type: string}}}
      responses:
        '200': {description: a token}
`, 1), policy: notePolicy,
			file: "notes.yaml", line: 11, field: "paths./token.post.responses", msg: "expires_in a positive whole default"},
		{name: "a spec that is not YAML", spec: noteSpec + "  : [\n", policy: notePolicy,
			file: "notes.yaml", line: -1, msg: "not valid YAML"}, // the line yaml.v3 names: where the block it cannot close starts
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := load(t, tc.spec, tc.policy)
			require.NotEmpty(t, errs)
			e := errs[0]
			assert.Equal(t, tc.file, e.File)
			if tc.line < 0 {
				assert.Positive(t, e.Line, "%v", e)
			} else {
				assert.Equal(t, tc.line, e.Line, "%v", e)
			}
			assert.Equal(t, tc.field, e.Field, "%v", e)
			assert.Contains(t, e.Msg, tc.msg)
			assert.True(t, strings.HasPrefix(e.Error(), tc.file+":"), e.Error())
		})
	}
}

// A JSON Patch of more operations than the mock applies in one request is
// refused whole, the row unchanged.
func TestPatchIsBounded(t *testing.T) {
	row := map[string]any{"tags": []any{}}
	ops := make([]any, maxPatchOperations+1)
	for i := range ops {
		ops[i] = map[string]any{"op": "add", "path": "/tags/0", "value": i}
	}
	err := applyPatch(row, ops)
	var pe *patchError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.msg, "at most 1000")
	assert.Empty(t, row["tags"])
	require.NoError(t, applyPatch(row, ops[:maxPatchOperations]))
	assert.Len(t, row["tags"], maxPatchOperations)
}
