package mockserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In with a constant list, as the vendor documents it ({values: [...]}) and
// as its third-party SDK sends it (_type constantListExpression, a list
// value), in entityQuery, countQuery and the GET form's CZQL; a list over
// the spec's maxItems and a sub-query are 400s naming the JSON path.
func TestWhereInConstantList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	in := func(right map[string]any) map[string]any {
		return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "id"}, "operator": "In", "rightExpression": right}
	}
	// Project 2 is hidden from the service key: it is never matched.
	list := []any{"/Project/2", "/Project/5", "/Project/7"}
	for _, right := range []map[string]any{
		{"values": list},
		{"_type": "constantListExpression", "value": list},
	} {
		p := h.query(t, map[string]any{"typeName": "Project", "where": in(right)}, svc...)
		assert.Equal(t, []string{"/Project/5", "/Project/7"}, ids(p))
		r := h.do(http.MethodPost, "/V2.0/services/data/countQuery", map[string]any{"query": map[string]any{"typeName": "Project", "where": in(right)}}, svc...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.Equal(t, float64(2), r.object(t)["count"])
	}
	// Combined with not and or.
	p := h.query(t, map[string]any{"typeName": "Project", "where": map[string]any{"_type": "or", "or": []any{
		map[string]any{"_type": "not", "not": in(map[string]any{"values": []any{"/Project/5", "/Project/6", "/Project/7"}})},
		in(map[string]any{"values": []any{}}),
	}}}, svc...)
	assert.Equal(t, []string{"/Project/8"}, ids(p))

	r := h.do(http.MethodGet, entityQuery+"?typeName=Project&where="+url.QueryEscape("id IN ('/Project/2', '/Project/6')"), nil, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), `"/Project/6"`)
	assert.NotContains(t, string(r.body), `"/Project/2"`)

	long := make([]any, 1001)
	for i := range long {
		long[i] = "x"
	}
	cases := []struct {
		name, path string
		where      map[string]any
	}{
		{"too long", "where.rightExpression.values", in(map[string]any{"values": long})},
		{"too long value", "where.rightExpression.value", in(map[string]any{"value": long})},
		{"sub-query", "where.rightExpression.query: a query expression (a sub-query on the right of In) is not supported", in(map[string]any{"query": map[string]any{"typeName": "User"}})},
		{"sub-query _type", "where.rightExpression._type", in(map[string]any{"_type": "queryExpression", "query": map[string]any{"typeName": "User"}})},
		{"left _type", "where.leftExpression._type", map[string]any{"_type": "compare", "leftExpression": map[string]any{"_type": "constantExpression", "fieldName": "Name"},
			"operator": "Equal", "rightExpression": map[string]any{"value": "x"}}},
		{"list with Equal", "where.and[0].rightExpression.values", map[string]any{"_type": "and", "and": []any{map[string]any{"_type": "compare",
			"leftExpression": map[string]any{"fieldName": "Name"}, "operator": "Equal", "rightExpression": map[string]any{"values": []any{"a"}}}}}},
		{"bad _type", "where.rightExpression._type", in(map[string]any{"_type": "constantList", "values": []any{"a"}})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "where": tc.where}, svc...)
			require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
			msg, _ := r.object(t)["message"].(string)
			assert.True(t, strings.HasPrefix(msg, tc.path), "message %q names %q", msg, tc.path)
		})
	}
	r = h.do(http.MethodPost, czqlQuery, map[string]any{"q": "SELECT Name FROM Project WHERE Name IN (:l)", "parameters": map[string]any{"l": long}}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
}
