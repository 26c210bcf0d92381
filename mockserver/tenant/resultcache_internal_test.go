package tenant

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// TestResultCacheFollowsEveryChange pages through queries whose condition
// sets come from the result cache, changes the tenant every way a write
// can, and requires each query to read what it reads without the cache
// (a forced plan path bypasses it). The cache holds every query's set
// across the changes, so it fails when the cache ignores the version.
func TestResultCacheFollowsEveryChange(t *testing.T) {
	tn, err := New(WithGenerated(Demo(), "Project", 3000, 7), Config{ID: "rc"})
	require.NoError(t, err)
	active := &query.Compare{Field: "State", Op: query.OpEqual, Value: "Active"}
	conds := []query.Expr{nil, active, query.Not{X: active},
		query.Or{active, &query.Compare{Field: "Name", Op: query.OpBeginsWith, Value: "cache"}}}
	users := []int64{2001, 1002, 1001}
	page := func(where query.Expr, user int64, from int) ([]int64, int) {
		t.Helper()
		var ids []int64
		info, err := tn.Query(QuerySpec{Type: "Project", User: user, Where: where, From: from, Limit: 50}, func(r *Rows) error {
			for i := range r.Len() {
				ids = append(ids, r.ID(i))
			}
			return nil
		})
		require.NoError(t, err)
		return ids, info.Total
	}
	hits := 0
	check := func(step string) {
		t.Helper()
		for _, where := range conds {
			for _, user := range users {
				ids1, total1 := page(where, user, 0) // computes or reuses the set
				key, ok := resultKey(tn.tables["Project"], user, "id", where)
				require.True(t, ok)
				first := tn.results.get(tn.Version(), key)
				ids2, total2 := page(where, user, 50) // the next page, from the cache
				// The second page kept the first page's set: a new evaluation
				// would have stored a new one (unless the set is the table's
				// own live rows, which every evaluation returns alike).
				if first != nil && first != tn.tables["Project"].live && tn.results.get(tn.Version(), key) == first {
					hits++
				}
				forcePath = 1 // the index path, which bypasses the cache
				ref1, refTotal := page(where, user, 0)
				ref2, _ := page(where, user, 50)
				forcePath = 0
				assert.Equal(t, refTotal, total1, "%s: total, user %d", step, user)
				assert.Equal(t, refTotal, total2, "%s: total of the second page, user %d", step, user)
				assert.Equal(t, ref1, ids1, "%s: first page, user %d", step, user)
				assert.Equal(t, ref2, ids2, "%s: second page, user %d", step, user)
			}
		}
	}
	check("before any change")
	var created Entity
	visible, err := tn.Entities("Project", 2001)
	require.NoError(t, err)
	some := visible[3].ID
	for _, c := range []struct {
		name   string
		change func() error
	}{
		{"create a matching row", func() (err error) {
			created, err = tn.CreateEntity("Project", 2001, map[string]any{"Name": "cache probe", "State": "Active"})
			return err
		}},
		{"update it out of the condition", func() error {
			_, err := tn.UpdateEntity("Project", created.ID, 2001, map[string]any{"State": "Draft"})
			return err
		}},
		{"update another into it", func() error {
			_, err := tn.UpdateEntity("Project", some, 2001, map[string]any{"State": "Active"})
			return err
		}},
		{"share a row with a group", func() error { return tn.SetShares("Project", created.ID, []string{"Sales"}, nil) }},
		{"share a row with a user", func() error { return tn.SetShares("Project", some, nil, []int64{1002}) }},
		{"change a membership", func() error { return tn.SetUserGroups(2001, []string{"Sales"}) }},
		{"bypass row-level sharing", func() error {
			_, err := tn.UpdateSettings(func(s *Settings) { s.APIDataAccess = DataAccessBypass })
			return err
		}},
		{"delete a row", func() error { return tn.DeleteEntity("Project", created.ID, 2001) }},
		{"reset", tn.Reset},
	} {
		require.NoError(t, c.change(), c.name)
		check("after " + c.name)
	}
	assert.Positive(t, hits, "no second page was served from the cache")
}

