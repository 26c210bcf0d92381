package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

type page struct {
	Entities []map[string]any `json:"entities"`
	Paging   struct {
		From    int  `json:"from"`
		Limit   int  `json:"limit"`
		HasMore bool `json:"hasMore"`
	} `json:"paging"`
}

func ids(p page) []string {
	out := make([]string, len(p.Entities))
	for i, e := range p.Entities {
		out[i], _ = e["id"].(string)
	}
	return out
}

func (h *harness) query(t *testing.T, body any, auth ...string) page {
	t.Helper()
	r := h.do(http.MethodPost, entityQuery, body, auth...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p page
	r.json(t, &p)
	return p
}

func TestRowLevelSharingEnforceAndBypass(t *testing.T) {
	h := newHarness(t)
	q := map[string]any{"typeName": "Project", "fields": []string{"Name"}}
	p := h.query(t, q, apiKey("demo-key-service")...)
	assert.Equal(t, []string{"/Project/5", "/Project/6", "/Project/7", "/Project/8"}, ids(p), "the 4 Integrations-Test projects")
	assert.False(t, p.Paging.HasMore)

	_, err := h.srv.DefaultTenant().UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	require.NoError(t, err)
	p = h.query(t, q, apiKey("demo-key-service")...)
	assert.Len(t, p.Entities, 12, "bypass ignores row-level sharing")
	// Object-type access still applies under bypass.
	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task"}, apiKey("demo-key-bob")...)
	assert.Equal(t, http.StatusForbidden, r.status)

	// Bob sees the 4 Sales projects, Admin sees everything.
	_, err = h.srv.DefaultTenant().UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessEnforce })
	require.NoError(t, err)
	assert.Equal(t, []string{"/Project/1", "/Project/2", "/Project/3", "/Project/4"}, ids(h.query(t, q, apiKey("demo-key-bob")...)))
}

func TestPagingAgreesWithVisibility(t *testing.T) {
	h := newHarness(t)
	p := h.query(t, map[string]any{"typeName": "Project", "paging": map[string]any{"limit": 3}}, apiKey("demo-key-service")...)
	assert.Equal(t, []string{"/Project/5", "/Project/6", "/Project/7"}, ids(p))
	assert.True(t, p.Paging.HasMore)
	assert.Equal(t, 3, p.Paging.From)
	// Send the paging object back unchanged.
	p = h.query(t, map[string]any{"typeName": "Project", "paging": map[string]any{"from": p.Paging.From, "limit": p.Paging.Limit}}, apiKey("demo-key-service")...)
	assert.Equal(t, []string{"/Project/8"}, ids(p))
	assert.False(t, p.Paging.HasMore)
	p = h.query(t, map[string]any{"typeName": "Project", "paging": map[string]any{"from": 10}}, apiKey("demo-key-service")...)
	assert.Empty(t, p.Entities)
	assert.False(t, p.Paging.HasMore)
	assert.Equal(t, 100, p.Paging.Limit, "default limit")
}

