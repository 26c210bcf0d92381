package tenant

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// A where condition is compiled against the type's columns into a tree of
// nodes, then evaluated to a bitmap of slots within the rows the user may
// see. Comparisons are typed: the constant is converted to the field's type
// (a number, a date, text, a boolean, or a reference by id) and a constant
// that does not convert is a *query.Error naming where it was written.
//
// Semantics, shared with the reference evaluator of the tests:
//   - Equal null matches rows without a value; NotEqual x is NOT Equal x, so
//     it includes rows without a value; In matches any element (null too).
//   - LessThan, GreaterThan, LessThanOrEqual, GreaterThanOrEqual, BeginsWith,
//     EndsWith, Contains and Like never match a row without a value;
//     DoesNotContain is NOT Contains.
//   - Text compares case-insensitively (by its lower-case form); Like takes %
//     for any run of characters and _ for one; booleans order false < true;
//     references compare by id; dates by instant.
//   - Comparing two fields (a fieldExpression on the right) needs two fields
//     of one type; Equal holds when both are null.

// node is a compiled condition.
type node interface{}

type (
	andNode []node
	orNode  []node
	notNode struct{ x node }
	allNode struct{}
)

// key is a constant converted to a column's type.
type key struct {
	null bool
	s    string // text: lower-case
	f    float64
	i    int64 // dates (unix seconds), references and ids, booleans (0, 1)
}

// cmpNode is one comparison. col nil means the row id.
type cmpNode struct {
	loc   query.Location
	op    string
	col   *column
	right *column // field against field
	k     key
	list  []key
	like  *query.Pattern // Like against a constant, compiled once
}

var textOps = map[string]bool{query.OpBeginsWith: true, query.OpEndsWith: true, query.OpContains: true,
	query.OpDoesNotContain: true, query.OpLike: true}

var orderOps = map[string]bool{query.OpLessThan: true, query.OpGreaterThan: true, query.OpLessThanOrEqual: true,
	query.OpGreaterThanOrEqual: true}

// resolveColumn finds a where or order field: idField (the row id, col nil)
// or a declared field.
func resolveColumn(tb *table, name, idField string, loc query.Location) (*column, error) {
	if strings.EqualFold(name, idField) {
		return nil, nil
	}
	if strings.Contains(name, ".") {
		return nil, loc.Errorf("%s: dotted paths are only supported in the field list", name)
	}
	n, _, ok := fieldOf(tb.et, name)
	if !ok {
		return nil, loc.Errorf("%s has no field %q", tb.et.Name, name)
	}
	return tb.cols[n], nil
}

func kindText(c *column) string {
	if c == nil {
		return "the row id"
	}
	switch c.ft.Kind {
	case KindString:
		return "a text field"
	case KindNumber:
		return "a number field"
	case KindBool:
		return "a boolean field"
	case KindDate:
		return "a date field"
	}
	return "a reference to " + c.ft.RefType
}

func fieldLabel(c *column, idField string) string {
	if c == nil {
		return idField
	}
	return c.name
}

