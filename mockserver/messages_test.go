package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Every message a user can see reads as one sentence naming the input: no
// repeated phrases, no empty field names, no Go type names.
func TestValidationMessagesNameTheInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key := apiKey("demo-key-service")
	cases := []struct {
		method, path string
		body         any
		want         string
	}{
		{http.MethodGet, entityQuery + "?typeName=Project&from=", nil, "from: the query parameter may not be empty"},
		{http.MethodGet, entityQuery + "?typeName=Project&limit=x", nil, `limit: "x" is not a whole number`},
		{http.MethodGet, "/_mock/tenants/default/visibility?user=2001", nil, "entityType: the query parameter is required"},
		{http.MethodPost, entityQuery, "", "body: the request body is empty; this operation needs one"},
		{http.MethodPost, entityQuery, map[string]any{}, "typeName: the field is required"},
		{http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "where": map[string]any{"_type": "Bogus"}},
			`where._type: "Bogus" is not one of and, cZQLCondition, compare, not, or`},
		{http.MethodPut, "/_mock/tenants/default/faults", `{"rules":[{"kind":"500","probability":1,"times":1e30}]}`,
			"rules[0].times: number must be at most 1e+09"},
		{http.MethodPut, "/_mock/tenants/default/faults", `{"rules":[{"kind":"500","probability":1,"times":3000000000}]}`,
			"rules[0].times: number must be at most 1e+09"},
	}
	for _, c := range cases {
		var hdr []string
		if c.path[:7] != "/_mock/" {
			hdr = key
		}
		r := h.do(c.method, c.path, c.body, hdr...)
		assert.Equal(t, http.StatusBadRequest, r.status, "%s %s", c.method, c.path)
		m := r.object(t)
		msg, _ := m["message"].(string)
		assert.Equal(t, c.want, msg, "%s %s", c.method, c.path)
		assert.NotContains(t, msg, "Go struct", "no Go type names")
	}
}

// A request refused as malformed never reads as allowed: the decision
// header says deny at the validate step with the code the relationship
// API's body uses, invalid_request; a malformed AS-USER value reads
// invalid_request in the header and the body alike.
func TestMalformedRequestsAreNotAllowed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key := apiKey("demo-key-service")
	for _, c := range []struct {
		name string
		body any
	}{
		{"malformed JSON", `{"typeName": "Project",`},
		{"unknown type", map[string]any{"typeName": "Spaceship"}},
		{"schema violation", map[string]any{"typeName": 5}},
	} {
		r := h.do(http.MethodPost, entityQuery, c.body, key...)
		assert.Equal(t, http.StatusBadRequest, r.status, c.name)
		assert.Equal(t, wire.OutcomeDeny, r.decision.Outcome, c.name)
		assert.Equal(t, wire.StepValidate, r.decision.Step, c.name)
		assert.Equal(t, wire.CodeInvalidRequest, r.decision.Code, c.name)
		assert.Equal(t, r.object(t)["message"], r.decision.Reason, c.name)
		assert.Contains(t, r.decision.Fix, "/_mock/specs/data.yaml", c.name)
	}
	audit := h.srv.DefaultTenant().Audit(tenant.AuditFilter{})
	last := audit[len(audit)-1]
	assert.Equal(t, wire.OutcomeDeny, last.Outcome, "the audit log agrees")
	assert.Equal(t, wire.StepValidate, last.Step)

	tok := h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data")
	r := h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(bearer(tok), []string{"AS-USER", "-1"})...)
	assert.Equal(t, http.StatusBadRequest, r.status)
	body := r.object(t)
	assert.Equal(t, "invalid_request", body["errorCode"])
	assert.Equal(t, wire.CodeInvalidRequest, r.decision.Code, "header and body give one code")
	assert.Equal(t, `AS-USER: "-1" is not a user id (a positive whole number)`, body["detail"])
}
