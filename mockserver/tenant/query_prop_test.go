package tenant

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// The engine is checked against refQuery: a plain scan over every row,
// written for obviousness rather than speed.

var propFields = map[string]string{"S": "string", "N": "number", "B": "bool", "D": "date", "R": "ref:User", "P": "ref:Item", "T": "string"}

var (
	propStrings = []string{"alpha", "Alpha", "beta", "Gamma ray", "gam", "a_b", "50%", "", "zeta"}
	propNumbers = []float64{-1, 0, 1, 2.5, 10, 100}
	propDates   = []string{"2025-01-01", "2025-06-30", "2026-01-01T12:00:00Z", "2027-03-04"}
	propUsers   = []int64{1, 2, 3, 4}
	propGroups  = []string{"g1", "g2", "g3"}
)

func randomFixture(rng *rand.Rand) *Fixture {
	f := &Fixture{
		Tenant: TenantFixture{Name: "prop"},
		Groups: []GroupFixture{{Name: "g1"}, {Name: "g2"}, {Name: "g3"}},
		Roles: []RoleFixture{{Name: "Admin", Permissions: []string{"*"}, EntityTypes: []string{"*"}},
			{Name: "Reader", EntityTypes: []string{"*"}}},
		EntityTypes: []EntityTypeFixture{{Name: "Item", Fields: propFields}},
	}
	if rng.IntN(4) == 0 {
		f.Settings.APIDataAccess = "bypass"
	}
	for _, u := range propUsers {
		uf := UserFixture{ID: u, Name: "User " + strconv.FormatInt(u, 10), Email: fmt.Sprintf("u%d@x.dev", u), Roles: []string{"Reader"}}
		if u == 4 {
			uf.Roles = []string{"Admin"}
		}
		for _, g := range propGroups {
			if rng.IntN(3) == 0 {
				uf.Groups = append(uf.Groups, g)
			}
		}
		f.Users = append(f.Users, uf)
	}
	n := rng.IntN(80)
	for i := range n {
		id := int64(i*2 + 1 + rng.IntN(2))
		e := EntityFixture{Type: "Item", ID: id, Owner: propUsers[rng.IntN(len(propUsers))], Fields: map[string]any{}}
		for _, g := range propGroups {
			if rng.IntN(4) == 0 {
				e.SharedWithGroups = append(e.SharedWithGroups, g)
			}
		}
		if rng.IntN(6) == 0 {
			e.SharedWithUsers = []int64{propUsers[rng.IntN(len(propUsers))]}
		}
		for name := range propFields {
			if rng.IntN(5) == 0 {
				continue // null
			}
			switch name {
			case "S", "T":
				e.Fields[name] = propStrings[rng.IntN(len(propStrings))]
			case "N":
				e.Fields[name] = propNumbers[rng.IntN(len(propNumbers))]
			case "B":
				e.Fields[name] = rng.IntN(2) == 0
			case "D":
				e.Fields[name] = propDates[rng.IntN(len(propDates))]
			case "R":
				e.Fields[name] = fmt.Sprintf("/User/%d", propUsers[rng.IntN(len(propUsers))])
			case "P":
				if i > 0 {
					e.Fields[name] = fmt.Sprintf("/Item/%d", f.Entities[rng.IntN(i)].ID)
				}
			}
		}
		f.Entities = append(f.Entities, e)
	}
	return f
}

func randomConstant(rng *rand.Rand, field string) any {
	switch field {
	case "S", "T":
		return propStrings[rng.IntN(len(propStrings))]
	case "N":
		if rng.IntN(5) == 0 {
			return strconv.FormatFloat(propNumbers[rng.IntN(len(propNumbers))], 'f', -1, 64)
		}
		return propNumbers[rng.IntN(len(propNumbers))]
	case "B":
		return rng.IntN(2) == 0
	case "D":
		return propDates[rng.IntN(len(propDates))]
	case "R":
		if rng.IntN(2) == 0 {
			return float64(propUsers[rng.IntN(len(propUsers))])
		}
		return fmt.Sprintf("/User/%d", propUsers[rng.IntN(len(propUsers))])
	case "P", "id":
		return fmt.Sprintf("/Item/%d", 1+rng.IntN(170))
	}
	return nil
}

var propFieldNames = []string{"S", "N", "B", "D", "R", "P", "T", "id"}

