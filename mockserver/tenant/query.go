package tenant

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// QuerySpec is one page of a query of entities.
type QuerySpec struct {
	// Type is the entity type (resolved as by EntityType).
	Type string
	// User is the effective user: rows are limited to those the user may
	// see, as part of the plan.
	User int64
	// Where is the condition (nil matches every row).
	Where query.Expr
	// Orders sort the result; ties, and everything when there are none,
	// are by id.
	Orders []query.Order
	// IDField names the row id in Where and Orders: "id" for the data API
	// (values /Type/n or n), "EntryId" for the relationship API.
	IDField string
	// Skip and Cap cut the sorted result first (CZQL OFFSET and LIMIT; Cap
	// 0 keeps everything), From and Limit then take the page.
	Skip, Cap   int
	From, Limit int
	// Context, when set, stops a long evaluation once it is done (the
	// client hung up, or the request's time ran out); Query then returns
	// its error.
	Context context.Context
}

// PageInfo describes a page: Total counts every row of the (cut) result,
// Next is the position after the page, and HasMore says whether rows
// follow it.
type PageInfo struct {
	Total   int
	Next    int
	HasMore bool
	// Version is the tenant's Version the page was read at.
	Version uint64
}

// Query runs a query and calls render with the page's rows, in order, while
// the tenant is read-locked: render must not call the tenant's methods. Only
// rows the user may see take part, so totals and HasMore agree with
// row-level access. A condition or order the type cannot answer is a
// *query.Error saying where it was written; an unknown type wraps
// ErrNotFound.
func (t *Tenant) Query(spec QuerySpec, render func(*Rows) error) (PageInfo, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(spec.Type)
	if !ok {
		return PageInfo{}, fmt.Errorf("entity type %q: %w", spec.Type, ErrNotFound)
	}
	tb := t.tables[et.Name]
	if spec.IDField == "" {
		spec.IDField = "id"
	}
	where, err := compile(tb, spec.Where, spec.IDField)
	if err != nil {
		return PageInfo{}, err
	}
	orders, err := resolveOrders(tb, spec.Orders, spec.IDField)
	if err != nil {
		return PageInfo{}, err
	}
	// The set the condition selects for the user, from the result cache
	// when the previous page asked the same at this version (see
	// resultCache). Tests that force a plan path, and benchmarks of the
	// evaluation, bypass it.
	version := t.version.Load()
	key, cacheable := "", forcePath == 0 && !resultCacheOff
	if cacheable {
		key, cacheable = resultKey(tb, spec.User, spec.IDField, spec.Where)
	}
	var result *roaring.Bitmap
	if cacheable {
		result = t.results.get(version, key)
	}
	if result == nil {
		ev := &evaluator{tb: tb, path: forcePath, ctx: spec.Context}
		result = ev.eval(where, t.visibleSet(tb, spec.User))
		if ev.err != nil {
			return PageInfo{}, fmt.Errorf("query stopped: %w", ev.err)
		}
		if cacheable {
			t.results.put(version, key, result)
		}
	}

	n := int(result.GetCardinality())
	total := max(n-max(spec.Skip, 0), 0)
	if spec.Cap > 0 {
		total = min(total, spec.Cap)
	}
	from := max(spec.From, 0)
	end := total
	if spec.Limit > 0 && spec.Limit < total-from { // not from+Limit: it may overflow
		end = from + spec.Limit
	}
	var slots []uint32
	if from < end {
		skip := max(spec.Skip, 0)
		slots = window(tb, result, orders, skip+from, skip+end)
	}
	next := min(from, total) + len(slots)
	info := PageInfo{Total: total, Next: next, HasMore: next < total, Version: version}
	if render != nil {
		if err := render(&Rows{t: t, tb: tb, slots: slots, user: spec.User}); err != nil {
			return info, err
		}
	}
	return info, nil
}

// order is a resolved sort key; col nil is the id.
type order struct {
	col  *column
	desc bool
}

// A key whose field already appeared never decides (its ties were broken
// by the first one), so it is dropped: a thousand copies of one key cost
// what one does.
func resolveOrders(tb *table, in []query.Order, idField string) ([]order, error) {
	out := make([]order, 0, min(len(in), 16))
	for _, o := range in {
		c, err := resolveColumn(tb, o.Field, idField, o.Where())
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(x order) bool { return x.col == c }) {
			continue
		}
		out = append(out, order{col: c, desc: o.Descending})
		if c == nil {
			break // ids are unique: later keys never decide
		}
	}
	return out, nil
}

// smallSort is the result size up to which a sorted page is found by
// sorting the whole result.
var smallSort = 4096

