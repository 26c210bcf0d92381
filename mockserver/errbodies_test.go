package mockserver_test

// The error and token bodies the mock writes for the credentials and
// relationship APIs, their token endpoints and the admin API, checked
// against the models generated from their specs and against the specs
// themselves, so that a body cannot drift from its spec model unnoticed.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/credentialsapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// bodyCase is one request whose answer must be a spec model.
type bodyCase struct {
	name         string
	api          openapi.API
	method, path string
	body         any
	headers      []string
	// fault is an operation to inject a 429 fault into, once.
	fault  string
	status int
	// schema names the component schema the body must be: the one the
	// spec declares for the operation's response, or for a request no
	// operation matches (unrouted: an unknown path), the surface's error
	// schema.
	schema   string
	unrouted bool
	// model is a new value of the generated model of schema.
	model func() any
	// code is the body's code field (code, errorCode or error), when set.
	code string
}

func genesysBody() any  { return new(credentialsapi.ErrorBody) }
func problemBody() any  { return new(relationshipapi.Problem) }
func adminErrBody() any { return new(adminapi.Error) }

// errorBodyCases lists a 400, 401, 403, 404 and 429 of each API, every
// 403 the pipeline writes, and the token endpoints' answers.
func errorBodyCases(h *harness) []bodyCase {
	integ := bearer(h.token(genesysToken, "demo-integrator", "demo-integrator-secret", ""))
	ro := bearer(h.token(genesysToken, "demo-readonly", "demo-readonly-secret", ""))
	admin := bearer(h.token(genesysToken, "demo-admin", "demo-admin-secret", ""))
	relInteg := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", ""))
	relRO := bearer(h.token(dealcloudToken, "demo-readonly", "demo-readonly-secret", ""))
	relData := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data"))
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	const cr, rel = openapi.Credentials, openapi.Relationship
	return []bodyCase{
		// The credentials API: Genesys ErrorBody.
		{name: "credentials 400 parameter", api: cr, method: http.MethodGet, path: credentials + "?pageSize=abc", headers: integ,
			status: 400, schema: "ErrorBody", model: genesysBody, code: "bad.request"},
		{name: "credentials 400 body", api: cr, method: http.MethodPost, path: credentials, body: map[string]any{"name": "x"}, headers: integ,
			status: 400, schema: "ErrorBody", model: genesysBody, code: "bad.request"},
		{name: "credentials 401 missing", api: cr, method: http.MethodGet, path: credentials,
			status: 401, schema: "ErrorBody", model: genesysBody, code: "authentication.required"},
		{name: "credentials 401 unknown", api: cr, method: http.MethodGet, path: credentials, headers: bearer("not-a-token"),
			status: 401, schema: "ErrorBody", model: genesysBody, code: "bad.credentials"},
		{name: "credentials 403 scope", api: cr, method: http.MethodDelete, path: credentials + "/" + firstCredential, headers: ro,
			status: 403, schema: "ErrorBody", model: genesysBody, code: "missing.scopes"},
		{name: "credentials 403 permission", api: cr, method: http.MethodDelete, path: credentials + "/" + firstCredential, headers: integ,
			status: 403, schema: "ErrorBody", model: genesysBody, code: "missing.any.permissions"},
		{name: "credentials 404", api: cr, method: http.MethodGet, path: credentials + "/no-such-credential", headers: admin,
			status: 404, schema: "ErrorBody", model: genesysBody, code: "not.found"},
		{name: "credentials 404 path", api: cr, method: http.MethodGet, path: "/api/v2/no/such/path", headers: admin, unrouted: true,
			status: 404, schema: "ErrorBody", model: genesysBody, code: "not.found"},
		{name: "credentials 429", api: cr, method: http.MethodGet, path: credentials, headers: integ, fault: "listCredentials",
			status: 429, schema: "ErrorBody", model: genesysBody, code: "too.many.requests"},

		// Its token endpoint: OAuthError with Genesys' description, TokenResponse.
		{name: "credentials token 400 not a form", api: cr, method: http.MethodPost, path: genesysToken, body: `{}`,
			status: 400, schema: "OAuthError", model: func() any { return new(credentialsapi.OAuthError) }, code: "invalid_request"},
		{name: "credentials token 400 grant", api: cr, method: http.MethodPost, path: genesysToken,
			body:   form("grant_type", "password", "client_id", "demo-admin", "client_secret", "demo-admin-secret"),
			status: 400, schema: "OAuthError", model: func() any { return new(credentialsapi.OAuthError) }, code: "unsupported_grant_type"},
		{name: "credentials token 400 scope", api: cr, method: http.MethodPost, path: genesysToken,
			body:   form("grant_type", "client_credentials", "client_id", "demo-readonly", "client_secret", "demo-readonly-secret", "scope", "integrations"),
			status: 400, schema: "OAuthError", model: func() any { return new(credentialsapi.OAuthError) }, code: "invalid_scope"},
		{name: "credentials token 401", api: cr, method: http.MethodPost, path: genesysToken,
			body:   form("grant_type", "client_credentials", "client_id", "demo-admin", "client_secret", "wrong"),
			status: 401, schema: "OAuthError", model: func() any { return new(credentialsapi.OAuthError) }, code: "invalid_client"},
		{name: "credentials token 429", api: cr, method: http.MethodPost, path: genesysToken, fault: "credentials.getToken",
			body:   form("grant_type", "client_credentials", "client_id", "demo-admin", "client_secret", "demo-admin-secret"),
			status: 429, schema: "ErrorBody", model: genesysBody, code: "too.many.requests"},
		{name: "credentials token 200", api: cr, method: http.MethodPost, path: genesysToken,
			body:   form("grant_type", "client_credentials", "client_id", "demo-admin", "client_secret", "demo-admin-secret"),
			status: 200, schema: "TokenResponse", model: func() any { return new(credentialsapi.TokenResponse) }},

		// The relationship API: problem details.
		{name: "relationship 400", api: rel, method: http.MethodGet, path: rowsPath + "Deals", headers: hdrs(relData, []string{"AS-USER", "abc"}),
			status: 400, schema: "Problem", model: problemBody, code: "invalid_request"},
		{name: "relationship 400 entry type", api: rel, method: http.MethodGet, path: rowsPath + "NoSuchType", headers: relData,
			status: 400, schema: "Problem", model: problemBody, code: "invalid_request"},
		{name: "relationship 401 missing", api: rel, method: http.MethodGet, path: rowsPath + "Deals",
			status: 401, schema: "Problem", model: problemBody, code: "unauthorized"},
		{name: "relationship 401 unknown", api: rel, method: http.MethodGet, path: rowsPath + "Deals", headers: bearer("not-a-token"),
			status: 401, schema: "Problem", model: problemBody, code: "unauthorized"},
		{name: "relationship 403 scope", api: rel, method: http.MethodGet, path: proxyPath, headers: relData,
			status: 403, schema: "Problem", model: problemBody, code: "missing_scopes"},
		{name: "relationship 401 proxy", api: rel, method: http.MethodGet, path: rowsPath + "Deals", headers: hdrs(relData, []string{"AS-USER", "1001"}),
			status: 401, schema: "Problem", model: problemBody, code: "proxy_not_allowed"},
		{name: "relationship 403 permission", api: rel, method: http.MethodPost, path: proxyPath, headers: relInteg,
			body:   map[string]any{"proxyUserId": 2001, "users": []int{1001}},
			status: 403, schema: "Problem", model: problemBody, code: "missing_permissions"},
		{name: "relationship 403 object", api: rel, method: http.MethodGet, path: rowsPath + "Task", headers: relRO,
			status: 403, schema: "Problem", model: problemBody, code: "entry_type_not_accessible"},
		{name: "relationship 404 path", api: rel, method: http.MethodGet, path: "/api/rest/v4/no/such/path", headers: relData, unrouted: true,
			status: 404, schema: "Problem", model: problemBody, code: "not_found"},
		{name: "relationship 429", api: rel, method: http.MethodGet, path: rowsPath + "Deals", headers: relData, fault: "getRows",
			status: 429, schema: "Problem", model: problemBody, code: "too_many_requests"},

		// Its token endpoint: RFC 6749 errors, TokenResponse.
		{name: "relationship token 400 grant", api: rel, method: http.MethodPost, path: dealcloudToken,
			body:   form("grant_type", "password", "client_id", "demo-admin", "client_secret", "demo-admin-secret"),
			status: 400, schema: "OAuthError", model: func() any { return new(relationshipapi.OAuthError) }, code: "unsupported_grant_type"},
		{name: "relationship token 400 scope", api: rel, method: http.MethodPost, path: dealcloudToken,
			body:   form("grant_type", "client_credentials", "client_id", "demo-reporting", "client_secret", "demo-reporting-secret", "scope", "user_management"),
			status: 400, schema: "OAuthError", model: func() any { return new(relationshipapi.OAuthError) }, code: "invalid_scope"},
		{name: "relationship token 401", api: rel, method: http.MethodPost, path: dealcloudToken,
			body:   form("grant_type", "client_credentials", "client_id", "demo-admin", "client_secret", "wrong"),
			status: 401, schema: "OAuthError", model: func() any { return new(relationshipapi.OAuthError) }, code: "invalid_client"},
		{name: "relationship token 429", api: rel, method: http.MethodPost, path: dealcloudToken, fault: "relationship.getToken",
			body:   form("grant_type", "client_credentials", "client_id", "demo-admin", "client_secret", "demo-admin-secret"),
			status: 429, schema: "Problem", model: problemBody, code: "too_many_requests"},
		{name: "relationship token 200", api: rel, method: http.MethodPost, path: dealcloudToken,
			body:   form("grant_type", "client_credentials", "client_id", "demo-admin", "client_secret", "demo-admin-secret", "scope", "data"),
			status: 200, schema: "TokenResponse", model: func() any { return new(relationshipapi.TokenResponse) }},

		// The admin API: {error, message}.
		{name: "admin 400", api: openapi.Admin, method: http.MethodPost, path: "/_mock/tenants", body: `{`,
			status: 400, schema: "Error", model: adminErrBody, code: "bad_request"},
		{name: "admin 403", api: openapi.Admin, method: http.MethodGet, path: "/_mock/tenants", headers: []string{"Origin", "https://elsewhere.example"},
			status: 403, schema: "Error", model: adminErrBody, code: "forbidden_origin"},
		{name: "admin 404", api: openapi.Admin, method: http.MethodGet, path: "/_mock/tenants/no-such-tenant",
			status: 404, schema: "Error", model: adminErrBody, code: "not_found"},
	}
}

