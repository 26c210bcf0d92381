package tenant

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// Aggregate is checked against a reference that groups the rows refQuery
// returns (the rows the user may see that match) by scanning them.

type refGroup struct {
	keys []refValue
	rows []Entity
}

// refAggregate groups and aggregates by scanning, in the engine's group
// order (by the group values, nulls first), ignoring spec.Orders.
func refAggregate(t *Tenant, spec AggregateSpec) []refGroup {
	ids, _ := refQuery(t, QuerySpec{Type: "Item", User: spec.User, Where: spec.Where, IDField: "id"})
	var groups []refGroup
	for _, id := range ids {
		e, err := t.Entity("Item", id, 4)
		if err != nil {
			panic(err)
		}
		keys := make([]refValue, len(spec.GroupBy))
		for i, f := range spec.GroupBy {
			keys[i] = refGet(e, f)
		}
		i := slices.IndexFunc(groups, func(g refGroup) bool {
			for j, f := range spec.GroupBy {
				if !refEqual(f, g.keys[j], keys[j]) {
					return false
				}
			}
			return true
		})
		if i < 0 {
			groups = append(groups, refGroup{keys: keys})
			i = len(groups) - 1
		}
		groups[i].rows = append(groups[i].rows, e)
	}
	if len(spec.GroupBy) == 0 && len(groups) == 0 {
		groups = append(groups, refGroup{})
	}
	slices.SortStableFunc(groups, func(a, b refGroup) int {
		for j, f := range spec.GroupBy {
			if n := refOrder(f, a.keys[j], b.keys[j]); n != 0 {
				return n
			}
		}
		return 0
	})
	return groups
}

func refOrder(field string, x, y refValue) int {
	switch {
	case x.null && y.null:
		return 0
	case x.null:
		return -1
	case y.null:
		return 1
	}
	return refCompare(field, x, y)
}

// refAgg computes one aggregation over rows: ok false is null.
func refAgg(a Aggregation, rows []Entity) (refValue, bool) {
	var vals []refValue
	for _, e := range rows {
		if v := refGet(e, a.Field); !v.null {
			vals = append(vals, v)
		}
	}
	switch a.Func {
	case AggCount:
		return refValue{f: float64(len(vals))}, true
	case AggSum, AggAvg:
		if len(vals) == 0 {
			return refValue{}, false
		}
		s := 0.0
		for _, v := range vals {
			s += v.f
		}
		if a.Func == AggAvg {
			s /= float64(len(vals))
		}
		return refValue{f: s}, true
	}
	if len(vals) == 0 {
		return refValue{}, false
	}
	best := vals[0]
	for _, v := range vals[1:] {
		n := refCompare(a.Field, v, best)
		if a.Func == AggMin && n < 0 || a.Func == AggMax && n > 0 {
			best = v
		}
	}
	return best, true
}

// engineValue reads an engine value in the reference's form.
func engineValue(v Value) refValue {
	if v.Null {
		return refValue{null: true}
	}
	switch v.Kind {
	case KindString:
		return refValue{s: strings.ToLower(v.Str)}
	case KindNumber:
		return refValue{f: v.Num}
	case KindBool:
		if v.Bool {
			return refValue{i: 1}
		}
		return refValue{}
	case KindDate:
		return refValue{i: v.Time}
	}
	return refValue{i: v.Ref.ID}
}

var propAggregates = []struct{ fn, field string }{
	{AggCount, "id"}, {AggCount, "S"}, {AggCount, "R"}, {AggSum, "N"}, {AggAvg, "N"},
	{AggMin, "N"}, {AggMax, "N"}, {AggMin, "D"}, {AggMax, "D"}, {AggMin, "S"}, {AggMax, "T"},
}