func randomCondition(rng *rand.Rand, depth int) query.Expr {
	if depth > 0 && rng.IntN(3) == 0 {
		switch rng.IntN(3) {
		case 0:
			return query.Not{X: randomCondition(rng, depth-1)}
		case 1:
			var a query.And
			for range 1 + rng.IntN(3) {
				a = append(a, randomCondition(rng, depth-1))
			}
			return a
		default:
			var o query.Or
			for range 1 + rng.IntN(3) {
				o = append(o, randomCondition(rng, depth-1))
			}
			return o
		}
	}
	field := propFieldNames[rng.IntN(len(propFieldNames))]
	ops := []string{query.OpEqual, query.OpNotEqual, query.OpIn, query.OpLessThan, query.OpGreaterThan,
		query.OpLessThanOrEqual, query.OpGreaterThanOrEqual}
	if field == "S" || field == "T" {
		ops = append(ops, query.OpBeginsWith, query.OpEndsWith, query.OpContains, query.OpDoesNotContain, query.OpLike)
	}
	c := &query.Compare{Field: field, Op: ops[rng.IntN(len(ops))]}
	switch {
	case c.Op == query.OpIn:
		for range rng.IntN(4) {
			if rng.IntN(5) == 0 {
				c.List = append(c.List, nil)
			} else {
				c.List = append(c.List, randomConstant(rng, field))
			}
		}
	case field == "S" && rng.IntN(4) == 0:
		c.RightField = "T"
	case field == "id":
		c.Value = randomConstant(rng, field)
	case (c.Op == query.OpEqual || c.Op == query.OpNotEqual) && rng.IntN(5) == 0:
		c.Value = nil
	case c.Op == query.OpLike:
		c.Value = []string{"%a%", "a_b", "g%", "%", "_eta", "50%"}[rng.IntN(6)]
	default:
		c.Value = randomConstant(rng, field)
	}
	return c
}

// refValue reads a field of a materialised entity in comparable form.
type refValue struct {
	null bool
	s    string
	f    float64
	i    int64
}

func refGet(e Entity, field string) refValue {
	if field == "id" {
		return refValue{i: e.ID}
	}
	if field == OwnerField {
		return refValue{i: e.Owner}
	}
	v, ok := e.Fields[field]
	if !ok || v == nil {
		return refValue{null: true}
	}
	switch x := v.(type) {
	case string:
		if propFields[field] == "date" {
			t, err := time.Parse(time.RFC3339, x)
			if err != nil {
				panic(err)
			}
			return refValue{i: t.Unix()}
		}
		return refValue{s: strings.ToLower(x)}
	case float64:
		return refValue{f: x}
	case bool:
		if x {
			return refValue{i: 1}
		}
		return refValue{}
	case Ref:
		return refValue{i: x.ID}
	}
	panic(fmt.Sprintf("value %T", v))
}

// refConst converts a constant the obvious way for each field kind.
func refConst(field string, v any) refValue {
	if v == nil {
		return refValue{null: true}
	}
	kind := propFields[field]
	switch {
	case field == "id" || strings.HasPrefix(kind, "ref:"):
		if s, ok := v.(string); ok {
			r, err := ParseRef(s)
			if err != nil {
				panic(err)
			}
			return refValue{i: r.ID}
		}
		return refValue{i: int64(v.(float64))}
	case kind == "string":
		return refValue{s: strings.ToLower(v.(string))}
	case kind == "number":
		if s, ok := v.(string); ok {
			f, _ := strconv.ParseFloat(s, 64)
			return refValue{f: f}
		}
		return refValue{f: v.(float64)}
	case kind == "bool":
		if v.(bool) {
			return refValue{i: 1}
		}
		return refValue{}
	case kind == "date":
		d, err := parseDate(v.(string))
		if err != nil {
			panic(err)
		}
		t, _ := time.Parse(time.RFC3339, d)
		return refValue{i: t.Unix()}
	}
	panic(kind)
}

func refCompare(field string, a, b refValue) int {
	switch propFields[field] {
	case "string":
		return strings.Compare(a.s, b.s)
	case "number":
		return cmp.Compare(a.f, b.f)
	}
	return cmp.Compare(a.i, b.i)
}

func refEqual(field string, a, b refValue) bool {
	if a.null || b.null {
		return a.null && b.null
	}
	return refCompare(field, a, b) == 0
}

