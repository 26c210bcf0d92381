package tenant

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/jsonvalue"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// The data API's JSON where condition, decoded by the server's decoder
// (query.Limits.ParseWhere over the spec's model), must select exactly what
// the reference evaluator selects for the condition the generator meant,
// for random users, sharing and writes. The generator writes each
// condition twice: as the JSON a client sends, in every spelling the API
// accepts (the vendor's constant list {values}, the third-party SDK's
// _type constantListExpression with a list value, reference constants
// {id}, _type on expressions, CZQL IN inside a cZQLCondition), and as the
// query.Expr it means, which the reference evaluates.

// whereGen builds random JSON conditions and counts the forms it wrote.
type whereGen struct {
	rng  *rand.Rand
	seen map[string]int
}

// constant returns a JSON constant for field and the value it means: a
// reference is sometimes written as {id}.
func (g *whereGen) constant(field string) (wire, meant any) {
	v := randomConstant(g.rng, field)
	if s, ok := v.(string); ok && (field == "R" || field == "P" || field == "id") && g.rng.IntN(3) == 0 {
		g.seen["reference {id}"]++
		return map[string]any{"id": s}, s
	}
	return v, v
}

func (g *whereGen) condition(depth int, underNot bool) (map[string]any, query.Expr) {
	rng := g.rng
	if depth > 0 && rng.IntN(3) == 0 {
		switch rng.IntN(3) {
		case 0:
			g.seen["not"]++
			j, x := g.condition(depth-1, true)
			return map[string]any{"_type": "not", "not": j}, query.Not{X: x}
		case 1, 2:
			tag := []string{"and", "or"}[rng.IntN(2)]
			g.seen[tag]++
			var js []any
			var xs []query.Expr
			for range 1 + rng.IntN(3) {
				j, x := g.condition(depth-1, underNot)
				js = append(js, j)
				xs = append(xs, x)
			}
			if tag == "and" {
				return map[string]any{"_type": "and", "and": js}, query.And(xs)
			}
			return map[string]any{"_type": "or", "or": js}, query.Or(xs)
		}
	}
	field := propFieldNames[rng.IntN(len(propFieldNames))]
	if rng.IntN(2) == 0 {
		return g.in(field, underNot)
	}
	ops := []string{query.OpEqual, query.OpNotEqual, query.OpLessThan, query.OpGreaterThan,
		query.OpLessThanOrEqual, query.OpGreaterThanOrEqual}
	if field == "S" || field == "T" {
		ops = append(ops, query.OpBeginsWith, query.OpContains, query.OpDoesNotContain)
	}
	op := ops[rng.IntN(len(ops))]
	c := &query.Compare{Field: field, Op: op}
	right := map[string]any{}
	switch {
	case field == "S" && rng.IntN(4) == 0:
		g.seen["field expression"]++
		c.RightField = "T"
		right["fieldName"] = "T"
		if rng.IntN(2) == 0 {
			right["_type"] = "fieldExpression"
		}
	case (op == query.OpEqual || op == query.OpNotEqual) && rng.IntN(5) == 0:
		g.seen["null constant"]++
		right["value"] = nil
	default:
		right["value"], c.Value = g.constant(field)
		if rng.IntN(3) == 0 {
			g.seen["_type constantExpression"]++
			right["_type"] = "constantExpression"
		}
	}
	return compareJSON(field, op, right), c
}

