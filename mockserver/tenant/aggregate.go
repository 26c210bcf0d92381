package tenant

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// Aggregate functions of an aggregate query (the vendor's names).
const (
	AggCount = "Count"
	AggSum   = "Sum"
	AggAvg   = "Avg"
	AggMin   = "Min"
	AggMax   = "Max"
)

// Aggregation is one aggregate of an aggregate query: Func over Field,
// named Alias in the result. Path locates it in the request for errors
// (aggregations[1]).
type Aggregation struct {
	Func, Field, Alias string
	Path               string
}

// AggregateSpec is one page of groups of an aggregate query.
type AggregateSpec struct {
	// Type, User, Where and IDField are as in QuerySpec: only rows the
	// user may see are aggregated.
	Type    string
	User    int64
	Where   query.Expr
	IDField string
	// GroupBy names the fields rows are grouped by (none: one group of
	// every matching row); GroupPath locates the list in errors.
	GroupBy   []string
	GroupPath string
	// Aggregations are computed per group.
	Aggregations []Aggregation
	// Orders sort the groups, each by a GroupBy field or an aggregation's
	// alias; ties, and everything when there are none, are by the group's
	// values in GroupBy order.
	Orders []query.Order
	// From and Limit take the page of groups (Limit 0: every group).
	From, Limit int
	Context     context.Context
}

// AggregateResult is a page of groups: Fields are the GroupBy fields'
// declared names, Aliases the aggregations' (given, or Func_Field), and
// each group holds one value per field and per aggregation. Total counts
// every group, Next is the position after the page and HasMore whether
// groups follow it.
type AggregateResult struct {
	Fields  []Field
	Aliases []string
	Groups  []AggregateGroup
	Total   int
	Next    int
	HasMore bool
}

// AggregateGroup is one group of an aggregate query.
type AggregateGroup struct {
	Keys   []Value
	Values []Value
}

// aggCol is a resolved aggregation.
type aggCol struct {
	fn  string
	col *column // nil: the row id (Count only)
}

// groupAcc accumulates one group.
type groupAcc struct {
	first uint32 // the group's first slot: its key values are read from it
	count []int64
	sum   []float64
	ext   []uint32 // the slot of the minimum or maximum so far
	has   []bool
}