func refMatch(x query.Expr, e Entity) bool {
	switch c := x.(type) {
	case nil, query.True:
		return true
	case query.And:
		for _, y := range c {
			if !refMatch(y, e) {
				return false
			}
		}
		return true
	case query.Or:
		for _, y := range c {
			if refMatch(y, e) {
				return true
			}
		}
		return false
	case query.Not:
		return !refMatch(c.X, e)
	case *query.Compare:
		v := refGet(e, c.Field)
		var k refValue
		if c.RightField != "" {
			k = refGet(e, c.RightField)
		} else if c.Op != query.OpIn {
			k = refConst(c.Field, c.Value)
		}
		switch c.Op {
		case query.OpEqual:
			return refEqual(c.Field, v, k)
		case query.OpNotEqual:
			return !refEqual(c.Field, v, k)
		case query.OpIn:
			for _, item := range c.List {
				if refEqual(c.Field, v, refConst(c.Field, item)) {
					return true
				}
			}
			return false
		case query.OpDoesNotContain:
			return v.null || k.null || !strings.Contains(v.s, k.s)
		}
		if v.null || k.null {
			return false
		}
		n := refCompare(c.Field, v, k)
		switch c.Op {
		case query.OpLessThan:
			return n < 0
		case query.OpGreaterThan:
			return n > 0
		case query.OpLessThanOrEqual:
			return n <= 0
		case query.OpGreaterThanOrEqual:
			return n >= 0
		case query.OpBeginsWith:
			return strings.HasPrefix(v.s, k.s)
		case query.OpEndsWith:
			return strings.HasSuffix(v.s, k.s)
		case query.OpContains:
			return strings.Contains(v.s, k.s)
		case query.OpLike:
			return query.Like(v.s, k.s)
		}
	}
	panic(fmt.Sprintf("condition %T", x))
}

// refVisible is the row-level rule, read off the entity and the user.
func refVisible(t *Tenant, user int64, e Entity) bool {
	if t.Settings().APIDataAccess == DataAccessBypass || e.Owner == user || t.SeesAllRows(user) {
		return true
	}
	if slices.Contains(e.SharedUsers, user) {
		return true
	}
	u, _ := t.User(user)
	for _, g := range u.Groups {
		if slices.Contains(e.SharedGroups, g) {
			return true
		}
	}
	return false
}

// refQuery answers spec by scanning every row the admin sees.
func refQuery(t *Tenant, spec QuerySpec) ([]int64, PageInfo) {
	return refQueryMatching(t, spec, func(e Entity) bool { return refMatch(spec.Where, e) })
}

// refQueryMatching answers spec with match in place of its condition.
func refQueryMatching(t *Tenant, spec QuerySpec, match func(Entity) bool) ([]int64, PageInfo) {
	all, err := t.Entities("Item", 4)
	if err != nil {
		panic(err)
	}
	var rows []Entity
	for _, e := range all {
		if refVisible(t, spec.User, e) && match(e) {
			rows = append(rows, e)
		}
	}
	slices.SortStableFunc(rows, func(a, b Entity) int {
		for _, o := range spec.Orders {
			x, y := refGet(a, o.Field), refGet(b, o.Field)
			var n int
			switch {
			case x.null && y.null:
			case x.null:
				n = -1
			case y.null:
				n = 1
			default:
				n = refCompare(o.Field, x, y)
			}
			if o.Descending {
				n = -n
			}
			if n != 0 {
				return n
			}
		}
		return 0
	})
	rows = rows[min(spec.Skip, len(rows)):]
	if spec.Cap > 0 && spec.Cap < len(rows) {
		rows = rows[:spec.Cap]
	}
	total := len(rows)
	page := rows[min(spec.From, len(rows)):]
	if spec.Limit > 0 && spec.Limit < len(page) {
		page = page[:spec.Limit]
	}
	ids := make([]int64, len(page))
	for i, e := range page {
		ids[i] = e.ID
	}
	next := min(spec.From, total) + len(page)
	return ids, PageInfo{Total: total, Next: next, HasMore: next < total}
}

func engineQuery(t *Tenant, spec QuerySpec) ([]int64, PageInfo, error) {
	var ids []int64
	info, err := t.Query(spec, func(r *Rows) error {
		for i := range r.Len() {
			ids = append(ids, r.ID(i))
		}
		return nil
	})
	return ids, info, err
}

