package query_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

type row map[string]any

func (r row) Get(f string) (any, bool) {
	for k, v := range r {
		if strings.EqualFold(k, f) {
			return v, true
		}
	}
	return nil, false
}

var rows = []row{
	{"id": "/P/1", "Name": "Apollo", "Budget": 100.0, "Active": true, "Due": "2026-01-05T00:00:00Z"},
	{"id": "/P/2", "Name": "Gemini", "Budget": 250.0, "Active": false, "Due": "2026-03-01T00:00:00Z"},
	{"id": "/P/3", "Name": "Mercury 7", "Budget": 50.0, "Active": true},
}

func match(x query.Expr) []string {
	var out []string
	for _, r := range rows {
		if x.Eval(r) {
			out = append(out, r["id"].(string))
		}
	}
	return out
}

func TestOperators(t *testing.T) {
	cases := []struct {
		op    string
		field string
		value any
		want  []string
	}{
		{query.OpEqual, "Name", "apollo", []string{"/P/1"}},
		{query.OpEqual, "Due", nil, []string{"/P/3"}},
		{query.OpNotEqual, "Name", "Apollo", []string{"/P/2", "/P/3"}},
		{query.OpLessThan, "Budget", 100.0, []string{"/P/3"}},
		{query.OpGreaterThan, "Budget", 100.0, []string{"/P/2"}},
		{query.OpLessThanOrEqual, "Budget", 100.0, []string{"/P/1", "/P/3"}},
		{query.OpGreaterThanOrEqual, "Due", "2026-02-01", []string{"/P/2"}},
		{query.OpBeginsWith, "Name", "ME", []string{"/P/3"}},
		{query.OpEndsWith, "Name", "ini", []string{"/P/2"}},
		{query.OpContains, "Name", "ll", []string{"/P/1"}},
		{query.OpDoesNotContain, "Name", "e", []string{"/P/1"}},
		{query.OpLike, "Name", "%ur_ 7", []string{"/P/3"}},
		{query.OpLike, "Name", "a%o", []string{"/P/1"}},
		{query.OpEqual, "Active", true, []string{"/P/1", "/P/3"}},
		{query.OpEqual, "Budget", "250", []string{"/P/2"}},
	}
	for _, tc := range cases {
		x := &query.Compare{Field: tc.field, Op: tc.op, Value: tc.value}
		assert.Equal(t, tc.want, match(x), "%s %s %v", tc.field, tc.op, tc.value)
	}
	in := &query.Compare{Field: "id", Op: query.OpIn, List: []any{"/P/3", "/P/1"}}
	assert.Equal(t, []string{"/P/1", "/P/3"}, match(in))
}

func TestParseWhere(t *testing.T) {
	cmp := func(f, op string, v any) map[string]any {
		return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": f}, "operator": op, "rightExpression": map[string]any{"value": v}}
	}
	cond := func(v any) *dataapi.Condition {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var c dataapi.Condition
		require.NoError(t, json.Unmarshal(b, &c))
		return &c
	}
	x, err := query.ParseWhere(cond(map[string]any{"_type": "or", "or": []any{
		cmp("Name", "Equal", "Gemini"),
		map[string]any{"_type": "not", "not": cmp("Budget", "GreaterThan", 60)},
	}}), "where")
	require.NoError(t, err)
	assert.Equal(t, []string{"/P/2", "/P/3"}, match(x))
	assert.Equal(t, []string{"Name", "Budget"}, query.Fields(x))

	_, err = query.ParseWhere(cond(map[string]any{"_type": "and", "and": []any{cmp("Name", "Resembles", "x")}}), "where")
	var qe *query.Error
	require.True(t, errors.As(err, &qe))
	assert.Equal(t, "where.and[0].operator", qe.Path)
	_, err = query.ParseWhere(cond(map[string]any{"_type": "xor"}), "where")
	require.Error(t, err)
	_, err = query.ParseWhere(cond(cmp("id", "In", "x")), "where")
	assert.ErrorContains(t, err, "In wants a constant list")
	_, err = query.Limits{MaxDepth: 2}.ParseWhere(cond(map[string]any{"_type": "not", "not": map[string]any{"_type": "not", "not": cmp("Name", "Equal", "x")}}), "where")
	assert.ErrorContains(t, err, "the limit is 2")
}

