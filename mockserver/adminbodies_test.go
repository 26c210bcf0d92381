package mockserver_test

// The success bodies of the admin API, checked against the models
// generated from openapi/admin.yaml and against the spec itself, so that
// what admin.go writes cannot drift from its spec model unnoticed.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/openapi"
)

// adminCase is one admin request and the model of its answer.
type adminCase struct {
	name, op     string // op: the operationId
	method, path string
	body         any
	headers      []string
	status       int
	// schema is the component schema the spec declares for the answer,
	// model a new value of its generated model; both are empty for an
	// answer that is not JSON (the specs, text, a 204), whose content type
	// the spec must declare.
	schema string
	model  func() any
	// check looks at the decoded model.
	check func(t *testing.T, m any)
}

func adminModel[T any]() func() any { return func() any { return new(T) } }

// bodiesFixture is a tenant with a client that holds no scopes, a revoked
// key and no organizationId.
const bodiesFixture = `{
  "tenant": {"id": "bodies", "name": "Bodies"},
  "users": [{"id": 1, "name": "Ann", "email": "ann@example.com", "password": "pw"},
            {"id": 2, "name": "Ben", "email": "ben@example.com"}],
  "apiKeys": [{"name": "ann", "key": "ann-key", "user": 1},
              {"name": "old", "key": "old-key", "user": 2, "revoked": true}],
  "oauthClients": [{"clientId": "bare", "secret": "s", "user": 1},
                   {"clientId": "full", "secret": "s", "user": 2, "scopes": ["data", "integrations"]}]
}`