// randomStored is a random value in a form writes accept.
func randomStored(rng *rand.Rand, field string) any {
	v := randomConstant(rng, field)
	switch x := v.(type) {
	case string:
		if field == "N" {
			f, _ := strconv.ParseFloat(x, 64)
			return f
		}
	case float64:
		if field == "R" {
			return fmt.Sprintf("/User/%d", int64(x))
		}
	}
	return v
}

// randomWrite changes data, shares or memberships between queries.
func randomWrite(rng *rand.Rand, t *Tenant) {
	all, _ := t.Entities("Item", 4)
	switch rng.IntN(5) {
	case 0:
		vals := map[string]any{}
		for _, f := range []string{"S", "N", "B", "D", "R"} {
			if rng.IntN(2) == 0 {
				vals[f] = randomStored(rng, f)
			}
		}
		_, _ = t.CreateEntity("Item", propUsers[rng.IntN(3)], vals)
	case 1:
		if len(all) > 0 {
			e := all[rng.IntN(len(all))]
			f := []string{"S", "N", "B", "D", "R", "T"}[rng.IntN(6)]
			v := randomStored(rng, f)
			if rng.IntN(4) == 0 {
				v = nil
			}
			if _, err := t.UpdateEntity("Item", e.ID, 4, map[string]any{f: v}); err != nil {
				panic(err)
			}
		}
	case 2:
		if len(all) > 0 {
			_ = t.DeleteEntity("Item", all[rng.IntN(len(all))].ID, 4)
		}
	case 3:
		if len(all) > 0 {
			var gs []string
			for _, g := range propGroups {
				if rng.IntN(2) == 0 {
					gs = append(gs, g)
				}
			}
			if err := t.SetShares("Item", all[rng.IntN(len(all))].ID, gs, nil); err != nil {
				panic(err)
			}
		}
	default:
		var gs []string
		for _, g := range propGroups {
			if rng.IntN(2) == 0 {
				gs = append(gs, g)
			}
		}
		if err := t.SetUserGroups(propUsers[rng.IntN(3)], gs); err != nil {
			panic(err)
		}
	}
}

func TestQueryMatchesReferenceEvaluator(t *testing.T) {
	tenants := 150
	if testing.Short() {
		tenants = 30
	}
	defer func(p, s, d int, ds uint64) { forcePath, smallSort, denseUnion, denseSmall = p, s, d, ds }(forcePath, smallSort, denseUnion, denseSmall)
	nonEmpty, total := 0, 0
	for seed := range tenants {
		rng := rand.New(rand.NewPCG(uint64(seed), 99))
		f := randomFixture(rng)
		if err := f.Validate(); err != nil {
			t.Fatalf("seed %d: fixture: %v", seed, err)
		}
		tn, err := New(f, Config{ID: "prop"})
		if err != nil {
			t.Fatal(err)
		}
		for q := range 40 {
			if q%4 == 3 {
				randomWrite(rng, tn)
			}
			spec := QuerySpec{Type: "Item", User: propUsers[rng.IntN(len(propUsers))], Where: randomCondition(rng, 3), IDField: "id"}
			for range rng.IntN(4) {
				spec.Orders = append(spec.Orders, query.Order{Field: propFieldNames[rng.IntN(len(propFieldNames))], Descending: rng.IntN(2) == 0})
			}
			if rng.IntN(3) == 0 {
				spec.Skip, spec.Cap = rng.IntN(5), rng.IntN(30)
			}
			spec.From, spec.Limit = rng.IntN(4), rng.IntN(25)
			if rng.IntN(3) == 0 {
				spec.From = rng.IntN(40)
			}
			forcePath, smallSort = rng.IntN(3), []int{0, 5, 4096}[rng.IntN(3)]
			denseUnion, denseSmall = []int{1, 2, 64}[rng.IntN(3)], []uint64{0, 4096}[rng.IntN(2)]
			got, gotInfo, err := engineQuery(tn, spec)
			if err != nil {
				t.Fatalf("seed %d query %d: %v\nwhere: %s", seed, q, err, show(spec.Where))
			}
			want, wantInfo := refQuery(tn, spec)
			wantInfo.Version = tn.Version() // the reference has no versions
			total++
			if len(want) > 0 {
				nonEmpty++
			}
			if !slices.Equal(got, want) || gotInfo != wantInfo {
				t.Fatalf("seed %d query %d (path %d, smallSort %d, denseUnion %d/%d): user %d where %s orders %+v skip %d cap %d from %d limit %d\n got %v %+v\nwant %v %+v",
					seed, q, forcePath, smallSort, denseUnion, denseSmall, spec.User, show(spec.Where), spec.Orders, spec.Skip, spec.Cap, spec.From, spec.Limit,
					got, gotInfo, want, wantInfo)
			}
			for _, id := range got {
				e, err := tn.Entity("Item", id, 4)
				if err != nil || !refVisible(tn, spec.User, e) {
					t.Fatalf("seed %d query %d: row %d is not visible to user %d", seed, q, id, spec.User)
				}
			}
		}
	}
	if nonEmpty < total/4 {
		t.Fatalf("only %d of %d random queries returned rows: the generator is too narrow", nonEmpty, total)
	}
	t.Logf("%d of %d queries returned rows", nonEmpty, total)
}