func TestEntityQueryConditions(t *testing.T) {
	h := newHarness(t)
	admin := loginSession(t, h, "alice@demo.tenantkit.dev")
	cmp := func(field, op string, v any) map[string]any {
		return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": field}, "operator": op, "rightExpression": map[string]any{"value": v}}
	}
	cases := []struct {
		name  string
		where map[string]any
		want  []string
	}{
		{"Equal", cmp("State", "Equal", "draft"), []string{"/Project/3", "/Project/8", "/Project/11"}},
		{"NotEqual", cmp("Client", "NotEqual", "Internal"), []string{"/Project/2", "/Project/3", "/Project/6", "/Project/8", "/Project/10"}},
		{"GreaterThan", cmp("Budget", "GreaterThan", 200000), []string{"/Project/5", "/Project/9", "/Project/10"}},
		{"LessThanOrEqual", cmp("Budget", "LessThanOrEqual", 22000), []string{"/Project/3", "/Project/7"}},
		{"LessThan date", cmp("DueDate", "LessThan", "2026-01-01"), []string{"/Project/4", "/Project/12"}},
		{"GreaterThanOrEqual", cmp("PercentComplete", "GreaterThanOrEqual", 100), []string{"/Project/4", "/Project/12"}},
		{"BeginsWith", cmp("Name", "BeginsWith", "executive"), []string{"/Project/9", "/Project/10", "/Project/11", "/Project/12"}},
		{"EndsWith", cmp("Name", "EndsWith", "Sync"), []string{"/Project/6"}},
		{"Contains", cmp("Name", "Contains", "report"), []string{"/Project/8"}},
		{"DoesNotContain", cmp("Name", "DoesNotContain", "e"), []string{"/Project/2"}},
		{"In", cmp("id", "In", []any{"/Project/2", "/Project/7"}), []string{"/Project/2", "/Project/7"}},
		{"Like", cmp("Name", "Like", "%R_view%"), []string{"/Project/1", "/Project/11"}},
		{"Owner reference", cmp("Owner", "Equal", "/User/1002"), []string{"/Project/3"}},
		{"Bool", cmp("Billable", "Equal", true), []string{"/Project/2", "/Project/3", "/Project/6", "/Project/8"}},
		{"and/or/not", map[string]any{"_type": "and", "and": []any{
			map[string]any{"_type": "or", "or": []any{cmp("State", "Equal", "Active"), cmp("State", "Equal", "Draft")}},
			map[string]any{"_type": "not", "not": cmp("Client", "Equal", "Internal")},
		}}, []string{"/Project/2", "/Project/3", "/Project/6", "/Project/8", "/Project/10"}},
		{"cZQLCondition", map[string]any{"_type": "cZQLCondition", "text": "Budget >= :min AND Billable = TRUE", "parameters": map[string]any{"min": 90000}},
			[]string{"/Project/2", "/Project/6"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := h.query(t, map[string]any{"typeName": "Project", "where": tc.where}, "Authorization", "Session "+admin)
			assert.Equal(t, tc.want, ids(p))
		})
	}
}

func loginSession(t *testing.T, h *harness, user string) string {
	t.Helper()
	r := h.do(http.MethodPost, "/V2.0/services/authentication/login", map[string]any{"userName": user, "password": "demo-password"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	id, _ := r.object(t)["sessionId"].(string)
	return id
}

func TestPascalCaseKeysAndOrders(t *testing.T) {
	h := newHarness(t)
	body := `{"TypeName":"Project","Fields":["Name","Budget"],"Orders":[{"FieldName":"Budget","Order":"Descending"}],
		"Where":{"_type":"compare","LeftExpression":{"FieldName":"Budget"},"Operator":"GreaterThan","RightExpression":{"Value":20000}},
		"Paging":{"From":0,"Limit":2}}`
	p := h.query(t, body, apiKey("demo-key-service")...)
	assert.Equal(t, []string{"/Project/5", "/Project/6"}, ids(p))
	assert.Equal(t, map[string]any{"id": "/Project/5", "Name": "Data Lake Ingestion", "Budget": float64(250000)}, p.Entities[0])
	assert.True(t, p.Paging.HasMore)
}

func TestEntityQueryGetAndCZQL(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodGet, entityQuery+"?typeName=Project&fields=Name,State&where=State%3D%27Active%27&orders=Name%20DESC&limit=2", nil, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p page
	r.json(t, &p)
	assert.Equal(t, []string{"/Project/6", "/Project/5"}, ids(p))

	// The service key's roles do not grant Task: CZQL names it after FROM.
	r = h.do(http.MethodPost, "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FROM Task WHERE Completed = FALSE"}, apiKey("demo-key-service")...)
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "Task", r.decision.EntityType)
}

