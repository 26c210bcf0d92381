package query_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// Every operator of the vendor's table builds the engine's condition, on
// the vendor's quoted and relaxed forms alike.
func TestParseFilterOperators(t *testing.T) {
	cmp := func(f, op string, v any) *query.Compare { return &query.Compare{Field: f, Op: op, Value: v} }
	cases := []struct {
		text string
		want query.Expr
	}{
		{`{"FirstName": "Joe"}`, cmp("FirstName", query.OpEqual, "Joe")},
		{`{"FirstName": {"$eq": "Joe"}}`, cmp("FirstName", query.OpEqual, "Joe")},
		{`{entryid: 3047024}`, cmp("entryid", query.OpEqual, 3047024.0)},
		{`{"66562_First_Name": {"$not": "tim"}}`, cmp("66562_First_Name", query.OpNotEqual, "tim")},
		{`{66562_First_Name: {$not: null}}`, cmp("66562_First_Name", query.OpNotEqual, nil)},
		{`{Deal: {$contains: 'Falcon'}}`, cmp("Deal", query.OpContains, "Falcon")},
		{`{Name: {$startswith: "Joe"}}`, cmp("Name", query.OpBeginsWith, "Joe")},
		{`{Name: {$endswith: "Jr."}}`, cmp("Name", query.OpEndsWith, "Jr.")},
		{`{DealSize: {$gt: 500}}`, cmp("DealSize", query.OpGreaterThan, 500.0)},
		{`{DealSize: {$gte: 5.01e2}}`, cmp("DealSize", query.OpGreaterThanOrEqual, 501.0)},
		{`{Revenue: {$lt: "300"}}`, cmp("Revenue", query.OpLessThan, "300")},
		{`{Revenue: {$lte: -.5}}`, cmp("Revenue", query.OpLessThanOrEqual, -0.5)},
		{`{Valuation: {$between: [500, 1000]}}`, query.And{cmp("Valuation", query.OpGreaterThanOrEqual, 500.0), cmp("Valuation", query.OpLessThanOrEqual, 1000.0)}},
		{`{Deal: {$in: ["Falcon", 'Bravo', null]}}`, &query.Compare{Field: "Deal", Op: query.OpIn, List: []any{"Falcon", "Bravo", nil}}},
		{`{CoveragePerson: {$nin: [5785]}}`, query.Not{X: &query.Compare{Field: "CoveragePerson", Op: query.OpIn, List: []any{5785.0}}}},
		{`{Deal: {$in: []}}`, &query.Compare{Field: "Deal", Op: query.OpIn, List: []any{}}},
		{`{$or: [{Company: "Intapp"},{Company: "DealCloud"}]}`, query.Or{cmp("Company", query.OpEqual, "Intapp"), cmp("Company", query.OpEqual, "DealCloud")}},
		{`{"$and": [{"Target": "Q4"}, {"Category": "New"}]}`, query.And{cmp("Target", query.OpEqual, "Q4"), cmp("Category", query.OpEqual, "New")}},
		{`{$and: [{A: true}]}`, cmp("A", query.OpEqual, true)},
		{`{$or: []}`, query.Or{}},
		{`{$and: []}`, query.And(nil)},
		{`{A: {$gt: 1, $lt: 5}, B: false}`, query.And{query.And{cmp("A", query.OpGreaterThan, 1.0), cmp("A", query.OpLessThan, 5.0)}, cmp("B", query.OpEqual, false)}},
		{`{}`, query.True{}},
		{`  `, query.True{}},
		{`{ "Name" : "a\"b\\c\u00e9\ud83d\ude00\n" , }`, nil}, // a trailing comma is refused below
	}
	for _, c := range cases[:len(cases)-1] {
		x, err := query.ParseFilter(c.text)
		require.NoError(t, err, c.text)
		clearPos(x)
		assert.Equal(t, c.want, x, c.text)
	}
	x, err := query.ParseFilter(`{ "Name" : "a\"b\\c\u00e9\ud83d\ude00\n\/'", N: 'it\'s' }`)
	require.NoError(t, err)
	assert.Equal(t, "a\"b\\cé😀\n/'", x.(query.And)[0].(*query.Compare).Value)
	assert.Equal(t, "it's", x.(query.And)[1].(*query.Compare).Value)
}