func show(x query.Expr) string {
	switch c := x.(type) {
	case nil, query.True:
		return "true"
	case query.And:
		parts := make([]string, len(c))
		for i, y := range c {
			parts[i] = show(y)
		}
		return "(" + strings.Join(parts, " AND ") + ")"
	case query.Or:
		parts := make([]string, len(c))
		for i, y := range c {
			parts[i] = show(y)
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	case query.Not:
		return "NOT " + show(c.X)
	case *query.Compare:
		if c.RightField != "" {
			return fmt.Sprintf("%s %s %s", c.Field, c.Op, c.RightField)
		}
		if c.Op == query.OpIn {
			return fmt.Sprintf("%s In %#v", c.Field, c.List)
		}
		return fmt.Sprintf("%s %s %#v", c.Field, c.Op, c.Value)
	}
	return "?"
}

// The relationship API's row filter is checked the same way: a random
// filter is built as a tree, written as relaxed JSON text (keys and
// operators quoted or not, field names in any case, strings in either
// quote with escapes, numbers in either notation), parsed by
// query.ParseFilter and run by the engine under row-level sharing; the
// reference evaluator judges the tree itself.

// filterObj is an object of a row filter: every member holds.
type filterObj []filterMember

// filterMember is one key of an object: a field with a shorthand value
// (ops nil) or operators, or $or/$and with a list of objects.
type filterMember struct {
	field string // a propFieldNames entry; "" for $or/$and
	value any    // the {F: v} shorthand
	ops   []filterOp
	comb  string // $or, $and
	list  []filterObj
}

type filterOp struct {
	name  string // $eq, ...
	value any
	list  []any // $in, $nin, $between
}

var filterTextOps = []string{"$contains", "$startswith", "$endswith"}
var filterValueOps = []string{"$eq", "$not", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$between"}

func filterConstant(rng *rand.Rand, field string) any {
	if field == "id" {
		return float64(1 + rng.IntN(170))
	}
	return randomConstant(rng, field)
}

func randomFilterObj(rng *rand.Rand, depth int) filterObj {
	var obj filterObj
	for range rng.IntN(3) + 1 {
		if depth > 0 && rng.IntN(4) == 0 {
			m := filterMember{comb: []string{"$or", "$and"}[rng.IntN(2)]}
			for range rng.IntN(4) { // sometimes empty
				m.list = append(m.list, randomFilterObj(rng, depth-1))
			}
			obj = append(obj, m)
			continue
		}
		field := propFieldNames[rng.IntN(len(propFieldNames))]
		m := filterMember{field: field}
		if rng.IntN(4) == 0 {
			m.value = filterConstant(rng, field)
			if rng.IntN(6) == 0 {
				m.value = nil
			}
			obj = append(obj, m)
			continue
		}
		ops := filterValueOps
		if field == "S" || field == "T" {
			ops = append(slices.Clip(ops), filterTextOps...)
		}
		for range rng.IntN(2) + 1 {
			o := filterOp{name: ops[rng.IntN(len(ops))]}
			switch o.name {
			case "$in", "$nin":
				o.list = []any{}
				for range rng.IntN(4) {
					if rng.IntN(5) == 0 {
						o.list = append(o.list, nil)
					} else {
						o.list = append(o.list, filterConstant(rng, field))
					}
				}
			case "$between":
				o.list = []any{filterConstant(rng, field), filterConstant(rng, field)}
			case "$eq", "$not":
				o.value = filterConstant(rng, field)
				if rng.IntN(5) == 0 {
					o.value = nil
				}
			default:
				o.value = filterConstant(rng, field)
			}
			m.ops = append(m.ops, o)
		}
		obj = append(obj, m)
	}
	if depth == 3 && rng.IntN(20) == 0 {
		return nil // {}
	}
	return obj
}

// filterWriter renders a filter tree as relaxed JSON text, counting the
// operators it writes.
type filterWriter struct {
	rng  *rand.Rand
	b    strings.Builder
	seen map[string]int
}

func (w *filterWriter) space() {
	if w.rng.IntN(3) == 0 {
		w.b.WriteString([]string{" ", "  ", "\n", "\t"}[w.rng.IntN(4)])
	}
}

// key writes a key: bare, in double or in single quotes.
func (w *filterWriter) key(k string) {
	w.space()
	switch w.rng.IntN(3) {
	case 0:
		w.b.WriteString(k)
	case 1:
		w.str(k, '"')
	default:
		w.str(k, '\'')
	}
	w.space()
	w.b.WriteByte(':')
	w.space()
}

// fieldName writes a field as the vendor's callers might: any case.
func (w *filterWriter) fieldName(f string) string {
	if f == "id" {
		f = "EntryId"
	}
	out := []rune(f)
	for i, r := range out {
		if w.rng.IntN(2) == 0 {
			out[i] = unicode.ToLower(r)
		} else {
			out[i] = unicode.ToUpper(r)
		}
	}
	return string(out)
}

// str writes s in quote q, escaping what must be and, at random, other
// characters as \uXXXX.
func (w *filterWriter) str(s string, q byte) {
	w.b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			w.b.WriteByte('\\')
			w.b.WriteRune(r)
		case w.rng.IntN(8) == 0:
			fmt.Fprintf(&w.b, `\u%04x`, r)
		default:
			w.b.WriteRune(r)
		}
	}
	w.b.WriteByte(q)
}