func TestErrorBodiesAreTheirSpecModels(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range errorBodyCases(h) {
		t.Run(c.name, func(t *testing.T) {
			faults := tenant.Faults{}
			if c.fault != "" {
				faults.Rules = []tenant.FaultRule{{Operations: []string{c.fault}, Kind: tenant.Fault429, Probability: 1, RetryAfter: time.Second, Times: 1}}
			}
			require.NoError(t, h.srv.DefaultTenant().SetFaults(faults))
			r, err := h.try(c.method, c.path, c.body, c.headers...)
			require.NoError(t, err)
			require.Equal(t, c.status, r.status, "%s: %s", c.name, r.body)

			// The spec: the response is declared with the expected schema, and
			// the body holds what that schema requires and nothing it does not
			// declare (kin-openapi, which mocktest runs, allows undeclared
			// members).
			doc := loadSpec(t, c.api)
			ref, schema := responseSchema(t, doc, c, r)
			assert.Equal(t, "#/components/schemas/"+c.schema, ref, "%s: the schema the spec declares", c.name)
			var raw any
			require.NoError(t, json.Unmarshal(r.body, &raw), "%s", c.name)
			for _, p := range conform(schema, raw, "") {
				t.Errorf("%s: %s (body %s)", c.name, p, r.body)
			}

			// The generated model: every member of the body is a field of it.
			m := c.model()
			require.NoError(t, decodeStrict(r.body, m), "%s: %s", c.name, r.body)

			// The values the SDK reads.
			obj := raw.(map[string]any)
			if c.code != "" {
				field := map[string]string{"ErrorBody": "code", "Problem": "errorCode", "OAuthError": "error", "Error": "error"}[c.schema]
				assert.Equal(t, c.code, obj[field], "%s: %s", c.name, r.body)
			}
			switch c.schema {
			case "ErrorBody":
				assert.EqualValues(t, c.status, obj["status"], "%s", c.name)
				assert.NotEmpty(t, obj["message"], "%s", c.name)
				cid := r.header.Get("ININ-Correlation-Id")
				assert.NotEmpty(t, cid, "%s", c.name)
				assert.Equal(t, cid, obj["contextId"], "%s: contextId is the correlation id", c.name)
				assert.IsType(t, []any{}, obj["details"], "%s: details is an array", c.name)
			case "Problem":
				assert.EqualValues(t, c.status, obj["status"], "%s", c.name)
				assert.Equal(t, http.StatusText(c.status), obj["title"], "%s", c.name)
				assert.NotEmpty(t, obj["detail"], "%s", c.name)
				assert.NotEmpty(t, obj["type"], "%s", c.name)
				assert.NotEmpty(t, obj["traceId"], "%s: traceId is the correlation id", c.name)
			case "OAuthError":
				assert.NotEmpty(t, obj["error_description"], "%s", c.name)
				if c.api == openapi.Credentials {
					assert.Equal(t, obj["error_description"], obj["description"], "%s: Genesys repeats the description", c.name)
				}
			case "TokenResponse":
				assert.NotEmpty(t, obj["access_token"], "%s", c.name)
				assert.Equal(t, "bearer", obj["token_type"], "%s", c.name)
				assert.Greater(t, obj["expires_in"], float64(0), "%s", c.name)
				assert.Contains(t, obj, "scope", "%s", c.name)
				assert.Equal(t, "no-store", r.header.Get("Cache-Control"), "%s", c.name)
			case "Error":
				assert.NotEmpty(t, obj["message"], "%s", c.name)
			}
		})
	}
}