// adminCases lists a success of every admin operation, in an order that
// leaves something to show (a tenant to create and delete, a fault plan,
// audit entries, expired tokens).
func adminCases() []adminCase {
	const tenants = "/_mock/tenants"
	const def = tenants + "/default"
	return []adminCase{
		{name: "landing", op: "landing", method: http.MethodGet, path: "/_mock/",
			status: 200, schema: "Landing", model: adminModel[adminapi.Landing]()},
		{name: "spec", op: "getSpec", method: http.MethodGet, path: "/_mock/specs/admin.yaml", status: 200},
		{name: "healthz", op: "healthz", method: http.MethodGet, path: "/_mock/healthz",
			status: 200, schema: "Health", model: adminModel[adminapi.Health](),
			check: func(t *testing.T, m any) {
				h := m.(*adminapi.Health)
				assert.Equal(t, "ok", h.Status)
				assert.Equal(t, 1, h.Tenants)
			}},
		{name: "create", op: "createTenant", method: http.MethodPost, path: tenants, body: bodiesFixture,
			status: 201, schema: "TenantInfo", model: adminModel[adminapi.TenantInfo](),
			check: func(t *testing.T, m any) {
				info := m.(*adminapi.TenantInfo)
				assert.Equal(t, "bodies", info.Id)
				assert.False(t, info.Default)
				assert.Equal(t, "@bodies", info.CredentialSuffix)
				require.Len(t, info.OauthClients, 2)
				assert.Equal(t, "bare@bodies", info.OauthClients[0].ClientId)
				assert.NotNil(t, info.OauthClients[0].Scopes, "a client without scopes has an empty list")
				require.Len(t, info.ApiKeys, 2)
				assert.True(t, info.ApiKeys[1].Revoked)
			}},
		{name: "list", op: "listTenants", method: http.MethodGet, path: tenants,
			status: 200, schema: "TenantList", model: adminModel[adminapi.TenantList](),
			check: func(t *testing.T, m any) {
				l := m.(*adminapi.TenantList)
				require.Len(t, l.Tenants, 2)
				assert.True(t, l.Tenants[0].Default)
			}},
		{name: "get", op: "getTenant", method: http.MethodGet, path: def,
			status: 200, schema: "TenantInfo", model: adminModel[adminapi.TenantInfo](),
			check: func(t *testing.T, m any) {
				info := m.(*adminapi.TenantInfo)
				assert.True(t, info.Default)
				assert.Empty(t, info.CredentialSuffix)
				assert.NotEmpty(t, info.Users)
			}},
		{name: "update settings", op: "updateSettings", method: http.MethodPatch, path: def + "/settings",
			body: map[string]any{"apiDataAccess": "bypass", "enforcement": "enforce", "tokenLifetime": "1h", "sessionLifetime": "90m",
				"rateLimit": map[string]any{"requests": 1e3, "window": "30s"}},
			status: 200, schema: "Settings", model: adminModel[adminapi.Settings](),
			check: func(t *testing.T, m any) {
				s := m.(*adminapi.Settings)
				assert.Equal(t, adminapi.SettingsApiDataAccessBypass, s.ApiDataAccess)
				assert.Equal(t, "1h0m0s", s.TokenLifetime)
				assert.Equal(t, "1h30m0s", s.SessionLifetime)
				assert.Equal(t, 1000, s.RateLimit.Requests)
				assert.Equal(t, ptr("30s"), s.RateLimit.Window)
			}},
		{name: "update settings, rate limit off", op: "updateSettings", method: http.MethodPatch, path: def + "/settings",
			body:   map[string]any{"rateLimit": map[string]any{"requests": 0}},
			status: 200, schema: "Settings", model: adminModel[adminapi.Settings](),
			check: func(t *testing.T, m any) {
				s := m.(*adminapi.Settings)
				assert.Equal(t, 0, s.RateLimit.Requests)
				assert.Equal(t, ptr("1m0s"), s.RateLimit.Window, "the default window")
				assert.Equal(t, "1h0m0s", s.TokenLifetime, "unchanged")
			}},
		{name: "settings", op: "getSettings", method: http.MethodGet, path: def + "/settings",
			status: 200, schema: "Settings", model: adminModel[adminapi.Settings]()},
		{name: "set faults", op: "setFaults", method: http.MethodPut, path: def + "/faults",
			body: map[string]any{"seed": 7, "rules": []map[string]any{
				{"operations": []string{"createCredential"}, "kind": "503", "probability": 0.5, "retryAfter": "2s", "times": 3},
				{"operations": []string{"deleteCredential"}, "kind": "500", "probability": 1, "afterWrite": true},
				{"operations": []string{"createCredential"}, "kind": "latency", "probability": 0.25, "latency": "1ms"},
				{"kind": "429", "probability": 0.001, "times": 1e3}, // an integer in another spelling
			}},
			status: 200, schema: "Faults", model: adminModel[adminapi.Faults](),
			check: func(t *testing.T, m any) {
				f := m.(*adminapi.Faults)
				assert.Equal(t, ptr(int64(7)), f.Seed)
				require.Len(t, f.Rules, 4)
				assert.Equal(t, ptr("2s"), f.Rules[0].RetryAfter)
				assert.Equal(t, ptr(3), f.Rules[0].Times)
				assert.Equal(t, ptr(true), f.Rules[1].AfterWrite)
				assert.Nil(t, f.Rules[3].Operations)
				assert.Equal(t, ptr(1000), f.Rules[3].Times)
			}},
		{name: "faults", op: "getFaults", method: http.MethodGet, path: def + "/faults",
			status: 200, schema: "Faults", model: adminModel[adminapi.Faults](),
			check: func(t *testing.T, m any) { assert.Len(t, m.(*adminapi.Faults).Rules, 4) }},
		{name: "faults off", op: "setFaults", method: http.MethodPut, path: def + "/faults", body: `{"rules": []}`,
			status: 200, schema: "Faults", model: adminModel[adminapi.Faults](),
			check: func(t *testing.T, m any) {
				f := m.(*adminapi.Faults)
				assert.NotNil(t, f.Rules)
				assert.Empty(t, f.Rules)
				assert.Equal(t, ptr(int64(0)), f.Seed)
			}},
		{name: "expire a client's tokens", op: "expireCredentials", method: http.MethodPost, path: def + "/expire",
			body: map[string]any{"clientId": "demo-integrator", "only": "tokens"}, status: 200, schema: "ExpireResult", model: adminModel[adminapi.ExpireResult](),
			check: func(t *testing.T, m any) { assert.Positive(t, m.(*adminapi.ExpireResult).Tokens) }},
		{name: "expire everything", op: "expireCredentials", method: http.MethodPost, path: def + "/expire",
			status: 200, schema: "ExpireResult", model: adminModel[adminapi.ExpireResult]()},
		{name: "audit", op: "getAudit", method: http.MethodGet, path: def + "/audit",
			status: 200, schema: "AuditLog", model: adminModel[adminapi.AuditLog](),
			check: func(t *testing.T, m any) {
				l := m.(*adminapi.AuditLog)
				require.NotEmpty(t, l.Entries)
				var caller, denied bool
				for _, e := range l.Entries {
					caller = caller || e.Caller != nil
					denied = denied || e.Outcome == adminapi.AuditEntryOutcomeDeny
				}
				assert.True(t, caller, "entries name their caller")
				assert.True(t, denied, "the run was denied once")
			}},
		{name: "audit, none match", op: "getAudit", method: http.MethodGet, path: def + "/audit?operation=noSuchOperation",
			status: 200, schema: "AuditLog", model: adminModel[adminapi.AuditLog](),
			check: func(t *testing.T, m any) {
				l := m.(*adminapi.AuditLog)
				assert.NotNil(t, l.Entries)
				assert.Empty(t, l.Entries)
			}},
		{name: "report", op: "getReport", method: http.MethodGet, path: def + "/report",
			status: 200, schema: "Report", model: adminModel[adminapi.Report](),
			check: func(t *testing.T, m any) {
				r := m.(*adminapi.Report)
				assert.NotEmpty(t, r.Tenant)
				var asUser, denials bool
				for _, c := range r.Credentials {
					asUser = asUser || len(c.AsUser) > 0
					denials = denials || len(c.Denials) > 0
				}
				assert.True(t, asUser, "the run acted AS-USER")
				assert.True(t, denials, "the run was denied once")
			}},
		{name: "report, text", op: "getReport", method: http.MethodGet, path: def + "/report?format=text", status: 200},
		{name: "visibility", op: "getVisibility", method: http.MethodGet, path: def + "/visibility?user=2001&entityType=Project",
			status: 200, schema: "VisibilityDiff", model: adminModel[adminapi.VisibilityDiff](),
			check: func(t *testing.T, m any) {
				d := m.(*adminapi.VisibilityDiff)
				require.NotEmpty(t, d.Credentials)
				assert.NotEmpty(t, d.Credentials[0].ApiOnly, "under bypass the API reads rows the UI hides")
			}},
		{name: "visibility, denied", op: "getVisibility", method: http.MethodGet, path: def + "/visibility?user=1002&entityType=Task",
			status: 200, schema: "VisibilityDiff", model: adminModel[adminapi.VisibilityDiff](),
			check: func(t *testing.T, m any) {
				d := m.(*adminapi.VisibilityDiff)
				require.NotEmpty(t, d.Credentials)
				require.NotNil(t, d.Credentials[0].Denied)
				assert.Equal(t, "object", d.Credentials[0].Denied.Step)
			}},
		{name: "visibility, text", op: "getVisibility", method: http.MethodGet, path: def + "/visibility?user=2001&entityType=Project&format=text", status: 200},
		{name: "reset", op: "resetTenant", method: http.MethodPost, path: tenants + "/bodies/reset",
			status: 200, schema: "TenantInfo", model: adminModel[adminapi.TenantInfo]()},
		{name: "delete", op: "deleteTenant", method: http.MethodDelete, path: tenants + "/bodies", status: 204},
		{name: "load an API", op: "loadAPI", method: http.MethodPost, path: "/_mock/apis", body: bodiesAPI,
			status: 201, schema: "LoadedAPIInfo", model: adminModel[adminapi.LoadedAPIInfo](),
			check: func(t *testing.T, m any) {
				a := m.(*adminapi.LoadedAPIInfo)
				assert.Equal(t, "bodies", a.Name)
				assert.Equal(t, "/_mock/specs/bodies.yaml", a.Spec)
				assert.Equal(t, []string{"things"}, a.ResourceTypes)
			}},
		{name: "list the APIs", op: "listAPIs", method: http.MethodGet, path: "/_mock/apis",
			status: 200, schema: "LoadedAPIList", model: adminModel[adminapi.LoadedAPIList](),
			check: func(t *testing.T, m any) {
				l := m.(*adminapi.LoadedAPIList)
				require.Len(t, l.Apis, 1)
				assert.Equal(t, "bodies", l.Apis[0].Name)
			}},
	}
}