// TestResultKeyTellsConditionsApart: conditions that select differently
// never share a key; where a condition was written does not matter.
func TestResultKeyTellsConditionsApart(t *testing.T) {
	cmp := func(field, op string, v any) *query.Compare { return &query.Compare{Field: field, Op: op, Value: v} }
	distinct := []query.Expr{
		nil,
		query.True{},
		query.And{},
		query.Or{},
		cmp("N", query.OpEqual, "1"),
		cmp("N", query.OpEqual, 1.0),
		cmp("N", query.OpEqual, true),
		cmp("N", query.OpEqual, nil),
		cmp("N", query.OpNotEqual, "1"),
		cmp("M", query.OpEqual, "1"),
		cmp(`N"`, query.OpEqual, "1"),
		&query.Compare{Field: "N", Op: query.OpEqual, RightField: "M"},
		&query.Compare{Field: "N", Op: query.OpIn, List: []any{"a", "b"}},
		&query.Compare{Field: "N", Op: query.OpIn, List: []any{"b", "a"}},
		&query.Compare{Field: "N", Op: query.OpIn, List: []any{"a,b"}},
		&query.Compare{Field: "N", Op: query.OpIn, List: []any{}},
		query.And{cmp("N", query.OpEqual, "1"), cmp("M", query.OpEqual, "2")},
		query.Or{cmp("N", query.OpEqual, "1"), cmp("M", query.OpEqual, "2")},
		query.And{query.And{cmp("N", query.OpEqual, "1")}, cmp("M", query.OpEqual, "2")},
		query.And{cmp("N", query.OpEqual, "1"), query.Not{X: cmp("M", query.OpEqual, "2")}},
		query.Not{X: query.Not{X: query.True{}}},
	}
	seen := map[string]int{}
	for i, x := range distinct {
		k, ok := query.AppendKey(nil, x, 1<<10)
		require.True(t, ok, "condition %d", i)
		if j, dup := seen[string(k)]; dup {
			t.Errorf("conditions %d and %d share the key %q", j, i, k)
		}
		seen[string(k)] = i
	}
	a, _ := query.AppendKey(nil, &query.Compare{Field: "N", Op: query.OpEqual, Value: "1", Pos: 4, Path: "where.and[0]"}, 1<<10)
	b, _ := query.AppendKey(nil, cmp("N", query.OpEqual, "1"), 1<<10)
	assert.Equal(t, string(b), string(a))
	_, ok := query.AppendKey(nil, cmp("N", query.OpEqual, struct{}{}), 1<<10)
	assert.False(t, ok, "a value of an unknown type has no key")

	// A long condition stops the key at the bound, whatever its size.
	long := make([]any, 100000)
	for i := range long {
		long[i] = "value"
	}
	k, ok := query.AppendKey(nil, &query.Compare{Field: "N", Op: query.OpIn, List: long}, 1<<10)
	assert.False(t, ok, "a key past the bound")
	assert.Less(t, len(k), 1<<11, "the key stopped near the bound")
	wide := make(query.Or, 100000)
	for i := range wide {
		wide[i] = cmp("N", query.OpEqual, "x")
	}
	k, ok = query.AppendKey(nil, wide, 1<<10)
	assert.False(t, ok)
	assert.Less(t, len(k), 1<<11)
}

// A field added to query.Compare selects rows the key does not yet tell
// apart: two conditions differing only in it would share a cached set.
// Each field but where the condition was written changes the key, and the
// test fails when Compare gains a field it does not name.
func TestResultKeyCoversEveryCompareField(t *testing.T) {
	other := map[string]any{ // a second value of each field
		"Field": "M", "Op": query.OpNotEqual, "Value": "2", "List": []any{"2"}, "RightField": "M",
		"Pos": 9, "Path": "where.or[3]", // where it was written: not in the key
	}
	base := query.Compare{Field: "N", Op: query.OpEqual, Value: "1", Pos: 1, Path: "where"}
	bk, ok := query.AppendKey(nil, &base, 1<<10)
	require.True(t, ok)
	var fields []string
	for f := range reflect.TypeFor[query.Compare]().Fields() {
		fields = append(fields, f.Name)
		v, named := other[f.Name]
		if !assert.True(t, named, "query.Compare.%s is new: spell it in query.AppendKey and give it a second value here", f.Name) {
			continue
		}
		c := base
		reflect.ValueOf(&c).Elem().FieldByName(f.Name).Set(reflect.ValueOf(v))
		k, ok := query.AppendKey(nil, &c, 1<<10)
		require.True(t, ok, f.Name)
		if f.Name == "Pos" || f.Name == "Path" {
			assert.Equal(t, string(bk), string(k), "%s changed the key", f.Name)
		} else {
			assert.NotEqual(t, string(bk), string(k), "%s does not change the key", f.Name)
		}
	}
	assert.Len(t, fields, len(other))
}