// in writes field In a constant list in one of its spellings.
func (g *whereGen) in(field string, underNot bool) (map[string]any, query.Expr) {
	rng := g.rng
	c := &query.Compare{Field: field, Op: query.OpIn, List: []any{}}
	var list []any
	for range rng.IntN(5) {
		if rng.IntN(6) == 0 {
			g.seen["null in list"]++
			list = append(list, nil)
			c.List = append(c.List, nil)
			continue
		}
		w, m := g.constant(field)
		list = append(list, w)
		c.List = append(c.List, m)
	}
	if len(list) == 0 {
		g.seen["empty list"]++
		list = []any{}
	}
	if underNot {
		g.seen["In under not"]++
	}
	right := map[string]any{}
	switch rng.IntN(4) {
	case 0:
		g.seen["constantListExpression value"]++
		right["_type"], right["value"] = "constantListExpression", list
	case 1:
		g.seen["constantListExpression values"]++
		right["_type"], right["values"] = "constantListExpression", list
	case 2:
		if field != "id" && field != "R" && field != "P" {
			// CZQL text: the list as a parameter, spread by IN.
			g.seen["CZQL IN"]++
			return map[string]any{"_type": "cZQLCondition", "text": field + " IN (:l)", "parameters": map[string]any{"l": list}}, c
		}
		fallthrough
	default:
		g.seen["values"]++
		right["values"] = list
	}
	return compareJSON(field, query.OpIn, right), c
}

func compareJSON(field, op string, right map[string]any) map[string]any {
	return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": field}, "operator": op, "rightExpression": right}
}

// decodeWhere reads a JSON condition as the server does: the model the
// spec generates, then the where decoder.
func decodeWhere(t *testing.T, j map[string]any) query.Expr {
	t.Helper()
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var c dataapi.Condition
	if err := jsonvalue.Decode(v, &c); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	x, err := query.ParseWhere(&c, "where")
	if err != nil {
		t.Fatalf("parse %s: %v", b, err)
	}
	return x
}

func TestJSONWhereMatchesReferenceEvaluator(t *testing.T) {
	tenants := 100
	if testing.Short() {
		tenants = 20
	}
	g := &whereGen{seen: map[string]int{}}
	nonEmpty, total := 0, 0
	for seed := range tenants {
		g.rng = rand.New(rand.NewPCG(uint64(seed), 7))
		f := randomFixture(g.rng)
		if err := f.Validate(); err != nil {
			t.Fatalf("seed %d: fixture: %v", seed, err)
		}
		tn, err := New(f, Config{ID: "prop"})
		if err != nil {
			t.Fatal(err)
		}
		for q := range 30 {
			if q%4 == 3 {
				randomWrite(g.rng, tn)
			}
			j, meant := g.condition(3, false)
			user := propUsers[g.rng.IntN(len(propUsers))]
			spec := QuerySpec{Type: "Item", User: user, Where: decodeWhere(t, j), IDField: "id", Limit: 1000}
			got, gotInfo, err := engineQuery(tn, spec)
			if err != nil {
				b, _ := json.Marshal(j)
				t.Fatalf("seed %d query %d: %v\nwhere: %s", seed, q, err, b)
			}
			spec.Where = meant
			want, wantInfo := refQuery(tn, spec)
			total++
			if len(want) > 0 {
				nonEmpty++
			}
			if !slices.Equal(got, want) || gotInfo.Total != wantInfo.Total || gotInfo.HasMore != wantInfo.HasMore {
				b, _ := json.Marshal(j)
				t.Fatalf("seed %d query %d: user %d\nwhere %s\nmeant %s\n got %v %+v\nwant %v %+v", seed, q, user, b, show(meant), got, gotInfo, want, wantInfo)
			}
			for _, id := range got {
				e, err := tn.Entity("Item", id, 4)
				if err != nil || !refVisible(tn, user, e) {
					t.Fatalf("seed %d query %d: row %d is not visible to user %d", seed, q, id, user)
				}
			}
		}
	}
	for _, form := range []string{"and", "or", "not", "values", "constantListExpression value", "constantListExpression values",
		"CZQL IN", "empty list", "null in list", "In under not", "reference {id}", "field expression", "null constant",
		"_type constantExpression"} {
		if g.seen[form] == 0 {
			t.Errorf("the generator never wrote %s", form)
		}
	}
	if nonEmpty < total/4 {
		t.Fatalf("only %d of %d random queries returned rows: the generator is too narrow", nonEmpty, total)
	}
	t.Logf("%d of %d queries returned rows; forms %v", nonEmpty, total, g.seen)
}