func (w *filterWriter) value(v any) {
	w.space()
	switch x := v.(type) {
	case nil:
		w.b.WriteString("null")
	case bool:
		w.b.WriteString(strconv.FormatBool(x))
	case float64:
		w.b.WriteString(strconv.FormatFloat(x, []byte{'f', 'g', 'e'}[w.rng.IntN(3)], -1, 64))
	case string:
		w.str(x, []byte{'"', '\''}[w.rng.IntN(2)])
	default:
		panic(fmt.Sprintf("value %T", v))
	}
	w.space()
}

func (w *filterWriter) obj(o filterObj) {
	w.b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			w.b.WriteByte(',')
		}
		switch {
		case m.comb != "":
			w.seen[m.comb]++
			w.key(m.comb)
			w.b.WriteByte('[')
			for j, y := range m.list {
				if j > 0 {
					w.b.WriteByte(',')
				}
				w.space()
				w.obj(y)
				w.space()
			}
			w.b.WriteByte(']')
		case m.ops == nil:
			w.seen["{F: v}"]++
			w.key(w.fieldName(m.field))
			w.value(m.value)
		default:
			w.key(w.fieldName(m.field))
			w.b.WriteByte('{')
			for j, op := range m.ops {
				if j > 0 {
					w.b.WriteByte(',')
				}
				w.seen[op.name]++
				w.key(op.name)
				if op.list == nil {
					w.value(op.value)
					continue
				}
				w.b.WriteByte('[')
				for k, v := range op.list {
					if k > 0 {
						w.b.WriteByte(',')
					}
					w.value(v)
				}
				w.b.WriteByte(']')
			}
			w.b.WriteByte('}')
		}
	}
	w.space()
	w.b.WriteByte('}')
}

// refFilterMatch is the reference verdict of a filter tree on a row.
func refFilterMatch(o filterObj, e Entity) bool {
	for _, m := range o {
		if !refMemberMatch(m, e) {
			return false
		}
	}
	return true
}