// window returns the slots at positions [lo, hi) of result in order.
func window(tb *table, result *roaring.Bitmap, orders []order, lo, hi int) []uint32 {
	out := make([]uint32, 0, hi-lo)
	if len(orders) == 0 || orders[0].col == nil {
		desc := len(orders) > 0 && orders[0].desc
		n := int(result.GetCardinality())
		if desc {
			lo, hi = n-hi, n-lo
		}
		first, err := result.Select(uint32(lo))
		if err != nil {
			return out
		}
		it := result.Iterator()
		it.AdvanceIfNeeded(first)
		for len(out) < hi-lo && it.HasNext() {
			out = append(out, it.Next())
		}
		if desc {
			slices.Reverse(out)
		}
		return out
	}
	if result.GetCardinality() <= uint64(smallSort) {
		all := result.ToArray()
		sortSlots(tb, all, orders)
		return append(out, all[lo:hi]...)
	}
	// Walk the first key's values in order; count each group against the
	// result without reading it until the page starts.
	first, rest := orders[0], orders[1:]
	acc := 0
	emit := func(group *roaring.Bitmap, count int) bool {
		if acc+count <= lo {
			acc += count
			return true
		}
		members := roaring.And(group, result).ToArray()
		if len(rest) > 0 {
			sortSlots(tb, members, rest)
		}
		out = append(out, members[max(lo-acc, 0):min(hi-acc, count)]...)
		acc += count
		return acc < hi
	}
	nulls := first.col.nulls()
	if !first.desc && !emit(nulls, int(nulls.AndCardinality(result))) {
		return out
	}
	var done bool
	switch c := first.col; {
	case c.sidx != nil:
		done = walkGroups(c.sidx, first.desc, result, emit)
	case c.fidx != nil:
		done = walkGroups(c.fidx, first.desc, result, emit)
	default:
		done = walkGroups(c.iidx, first.desc, result, emit)
	}
	if !done && first.desc {
		emit(nulls, int(nulls.AndCardinality(result)))
	}
	return out
}

// walkGroups calls emit with each non-empty key's rows, in key order; it
// reports whether emit stopped the walk.
func walkGroups[K cmp.Ordered](ix *index[K], desc bool, result *roaring.Bitmap, emit func(*roaring.Bitmap, int) bool) bool {
	keys := ix.keys()
	for i := range keys {
		if desc {
			i = len(keys) - 1 - i
		}
		p, ok := ix.m[keys[i]]
		if !ok {
			continue // a stale key of the sorted list
		}
		n := int(p.andCard(result))
		if n == 0 {
			continue
		}
		if !emit(p.bitmap(), n) {
			return true
		}
	}
	return false
}

// sortSlots sorts slots by the orders, then by id.
func sortSlots(tb *table, slots []uint32, orders []order) {
	// Text keys are folded once per slot, not once per comparison.
	folded := make([][]string, len(orders))
	for i, o := range orders {
		if o.col != nil && o.col.ft.Kind == KindString {
			f := make([]string, len(slots))
			for j, s := range slots {
				if o.col.valid.has(s) {
					f[j] = o.col.foldRead(o.col.str[s])
				}
			}
			folded[i] = f
		}
	}
	perm := make([]int32, len(slots))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(x, y int32) int {
		a, b := slots[x], slots[y]
		for i, o := range orders {
			var c int
			switch {
			case o.col == nil:
				c = cmp.Compare(a, b)
			case folded[i] != nil:
				va, vb := o.col.valid.has(a), o.col.valid.has(b)
				switch {
				case va && vb:
					c = strings.Compare(folded[i][x], folded[i][y])
				case va:
					c = 1
				case vb:
					c = -1
				}
			default:
				c = o.col.compareSlots(a, b, nil)
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a, b)
	})
	sorted := make([]uint32, len(slots))
	for i, p := range perm {
		sorted[i] = slots[p]
	}
	copy(slots, sorted)
}

// Rows is a page of query results, valid only inside the render callback
// of Query.
type Rows struct {
	t     *Tenant
	tb    *table
	slots []uint32
	user  int64
	vis   map[*table]*roaring.Bitmap
	// last is the referenced table of the previous reference lookup:
	// references of one field are all of one type.
	last refTable
}

// refTable is a referenced table with the rows the user may see in it.
type refTable struct {
	typ  string
	tb   *table
	vis  *roaring.Bitmap
	name *column // the Name column, nil when it is not text
}

// Field is a resolved field of the rows' type.
type Field struct{ c *column }

// Value is one field value: Null, or the member of its kind (Str for text,
// Num for numbers, Bool, Time for dates in unix seconds, Ref).
type Value struct {
	Null bool
	Kind string
	Str  string
	Num  float64
	Bool bool
	Time int64
	Ref  Ref
}

// Len is the number of rows.
func (r *Rows) Len() int { return len(r.slots) }

// Type is the rows' entity type.
func (r *Rows) Type() string { return r.tb.et.Name }

// ID returns the i-th row's id.
func (r *Rows) ID(i int) int64 { return r.tb.ids[r.slots[i]] }

// Field resolves a field of the type (case-insensitive, Owner included).
func (r *Rows) Field(name string) (Field, bool) {
	n, _, ok := fieldOf(r.tb.et, name)
	if !ok {
		return Field{}, false
	}
	return Field{c: r.tb.cols[n]}, true
}

// Name is the field's declared name.
func (f Field) Name() string { return f.c.name }