// The permission and scope 403s and a bad parameter carry what the
// Genesys SDK reads beyond code and message: messageParams,
// messageWithParams and details; a problem names the field at fault.
func TestErrorBodiesCarryTheirParameters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	integ := bearer(h.token(genesysToken, "demo-integrator", "demo-integrator-secret", ""))
	ro := bearer(h.token(genesysToken, "demo-readonly", "demo-readonly-secret", ""))

	var perm credentialsapi.ErrorBody
	r := h.do(http.MethodDelete, credentials+"/"+firstCredential, nil, integ...)
	require.NoError(t, decodeStrict(r.body, &perm), "%s", r.body)
	require.NotNil(t, perm.MessageParams)
	assert.Equal(t, map[string]string{"permissions": "integrations:integration:delete"}, *perm.MessageParams)
	require.NotNil(t, perm.MessageWithParams)
	assert.Equal(t, "Unable to perform the requested action. You are missing the following permission(s): [{permissions}]", *perm.MessageWithParams)

	var scope credentialsapi.ErrorBody
	r = h.do(http.MethodDelete, credentials+"/"+firstCredential, nil, ro...)
	require.NoError(t, decodeStrict(r.body, &scope), "%s", r.body)
	require.NotNil(t, scope.MessageParams)
	assert.Equal(t, map[string]string{"scopes": "integrations"}, *scope.MessageParams)
	require.NotNil(t, scope.MessageWithParams)
	assert.Equal(t, "Missing required oauth scopes: {scopes}", *scope.MessageWithParams)

	var bad credentialsapi.ErrorBody
	r = h.do(http.MethodGet, credentials+"?pageSize=abc", nil, integ...)
	require.NoError(t, decodeStrict(r.body, &bad), "%s", r.body)
	assert.Nil(t, bad.MessageParams)
	assert.Nil(t, bad.MessageWithParams)
	require.NotNil(t, bad.Details)
	require.Len(t, *bad.Details, 1)
	d := (*bad.Details)[0]
	require.NotNil(t, d.ErrorCode)
	require.NotNil(t, d.FieldName)
	assert.Equal(t, "invalid.value", *d.ErrorCode)
	assert.Equal(t, "pageSize", *d.FieldName)

	rel := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data"))
	var p relationshipapi.Problem
	r = h.do(http.MethodGet, rowsPath+"NoSuchType", nil, rel...)
	require.NoError(t, decodeStrict(r.body, &p), "%s", r.body)
	require.NotNil(t, p.Errors)
	require.NotNil(t, p.Detail)
	require.Len(t, *p.Errors, 1)
	fe := (*p.Errors)[0]
	assert.Equal(t, *p.Detail, fe.Message)
	assert.Equal(t, p.Message, fe.Message)
	assert.Equal(t, "entryType", *fe.Field)
	assert.Equal(t, "invalid_request", *fe.ErrorCode)
	assert.Equal(t, "https://tools.ietf.org/html/rfc9110#section-15.5.1", *p.Type)
}