func TestParseQuery(t *testing.T) {
	q, err := query.ParseQuery(`select Name, Budget from Project where (Budget >= :min or Name like 'Gem%') and not Active = true order by Budget desc, Name limit 5 offset 1`,
		map[string]any{"min": 200})
	require.NoError(t, err)
	assert.Equal(t, []string{"Name", "Budget"}, q.Fields)
	assert.Equal(t, "Project", q.From)
	assert.Equal(t, []query.Order{{Field: "Budget", Descending: true, Pos: 108}, {Field: "Name", Pos: 121}}, q.Orders)
	assert.Equal(t, 5, q.Limit)
	assert.Equal(t, 1, q.Offset)
	assert.Equal(t, []string{"/P/2"}, match(q.Where))

	q, err = query.ParseQuery(`SELECT * FROM P WHERE Name IN ('Apollo', "Gemini") AND Due IS NOT NULL AND Name <> 'it''s'`, nil)
	require.NoError(t, err)
	assert.Empty(t, q.Fields)
	assert.Equal(t, []string{"/P/1", "/P/2"}, match(q.Where))
}

func TestSyntaxErrorsNameThePosition(t *testing.T) {
	cases := []struct {
		q   string
		pos int
		msg string
	}{
		{"SELECT Name FORM Task", 13, `expected FROM, found "FORM"`},
		{"SELECT FROM Task", 8, "expected a field name"},
		{"SELECT Name FROM Task WHERE Name = ", 36, "expected a value"},
		{"SELECT Name FROM Task WHERE Name == 'x'", 35, "expected a value"},
		{"SELECT Name FROM Task WHERE Name = 'x", 36, "unterminated string"},
		{"SELECT Name FROM Task WHERE Name = :nope", 36, "parameter :nope has no value"},
		{"SELECT Name FROM Task LIMIT many", 29, "expected a number after LIMIT"},
		{"SELECT Name FROM Task LIMIT 0", 29, "expected a whole number of at least 1 after LIMIT"},
		{"SELECT Name FROM Task trailing", 23, "expected WHERE, ORDER BY, LIMIT or the end of the query"},
	}
	for _, tc := range cases {
		_, err := query.ParseQuery(tc.q, nil)
		var se *query.SyntaxError
		require.True(t, errors.As(err, &se), "%q: %v", tc.q, err)
		assert.Equal(t, tc.pos, se.Pos, "%q: %v", tc.q, err)
		assert.Contains(t, se.Msg, tc.msg, tc.q)
	}
	typ, ok := query.FromType("SELECT a, b FROM Deals WHERE x = 1")
	assert.True(t, ok)
	assert.Equal(t, "Deals", typ)
	_, ok = query.FromType("SELECT a")
	assert.False(t, ok)
}

func TestParseFilterAndSort(t *testing.T) {
	x, err := query.ParseFilter(`{Name: "Gemini"}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"/P/2"}, match(x))
	x, err = query.ParseFilter(`{Active:true, Budget: 50}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"/P/3"}, match(x))
	x, err = query.ParseFilter(``)
	require.NoError(t, err)
	assert.Len(t, match(x), 3)
	_, err = query.ParseFilter(`{Name "x"}`)
	var qe *query.Error
	require.True(t, errors.As(err, &qe))
	assert.Equal(t, 7, qe.Pos)

	sorted := append([]row(nil), rows...)
	orders, err := query.ParseOrders("Due DESC, Name")
	require.NoError(t, err)
	query.Sort(sorted, orders)
	var got []string
	for _, r := range sorted {
		got = append(got, r["id"].(string))
	}
	assert.Equal(t, []string{"/P/2", "/P/1", "/P/3"}, got, "nil sorts first, so last when descending")
}