// Aggregate groups the rows of a query the user may see and computes
// aggregates per group, returning one page of groups. Text is grouped as
// Equal compares it (ignoring case; a group shows its first row's
// spelling). Count counts the rows whose field is not null (the row id:
// every row); Sum and Avg read numbers, Min and Max numbers, dates and
// text; each ignores nulls, and is null for a group without values (Sum
// too). A field a function cannot read, an unknown field, a repeated alias
// and an order by neither a group field nor an alias are *query.Errors
// naming where they were written.
func (t *Tenant) Aggregate(spec AggregateSpec) (AggregateResult, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(spec.Type)
	if !ok {
		return AggregateResult{}, fmt.Errorf("entity type %q: %w", spec.Type, ErrNotFound)
	}
	tb := t.tables[et.Name]
	if spec.IDField == "" {
		spec.IDField = "id"
	}
	var res AggregateResult
	groupCols := make([]*column, len(spec.GroupBy))
	names := map[string]string{} // lower-case result member -> where it was named
	for i, name := range spec.GroupBy {
		loc := query.Location{Path: spec.GroupPath + "[" + strconv.Itoa(i) + "]"}
		c, err := resolveColumn(tb, name, spec.IDField, loc)
		if err != nil {
			return res, err
		}
		if c == nil {
			return res, loc.Errorf("groups by the row id: every group would be one row")
		}
		if _, dup := names[strings.ToLower(c.name)]; dup {
			return res, loc.Errorf("%s is listed twice", c.name)
		}
		names[strings.ToLower(c.name)] = loc.Path
		groupCols[i] = c
		res.Fields = append(res.Fields, Field{c: c})
	}
	aggs := make([]aggCol, len(spec.Aggregations))
	for i, a := range spec.Aggregations {
		loc := query.Location{Path: a.Path + ".fieldName"}
		c, err := resolveColumn(tb, a.Field, spec.IDField, loc)
		if err != nil {
			return res, err
		}
		if err := checkAggregate(a.Func, c, spec.IDField, loc); err != nil {
			return res, err
		}
		alias := a.Alias
		if alias == "" {
			alias = a.Func + "_" + fieldLabel(c, spec.IDField)
		}
		lower := strings.ToLower(alias)
		if prev, dup := names[lower]; dup || lower == "id" {
			if !dup {
				prev = "the entity id"
			}
			return res, query.Location{Path: a.Path + ".alias"}.Errorf("%q names the same result member as %s; give the aggregation another alias", alias, prev)
		}
		names[lower] = a.Path
		aggs[i] = aggCol{fn: a.Func, col: c}
		res.Aliases = append(res.Aliases, alias)
	}
	orders, err := groupOrders(spec.Orders, spec.GroupBy, groupCols, res.Aliases)
	if err != nil {
		return res, err
	}

	where, err := compile(tb, spec.Where, spec.IDField)
	if err != nil {
		return res, err
	}
	ev := &evaluator{tb: tb, path: forcePath, ctx: spec.Context}
	rows := ev.eval(where, t.visibleSet(tb, spec.User))
	if ev.err != nil {
		return res, fmt.Errorf("query stopped: %w", ev.err)
	}

	var groups []*groupAcc
	index := map[string]*groupAcc{}
	var key []byte
	it := rows.Iterator()
	for it.HasNext() {
		slot := it.Next()
		if ev.stopped() {
			return res, fmt.Errorf("query stopped: %w", ev.err)
		}
		key = groupKey(key[:0], groupCols, slot)
		g := index[string(key)]
		if g == nil {
			g = &groupAcc{first: slot, count: make([]int64, len(aggs)), sum: make([]float64, len(aggs)),
				ext: make([]uint32, len(aggs)), has: make([]bool, len(aggs))}
			index[string(key)] = g
			groups = append(groups, g)
		}
		for i, a := range aggs {
			g.add(i, a, slot)
		}
	}
	if len(groupCols) == 0 && len(groups) == 0 {
		// Without groupBy there is one group, of no rows at most.
		groups = append(groups, &groupAcc{count: make([]int64, len(aggs)), sum: make([]float64, len(aggs)),
			ext: make([]uint32, len(aggs)), has: make([]bool, len(aggs))})
	}

	values := make([][]Value, len(groups))
	for i, g := range groups {
		values[i] = g.values(aggs)
	}
	perm := make([]int, len(groups))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(x, y int) int {
		for _, o := range orders {
			var n int
			if o.agg >= 0 {
				n = compareAgg(aggs[o.agg], groups[x], groups[y], values[x][o.agg], values[y][o.agg], o.agg)
			} else {
				n = groupCols[o.group].compareSlots(groups[x].first, groups[y].first, nil)
			}
			if o.desc {
				n = -n
			}
			if n != 0 {
				return n
			}
		}
		for _, c := range groupCols {
			if n := c.compareSlots(groups[x].first, groups[y].first, nil); n != 0 {
				return n
			}
		}
		return 0
	})

	res.Total = len(groups)
	from := min(max(spec.From, 0), res.Total)
	end := res.Total
	if spec.Limit > 0 && spec.Limit < end-from {
		end = from + spec.Limit
	}
	for _, p := range perm[from:end] {
		g := AggregateGroup{Values: values[p]}
		if len(groupCols) > 0 {
			g.Keys = make([]Value, len(groupCols))
			for j, c := range groupCols {
				g.Keys[j] = columnValue(c, groups[p].first)
			}
		}
		res.Groups = append(res.Groups, g)
	}
	res.Next = end
	res.HasMore = end < res.Total
	return res, nil
}

// checkAggregate says whether fn can read c.
func checkAggregate(fn string, c *column, idField string, loc query.Location) error {
	switch fn {
	case AggCount:
		return nil
	case AggSum, AggAvg:
		if c == nil || c.ft.Kind != KindNumber {
			return loc.Errorf("%s reads numbers; %s is %s", fn, fieldLabel(c, idField), kindText(c))
		}
		return nil
	case AggMin, AggMax:
		if c == nil || (c.ft.Kind != KindNumber && c.ft.Kind != KindDate && c.ft.Kind != KindString) {
			return loc.Errorf("%s reads numbers, dates or text; %s is %s", fn, fieldLabel(c, idField), kindText(c))
		}
		return nil
	}
	return query.Location{Path: strings.TrimSuffix(loc.Path, ".fieldName") + ".function"}.Errorf("%q is not one of Count, Sum, Avg, Min, Max", fn)
}

