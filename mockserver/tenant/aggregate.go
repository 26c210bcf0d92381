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
	// MaxGroups, when positive, is the most groups the query may form: a
	// query that forms more is a *query.Error at GroupPath, found before
	// the groups' aggregates cost more than MaxGroups groups' worth.
	MaxGroups int
	Context   context.Context
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

// groupAcc accumulates every group, each aggregation's state in one flat
// slice indexed by group*len(aggs)+aggregation: a group costs a few words
// per aggregation, not a few allocations.
type groupAcc struct {
	n     int      // aggregations per group
	first []uint32 // each group's first slot: its key values are read from it
	count []int64
	sum   []float64
	ext   []uint32 // the slot of the minimum or maximum so far
	has   []bool
}

// group adds a group whose first slot is slot and returns its number.
func (g *groupAcc) group(slot uint32) int {
	g.first = append(g.first, slot)
	for range g.n {
		g.count = append(g.count, 0)
		g.sum = append(g.sum, 0)
		g.ext = append(g.ext, 0)
		g.has = append(g.has, false)
	}
	return len(g.first) - 1
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

	acc := &groupAcc{n: len(aggs)}
	index := map[string]int{}
	var key []byte
	it := rows.Iterator()
	for it.HasNext() {
		slot := it.Next()
		if ev.stopped() {
			return res, fmt.Errorf("query stopped: %w", ev.err)
		}
		key = groupKey(key[:0], groupCols, slot)
		gi, ok := index[string(key)]
		if !ok {
			if spec.MaxGroups > 0 && len(acc.first) == spec.MaxGroups {
				return res, query.Location{Path: spec.GroupPath}.Errorf("the query forms more than %d groups; the limit is %d (group by fewer fields, or narrow where)", spec.MaxGroups, spec.MaxGroups)
			}
			gi = acc.group(slot)
			index[string(key)] = gi
		}
		for i, a := range aggs {
			acc.add(gi*acc.n+i, a, slot)
		}
	}
	if len(groupCols) == 0 && len(acc.first) == 0 {
		// Without groupBy there is one group, of no rows at most.
		acc.group(0)
	}
	ngroups := len(acc.first)

	perm := make([]int, ngroups)
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(x, y int) int {
		for _, o := range orders {
			var n int
			if o.agg >= 0 {
				n = acc.compare(aggs[o.agg], x*acc.n+o.agg, y*acc.n+o.agg)
			} else {
				n = groupCols[o.group].compareSlots(acc.first[x], acc.first[y], nil)
			}
			if o.desc {
				n = -n
			}
			if n != 0 {
				return n
			}
		}
		for _, c := range groupCols {
			if n := c.compareSlots(acc.first[x], acc.first[y], nil); n != 0 {
				return n
			}
		}
		return 0
	})

	res.Total = ngroups
	from := min(max(spec.From, 0), res.Total)
	end := res.Total
	if spec.Limit > 0 && spec.Limit < end-from {
		end = from + spec.Limit
	}
	for _, p := range perm[from:end] {
		g := AggregateGroup{Values: acc.values(p, aggs)}
		if len(groupCols) > 0 {
			g.Keys = make([]Value, len(groupCols))
			for j, c := range groupCols {
				g.Keys[j] = columnValue(c, acc.first[p])
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

// add adds slot to the state at k (group*n+aggregation).
func (g *groupAcc) add(k int, a aggCol, slot uint32) {
	if a.col != nil && !a.col.valid.has(slot) {
		return
	}
	g.count[k]++
	switch a.fn {
	case AggSum, AggAvg:
		g.sum[k] += a.col.num[slot]
	case AggMin, AggMax:
		if !g.has[k] {
			g.ext[k], g.has[k] = slot, true
			return
		}
		n := a.col.compareSlots(slot, g.ext[k], nil)
		if a.fn == AggMin && n < 0 || a.fn == AggMax && n > 0 {
			g.ext[k] = slot
		}
	}
}

// values returns group gi's aggregates.
func (g *groupAcc) values(gi int, aggs []aggCol) []Value {
	out := make([]Value, len(aggs))
	for i, a := range aggs {
		k := gi*g.n + i
		switch a.fn {
		case AggCount:
			out[i] = Value{Kind: KindNumber, Num: float64(g.count[k])}
		case AggSum:
			out[i] = Value{Kind: KindNumber, Num: g.sum[k], Null: g.count[k] == 0}
		case AggAvg:
			out[i] = Value{Kind: KindNumber, Null: g.count[k] == 0}
			if g.count[k] > 0 {
				out[i].Num = g.sum[k] / float64(g.count[k])
			}
		default:
			if g.has[k] {
				out[i] = columnValue(a.col, g.ext[k])
			} else {
				out[i] = Value{Kind: a.col.ft.Kind, Null: true}
			}
		}
	}
	return out
}

// compare orders two groups' states of one aggregation, at kx and ky:
// nulls (no values) first, Min and Max as the column orders its values.
func (g *groupAcc) compare(a aggCol, kx, ky int) int {
	if a.fn == AggCount {
		return cmp.Compare(g.count[kx], g.count[ky])
	}
	nx, ny := g.count[kx] == 0, g.count[ky] == 0
	switch {
	case nx && ny:
		return 0
	case nx:
		return -1
	case ny:
		return 1
	}
	switch a.fn {
	case AggSum:
		return cmpNum(g.sum[kx], g.sum[ky])
	case AggAvg:
		return cmpNum(g.sum[kx]/float64(g.count[kx]), g.sum[ky]/float64(g.count[ky]))
	}
	return a.col.compareSlots(g.ext[kx], g.ext[ky], nil)
}

// cmpNum orders numbers, a NaN (a sum of infinities) tying with anything.
func cmpNum(x, y float64) int {
	if math.IsNaN(x) || math.IsNaN(y) {
		return 0
	}
	return cmp.Compare(x, y)
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