// Like agrees with the obvious regular expression (% = .*, _ = .) on
// texts and patterns that mix wildcards with literal % and _ characters.
func TestLikeMatchesRegexp(t *testing.T) {
	texts := []string{"", "%", "%%", "%discount", "a%b", "ab", "a_b", "abc", "%ba", "discount%", "é%é", "aaa"}
	patterns := []string{"", "%", "%%", "%count", "%a", "a%", "%b%", "_", "__", "a_b", "%_%", "%%a", "é%", "a%%c", "a_%"}
	for _, s := range texts {
		for _, p := range patterns {
			var re strings.Builder
			re.WriteString("(?s)^")
			for _, r := range p {
				switch r {
				case '%':
					re.WriteString(".*")
				case '_':
					re.WriteString(".")
				default:
					re.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
			re.WriteString("$")
			want := regexp.MustCompile(re.String()).MatchString(s)
			if got := query.Like(s, p); got != want {
				t.Errorf("Like(%q, %q) = %v, want %v", s, p, got, want)
			}
		}
	}
}

func TestParseWhereIn(t *testing.T) {
	cond := func(right map[string]any, op string) *dataapi.Condition {
		b, err := json.Marshal(map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "Name"}, "operator": op, "rightExpression": right})
		require.NoError(t, err)
		var c dataapi.Condition
		require.NoError(t, json.Unmarshal(b, &c))
		return &c
	}
	pathOf := func(err error) string {
		var qe *query.Error
		require.True(t, errors.As(err, &qe), "%v", err)
		return qe.Path
	}
	// The vendor's documented constant list, the third-party SDK's _type
	// and list value, and an explicit _type with values.
	for _, right := range []map[string]any{
		{"values": []any{"Apollo", "Gemini"}},
		{"_type": "constantListExpression", "value": []any{"Apollo", "Gemini"}},
		{"_type": "constantListExpression", "values": []any{"Apollo", map[string]any{"id": "Gemini"}}},
	} {
		x, err := query.ParseWhere(cond(right, "In"), "where")
		require.NoError(t, err, "%v", right)
		assert.Equal(t, []string{"/P/1", "/P/2"}, match(x), "%v", right)
	}
	x, err := query.ParseWhere(cond(map[string]any{"values": []any{}}, "In"), "where")
	require.NoError(t, err)
	assert.Empty(t, match(x), "an empty list matches no row")

	_, err = query.ParseWhere(cond(map[string]any{"_type": "queryExpression", "query": map[string]any{"typeName": "User"}}, "In"), "where")
	assert.Equal(t, "where.rightExpression.query", pathOf(err))
	assert.ErrorContains(t, err, "not supported")
	_, err = query.ParseWhere(cond(map[string]any{"query": map[string]any{"typeName": "User"}}, "In"), "where")
	assert.Equal(t, "where.rightExpression.query", pathOf(err))
	_, err = query.ParseWhere(cond(map[string]any{"values": []any{"a"}}, "Equal"), "where")
	assert.Equal(t, "where.rightExpression.values", pathOf(err))
	_, err = query.ParseWhere(cond(map[string]any{"_type": "constantListExpression", "value": "a"}, "In"), "where")
	assert.Equal(t, "where.rightExpression.values", pathOf(err))
	_, err = query.ParseWhere(cond(map[string]any{"fieldName": "Other"}, "In"), "where")
	assert.Equal(t, "where.rightExpression", pathOf(err))
	_, err = query.ParseWhere(cond(map[string]any{"values": []any{"a", []any{"b"}}}, "In"), "where")
	assert.Equal(t, "where.rightExpression.values[1]", pathOf(err))
	_, err = query.Limits{MaxList: 2}.ParseWhere(cond(map[string]any{"values": []any{"a", "b", "c"}}, "In"), "where")
	assert.Equal(t, "where.rightExpression.values", pathOf(err))
	assert.ErrorContains(t, err, "the limit is 2")
	_, err = query.Limits{MaxList: 2}.ParseCondition(`Name IN ('a', 'b', :more)`, map[string]any{"more": []any{"c"}})
	assert.ErrorContains(t, err, "the limit is 2")
}