// compile turns a parsed condition into nodes against tb.
func compile(tb *table, x query.Expr, idField string) (node, error) {
	switch e := x.(type) {
	case nil, query.True:
		return allNode{}, nil
	case query.And:
		out := make(andNode, 0, len(e))
		for _, y := range e {
			n, err := compile(tb, y, idField)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case query.Or:
		out := make(orNode, 0, len(e))
		for _, y := range e {
			n, err := compile(tb, y, idField)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case query.Not:
		n, err := compile(tb, e.X, idField)
		if err != nil {
			return nil, err
		}
		return notNode{x: n}, nil
	case *query.Compare:
		return compileCompare(tb, e, idField)
	}
	return nil, fmt.Errorf("tenant: unknown condition %T", x)
}

func compileCompare(tb *table, c *query.Compare, idField string) (node, error) {
	loc := c.Where()
	col, err := resolveColumn(tb, c.Field, idField, loc)
	if err != nil {
		return nil, err
	}
	n := &cmpNode{loc: loc, op: c.Op, col: col}
	label := fieldLabel(col, idField)
	if textOps[c.Op] && (col == nil || col.ft.Kind != KindString) {
		return nil, loc.Errorf("%s applies to text fields; %s is %s", c.Op, label, kindText(col))
	}
	if c.RightField != "" {
		right, err := resolveColumn(tb, c.RightField, idField, loc)
		if err != nil {
			return nil, err
		}
		if col == nil || right == nil {
			return nil, loc.Errorf("comparing %s with %s: the row id can only be compared with constants", c.Field, c.RightField)
		}
		if col.ft != right.ft {
			return nil, loc.Errorf("cannot compare %s (%s) with %s (%s)", col.name, col.ft, right.name, right.ft)
		}
		n.right = right
		return n, nil
	}
	if c.Op == query.OpIn {
		n.list = make([]key, 0, len(c.List))
		for _, v := range c.List {
			k, err := convertKey(tb, col, v, idField, loc)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, k)
		}
		return n, nil
	}
	k, err := convertKey(tb, col, c.Value, idField, loc)
	if err != nil {
		return nil, err
	}
	if k.null && (textOps[c.Op] || orderOps[c.Op]) {
		return nil, loc.Errorf("%s %s needs a value, not null (use Equal or NotEqual null)", label, c.Op)
	}
	n.k = k
	if c.Op == query.OpLike {
		n.like = query.CompileLike(k.s)
	}
	return n, nil
}

// convertKey converts a constant to col's type (col nil: the row id).
func convertKey(tb *table, col *column, v any, idField string, loc query.Location) (key, error) {
	if v == nil {
		return key{null: true}, nil
	}
	label := fieldLabel(col, idField)
	bad := func(want string) (key, error) {
		return key{}, loc.Errorf("%s is %s; %s is not %s", label, kindText(col), describe(v), want)
	}
	if col == nil {
		id, ok := refID(v, tb.et.Name)
		if !ok {
			if idField == "id" {
				return bad("an id /" + tb.et.Name + "/<n>")
			}
			return bad("a whole number")
		}
		return key{i: id}, nil
	}
	switch col.ft.Kind {
	case KindString:
		switch x := v.(type) {
		case string:
			return key{s: strings.ToLower(x)}, nil
		case float64:
			return key{s: strconv.FormatFloat(x, 'f', -1, 64)}, nil
		case bool:
			return key{s: strconv.FormatBool(x)}, nil
		}
	case KindNumber:
		switch x := v.(type) {
		case float64:
			return key{f: x}, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return key{f: f}, nil
			}
		}
		return bad("a number")
	case KindBool:
		switch x := v.(type) {
		case bool:
			return boolKey(x), nil
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return boolKey(b), nil
			}
		}
		return bad("true or false")
	case KindDate:
		if s, ok := v.(string); ok {
			if d, err := parseDate(s); err == nil {
				return key{i: dateUnix(d)}, nil
			}
		}
		return bad("a date (RFC 3339 or YYYY-MM-DD)")
	case KindRef:
		if id, ok := refID(v, col.ft.RefType); ok {
			return key{i: id}, nil
		}
		return bad("a reference /" + col.ft.RefType + "/<n> or an id")
	}
	return bad("a value of that type")
}

func boolKey(b bool) key {
	if b {
		return key{i: 1}
	}
	return key{}
}

// refID reads "/Type/n" (Type matched case-insensitively), n, or "n".
func refID(v any, typeName string) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && x >= 1 && x < 1<<53 {
			return int64(x), true
		}
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "/") {
			r, err := ParseRef(s)
			if err != nil || !strings.EqualFold(r.Type, typeName) {
				return 0, false
			}
			return r.ID, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n > 0
	}
	return 0, false
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// evaluator evaluates compiled conditions.
type evaluator struct {
	tb *table
	// path forces the index (1) or row scans (2) for tests; 0 decides.
	path int
	// ctx is the request's: once it is done, evaluation stops and err
	// holds why (the result is then meaningless).
	ctx context.Context
	err error
	n   uint
}

// stopped reports whether the evaluation should stop: the context is
// looked at every 256 calls, which keeps the check cheap in row loops.
func (ev *evaluator) stopped() bool {
	if ev.err != nil {
		return true
	}
	if ev.ctx == nil {
		return false
	}
	ev.n++
	if ev.n%256 == 0 {
		ev.err = ev.ctx.Err()
	}
	return ev.err != nil
}

// forcePath is set by tests to cover both the index and the scan paths.
var forcePath int

// resultCacheOff is set by benchmarks that measure a query's evaluation,
// which the result cache would otherwise answer from the second time on.
var resultCacheOff bool

// eval returns the slots of univ that satisfy n. The result may be univ
// itself or an index bitmap: callers never change it.
func (ev *evaluator) eval(n node, univ *roaring.Bitmap) *roaring.Bitmap {
	switch e := n.(type) {
	case allNode:
		return univ
	case andNode:
		cur := univ
		for _, c := range e {
			if cur.IsEmpty() {
				break
			}
			cur = ev.eval(c, cur)
		}
		return cur
	case orNode:
		parts := make([]*roaring.Bitmap, 0, len(e))
		for _, c := range e {
			parts = append(parts, ev.eval(c, univ))
		}
		return roaring.FastOr(parts...)
	case notNode:
		return roaring.AndNot(univ, ev.eval(e.x, univ))
	case *cmpNode:
		if ev.err != nil {
			return univ
		}
		return ev.leaf(e, univ)
	}
	panic(fmt.Sprintf("tenant: unknown node %T", n))
}

