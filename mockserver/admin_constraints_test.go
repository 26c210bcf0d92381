package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// What the admin spec states about its inputs is what the mock refuses:
// each value here breaks one stated constraint (a duration's syntax or
// sign, a probability's range, an integer bound) and is answered 400 naming
// its field, before anything changes; the values at the edges are taken.
func TestAdminRefusesWhatItsSpecRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	settings, faults := "/_mock/tenants/default/settings", "/_mock/tenants/default/faults"
	rule := func(extra string) string { return `{"rules":[{"kind":"500","probability":1` + extra + `}]}` }
	for _, c := range []struct {
		method, path, body string
		field              string // "" when the body is taken
	}{
		{http.MethodPatch, settings, `{"tokenLifetime":"soon"}`, "tokenLifetime"},
		{http.MethodPatch, settings, `{"sessionLifetime":"` + strings.Repeat("x", 100) + `"}`, "sessionLifetime"},
		{http.MethodPatch, settings, `{"tokenLifetime":"-1s"}`, "tokenLifetime"},
		{http.MethodPatch, settings, `{"tokenLifetime":""}`, "tokenLifetime"},
		{http.MethodPatch, settings, `{"sessionLifetime":"0s"}`, "sessionLifetime"},
		{http.MethodPatch, settings, `{"rateLimit":{"requests":1,"window":"-1m"}}`, "rateLimit.window"},
		{http.MethodPatch, settings, `{"rateLimit":{"requests":1.5}}`, "rateLimit.requests"},
		{http.MethodPatch, settings, `{"rateLimit":{"requests":-1}}`, "rateLimit.requests"},
		{http.MethodPatch, settings, `{"tokenLifetime":"0","sessionLifetime":"1ns","rateLimit":{"requests":0,"window":"0s"}}`, ""},
		{http.MethodPatch, settings, `{"tokenLifetime":"1h30m","sessionLifetime":"8h0m0s","rateLimit":{"requests":1000000000,"window":"1.5m"}}`, ""},
		{http.MethodPut, faults, `{"rules":[{"kind":"500","probability":0}]}`, "rules[0].probability"},
		{http.MethodPut, faults, `{"rules":[{"kind":"500","probability":1.5}]}`, "rules[0].probability"},
		{http.MethodPut, faults, rule(`,"retryAfter":"soon"`), "rules[0].retryAfter"},
		{http.MethodPut, faults, rule(`,"retryAfter":"-1s"`), "rules[0].retryAfter"},
		{http.MethodPut, faults, `{"rules":[{"kind":"latency","probability":1,"latency":"-5ms"}]}`, "rules[0].latency"},
		{http.MethodPut, faults, rule(`,"operations":[" "]`), "rules[0].operations[0]"},
		{http.MethodPut, faults, rule(`,"times":-1`), "rules[0].times"},
		{http.MethodPut, faults, `{"seed":-7,"rules":[{"kind":"latency","probability":0.5,"latency":"1µs"},{"kind":"503","probability":1,"retryAfter":"0"}]}`, ""},
		{http.MethodPut, faults, `{"rules":[]}`, ""},
	} {
		r := h.do(c.method, c.path, c.body)
		if c.field == "" {
			assert.Equal(t, http.StatusOK, r.status, "%s %s", c.body, r.body)
			continue
		}
		if assert.Equal(t, http.StatusBadRequest, r.status, "%s", c.body) {
			msg, _ := r.object(t)["message"].(string)
			assert.True(t, strings.HasPrefix(msg, c.field+": "), "%s: %q names %s", c.body, msg, c.field)
			// A pattern is explained in words (x-pattern-message), not as
			// its regular expression.
			assert.NotContains(t, msg, "regular expression", "%s", c.body)
		}
	}
	// Nothing refused took effect.
	st := h.srv.DefaultTenant().Settings()
	assert.Equal(t, "1h30m0s", st.TokenLifetime.String())
	f, _ := h.srv.DefaultTenant().Faults()
	assert.Empty(t, f.Rules)
}

// A fixture is checked by the fixture checker, which reads YAML with YAML's
// rules: unquoted dates and numbers are text where the Fixture schema wants
// text. A typed adminapi.Fixture is sent as the schema's JSON.
func TestCreateTenantTakesFixtures(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, err := adminapi.NewClientWithResponses(h.url, adminapi.WithHTTPClient(h.http))
	require.NoError(t, err)
	ctx := t.Context()

	yamlFixture := `
tenant: {id: plain-scalars}
users: [{id: 1, name: 2026, email: one@example.com, password: 1234}]
credentialTypes: [{name: db, fields: [{name: port, required: true}]}]
credentials: [{id: c1, name: DB, type: db, fields: {port: 5432}, createdDate: 2026-01-10T08:00:00Z}]
faults: {rules: [{operations: [getSessionInfo], kind: 500, probability: 1}]}
`
	created, err := admin.CreateTenantWithBodyWithResponse(ctx, "application/yaml", strings.NewReader(yamlFixture))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	tn, ok := h.srv.Tenant("plain-scalars")
	require.True(t, ok)
	c, ok := tn.Credential("c1")
	require.True(t, ok)
	assert.Equal(t, "5432", c.Fields["port"])

	typed := adminapi.Fixture{
		Tenant:  &adminapi.FixtureTenant{Id: ptr("typed"), Name: ptr("Typed")},
		Users:   &[]adminapi.FixtureUser{{Id: 1, Name: "Ann", Email: "ann@example.com"}},
		ApiKeys: &[]adminapi.FixtureAPIKey{{Name: "ann", Key: "ann-key", User: 1}},
		Settings: &adminapi.FixtureSettings{SessionLifetime: ptr("1h"),
			RateLimit: &adminapi.FixtureRateLimit{Requests: ptr(10), Window: ptr("1m")}},
	}
	created, err = admin.CreateTenantWithResponse(ctx, typed)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	assert.Equal(t, "ann-key@typed", created.JSON201.ApiKeys[0].Key)
	tn, _ = h.srv.Tenant("typed")
	assert.Equal(t, tenant.RateLimit{Requests: 10, Window: time.Minute}, tn.Settings().RateLimit)
}

// The tenant's bound on live sessions is the admin spec's maximum of
// maxSessionsPerUser: the fixture and settings code checks the number in Go,
// and this holds the two together.
func TestSessionBoundIsTheSpecsMaximum(t *testing.T) {
	doc, err := openapi.Load(openapi.Admin)
	require.NoError(t, err)
	sc := doc.Components.Schemas["MaxSessionsPerUser"]
	require.NotNil(t, sc)
	require.NotNil(t, sc.Value.Max)
	assert.Equal(t, float64(tenant.MaxTenantSessions), *sc.Value.Max)
}
