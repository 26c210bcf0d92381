package mockserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rows filter's operators, through both rows reads, on the demo's nine
// Deals as Alice (who sees them all).
func TestRowsFilterOperators(t *testing.T) {
	h := newHarness(t)
	tok := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	cases := []struct {
		filter string
		want   []float64
	}{
		{`{Stage: "Proposal"}`, []float64{2, 8}},
		{`{"stage": {"$eq": "proposal"}}`, []float64{2, 8}},
		{`{REGION: {$not: 'Global'}}`, []float64{1, 2, 3, 4, 5, 6}},
		{`{Name: {$contains: "deal"}}`, []float64{2}},
		{`{Name: {$startswith: "Project"}}`, []float64{7}},
		{`{Company: {$endswith: " toys"}}`, []float64{8}},
		{`{Amount: {$gt: 2500000}}`, []float64{7, 9}},
		{`{Amount: {$gte: 2500000}}`, []float64{7, 8, 9}},
		{`{Probability: {$lt: 35}}`, []float64{4, 6}},
		{`{Probability: {$lte: "35"}}`, []float64{4, 6, 8}},
		{`{CloseDate: {$between: ["2026-06-30", "2026-08-15"]}}`, []float64{1, 2, 7}},
		{`{entryid: {$in: [3, 5, 42]}}`, []float64{3, 5}},
		{`{Currency: {$nin: ["USD", "GBP"]}}`, []float64{1, 2}},
		{`{$or: [{Region: "EMEA"}, {Amount: {$gt: 8000000}}]}`, []float64{1, 2, 3, 7}},
		{`{$and: [{Region: "Americas"}, {Stage: {$startswith: "Closed"}}]}`, []float64{6}},
		{`{Amount: {$gt: 100000, $lt: 500000}, Currency: "USD"}`, []float64{5}},
		{`{Region: "EMEA", $or: [{Currency: "GBP"}, {Probability: {$gte: 60}}]}`, []float64{1, 3}},
		{`{$or: []}`, []float64{}},
		{`{$and: []}`, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
	}
	for _, c := range cases {
		r := h.do(http.MethodGet, rowsPath+"Deals?"+url.Values{"query": {c.filter}}.Encode(), nil, tok...)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", c.filter, r.body)
		var p rowsPage
		r.json(t, &p)
		assert.Equal(t, c.want, entryIDs(p), "GET %s", c.filter)
		assert.Equal(t, len(c.want), p.TotalRecords, c.filter)

		r = h.do(http.MethodPost, rowsPath+"query/Deals", map[string]any{"query": c.filter, "fields": []string{"Name"}}, tok...)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", c.filter, r.body)
		p = rowsPage{}
		r.json(t, &p)
		assert.Equal(t, c.want, entryIDs(p), "POST %s", c.filter)
	}
}

// Row-level sharing applies under the filter: Carol sees her three EMEA
// deals, whatever the filter asks for.
func TestRowsFilterUnderSharing(t *testing.T) {
	h := newHarness(t)
	tok := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data"))
	r := h.do(http.MethodPost, rowsPath+"query/Deals", map[string]any{"query": `{$or: [{Amount: {$gt: 100000}}, {region: "Americas"}]}`},
		hdrs(tok, []string{"AS-USER", "6045"})...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p rowsPage
	r.json(t, &p)
	assert.Equal(t, []float64{1, 2}, entryIDs(p))
	assert.Equal(t, 2, p.TotalRecords)
}

func TestRowsFilterErrors(t *testing.T) {
	h := newHarness(t)
	tok := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	deep := strings.Repeat(`{$or: [`, 33) + `{}` + strings.Repeat(`]}`, 33)
	cases := []struct{ filter, want string }{
		{`{Amount: {$gt }}`, `query: at position 15: expected : after $gt, found "}"`},
		{`{Amount: {$gt: }}`, `query: at position 16: expected a value after $gt (text in quotes, a number, true, false or null), found "}"`},
		{`{Amount: {$foo: 1}}`, `query: at position 11: unknown operator $foo; the supported operators are $eq, $contains, $gt, $gte, $lt, $lte, $startswith, $in, $between, $nin, $not, $endswith, $or, $and`},
		{`{SubjectS: "x"}`, `query: Field with name "SubjectS" does not exist`},
		{`{$or: [{Name: "x"}, {Nope: {$in: [1]}}]}`, `query: Field with name "Nope" does not exist`},
		{`{Amount: "many"}`, `query: at position 2: Amount is a number field; "many" is not a number`},
		{`{Amount: {$contains: "1"}}`, `query: at position 11: Contains applies to text fields; Amount is a number field`},
		{`EntryId in (1,2,3)`, `query: at position 1: expected { at the start of the filter, found "EntryId"`},
		// The spec's x-filter-limits.
		{deep, `query: at position 225: the filter nests objects more than 32 levels deep (the limit is 32)`},
		{`{EntryId: {$in: [` + strings.Repeat(`1,`, 5000) + `1]}}`, `the filter's lists hold more than 5000 values together (the limit is 5000)`},
		{`{` + strings.Repeat(`Amount: 1,`, 500) + `Amount: 1}`, `the filter holds more than 500 conditions (the limit is 500)`},
		{`{Name: "` + strings.Repeat("x", 1001) + `"}`, `query: at position 8: a string is 1001 characters long; the limit is 1000`},
	}
	for _, c := range cases {
		r := h.do(http.MethodPost, rowsPath+"query/Deals", map[string]any{"query": c.filter}, tok...)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", c.filter, r.body)
		m := r.object(t)
		assert.Equal(t, "invalid_request", m["errorCode"])
		assert.Contains(t, m["message"], c.want, c.filter)
	}
}

// The filter operations list is the filter's: every Rows operator of the
// vendor's table.
func TestFilterOperationsList(t *testing.T) {
	h := newHarness(t)
	tok := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	r := h.do(http.MethodGet, "/api/rest/v4/schema/filteroperations", nil, tok...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var ops []map[string]any
	r.json(t, &ops)
	var got []string
	for _, o := range ops {
		got = append(got, o["rowsOperator"].(string))
	}
	assert.Equal(t, []string{"$eq", "$contains", "$gt", "$gte", "$lt", "$lte", "$startswith", "$in", "$between", "$nin", "$not", "$endswith", "$or", "$and"}, got)
	assert.Equal(t, map[string]any{"id": 8.0, "name": "Between", "description": "Number or date comparison", "rowsOperator": "$between"}, ops[8])
	assert.Equal(t, map[string]any{"id": nil, "name": "EndsWith", "description": "String comparison", "rowsOperator": "$endswith"}, ops[11])
}
