package tenant

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// The fuzz targets feed arbitrary where JSON and CZQL text through the
// parser and the engine: either a clear error or an answer, never a panic.
//
//	go test -run '^$' -fuzz FuzzWhereJSON -fuzztime 10s ./mockserver/tenant
//	go test -run '^$' -fuzz FuzzCZQL -fuzztime 10s ./mockserver/tenant
//	go test -run '^$' -fuzz FuzzRowFilter -fuzztime 10s ./mockserver/tenant

func fuzzTenant(f *testing.F) *Tenant {
	t, err := New(Demo(), Config{ID: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	return t
}

// checkErr accepts the errors a client mistake may produce.
func checkErr(t *testing.T, err error) {
	var qe *query.Error
	var se *query.SyntaxError
	if err != nil && !errors.As(err, &qe) && !errors.As(err, &se) && !errors.Is(err, ErrNotFound) {
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}

func FuzzWhereJSON(f *testing.F) {
	for _, s := range []string{
		`{"_type":"compare","leftExpression":{"fieldName":"Name"},"operator":"BeginsWith","rightExpression":{"value":"Q3"}}`,
		`{"_type":"and","and":[{"_type":"compare","leftExpression":{"fieldName":"Budget"},"operator":"GreaterThan","rightExpression":{"value":1000}},{"_type":"not","not":{"_type":"compare","leftExpression":{"fieldName":"State"},"operator":"In","rightExpression":{"value":["Active",null]}}}]}`,
		`{"_type":"or","or":[{"leftExpression":{"fieldName":"DueDate"},"operator":"LessThan","rightExpression":{"fieldName":"StartDate"}}]}`,
		`{"_type":"cZQLCondition","text":"Name LIKE :n AND Billable = TRUE","parameters":{"n":"%a%"}}`,
	} {
		f.Add([]byte(s))
	}
	tn := fuzzTenant(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var c dataapi.Condition
		if json.Unmarshal(data, &c) != nil {
			return
		}
		x, err := query.ParseWhere(&c, "where")
		if err != nil {
			checkErr(t, err)
			return
		}
		_, err = tn.Query(QuerySpec{Type: "Project", User: 1002, Where: x, IDField: "id", Limit: 10}, func(*Rows) error { return nil })
		checkErr(t, err)
	})
}

func FuzzCZQL(f *testing.F) {
	for _, s := range []string{
		`SELECT Name, Budget FROM Project WHERE Budget >= 1000 AND (State = 'Active' OR NOT Billable = TRUE) ORDER BY Budget DESC, Name LIMIT 5`,
		`SELECT * FROM Project WHERE Name IN ('a', "b") AND DueDate IS NOT NULL`,
		`SELECT Name FROM Task WHERE Project = '/Project/1' ORDER BY DueDate`,
		`SELECT Name FROM Project WHERE Name LIKE :p OFFSET 1`,
	} {
		f.Add(s)
	}
	tn := fuzzTenant(f)
	params := map[string]any{"p": "%e%", "list": []any{"x", 1.0}}
	f.Fuzz(func(t *testing.T, text string) {
		q, err := query.ParseQuery(text, params)
		if err != nil {
			checkErr(t, err)
			return
		}
		_, err = tn.Query(QuerySpec{Type: q.From, User: 2001, Where: q.Where, Orders: q.Orders, IDField: "id",
			Skip: q.Offset, Cap: q.Limit, Limit: 10}, func(*Rows) error { return nil })
		checkErr(t, err)
	})
}

// FuzzRowFilter feeds arbitrary text through the relationship API's row
// filter parser, resolves its field names as the handler does and runs it
// on the demo's Deals as a user with row-level sharing, reading every field
// of the page: a positioned error or an answer, never a panic.
func FuzzRowFilter(f *testing.F) {
	for _, s := range []string{
		`{Stage: "Proposal"}`,
		`{"stage": {"$eq": 'proposal'}, entryid: {$in: [1, 2, 3]}}`,
		`{Amount: {$gt: 1e5, $lte: 5000000}, Name: {$contains: "deal"}}`,
		`{$or: [{Region: {$not: "Global"}}, {Company: {$startswith: 'Fal', $endswith: "ics"}}]}`,
		`{$and: [{CloseDate: {$between: ["2026-01-01", "2026-12-31"]}}, {Currency: {$nin: ["USD", null]}}]}`,
		`{Name: "a\"b\u00e9\ud83d\ude00", Probability: {$gte: -.5}}`,
		`{$or: [], $and: [{}]}`,
		`{Owner: 6045, Amount: {$foo: 1}}`,
		`EntryId in (1,2,3)`,
	} {
		f.Add(s)
	}
	tn := fuzzTenant(f)
	et, ok := tn.EntityType("Deals")
	if !ok {
		f.Fatal("the demo has no Deals")
	}
	limits := query.Limits{MaxDepth: 32, MaxConditions: 500, MaxListItems: 5000, MaxText: 1000}
	f.Fuzz(func(t *testing.T, text string) {
		x, err := limits.ParseFilter(text)
		if err != nil {
			var qe *query.Error
			if !errors.As(err, &qe) || qe.Pos < 1 || qe.Pos > len([]rune(text))+1 {
				t.Fatalf("want an *query.Error with a position in the text, got %T: %v", err, err)
			}
			return
		}
		query.ResolveFields(x, func(f string) (string, bool) {
			if strings.EqualFold(f, "EntryId") {
				return "EntryId", true
			}
			n, ok := et.FieldName(f)
			if !ok {
				return f, true // the engine refuses it, with a *query.Error
			}
			return n, ok
		})
		_, err = tn.Query(QuerySpec{Type: "Deals", User: 6045, Where: x, IDField: "EntryId", Limit: 10}, func(rows *Rows) error {
			for i := range rows.Len() {
				_ = rows.ID(i)
				for name := range et.Fields {
					if fl, ok := rows.Field(name); ok {
						_ = rows.Value(i, fl)
					}
				}
			}
			return nil
		})
		checkErr(t, err)
	})
}