func (ev *evaluator) leaf(n *cmpNode, univ *roaring.Bitmap) *roaring.Bitmap {
	switch n.op {
	case query.OpNotEqual:
		eq := *n
		eq.op = query.OpEqual
		return roaring.AndNot(univ, ev.leaf(&eq, univ))
	case query.OpDoesNotContain:
		c := *n
		c.op = query.OpContains
		return roaring.AndNot(univ, ev.leaf(&c, univ))
	}
	if n.right != nil {
		return ev.scan(n, univ)
	}
	indexed := n.op == query.OpEqual || n.op == query.OpIn
	if !indexed {
		switch ev.path {
		case 2:
			return ev.scan(n, univ)
		case 0:
			if keys := n.col.keyCount(); n.col != nil && univ.GetCardinality() < uint64(keys)/4 {
				return ev.scan(n, univ)
			}
		}
	}
	if n.col == nil {
		return ev.idLeaf(n, univ)
	}
	var set *roaring.Bitmap
	switch {
	case n.col.sidx != nil:
		set = leafOf(n.col.sidx, n, univ, func(k key) string { return k.s }, ev.textPred(n))
	case n.col.fidx != nil:
		set = leafOf(n.col.fidx, n, univ, func(k key) float64 { return k.f }, nil)
	default:
		set = leafOf(n.col.iidx, n, univ, func(k key) int64 { return k.i }, nil)
	}
	return roaring.And(set, univ)
}

// keyCount is the number of distinct values (0 for the row id).
func (c *column) keyCount() int {
	switch {
	case c == nil:
		return 0
	case c.sidx != nil:
		return len(c.sidx.m)
	case c.fidx != nil:
		return len(c.fidx.m)
	}
	return len(c.iidx.m)
}

// textPred returns the predicate of a text operator on lower-case keys.
// It stops matching once the evaluation is stopped.
func (ev *evaluator) textPred(n *cmpNode) func(string) bool {
	s := n.k.s
	var pred func(string) bool
	switch n.op {
	case query.OpBeginsWith:
		pred = func(k string) bool { return strings.HasPrefix(k, s) }
	case query.OpEndsWith:
		pred = func(k string) bool { return strings.HasSuffix(k, s) }
	case query.OpContains:
		pred = func(k string) bool { return strings.Contains(k, s) }
	case query.OpLike:
		pred = n.like.Match
	default:
		return nil
	}
	return func(k string) bool { return !ev.stopped() && pred(k) }
}

// leafOf answers Equal, In, the order operators and (text) the text
// operators from a column's index. The result is not yet limited to univ.
func leafOf[K cmp.Ordered](ix *index[K], n *cmpNode, univ *roaring.Bitmap, val func(key) K, pred func(K) bool) *roaring.Bitmap {
	eq := func(k key) *roaring.Bitmap {
		if k.null {
			return ix.nulls
		}
		if p, ok := ix.m[val(k)]; ok {
			return p.bitmap()
		}
		return roaring.New()
	}
	switch n.op {
	case query.OpEqual:
		return eq(n.k)
	case query.OpIn:
		var parts []*roaring.Bitmap
		for _, k := range n.list {
			if k.null {
				parts = append(parts, ix.nulls)
			} else if p, ok := ix.m[val(k)]; ok { // a value no row holds adds nothing
				parts = append(parts, p.bitmap())
			}
		}
		return roaring.FastOr(parts...)
	case query.OpLessThan, query.OpLessThanOrEqual, query.OpGreaterThan, query.OpGreaterThanOrEqual:
		keys := ix.keys()
		v := val(n.k)
		lo, hi := 0, len(keys)
		switch n.op {
		case query.OpLessThan:
			hi = sort.Search(len(keys), func(i int) bool { return keys[i] >= v })
		case query.OpLessThanOrEqual:
			hi = sort.Search(len(keys), func(i int) bool { return keys[i] > v })
		case query.OpGreaterThan:
			lo = sort.Search(len(keys), func(i int) bool { return keys[i] > v })
		default:
			lo = sort.Search(len(keys), func(i int) bool { return keys[i] >= v })
		}
		return ix.rangeUnion(keys, lo, hi)
	case query.OpBeginsWith:
		// Keys with a prefix are contiguous in byte order.
		keys := ix.keys()
		sk := any(keys).([]string)
		lo := sort.SearchStrings(sk, n.k.s)
		hi := lo
		for hi < len(sk) && strings.HasPrefix(sk[hi], n.k.s) {
			hi++
		}
		return ix.rangeUnion(keys, lo, hi)
	}
	return ix.union(pred)
}