func TestAggregateMatchesReference(t *testing.T) {
	tenants := 80
	if testing.Short() {
		tenants = 20
	}
	defer func(p int) { forcePath = p }(forcePath)
	grouped, total := 0, 0
	for seed := range tenants {
		rng := rand.New(rand.NewPCG(uint64(seed), 1234))
		f := randomFixture(rng)
		tn, err := New(f, Config{ID: "prop"})
		if err != nil {
			t.Fatal(err)
		}
		for q := range 20 {
			if q%4 == 3 {
				randomWrite(rng, tn)
			}
			spec := AggregateSpec{Type: "Item", User: propUsers[rng.IntN(len(propUsers))], IDField: "id", GroupPath: "groupBy"}
			if rng.IntN(4) > 0 {
				spec.Where = randomCondition(rng, 2)
			}
			for range rng.IntN(3) {
				g := []string{"S", "B", "R", "N", "D", OwnerField}[rng.IntN(6)]
				if !slices.Contains(spec.GroupBy, g) {
					spec.GroupBy = append(spec.GroupBy, g)
				}
			}
			for i := range 1 + rng.IntN(4) {
				a := propAggregates[rng.IntN(len(propAggregates))]
				spec.Aggregations = append(spec.Aggregations, Aggregation{Func: a.fn, Field: a.field, Alias: fmt.Sprintf("a%d", i), Path: fmt.Sprintf("aggregations[%d]", i)})
			}
			spec.From, spec.Limit = rng.IntN(3), rng.IntN(6)
			forcePath = rng.IntN(3)
			res, err := tn.Aggregate(spec)
			if err != nil {
				t.Fatalf("seed %d query %d: %v", seed, q, err)
			}
			want := refAggregate(tn, spec)
			total++
			if len(spec.GroupBy) > 0 && len(want) > 1 {
				grouped++
			}
			if res.Total != len(want) {
				t.Fatalf("seed %d query %d: user %d groupBy %v where %s: %d groups, want %d", seed, q, spec.User, spec.GroupBy, show(spec.Where), res.Total, len(want))
			}
			from := min(spec.From, len(want))
			end := len(want)
			if spec.Limit > 0 {
				end = min(end, from+spec.Limit)
			}
			if len(res.Groups) != end-from || res.HasMore != (end < len(want)) || res.Next != end {
				t.Fatalf("seed %d query %d: page %d groups next %d hasMore %v, want %d..%d of %d", seed, q, len(res.Groups), res.Next, res.HasMore, from, end, len(want))
			}
			for i, g := range res.Groups {
				w := want[from+i]
				for j, f := range spec.GroupBy {
					if got := engineValue(g.Keys[j]); !refEqual(f, got, w.keys[j]) {
						t.Fatalf("seed %d query %d group %d: %s = %+v, want %+v", seed, q, from+i, f, got, w.keys[j])
					}
				}
				for j, a := range spec.Aggregations {
					wv, ok := refAgg(a, w.rows)
					got := engineValue(g.Values[j])
					switch {
					case !ok:
						if !got.null {
							t.Fatalf("seed %d query %d group %d: %s(%s) = %+v, want null", seed, q, from+i, a.Func, a.Field, got)
						}
					case got.null:
						t.Fatalf("seed %d query %d group %d: %s(%s) is null, want %+v", seed, q, from+i, a.Func, a.Field, wv)
					case a.Func == AggCount || a.Func == AggSum || a.Func == AggAvg:
						if math.Abs(got.f-wv.f) > 1e-9*max(1, math.Abs(wv.f)) {
							t.Fatalf("seed %d query %d group %d: %s(%s) = %v, want %v", seed, q, from+i, a.Func, a.Field, got.f, wv.f)
						}
					default:
						if refCompare(a.Field, got, wv) != 0 {
							t.Fatalf("seed %d query %d group %d: %s(%s) = %+v, want %+v", seed, q, from+i, a.Func, a.Field, got, wv)
						}
					}
				}
			}
		}
	}
	if grouped < total/4 {
		t.Fatalf("only %d of %d aggregate queries had several groups", grouped, total)
	}
	t.Logf("%d of %d aggregate queries had several groups", grouped, total)
}

// Orders by an alias sort the groups by that aggregate, then by the group
// values.
func TestAggregateOrdersByAlias(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	f := randomFixture(rng)
	for len(f.Entities) < 20 {
		f = randomFixture(rng)
	}
	tn, err := New(f, Config{ID: "prop"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := tn.Aggregate(AggregateSpec{Type: "Item", User: 4, GroupBy: []string{"S"},
		Aggregations: []Aggregation{{Func: AggCount, Field: "id", Alias: "Cnt"}},
		Orders:       []query.Order{{Field: "cnt", Descending: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) < 2 {
		t.Fatalf("%d groups", len(res.Groups))
	}
	if !slices.IsSortedFunc(res.Groups, func(a, b AggregateGroup) int { return -cmp.Compare(a.Values[0].Num, b.Values[0].Num) }) {
		t.Fatalf("groups not sorted by Cnt descending: %+v", res.Groups)
	}
}

// A query that forms more groups than MaxGroups is refused, naming the
// group list; one that forms exactly MaxGroups is answered.
func TestAggregateMaxGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	f := randomFixture(rng)
	for len(f.Entities) < 20 {
		f = randomFixture(rng)
	}
	tn, err := New(f, Config{ID: "prop"})
	if err != nil {
		t.Fatal(err)
	}
	spec := AggregateSpec{Type: "Item", User: 4, GroupBy: []string{"S", "N"}, GroupPath: "groupBy",
		Aggregations: []Aggregation{{Func: AggCount, Field: "id", Path: "aggregations[0]"}}}
	all, err := tn.Aggregate(spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.MaxGroups = all.Total
	if _, err := tn.Aggregate(spec); err != nil {
		t.Fatalf("exactly MaxGroups groups: %v", err)
	}
	spec.MaxGroups = all.Total - 1
	_, err = tn.Aggregate(spec)
	var qe *query.Error
	if !errors.As(err, &qe) || qe.Path != "groupBy" || !strings.Contains(qe.Msg, "the limit is") {
		t.Fatalf("over MaxGroups: %v", err)
	}
	// Grouping by the row id is refused outright.
	spec.GroupBy = []string{"id"}
	if _, err := tn.Aggregate(spec); !errors.As(err, &qe) || qe.Path != "groupBy[0]" {
		t.Fatalf("group by id: %v", err)
	}
}