// Requests outside every spec (the health check, unknown paths) get the
// plain {error, message} body.
func TestPlainErrorBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodPost, "/healthz", 405, "method_not_allowed"},
		{http.MethodGet, "/no/such/path", 404, "not_found"},
	} {
		r := h.do(c.method, c.path, nil)
		require.Equal(t, c.status, r.status, "%s %s: %s", c.method, c.path, r.body)
		var body struct{ Error, Message string }
		require.NoError(t, decodeStrict(r.body, &body), "%s", r.body)
		assert.Equal(t, c.code, body.Error)
		assert.NotEmpty(t, body.Message)
	}
}

// decodeStrict decodes one JSON value into v, refusing members v has no
// field for and anything after the value.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

var specDocs sync.Map // openapi.API → *openapi3.T

func loadSpec(t *testing.T, api openapi.API) *openapi3.T {
	t.Helper()
	if d, ok := specDocs.Load(api); ok {
		return d.(*openapi3.T)
	}
	doc, err := openapi.Load(api)
	require.NoError(t, err)
	doc.Servers = nil
	d, _ := specDocs.LoadOrStore(api, doc)
	return d.(*openapi3.T)
}

// responseSchema returns the schema the spec declares for r: that of the
// operation's response for its status and content type, or for a request
// that matches no operation the component c.schema.
func responseSchema(t *testing.T, doc *openapi3.T, c bodyCase, r *response) (string, *openapi3.Schema) {
	t.Helper()
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	req, err := http.NewRequest(c.method, "http://127.0.0.1"+c.path, nil)
	require.NoError(t, err)
	route, _, err := router.FindRoute(req)
	if c.unrouted {
		require.Error(t, err, "%s: an operation matches", c.name)
		s := doc.Components.Schemas[c.schema]
		require.NotNil(t, s, "%s: the spec has no schema %s", c.name, c.schema)
		return "#/components/schemas/" + c.schema, s.Value
	}
	require.NoError(t, err, "%s", c.name)
	resp := route.Operation.Responses.Status(r.status)
	require.NotNil(t, resp, "%s: the spec declares no %d", c.name, r.status)
	ct, _, _ := strings.Cut(r.header.Get("Content-Type"), ";")
	mt := resp.Value.Content.Get(ct)
	require.NotNil(t, mt, "%s: the spec declares no %s %d", c.name, ct, r.status)
	return mt.Schema.Ref, mt.Schema.Value
}

// conform lists how v departs from s beyond what kin-openapi checks: a
// required member missing, or a member s does not declare (where s
// declares properties and no additionalProperties).
func conform(s *openapi3.Schema, v any, at string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for _, req := range s.Required {
			if _, ok := v[req]; !ok {
				out = append(out, at+"/"+req+": required by the spec, missing")
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p := s.Properties[k]; p != nil {
				out = append(out, conform(p.Value, v[k], at+"/"+k)...)
			} else if ap := s.AdditionalProperties.Schema; ap != nil {
				out = append(out, conform(ap.Value, v[k], at+"/"+k)...)
			} else if s.AdditionalProperties.Has == nil || !*s.AdditionalProperties.Has {
				out = append(out, at+"/"+k+": not declared by the spec")
			}
		}
	case []any:
		if s.Items != nil {
			for i, e := range v {
				out = append(out, conform(s.Items.Value, e, at+"/"+strconv.Itoa(i))...)
			}
		}
	}
	return out
}