// bodiesAPI loads a one-operation API keyed by X-API-Key.
const bodiesAPI = `{"name": "bodies", "spec": "openapi: 3.0.3\ninfo: {title: bodies, version: '1'}\npaths:\n  /things:\n    get:\n      operationId: listThings\n      x-resource: things\n      security: [{key: []}]\n      responses: {'200': {description: the things}}\ncomponents:\n  securitySchemes:\n    key: {type: apiKey, in: header, name: X-API-Key}\n"}`

// adminBodyServer is a mock with a clock, after a run of the integrator
// that leaves usage, denials and AS-USER requests to report.
func adminBodyServer(t *testing.T) *harness {
	t.Helper()
	clock := mocktest.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	m := mocktest.Start(t, mocktest.WithClock(clock))
	integratorRun(t, m)
	return &harness{t: t, srv: m.Mock, url: m.URL, http: m.HTTPClient(), clock: clock}
}

func TestAdminBodiesAreTheirSpecModels(t *testing.T) {
	t.Parallel()
	h := adminBodyServer(t)
	doc := loadSpec(t, openapi.Admin)
	for _, c := range adminCases() {
		// The cases build on each other: they run in order, on the test's
		// goroutine (h.do), and a failure stops the rest.
		ok := t.Run(c.name, func(t *testing.T) {
			h.t = t
			r := h.do(c.method, c.path, c.body, c.headers...)
			require.Equal(t, c.status, r.status, "%s", r.body)
			bc := bodyCase{name: c.name, method: c.method, path: strings.SplitN(c.path, "?", 2)[0], status: c.status}
			op := operationOf(t, doc, c.method, bc.path)
			require.Equal(t, c.op, op.OperationID, "the case's operation")
			resp := op.Responses.Status(c.status)
			require.NotNil(t, resp, "the spec declares %d", c.status)
			if c.schema == "" {
				if c.status == http.StatusNoContent {
					assert.Empty(t, r.body)
					return
				}
				ct, _, _ := strings.Cut(r.header.Get("Content-Type"), ";")
				assert.NotNil(t, resp.Value.Content.Get(ct), "the spec declares %s", ct)
				return
			}

			// The spec: the answer is declared with the schema, and the body
			// holds every member that schema requires and none it does not
			// declare.
			ref, schema := responseSchema(t, doc, bc, r)
			assert.Equal(t, "#/components/schemas/"+c.schema, ref, "the schema the spec declares")
			var raw any
			require.NoError(t, json.Unmarshal(r.body, &raw))
			for _, p := range conform(schema, raw, "") {
				t.Errorf("%s (body %s)", p, r.body)
			}

			// The generated model: every member of the body is a field of it,
			// and it holds every value (encoding it again gives the body).
			m := c.model()
			require.NoError(t, decodeStrict(r.body, m), "%s", r.body)
			again, err := json.Marshal(m)
			require.NoError(t, err)
			assert.JSONEq(t, string(r.body), string(again), "the model holds the whole body")
			if c.check != nil {
				c.check(t, m)
			}
		})
		if !ok {
			break
		}
	}
	h.t = t
}

// Every operation of the admin spec has a case.
func TestAdminCasesCoverTheSpec(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range adminCases() {
		seen[c.op] = true
	}
	for _, op := range loadSpec(t, openapi.Admin).Paths.Map() {
		for _, o := range op.Operations() {
			assert.True(t, seen[o.OperationID], "no case for %s", o.OperationID)
		}
	}
}

// operationOf finds the operation of doc a request is routed to.
func operationOf(t *testing.T, doc *openapi3.T, method, path string) *openapi3.Operation {
	t.Helper()
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	req, err := http.NewRequest(method, "http://127.0.0.1"+path, nil)
	require.NoError(t, err)
	route, _, err := router.FindRoute(req)
	require.NoError(t, err)
	return route.Operation
}