func TestCZQL(t *testing.T) {
	h := newHarness(t)
	alice := loginSession(t, h, "alice@demo.tenantkit.dev")
	auth := []string{"Authorization", "Session " + alice}
	r := h.do(http.MethodPost, "/V2.0/services/data/query",
		map[string]any{"q": "SELECT Name, Project FROM Task WHERE Completed = FALSE AND (State = 'Active' OR State = 'On Hold') ORDER BY DueDate DESC LIMIT 2"}, auth...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p page
	r.json(t, &p)
	assert.Equal(t, []string{"/Task/5", "/Task/9"}, ids(p))
	assert.Equal(t, map[string]any{"id": "/Project/5", "Name": "Data Lake Ingestion"}, p.Entities[0]["Project"], "references are nested {id, Name}")
	assert.False(t, p.Paging.HasMore, "LIMIT caps the result")

	r = h.do(http.MethodPost, "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FORM Task"}, auth...)
	require.Equal(t, http.StatusBadRequest, r.status)
	m := r.object(t)
	assert.Equal(t, "InvalidArgument", m["errorCode"])
	assert.Equal(t, `q: syntax error at position 13: expected FROM, found "FORM"`, m["message"])

	r = h.do(http.MethodPost, "/V2.0/services/data/query", map[string]any{"q": "SELECT Nope FROM Task"}, auth...)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.object(t)["message"], `Task has no field "Nope"`)
}

func TestDataAuthenticationFlow(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodPost, "/V2.0/services/authentication/getServerDefinition", map[string]any{"UserName": "bob@demo.tenantkit.dev", "Password": "demo-password"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, h.url+"/V2.0/services", r.object(t)["serverLocation"])

	r = h.do(http.MethodPost, "/V2.0/services/authentication/login", map[string]any{"userName": "bob@demo.tenantkit.dev", "password": "nope"})
	assert.Equal(t, http.StatusUnauthorized, r.status)

	sess := loginSession(t, h, "bob@demo.tenantkit.dev")
	auth := []string{"Authorization", "Session " + sess}
	r = h.do(http.MethodGet, "/V2.0/services/authentication/getSessionInfo", nil, auth...)
	require.Equal(t, http.StatusOK, r.status)
	m := r.object(t)
	assert.Equal(t, "/User/1002", m["userId"])
	assert.Equal(t, sess, m["sessionId"])
	assert.EqualValues(t, 5001, m["organizationId"])

	// Logout needs a session, not a key.
	assert.Equal(t, http.StatusUnauthorized, h.do(http.MethodGet, "/V2.0/services/authentication/logout", nil, apiKey("demo-key-bob")...).status)
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/V2.0/services/authentication/logout", nil, auth...).status)
	assert.Equal(t, http.StatusUnauthorized, h.do(http.MethodGet, "/V2.0/services/authentication/getSessionInfo", nil, auth...).status)

	// Sessions expire on the injected clock: after 30 minutes without a
	// call (the vendor's inactivity timeout) ...
	info := func(sess string) *response {
		return h.do(http.MethodGet, "/V2.0/services/authentication/getSessionInfo", nil, "Authorization", "Session "+sess)
	}
	sess = loginSession(t, h, "bob@demo.tenantkit.dev")
	h.clock.Advance(30*time.Minute - time.Second)
	assert.Equal(t, http.StatusOK, info(sess).status)
	h.clock.Advance(30*time.Minute - time.Second) // the call above restarted the idle timeout
	assert.Equal(t, http.StatusOK, info(sess).status)
	h.clock.Advance(30 * time.Minute)
	r = info(sess)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "SessionTimeout", r.object(t)["errorCode"])

	// ... and, however busy, 8 hours after the login (sessionLifetime).
	sess = loginSession(t, h, "bob@demo.tenantkit.dev")
	for range 8*60/20 - 1 {
		h.clock.Advance(20 * time.Minute)
		require.Equal(t, http.StatusOK, info(sess).status)
	}
	h.clock.Advance(20*time.Minute - time.Second)
	assert.Equal(t, http.StatusOK, info(sess).status)
	h.clock.Advance(time.Second)
	r = info(sess)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "SessionTimeout", r.object(t)["errorCode"])
}