func refMemberMatch(m filterMember, e Entity) bool {
	switch m.comb {
	case "$or":
		return slices.ContainsFunc(m.list, func(y filterObj) bool { return refFilterMatch(y, e) })
	case "$and":
		return !slices.ContainsFunc(m.list, func(y filterObj) bool { return !refFilterMatch(y, e) })
	}
	v := refGet(e, m.field)
	if m.ops == nil {
		return refEqual(m.field, v, refConst(m.field, m.value))
	}
	for _, op := range m.ops {
		in := func() bool {
			return slices.ContainsFunc(op.list, func(x any) bool { return refEqual(m.field, v, refConst(m.field, x)) })
		}
		var ok bool
		switch op.name {
		case "$eq":
			ok = refEqual(m.field, v, refConst(m.field, op.value))
		case "$not":
			ok = !refEqual(m.field, v, refConst(m.field, op.value))
		case "$in":
			ok = in()
		case "$nin":
			ok = !in()
		case "$between":
			lo, hi := refConst(m.field, op.list[0]), refConst(m.field, op.list[1])
			ok = !v.null && refCompare(m.field, v, lo) >= 0 && refCompare(m.field, v, hi) <= 0
		default:
			k := refConst(m.field, op.value)
			if v.null {
				break
			}
			n := refCompare(m.field, v, k)
			switch op.name {
			case "$gt":
				ok = n > 0
			case "$gte":
				ok = n >= 0
			case "$lt":
				ok = n < 0
			case "$lte":
				ok = n <= 0
			case "$contains":
				ok = strings.Contains(v.s, k.s)
			case "$startswith":
				ok = strings.HasPrefix(v.s, k.s)
			case "$endswith":
				ok = strings.HasSuffix(v.s, k.s)
			default:
				panic(op.name)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func TestRowFilterMatchesReferenceEvaluator(t *testing.T) {
	tenants := 120
	if testing.Short() {
		tenants = 25
	}
	defer func(p int) { forcePath = p }(forcePath)
	seen := map[string]int{}
	nonEmpty, total := 0, 0
	for seed := range tenants {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		f := randomFixture(rng)
		tn, err := New(f, Config{ID: "prop"})
		if err != nil {
			t.Fatal(err)
		}
		et, _ := tn.EntityType("Item")
		for q := range 40 {
			if q%5 == 4 {
				randomWrite(rng, tn)
			}
			tree := randomFilterObj(rng, 3)
			w := &filterWriter{rng: rng, seen: seen}
			w.obj(tree)
			text := w.b.String()
			x, err := query.ParseFilter(text)
			if err != nil {
				t.Fatalf("seed %d query %d: %v\nfilter: %s", seed, q, err, text)
			}
			if rng.IntN(2) == 0 { // as the relationship handler does; else the engine resolves the case
				if bad, ok := query.ResolveFields(x, func(f string) (string, bool) {
					if strings.EqualFold(f, "EntryId") {
						return "EntryId", true
					}
					return et.FieldName(f)
				}); !ok {
					t.Fatalf("seed %d query %d: field %q unknown\nfilter: %s", seed, q, bad, text)
				}
			}
			spec := QuerySpec{Type: "Item", User: propUsers[rng.IntN(len(propUsers))], Where: x, IDField: "EntryId",
				From: rng.IntN(4), Limit: rng.IntN(25)}
			forcePath = rng.IntN(3)
			got, gotInfo, err := engineQuery(tn, spec)
			if err != nil {
				t.Fatalf("seed %d query %d: %v\nfilter: %s", seed, q, err, text)
			}
			want, wantInfo := refQueryMatching(tn, spec, func(e Entity) bool { return refFilterMatch(tree, e) })
			wantInfo.Version = tn.Version()
			total++
			if len(want) > 0 {
				nonEmpty++
			}
			if !slices.Equal(got, want) || gotInfo != wantInfo {
				t.Fatalf("seed %d query %d (path %d): user %d from %d limit %d\nfilter: %s\nparsed: %s\n got %v %+v\nwant %v %+v",
					seed, q, forcePath, spec.User, spec.From, spec.Limit, text, show(x), got, gotInfo, want, wantInfo)
			}
		}
	}
	ops := []string{"{F: v}"}
	for _, o := range query.FilterOperators() {
		ops = append(ops, o.Name)
	}
	for _, op := range ops {
		if seen[op] == 0 {
			t.Errorf("no random filter used %s", op)
		}
	}
	if nonEmpty < total/4 {
		t.Fatalf("only %d of %d random filters matched rows: the generator is too narrow", nonEmpty, total)
	}
	t.Logf("%d of %d filters matched rows; operators written: %v", nonEmpty, total, seen)
}