// clearPos zeroes the positions, which the cases do not spell out.
func clearPos(x query.Expr) {
	switch e := x.(type) {
	case query.And:
		for _, y := range e {
			clearPos(y)
		}
	case query.Or:
		for _, y := range e {
			clearPos(y)
		}
	case query.Not:
		clearPos(e.X)
	case *query.Compare:
		e.Pos = 0
	}
}

// A comparison is located at its operator (or, for {F: v}, its field), so
// errors found later, such as a value of the wrong type, point at it.
func TestParseFilterPositions(t *testing.T) {
	x, err := query.ParseFilter(`{Name: "x", Amount: {$gt: 1}}`)
	require.NoError(t, err)
	assert.Equal(t, 2, x.(query.And)[0].(*query.Compare).Pos)
	assert.Equal(t, 22, x.(query.And)[1].(*query.Compare).Pos)
}

func TestParseFilterErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{`{Amount: {$gt: }}`, `at position 16: expected a value after $gt (text in quotes, a number, true, false or null), found "}"`},
		{`{Amount: {$foo: 1}}`, `at position 11: unknown operator $foo; the supported operators are $eq, $contains, $gt, $gte, $lt, $lte, $startswith, $in, $between, $nin, $not, $endswith, $or, $and`},
		{`{Name: {$startsWith: "a"}}`, `at position 9: unknown operator $startsWith (operators are lower-case: $startswith)`},
		{`{$foo: []}`, `at position 2: unknown operator $foo; the supported operators are`},
		{`{$gt: 1}`, `at position 2: $gt applies to a field, as in {Field: {$gt: a value}}`},
		{`{Name: {$or: []}}`, `at position 9: $or combines filters, as in {$or: [{Name: ...}, ...]}`},
		{`{Name: {}}`, `at position 9: expected an operator of Name`},
		{`{Name: {Other: 1}}`, `at position 9: expected an operator of Name`},
		{`{Name "x"}`, `at position 7: expected : after Name, found "x"`},
		{`{Name: Joe}`, `at position 8: expected a value after Name: (text in quotes`},
		{`{Name: [1]}`, `at position 8: expected a value after Name:`},
		{`{Name: "x",}`, `at position 12: expected a field name, $or or $and after ,, found "}"`},
		{`{N: {$in: [1,]}}`, `at position 14: expected a value after , in the list of $in`},
		{`{$or: [{},]}`, `at position 11: expected a filter {...} after , in the list of $or`},
		{`{Name: "x" Other: 1}`, `at position 12: expected , or } after the value of Name`},
		{`{Name: "x"} extra`, `at position 13: expected the end of the filter`},
		{`[{Name: "x"}]`, `at position 1: expected { at the start of the filter`},
		{`Status = 'Active'`, `at position 1: expected { at the start of the filter`},
		{`EntryId in (1,2,3)`, `at position 1: expected { at the start of the filter`},
		{`{Name: "x`, `at position 8: unterminated string`},
		{`{Name: "\x"}`, `at position 9: unknown escape \x in a string`},
		{`{Name: "\u12"}`, `at position 9: expected four hex digits after \u`},
		{`{Name: 1.2.3}`, `at position 9: unexpected character '.'`},
		{`{Name: -x}`, `at position 8: "-x" is not a number`},
		{`{Na-me: 1}`, `at position 4: unexpected character '-'`},
		{`{N: 1e999}`, `at position 5: the number 1e999 is out of range`},
		{`{N: {$in: 1}}`, `at position 11: expected [ after $in (a list of values)`},
		{`{N: {$in: [1, [2]]}}`, `at position 15: expected a value in the list of $in`},
		{`{N: {$between: [1]}}`, `at position 16: expected two values [low, high] after $between, found 1`},
		{`{N: {$between: [1, null]}}`, `at position 16: $between needs a value, not null`},
		{`{N: {$gt: null}}`, `at position 11: $gt needs a value, not null (use {N: null} or {N: {$not: null}})`},
		{`{$or: {A: 1}}`, `at position 7: expected [ after $or (a list of filters)`},
		{`{$or: [1]}`, `at position 8: expected a filter {...} in the list of $or`},
		{`{$or: [{A: 1} {B: 2}]}`, `at position 15: expected , or ] in the list of $or`},
	}
	for _, c := range cases {
		_, err := query.ParseFilter(c.text)
		var qe *query.Error
		require.True(t, errors.As(err, &qe), "%s: %v", c.text, err)
		assert.Contains(t, err.Error(), c.want, c.text)
	}
}