// groupKey appends the key of slot's group: per column a null mark or the
// value (text folded as Equal compares it), length-prefixed.
func groupKey(b []byte, cols []*column, slot uint32) []byte {
	for _, c := range cols {
		if !c.valid.has(slot) {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		var s string
		switch c.ft.Kind {
		case KindString:
			s = c.foldRead(c.str[slot])
		case KindNumber:
			s = strconv.FormatFloat(c.num[slot], 'g', -1, 64)
		default:
			s = strconv.FormatInt(c.i64[slot], 10)
		}
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	return b
}

func (g *groupAcc) add(i int, a aggCol, slot uint32) {
	if a.col != nil && !a.col.valid.has(slot) {
		return
	}
	g.count[i]++
	switch a.fn {
	case AggSum, AggAvg:
		g.sum[i] += a.col.num[slot]
	case AggMin, AggMax:
		if !g.has[i] {
			g.ext[i], g.has[i] = slot, true
			return
		}
		n := a.col.compareSlots(slot, g.ext[i], nil)
		if a.fn == AggMin && n < 0 || a.fn == AggMax && n > 0 {
			g.ext[i] = slot
		}
	}
}

func (g *groupAcc) values(aggs []aggCol) []Value {
	out := make([]Value, len(aggs))
	for i, a := range aggs {
		switch a.fn {
		case AggCount:
			out[i] = Value{Kind: KindNumber, Num: float64(g.count[i])}
		case AggSum:
			out[i] = Value{Kind: KindNumber, Num: g.sum[i], Null: g.count[i] == 0}
		case AggAvg:
			out[i] = Value{Kind: KindNumber, Null: g.count[i] == 0}
			if g.count[i] > 0 {
				out[i].Num = g.sum[i] / float64(g.count[i])
			}
		default:
			if g.has[i] {
				out[i] = columnValue(a.col, g.ext[i])
			} else {
				out[i] = Value{Kind: a.col.ft.Kind, Null: true}
			}
		}
	}
	return out
}

// compareAgg orders two groups by one aggregation: nulls first, Min and Max
// as the column orders its values.
func compareAgg(a aggCol, x, y *groupAcc, vx, vy Value, i int) int {
	switch {
	case vx.Null && vy.Null:
		return 0
	case vx.Null:
		return -1
	case vy.Null:
		return 1
	}
	if a.fn == AggMin || a.fn == AggMax {
		return a.col.compareSlots(x.ext[i], y.ext[i], nil)
	}
	if math.IsNaN(vx.Num) || math.IsNaN(vy.Num) {
		return 0
	}
	return cmp.Compare(vx.Num, vy.Num)
}

// groupOrder is a resolved order of groups: by aggregation agg, or (agg
// -1) by group column group.
type groupOrder struct {
	agg, group int
	desc       bool
}

func groupOrders(in []query.Order, groupBy []string, cols []*column, aliases []string) ([]groupOrder, error) {
	var out []groupOrder
	seen := map[string]bool{}
	for _, o := range in {
		lower := strings.ToLower(o.Field)
		if seen[lower] {
			continue // a repeated key never decides
		}
		seen[lower] = true
		if i := slices.IndexFunc(aliases, func(a string) bool { return strings.EqualFold(a, o.Field) }); i >= 0 {
			out = append(out, groupOrder{agg: i, desc: o.Descending})
			continue
		}
		if i := slices.IndexFunc(cols, func(c *column) bool { return strings.EqualFold(c.name, o.Field) }); i >= 0 {
			out = append(out, groupOrder{agg: -1, group: i, desc: o.Descending})
			continue
		}
		return nil, o.Where().Errorf("%s is neither a groupBy field nor an aggregation's alias (%s)", o.Field, strings.Join(append(slices.Clone(groupBy), aliases...), ", "))
	}
	return out, nil
}
