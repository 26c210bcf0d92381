package tenant

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// column holds one field of every row of a type, by slot, with its index.
// Strings keep the written text (str) and are indexed by their lower-case
// form, so equality and order are case-insensitive; numbers are float64;
// dates (unix seconds), references (the id) and booleans (0, 1) are int64.
type column struct {
	name  string
	ft    FieldType
	valid bitset
	str   []string
	num   []float64
	i64   []int64
	sidx  *index[string]
	fidx  *index[float64]
	iidx  *index[int64]
	// fold caches lower-case forms of repeated strings, so low-cardinality
	// fields do not allocate one per row.
	fold map[string]string
}

const foldCacheMax = 4096

func newColumn(name string, ft FieldType) *column {
	c := &column{name: name, ft: ft}
	switch ft.Kind {
	case KindString:
		c.sidx = newIndex[string]()
		c.fold = map[string]string{}
	case KindNumber:
		c.fidx = newIndex[float64]()
	default:
		c.iidx = newIndex[int64]()
	}
	return c
}

// foldRead returns the index key of a string without touching the cache
// (readers hold only the tenant's read lock).
func (c *column) foldRead(s string) string {
	if f, ok := c.fold[s]; ok {
		return f
	}
	return strings.ToLower(s)
}

// foldString returns the index key of a string; writers only.
func (c *column) foldString(s string) string {
	if f, ok := c.fold[s]; ok {
		return f
	}
	f := strings.ToLower(s)
	if len(c.fold) < foldCacheMax {
		c.fold[s] = f
	}
	return f
}

func (c *column) nulls() *roaring.Bitmap {
	switch {
	case c.sidx != nil:
		return c.sidx.nulls
	case c.fidx != nil:
		return c.fidx.nulls
	}
	return c.iidx.nulls
}

// grow appends a null slot.
func (c *column) grow() {
	switch {
	case c.sidx != nil:
		c.str = append(c.str, "")
	case c.fidx != nil:
		c.num = append(c.num, 0)
	default:
		c.i64 = append(c.i64, 0)
	}
}

// set stores a stored-form value (string, float64, bool, Ref, RFC 3339
// date string, or nil) in a live slot and indexes it.
func (c *column) set(slot uint32, v any) {
	c.unindex(slot)
	c.setFresh(slot, v)
}

// setFresh stores a value in a slot that is in no index yet.
func (c *column) setFresh(slot uint32, v any) {
	switch x := v.(type) {
	case nil:
		c.setNull(slot)
	case string:
		if c.ft.Kind == KindDate {
			t, _ := time.Parse(time.RFC3339, x) // stored form
			c.setInt(slot, t.Unix())
			return
		}
		c.setString(slot, x)
	case float64:
		c.setNumber(slot, x)
	case bool:
		var n int64
		if x {
			n = 1
		}
		c.setInt(slot, n)
	case Ref:
		c.setInt(slot, x.ID)
	case int64:
		c.setInt(slot, x)
	}
}

func (c *column) setNull(slot uint32) {
	c.valid.set(slot, false)
	c.nulls().Add(slot)
}

func (c *column) setString(slot uint32, s string) {
	c.valid.set(slot, true)
	c.str[slot] = s
	c.sidx.add(c.foldString(s), slot)
}

func (c *column) setNumber(slot uint32, f float64) {
	c.valid.set(slot, true)
	c.num[slot] = f
	c.fidx.add(f, slot)
}

// setInt stores a date (unix seconds), reference id or boolean (0, 1).
func (c *column) setInt(slot uint32, n int64) {
	c.valid.set(slot, true)
	c.i64[slot] = n
	c.iidx.add(n, slot)
}

// unindex removes a slot's current value (or null) from the index.
func (c *column) unindex(slot uint32) {
	if !c.valid.has(slot) {
		c.nulls().Remove(slot)
		return
	}
	switch {
	case c.sidx != nil:
		c.sidx.remove(c.foldString(c.str[slot]), slot)
	case c.fidx != nil:
		c.fidx.remove(c.num[slot], slot)
	default:
		c.iidx.remove(c.i64[slot], slot)
	}
}

// value returns a slot's value in stored form (nil when null).
func (c *column) value(slot uint32) any {
	if !c.valid.has(slot) {
		return nil
	}
	switch c.ft.Kind {
	case KindString:
		return c.str[slot]
	case KindNumber:
		return c.num[slot]
	case KindBool:
		return c.i64[slot] == 1
	case KindDate:
		return formatDate(c.i64[slot])
	}
	return Ref{Type: c.ft.RefType, ID: c.i64[slot]}
}

// table holds the rows of one entity type.
type table struct {
	et     *EntityType
	cols   map[string]*column // by declared name, Owner included
	order  []*column          // by name
	owner  *column
	ids    []int64 // by slot; strictly increasing, kept for deleted slots
	slotOf map[int64]uint32
	live   *roaring.Bitmap
	groups map[string]*roaring.Bitmap // slots shared with a group
	users  map[int64]*roaring.Bitmap  // slots shared with a user directly
	next   int64
}