// The bounds hold before anything is built: nesting, conditions and list
// values, each with the position where the limit was passed.
func TestParseFilterLimits(t *testing.T) {
	l := query.Limits{MaxDepth: 4, MaxConditions: 3, MaxListItems: 4, MaxText: 5}
	ok := []string{
		`{$or: [{$and: [{A: {$gt: 1}}]}]}`,
		`{A: 1, B: 2, C: {$in: [1, 2, 3, 4]}}`,
		`{A: "12345"}`,
	}
	for _, s := range ok {
		_, err := l.ParseFilter(s)
		assert.NoError(t, err, s)
	}
	bad := []struct{ text, want string }{
		{`{$or: [{$and: [{$or: [{A: {$gt: 1}}]}]}]}`, "at position 27: the filter nests objects more than 4 levels deep (the limit is 4)"},
		{`{A: 1, B: 2, C: 3, D: 4}`, "at position 20: the filter holds more than 3 conditions (the limit is 3)"},
		{`{A: {$between: [1, 2]}, B: {$between: [1, 2]}}`, "at position 29: the filter holds more than 3 conditions"},
		{`{A: {$in: [1, 2, 3]}, B: {$nin: [4, 5]}}`, "at position 37: the filter's lists hold more than 4 values together (the limit is 4)"},
		{`{A: "123456"}`, "at position 5: a string is 6 characters long; the limit is 5"},
	}
	for _, c := range bad {
		_, err := l.ParseFilter(c.text)
		require.Error(t, err, c.text)
		assert.Contains(t, err.Error(), c.want, c.text)
	}
	// The default limits stop deep nesting long before the stack is at
	// risk, and a huge list.
	_, err := query.ParseFilter(strings.Repeat(`{$or: [`, 10000) + `{}` + strings.Repeat(`]}`, 10000))
	assert.ErrorContains(t, err, "more than 64 levels deep")
	_, err = query.ParseFilter(`{A: {$in: [` + strings.Repeat(`1,`, 20000) + `1]}}`)
	assert.ErrorContains(t, err, "more than 10000 values")
	_, err = query.ParseFilter(`{` + strings.Repeat(`A: 1,`, 2000) + `A: 1}`)
	assert.ErrorContains(t, err, "more than 1000 conditions")
}

// ResolveFields canonicalises field names in place and names the first
// unknown one.
func TestResolveFields(t *testing.T) {
	x, err := query.ParseFilter(`{$or: [{stage: "x"}, {AMOUNT: {$nin: [1]}}]}`)
	require.NoError(t, err)
	canon := map[string]string{"stage": "Stage", "amount": "Amount"}
	resolve := func(f string) (string, bool) {
		n, ok := canon[strings.ToLower(f)]
		return n, ok
	}
	_, ok := query.ResolveFields(x, resolve)
	require.True(t, ok)
	assert.Equal(t, []string{"Stage", "Amount"}, query.Fields(x))
	y, err := query.ParseFilter(`{Stage: 1, Nope: {$gt: 2}}`)
	require.NoError(t, err)
	bad, ok := query.ResolveFields(y, resolve)
	assert.False(t, ok)
	assert.Equal(t, "Nope", bad)
}
