package tenant

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// Benchmarks of the engine on a generated tenant: 1,000,000 Projects unless
// TENANTKIT_BENCH_ROWS says otherwise. They run only with -bench:
//
//	go test -run '^$' -bench . -benchmem ./mockserver/tenant/
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("TENANTKIT_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var benchTenant = sync.OnceValues(func() (*Tenant, error) {
	return New(WithGenerated(Demo(), "Project", benchRows(), 1), Config{ID: "bench"})
})

func loadBench(b *testing.B) *Tenant {
	t, err := benchTenant()
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkGenerate builds the tenant, rows and indexes.
func BenchmarkGenerate(b *testing.B) {
	f := WithGenerated(Demo(), "Project", benchRows(), 1)
	for b.Loop() {
		if _, err := New(f, Config{ID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchQuery measures spec's evaluation and page, the result cache off
// (benchCached keeps it on).
func benchQuery(b *testing.B, spec QuerySpec) {
	defer func(off bool) { resultCacheOff = off }(resultCacheOff)
	resultCacheOff = true
	benchCached(b, spec)
}

// benchCached measures spec as the second and later pages of an export
// meet it: the condition's set from the result cache.
func benchCached(b *testing.B, spec QuerySpec) {
	t := loadBench(b)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		info, err := t.Query(spec, func(r *Rows) error { n = r.Len(); return nil })
		if err != nil {
			b.Fatal(err)
		}
		_ = info
	}
	b.ReportMetric(float64(n), "rows/page")
}

// BenchmarkPage pages through what the service account (half the rows)
// sees, by id: the first page and the last cost the same.
func BenchmarkPage(b *testing.B) {
	t := loadBench(b)
	info, err := t.Query(QuerySpec{Type: "Project", User: 2001, Limit: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, from := range []int{0, info.Total / 2, info.Total - 1000} {
		b.Run(fmt.Sprintf("from=%d", from), func(b *testing.B) {
			benchQuery(b, QuerySpec{Type: "Project", User: 2001, From: from, Limit: 1000})
		})
	}
}

// BenchmarkEquality is a selective indexed equality query, first page.
func BenchmarkEquality(b *testing.B) {
	benchQuery(b, QuerySpec{Type: "Project", User: 2001, Limit: 1000,
		Where: &query.Compare{Field: "Client", Op: query.OpEqual, Value: "Atlas Labs"}})
}

// BenchmarkRange is a range and a text condition together.
func BenchmarkRange(b *testing.B) {
	benchQuery(b, QuerySpec{Type: "Project", User: 2001, Limit: 1000, Where: query.And{
		&query.Compare{Field: "Budget", Op: query.OpGreaterThanOrEqual, Value: 400000.0},
		&query.Compare{Field: "Name", Op: query.OpBeginsWith, Value: "atlas"},
	}})
}

// BenchmarkOrdered sorts by a field: the first page, and one deep inside.
func BenchmarkOrdered(b *testing.B) {
	for _, from := range []int{0, 400_000} {
		b.Run(fmt.Sprintf("from=%d", from), func(b *testing.B) {
			benchQuery(b, QuerySpec{Type: "Project", User: 2001, From: from, Limit: 1000,
				Orders: []query.Order{{Field: "DueDate", Descending: true}, {Field: "Name"}}})
		})
	}
}

// BenchmarkSince is a "changed since" range on the system field
// LastUpdatedOn (the generated values are spread over 2023-2025), first
// page and the last, answered from the index; scan forces the row scan the
// index saves, for comparison.
func BenchmarkSince(b *testing.B) {
	t := loadBench(b)
	where := &query.Compare{Field: LastUpdatedOnField, Op: query.OpGreaterThanOrEqual, Value: "2025-09-01T00:00:00Z"}
	info, err := t.Query(QuerySpec{Type: "Project", User: 2001, Where: where, Limit: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d rows visible to the service account changed since 2025-09-01", info.Total)
	for _, from := range []int{0, max(0, info.Total-1000)} {
		b.Run(fmt.Sprintf("from=%d", from), func(b *testing.B) {
			benchQuery(b, QuerySpec{Type: "Project", User: 2001, Where: where, From: from, Limit: 1000})
		})
	}
	b.Run("scan", func(b *testing.B) {
		defer func(p int) { forcePath = p }(forcePath)
		forcePath = 2
		benchQuery(b, QuerySpec{Type: "Project", User: 2001, Where: where, Limit: 1000})
	})
	b.Run(fmt.Sprintf("from=%d/cached", max(0, info.Total-1000)), func(b *testing.B) {
		benchCached(b, QuerySpec{Type: "Project", User: 2001, Where: where, From: max(0, info.Total-1000), Limit: 1000})
	})
}