func newTable(et *EntityType) *table {
	tb := &table{et: et, cols: map[string]*column{}, slotOf: map[int64]uint32{}, live: roaring.New(),
		groups: map[string]*roaring.Bitmap{}, users: map[int64]*roaring.Bitmap{}, next: 1}
	for _, name := range slices.Sorted(maps.Keys(et.Fields)) {
		c := newColumn(name, et.Fields[name])
		tb.cols[name] = c
		tb.order = append(tb.order, c)
	}
	tb.owner = tb.cols[OwnerField]
	return tb
}

// insert adds a row; id must be larger than every id of the table. fields
// hold stored-form values by declared name.
func (tb *table) insert(id, owner int64, fields map[string]any, groups []string, users []int64) uint32 {
	slot := uint32(len(tb.ids))
	tb.ids = append(tb.ids, id)
	tb.slotOf[id] = slot
	tb.live.Add(slot)
	for _, c := range tb.order {
		c.grow()
		if c == tb.owner {
			c.setFresh(slot, owner)
			continue
		}
		c.setFresh(slot, fields[c.name])
	}
	tb.shareFresh(slot, groups, users)
	if id >= tb.next {
		tb.next = id + 1
	}
	return slot
}

// share replaces a live slot's group and user shares.
func (tb *table) share(slot uint32, groups []string, users []int64) {
	for _, b := range tb.groups {
		b.Remove(slot)
	}
	for _, b := range tb.users {
		b.Remove(slot)
	}
	tb.shareFresh(slot, groups, users)
}

// shareFresh adds shares to a slot that has none.
func (tb *table) shareFresh(slot uint32, groups []string, users []int64) {
	for _, g := range groups {
		b := tb.groups[g]
		if b == nil {
			b = roaring.New()
			tb.groups[g] = b
		}
		b.Add(slot)
	}
	for _, u := range users {
		b := tb.users[u]
		if b == nil {
			b = roaring.New()
			tb.users[u] = b
		}
		b.Add(slot)
	}
}

// remove deletes a live slot from every index and share.
func (tb *table) remove(slot uint32) {
	for _, c := range tb.order {
		c.unindex(slot)
		c.valid.set(slot, false)
	}
	tb.share(slot, nil, nil)
	tb.live.Remove(slot)
	delete(tb.slotOf, tb.ids[slot])
}

// compactMin is how many deleted slots a table keeps at least before
// compacted rebuilds it.
const compactMin = 1024

// needsCompaction reports whether deleted slots outnumber the live ones
// (and compactMin): the columns keep a deleted slot until the table is
// rebuilt, so a tenant under constant create and delete would grow forever.
func (tb *table) needsCompaction() bool {
	live := int(tb.live.GetCardinality())
	dead := len(tb.ids) - live
	return dead >= compactMin && dead > live
}

// compacted rebuilds the table from its live rows alone. Slots keep id
// order, so pages, orders and totals are unchanged; the indexes start
// afresh.
func (tb *table) compacted(groupOrder []string) *table {
	nt := newTable(tb.et)
	it := tb.live.Iterator()
	for it.HasNext() {
		e := tb.entity(it.Next(), groupOrder)
		nt.insert(e.ID, e.Owner, e.Fields, e.SharedGroups, e.SharedUsers)
	}
	nt.next = tb.next
	return nt
}

// slot finds a live row by id.
func (tb *table) slot(id int64) (uint32, bool) {
	s, ok := tb.slotOf[id]
	return s, ok
}

// shares reads a slot's shares back: groups in the tenant's group order,
// users by id.
func (tb *table) shares(slot uint32, groupOrder []string) ([]string, []int64) {
	var groups []string
	for _, g := range groupOrder {
		if b := tb.groups[g]; b != nil && b.Contains(slot) {
			groups = append(groups, g)
		}
	}
	var users []int64
	for u, b := range tb.users {
		if b.Contains(slot) {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	return groups, users
}

// entity materialises a slot as an Entity.
func (tb *table) entity(slot uint32, groupOrder []string) Entity {
	e := Entity{Type: tb.et.Name, ID: tb.ids[slot], Owner: tb.owner.i64[slot], Fields: map[string]any{}}
	for _, c := range tb.order {
		if c == tb.owner {
			continue
		}
		if v := c.value(slot); v != nil {
			e.Fields[c.name] = v
		}
	}
	e.SharedGroups, e.SharedUsers = tb.shares(slot, groupOrder)
	return e
}

// ownedBy returns the slots user owns, read-only.
func (tb *table) ownedBy(user int64) (posting, bool) {
	p, ok := tb.owner.iidx.m[user]
	return p, ok
}

// compareSlots orders two slots by one column: nulls first, strings
// case-insensitively. folded, when given, holds the lower-case strings of
// the slots being sorted.
func (c *column) compareSlots(a, b uint32, folded map[uint32]string) int {
	va, vb := c.valid.has(a), c.valid.has(b)
	switch {
	case !va && !vb:
		return 0
	case !va:
		return -1
	case !vb:
		return 1
	}
	switch c.ft.Kind {
	case KindString:
		fa, ok := folded[a]
		if !ok {
			fa = c.foldRead(c.str[a])
		}
		fb, ok := folded[b]
		if !ok {
			fb = c.foldRead(c.str[b])
		}
		return strings.Compare(fa, fb)
	case KindNumber:
		return cmp.Compare(c.num[a], c.num[b])
	}
	return cmp.Compare(c.i64[a], c.i64[b])
}
