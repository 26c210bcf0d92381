package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const aggregateQuery = "/V2.0/services/data/aggregateQuery"

// aggregateQuery in the vendor's shape: groups with id null, group values
// by field name, aggregates by alias, paging with hasMore; only rows the
// caller may see are aggregated.
func TestAggregateQuery(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	count := func(key string, body map[string]any) map[string]any {
		t.Helper()
		r := h.do(http.MethodPost, aggregateQuery, body, apiKey(key)...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		return r.object(t)
	}
	all := map[string]any{"typeName": "Project", "aggregations": []any{map[string]any{"function": "Count", "fieldName": "id", "alias": "Cnt"}}}
	for _, key := range []string{"demo-key-bob", "demo-key-service"} {
		m := count(key, all)
		assert.Equal(t, []any{map[string]any{"id": nil, "Cnt": float64(4)}}, m["entities"], "%s sees 4 projects", key)
		assert.Equal(t, map[string]any{"from": float64(1), "limit": float64(100), "hasMore": false}, m["paging"])
	}
	// Project 2 is Bob's, hidden from the service key: a condition naming
	// it finds nothing to count.
	m := count("demo-key-service", map[string]any{"typeName": "Project", "where": map[string]any{"_type": "compare",
		"leftExpression": map[string]any{"fieldName": "id"}, "operator": "In", "rightExpression": map[string]any{"values": []any{"/Project/2"}}},
		"aggregations": []any{map[string]any{"function": "Count", "fieldName": "id"}, map[string]any{"function": "Sum", "fieldName": "Budget"}}})
	assert.Equal(t, []any{map[string]any{"id": nil, "Count_id": float64(0), "Sum_Budget": nil}}, m["entities"])

	// Groups page like rows: the returned paging, sent back, reads the next.
	body := map[string]any{"typeName": "Project", "groupBy": []any{"Owner", "billable"},
		"aggregations": []any{map[string]any{"function": "Max", "fieldName": "DueDate"}, map[string]any{"function": "Min", "fieldName": "Name"}},
		"paging":       map[string]any{"limit": 1}}
	var groups []any
	for range 20 {
		m := count("demo-key-bob", body)
		groups = append(groups, m["entities"].([]any)...)
		p := m["paging"].(map[string]any)
		if !p["hasMore"].(bool) {
			break
		}
		body["paging"] = p
	}
	require.NotEmpty(t, groups)
	g := groups[0].(map[string]any)
	assert.Contains(t, g, "Billable", "a group field by its declared name")
	assert.Contains(t, g["Owner"], "id", "a reference as {id}")
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT`, g["Max_DueDate"])

	cases := []struct {
		name, path string
		body       map[string]any
	}{
		{"Sum of text", "aggregations[0].fieldName", map[string]any{"aggregations": []any{map[string]any{"function": "Sum", "fieldName": "Name"}}}},
		{"Min of bool", "aggregations[1].fieldName", map[string]any{"aggregations": []any{map[string]any{"function": "Count", "fieldName": "id"}, map[string]any{"function": "Min", "fieldName": "Billable"}}}},
		{"unknown field", "aggregations[0].fieldName", map[string]any{"aggregations": []any{map[string]any{"function": "Avg", "fieldName": "Colour"}}}},
		{"unknown function", "aggregations[0].function", map[string]any{"aggregations": []any{map[string]any{"function": "Median", "fieldName": "Budget"}}}},
		{"unknown groupBy", "groupBy[1]", map[string]any{"groupBy": []any{"State", "Colour"}, "aggregations": []any{map[string]any{"function": "Count", "fieldName": "id"}}}},
		{"alias twice", "aggregations[1].alias", map[string]any{"aggregations": []any{map[string]any{"function": "Count", "fieldName": "id", "alias": "N"}, map[string]any{"function": "Sum", "fieldName": "Budget", "alias": "n"}}}},
		{"alias of a group field", "aggregations[0].alias", map[string]any{"groupBy": []any{"State"}, "aggregations": []any{map[string]any{"function": "Count", "fieldName": "id", "alias": "State"}}}},
		{"order by a non-member", "orders[0].fieldName", map[string]any{"orders": []any{map[string]any{"fieldName": "Budget"}}, "aggregations": []any{map[string]any{"function": "Count", "fieldName": "id"}}}},
		{"no aggregations", "aggregations", map[string]any{"aggregations": []any{}}},
		{"too many aggregations", "aggregations", map[string]any{"aggregations": func() []any {
			out := make([]any, 17)
			for i := range out {
				out[i] = map[string]any{"function": "Count", "fieldName": "id"}
			}
			return out
		}()}},
		{"bad where", "where.rightExpression.query", map[string]any{"where": map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "Owner"},
			"operator": "In", "rightExpression": map[string]any{"query": map[string]any{"typeName": "User"}}}, "aggregations": []any{map[string]any{"function": "Count", "fieldName": "id"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["typeName"] = "Project"
			r := h.do(http.MethodPost, aggregateQuery, tc.body, apiKey("demo-key-service")...)
			require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
			msg, _ := r.object(t)["message"].(string)
			assert.True(t, strings.HasPrefix(msg, tc.path), "message %q names %q", msg, tc.path)
		})
	}

	r := h.do(http.MethodPost, aggregateQuery, map[string]any{"typeName": "Task", "aggregations": []any{map[string]any{"function": "Count", "fieldName": "id"}}}, apiKey("demo-key-bob")...)
	assert.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
}
