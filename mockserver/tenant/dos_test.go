package tenant

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// countingCtx is a context that is done after its Err has been asked
// limit times: it shows that an evaluation keeps looking, without timing.
type countingCtx struct {
	context.Context
	calls, limit atomic.Int64
}

func (c *countingCtx) Err() error {
	if c.calls.Add(1) > c.limit.Load() {
		return context.Canceled
	}
	return nil
}

func (c *countingCtx) Done() <-chan struct{}       { return nil }
func (c *countingCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

func dosTenant(t *testing.T) *Tenant {
	t.Helper()
	tn, err := New(WithGenerated(Demo(), "Project", 20000, 1), Config{ID: "dos"})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// A long evaluation stops once the request's context is done, whether it
// scans rows or tests index keys, and says why.
func TestQueryStopsWhenItsContextIsDone(t *testing.T) {
	tn := dosTenant(t)
	where, err := query.ParseCondition("Name LIKE '%q%z%' AND NOT Name LIKE '%x_y%'", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []int{1, 2} { // index keys, row scans
		forcePath = path
		ctx := &countingCtx{Context: context.Background()}
		ctx.limit.Store(3)
		_, err := tn.Query(QuerySpec{Type: "Project", User: 1001, Where: where, Context: ctx}, nil)
		forcePath = 0
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("path %d: err %v, want context.Canceled", path, err)
		}
		// Looked at every 256 rows or keys: stopped long before 20,000.
		if n := ctx.calls.Load(); n != 4 {
			t.Fatalf("path %d: Err called %d times, want 4 (3 fine, then done)", path, n)
		}
	}
	if _, err := tn.Query(QuerySpec{Type: "Project", User: 1001, Where: where, Context: context.Background()}, nil); err != nil {
		t.Fatal(err)
	}
}

// A repeated order key is dropped: two thousand copies cost what one does.
func TestRepeatedOrderKeysCostWhatOneDoes(t *testing.T) {
	tn := dosTenant(t)
	orders := func(n int) []query.Order {
		out := make([]query.Order, n)
		for i := range out {
			out[i] = query.Order{Field: "Name", Descending: true}
		}
		return out
	}
	run := func(n int) (ids []int64) {
		_, err := tn.Query(QuerySpec{Type: "Project", User: 1001, Orders: orders(n), Limit: 50}, func(r *Rows) error {
			for i := range r.Len() {
				ids = append(ids, r.ID(i))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	one, many := run(1), run(2000)
	if len(one) != 50 || len(many) != 50 {
		t.Fatalf("pages of %d and %d rows", len(one), len(many))
	}
	for i := range one {
		if one[i] != many[i] {
			t.Fatalf("row %d: %d with one key, %d with 2000 copies", i, one[i], many[i])
		}
	}
	a1 := testing.AllocsPerRun(5, func() { run(1) })
	a2 := testing.AllocsPerRun(5, func() { run(2000) })
	if a2 > a1+20 {
		t.Fatalf("2000 copies of a key: %v allocations per query, one key %v", a2, a1)
	}
}