func TestObjectsCRUD(t *testing.T) {
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	r := h.do(http.MethodPut, "/V2.0/services/data/objects/Project",
		map[string]any{"Name": "Warehouse Sync", "State": "Draft", "Budget": 12000, "StartDate": "2026-04-01"}, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	id, _ := r.object(t)["id"].(string)
	assert.Equal(t, "/Project/13", id)

	// Created entities are owned by the effective user, so they are visible.
	r = h.do(http.MethodGet, "/V2.0/services/data/objects"+id, nil, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	m := r.object(t)
	assert.Equal(t, map[string]any{"id": "/User/2001", "Name": "API Service Account"}, m["Owner"])
	assert.Equal(t, "2026-04-01T00:00:00Z", m["StartDate"])
	assert.Len(t, h.query(t, map[string]any{"typeName": "Project"}, svc...).Entities, 5)

	r = h.do(http.MethodPost, "/V2.0/services/data/objects"+id, map[string]any{"State": "Active", "Budget": 15000}, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = h.do(http.MethodGet, "/V2.0/services/data/objects"+id+"?fields=State,Budget", nil, svc...)
	assert.Equal(t, map[string]any{"id": id, "State": "Active", "Budget": float64(15000)}, r.object(t))

	// Bad values name the field.
	r = h.do(http.MethodPost, "/V2.0/services/data/objects"+id, map[string]any{"Budget": "lots"}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.object(t)["message"], "Budget")
	r = h.do(http.MethodPut, "/V2.0/services/data/objects/Project", map[string]any{"Colour": "red"}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.object(t)["message"], "Colour")

	// The service account may not delete (no data:entity:delete).
	r = h.do(http.MethodDelete, "/V2.0/services/data/objects"+id, nil, svc...)
	assert.Equal(t, http.StatusForbidden, r.status)
	alice := loginSession(t, h, "alice@demo.tenantkit.dev")
	r = h.do(http.MethodDelete, "/V2.0/services/data/objects"+id, nil, "Authorization", "Session "+alice)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, http.StatusNotFound, h.do(http.MethodGet, "/V2.0/services/data/objects"+id, nil, svc...).status)

	writes := h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "createObject"})
	require.NotEmpty(t, writes)
	assert.Equal(t, id, writes[0].Target)
	assert.True(t, writes[0].Write)
}

func TestBadInputIsA400NamingTheField(t *testing.T) {
	h := newHarness(t, mockserver.WithMaxBodyBytes(4096))
	svc := apiKey("demo-key-service")
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"limit too big", map[string]any{"typeName": "Project", "paging": map[string]any{"limit": 6000}}, "paging.limit"},
		{"missing typeName", map[string]any{"fields": []string{"Name"}}, "typeName"},
		{"unknown type", map[string]any{"typeName": "Nope"}, "typeName"},
		{"unknown field", map[string]any{"typeName": "Project", "fields": []string{"Colour"}}, "fields"},
		{"bad operator", map[string]any{"typeName": "Project", "where": map[string]any{"_type": "compare",
			"leftExpression": map[string]any{"fieldName": "Name"}, "operator": "Sounds", "rightExpression": map[string]any{"value": "x"}}}, "where"},
		{"not JSON", `{"typeName":`, "body"},
		{"CZQL condition", map[string]any{"typeName": "Project", "where": map[string]any{"_type": "cZQLCondition", "text": "Name = "}}, "where.text: syntax error at position 8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(http.MethodPost, entityQuery, tc.body, svc...)
			require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
			m := r.object(t)
			assert.Equal(t, "InvalidArgument", m["errorCode"])
			assert.True(t, strings.HasPrefix(m["message"].(string), tc.field), "message %q names %q", m["message"], tc.field)
		})
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodGet, "/V2.0/services/nope", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "EntityNotFound", r.object(t)["errorCode"])
	r = h.do(http.MethodGet, "/api/v2/integrations/nope", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "not.found", r.object(t)["code"])
	r = h.do(http.MethodGet, "/api/rest/v9/x", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "not_found", r.object(t)["errorCode"])
	r = h.do(http.MethodGet, "/favicon.ico", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	r = h.do(http.MethodDelete, credentials, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "method.not.allowed", r.object(t)["code"])
}