// idLeaf answers a comparison of the row id: ids grow with slots, so a
// range of ids is a range of slots.
func (ev *evaluator) idLeaf(n *cmpNode, univ *roaring.Bitmap) *roaring.Bitmap {
	ids := ev.tb.ids
	out := roaring.New()
	one := func(k key) {
		if k.null {
			return
		}
		if s, ok := ev.tb.slot(k.i); ok {
			out.Add(s)
		}
	}
	search := func(f func(i int) bool) uint64 { return uint64(sort.Search(len(ids), f)) }
	switch n.op {
	case query.OpEqual:
		one(n.k)
	case query.OpIn:
		for _, k := range n.list {
			one(k)
		}
	case query.OpLessThan:
		out.AddRange(0, search(func(i int) bool { return ids[i] >= n.k.i }))
	case query.OpLessThanOrEqual:
		out.AddRange(0, search(func(i int) bool { return ids[i] > n.k.i }))
	case query.OpGreaterThan:
		out.AddRange(search(func(i int) bool { return ids[i] > n.k.i }), uint64(len(ids)))
	case query.OpGreaterThanOrEqual:
		out.AddRange(search(func(i int) bool { return ids[i] >= n.k.i }), uint64(len(ids)))
	}
	out.And(univ)
	return out
}

// scan tests every slot of univ.
func (ev *evaluator) scan(n *cmpNode, univ *roaring.Bitmap) *roaring.Bitmap {
	out := roaring.New()
	buf := make([]uint32, 0, 256)
	it := univ.ManyIterator()
	batch := make([]uint32, 256)
	for {
		k := it.NextMany(batch)
		if k == 0 {
			break
		}
		for _, s := range batch[:k] {
			if ev.stopped() {
				return out
			}
			if ev.match(n, s) {
				buf = append(buf, s)
			}
		}
		out.AddMany(buf)
		buf = buf[:0]
	}
	return out
}

// cell is one slot's value of a column, in key form.
func cell(tb *table, c *column, slot uint32) key {
	if c == nil {
		return key{i: tb.ids[slot]}
	}
	if !c.valid.has(slot) {
		return key{null: true}
	}
	switch c.ft.Kind {
	case KindString:
		return key{s: c.foldRead(c.str[slot])}
	case KindNumber:
		return key{f: c.num[slot]}
	}
	return key{i: c.i64[slot]}
}

func compareKeys(c *column, a, b key) int {
	if c != nil && c.ft.Kind == KindString {
		return strings.Compare(a.s, b.s)
	}
	if c != nil && c.ft.Kind == KindNumber {
		return cmp.Compare(a.f, b.f)
	}
	return cmp.Compare(a.i, b.i)
}

// match evaluates a comparison (not NotEqual or DoesNotContain) on a slot.
func (ev *evaluator) match(n *cmpNode, slot uint32) bool {
	v := cell(ev.tb, n.col, slot)
	if n.right != nil {
		r := cell(ev.tb, n.right, slot)
		if n.op == query.OpEqual {
			return v.null && r.null || !v.null && !r.null && compareKeys(n.col, v, r) == 0
		}
		if v.null || r.null {
			return false
		}
		return matchKey(n.col, n.op, v, r, nil)
	}
	switch n.op {
	case query.OpEqual:
		return equalKey(n.col, v, n.k)
	case query.OpIn:
		return slices.ContainsFunc(n.list, func(k key) bool { return equalKey(n.col, v, k) })
	}
	return !v.null && matchKey(n.col, n.op, v, n.k, n.like)
}

func equalKey(c *column, v, k key) bool {
	if v.null || k.null {
		return v.null && k.null
	}
	return compareKeys(c, v, k) == 0
}

// matchKey applies an order or text operator to two non-null values; like
// is k's compiled pattern, when there is one.
func matchKey(c *column, op string, v, k key, like *query.Pattern) bool {
	switch op {
	case query.OpEqual:
		return compareKeys(c, v, k) == 0
	case query.OpLessThan:
		return compareKeys(c, v, k) < 0
	case query.OpLessThanOrEqual:
		return compareKeys(c, v, k) <= 0
	case query.OpGreaterThan:
		return compareKeys(c, v, k) > 0
	case query.OpGreaterThanOrEqual:
		return compareKeys(c, v, k) >= 0
	case query.OpBeginsWith:
		return strings.HasPrefix(v.s, k.s)
	case query.OpEndsWith:
		return strings.HasSuffix(v.s, k.s)
	case query.OpContains:
		return strings.Contains(v.s, k.s)
	case query.OpLike:
		if like != nil {
			return like.Match(v.s)
		}
		return query.Like(v.s, k.s)
	}
	return false
}