// Type is the field's type.
func (f Field) Type() FieldType { return f.c.ft }

// Value returns the i-th row's value of f.
func (r *Rows) Value(i int, f Field) Value { return columnValue(f.c, r.slots[i]) }

func columnValue(c *column, slot uint32) Value {
	if !c.valid.has(slot) {
		return Value{Null: true, Kind: c.ft.Kind}
	}
	v := Value{Kind: c.ft.Kind}
	switch c.ft.Kind {
	case KindString:
		v.Str = c.str[slot]
	case KindNumber:
		v.Num = c.num[slot]
	case KindBool:
		v.Bool = c.i64[slot] == 1
	case KindDate:
		v.Time = c.i64[slot]
	case KindRef:
		v.Ref = Ref{Type: c.ft.RefType, ID: c.i64[slot]}
	}
	return v
}

// RefName returns the Name of a referenced row or user, and whether the
// user may see it: ok is false for a row that does not exist or that
// row-level sharing hides from the user (apiDataAccess: bypass shows every
// row), so a reference to a hidden row reads exactly like one to a row that
// does not exist. Whether the user may read the referenced type at all is
// the caller's question (object access). A visible row without a Name has
// name "".
func (r *Rows) RefName(ref Ref) (string, bool) {
	if ref.Type == UserType {
		u, found := r.t.users[ref.ID]
		return u.Name, found
	}
	rt, slot, ok := r.refSlot(ref)
	if !ok {
		return "", false
	}
	if c := rt.name; c != nil && c.valid.has(slot) {
		return c.str[slot], true
	}
	return "", true
}

// RefUser returns the name and email of a referenced user, and whether the
// user exists (users are readable by everyone): one look-up for a rows
// read's user value.
func (r *Rows) RefUser(id int64) (name, email string, ok bool) {
	u, found := r.t.users[id]
	if !found {
		return "", "", false
	}
	return u.Name, u.Email, true
}

// refSlot finds a referenced row the user may see; ok is false when it
// does not exist or is hidden. Visible sets are computed once per table and
// page, so a reference costs a slot lookup and a bitmap test.
func (r *Rows) refSlot(ref Ref) (*refTable, uint32, bool) {
	if r.last.tb == nil || r.last.typ != ref.Type {
		et, ok := r.t.resolveType(ref.Type)
		if !ok {
			return nil, 0, false
		}
		tb := r.t.tables[et.Name]
		if r.vis == nil {
			r.vis = map[*table]*roaring.Bitmap{}
		}
		vis, ok := r.vis[tb]
		if !ok {
			vis = r.t.visibleSet(tb, r.user)
			r.vis[tb] = vis
		}
		r.last = refTable{typ: ref.Type, tb: tb, vis: vis}
		if c := tb.cols["Name"]; c != nil && c.ft.Kind == KindString {
			r.last.name = c
		}
	}
	slot, ok := r.last.tb.slot(ref.ID)
	if !ok {
		return nil, 0, false
	}
	return &r.last, slot, r.last.vis.Contains(slot)
}

// RefField returns a field of a referenced row or user, for dotted paths
// (Manager.Email, Project.State). Every field of a row the user may not see
// is null, Name included, as for a row that does not exist. ok is false
// when the referenced type has no such field.
func (r *Rows) RefField(ref Ref, field string) (Value, bool) {
	if ref.Type == UserType {
		u, found := r.t.users[ref.ID]
		switch {
		case strings.EqualFold(field, "Name"):
			return Value{Kind: KindString, Str: u.Name, Null: !found}, true
		case strings.EqualFold(field, "Email"):
			return Value{Kind: KindString, Str: u.Email, Null: !found}, true
		}
		return Value{}, false
	}
	et, ok := r.t.resolveType(ref.Type)
	if !ok {
		return Value{}, false
	}
	name, ft, ok := fieldOf(et, field)
	if !ok {
		return Value{}, false
	}
	rt, slot, ok := r.refSlot(ref)
	if !ok {
		return Value{Null: true, Kind: ft.Kind}, true
	}
	return columnValue(rt.tb.cols[name], slot), true
}

// RefFieldType reports the type of a field of a referenced type, for
// checking dotted paths: users have Name and Email.
func (t *Tenant) RefFieldType(refType, field string) (string, FieldType, bool) {
	if refType == UserType {
		for _, n := range []string{"Name", "Email"} {
			if strings.EqualFold(field, n) {
				return n, FieldType{Kind: KindString}, true
			}
		}
		return "", FieldType{}, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(refType)
	if !ok {
		return "", FieldType{}, false
	}
	return fieldOf(et, field)
}

// formatDate renders a date value (unix seconds) as the API writes it.
func formatDate(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// AppendDate appends a date value (unix seconds) as the API writes it.
func AppendDate(b []byte, unix int64) []byte {
	return time.Unix(unix, 0).UTC().AppendFormat(b, time.RFC3339)
}

func dateUnix(rfc3339 string) int64 {
	t, _ := time.Parse(time.RFC3339, rfc3339)
	return t.Unix()
}
