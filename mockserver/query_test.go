package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func compare(field, op string, right map[string]any) map[string]any {
	return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": field}, "operator": op, "rightExpression": right}
}

func TestDottedProjectionAndReferences(t *testing.T) {
	h := newHarness(t)
	admin := []string{"Authorization", "Session " + loginSession(t, h, "alice@demo.tenantkit.dev")}
	p := h.query(t, map[string]any{"typeName": "Task", "fields": []string{"Name", "Project", "Project.State", "Assignee.Email"},
		"where": compare("id", "Equal", map[string]any{"value": "/Task/4"})}, admin...)
	require.Len(t, p.Entities, 1)
	e := p.Entities[0]
	assert.Equal(t, map[string]any{"id": "/Project/5", "Name": "Data Lake Ingestion", "State": "Active"}, e["Project"])
	assert.Equal(t, map[string]any{"id": "/User/2001", "Email": "api-service@demo.tenantkit.dev"}, e["Assignee"])

	// A reference compares by id, written /Type/n or n.
	p = h.query(t, map[string]any{"typeName": "Task", "fields": []string{"Name"},
		"where": compare("Project", "In", map[string]any{"value": []any{"/Project/5", 7}})}, admin...)
	assert.Equal(t, []string{"/Task/4", "/Task/5", "/Task/7"}, ids(p))

	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task", "fields": []string{"Name.Length"}}, admin...)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, string(r.body), "Name is not a reference field")
}

func TestFieldAgainstField(t *testing.T) {
	h := newHarness(t)
	admin := []string{"Authorization", "Session " + loginSession(t, h, "alice@demo.tenantkit.dev")}
	all := h.query(t, map[string]any{"typeName": "Project", "fields": []string{"Name"}}, admin...)
	later := h.query(t, map[string]any{"typeName": "Project", "fields": []string{"Name"},
		"where": compare("DueDate", "GreaterThan", map[string]any{"fieldName": "StartDate"})}, admin...)
	assert.Equal(t, ids(all), ids(later), "every demo project is due after it starts")
	r := h.do(http.MethodPost, "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FROM Project WHERE DueDate < StartDate"}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), `"entities":[]`)
}

// Every malformed query is a 400 in the data API's shape that says what is
// wrong and where.
func TestMalformedQueriesSayWhatAndWhere(t *testing.T) {
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	cases := []struct {
		name string
		path string
		body map[string]any
		want string
	}{
		{"number against text", entityQuery, map[string]any{"typeName": "Project",
			"where": compare("Budget", "Equal", map[string]any{"value": "lots"})}, `where: Budget is a number field; \"lots\" is not a number`},
		{"text operator on a date", entityQuery, map[string]any{"typeName": "Project",
			"where": map[string]any{"_type": "and", "and": []any{compare("DueDate", "Contains", map[string]any{"value": "2026"})}}},
			"where.and[0]: Contains applies to text fields; DueDate is a date field"},
		{"unknown field", entityQuery, map[string]any{"typeName": "Project",
			"where": compare("Budgte", "Equal", map[string]any{"value": 1})}, `where: Project has no field \"Budgte\"`},
		{"ordering against null", entityQuery, map[string]any{"typeName": "Project",
			"where": compare("Budget", "LessThan", map[string]any{"value": nil})}, "needs a value, not null"},
		{"unknown order field", entityQuery, map[string]any{"typeName": "Project",
			"orders": []any{map[string]any{"fieldName": "Name"}, map[string]any{"fieldName": "Nope"}}}, `orders[1].fieldName: Project has no field \"Nope\"`},
		{"bad order direction", entityQuery, map[string]any{"typeName": "Project",
			"orders": []any{map[string]any{"fieldName": "Name", "order": "Sideways"}}}, "orders[0].order"},
		// The spec states that a right expression is {value} or
		// {fieldName}, so the validator refuses a sub-query (queryExpression)
		// before the engine could say it does not run them.
		{"sub-query", entityQuery, map[string]any{"typeName": "Project",
			"where": compare("Name", "Equal", map[string]any{"query": "x"})}, "where"},
		{"CZQL type error", "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FROM Project WHERE Budget > 'x'"},
			`q: at position 32: Budget is a number field; \"x\" is not a number`},
		{"CZQL unknown field in select", "/V2.0/services/data/query", map[string]any{"q": "SELECT Name, Nmae FROM Project"},
			`q: at position 14: Project has no field \"Nmae\"`},
		{"CZQL unknown type", "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FROM Projcet"},
			`q: at position 18: unknown entity type \"Projcet\"`},
		{"CZQL list parameter outside IN", "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FROM Project WHERE Name = :n",
			"parameters": map[string]any{"n": []any{"a"}}}, "only IN takes a list"},
		{"CZQL nesting", "/V2.0/services/data/query", map[string]any{"q": "SELECT Name FROM Project WHERE " + deep(100)}, "nested more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(http.MethodPost, tc.path, tc.body, svc...)
			require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
			m := r.object(t)
			assert.Equal(t, "InvalidArgument", m["errorCode"])
			assert.Contains(t, string(r.body), tc.want)
		})
	}
}

func deep(n int) string {
	s := "Name = 'x'"
	for range n {
		s = "(" + s + ")"
	}
	return s
}

// Shares and group memberships take effect on the next request.
func TestShareAndMembershipChangesAreSeenAtOnce(t *testing.T) {
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	q := map[string]any{"typeName": "Project", "fields": []string{"Name"}}
	assert.Equal(t, []string{"/Project/5", "/Project/6", "/Project/7", "/Project/8"}, ids(h.query(t, q, svc...)))

	tn := h.srv.DefaultTenant()
	require.NoError(t, tn.SetShares("Project", 1, []string{"Sales", "Integrations-Test"}, nil))
	require.NoError(t, tn.SetShares("Project", 5, nil, nil))
	assert.Equal(t, []string{"/Project/1", "/Project/6", "/Project/7", "/Project/8"}, ids(h.query(t, q, svc...)))

	require.NoError(t, tn.SetShares("Project", 9, nil, []int64{2001}))
	require.NoError(t, tn.SetUserGroups(2001, nil))
	assert.Equal(t, []string{"/Project/9"}, ids(h.query(t, q, svc...)), "only the row shared with the user directly")
	r := h.do(http.MethodGet, "/V2.0/services/data/objects/Project/6", nil, svc...)
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestRowsFilterOnTheEngine(t *testing.T) {
	h := newHarness(t)
	tok := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	r := h.do(http.MethodPost, rowsPath+"query/Project", map[string]any{"query": `{Owner: 1002}`, "fields": []string{"Name", "Owner"}}, tok...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var got struct {
		Rows         []map[string]any `json:"rows"`
		TotalRecords int              `json:"totalRecords"`
	}
	r.json(t, &got)
	require.Len(t, got.Rows, 1)
	assert.Equal(t, 1, got.TotalRecords)
	assert.Equal(t, map[string]any{"url": "mailto:bob@demo.tenantkit.dev", "type": 0.0, "id": 1002.0, "name": "Bob Analyst", "entryListId": -1.0}, got.Rows[0]["Owner"])

	r = h.do(http.MethodPost, rowsPath+"query/Project", map[string]any{"query": `{Budget: "many"}`}, tok...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), "Budget is a number field")
}
