package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// benchRows is how many Projects the benchmark generates: 1,000,000
// unless TENANTKIT_BENCH_ROWS says otherwise.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("TENANTKIT_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkIncrementalExport compares the rows/s of an -incremental export
// with a full export of as many rows. The incremental one reads a tenant
// of benchRows generated Projects of which a fifth of the rows (a tenth of the tenant) the
// service account sees were updated after the watermark (100 per second
// of the mock's clock); the full one reads a tenant generated with about
// as many rows visible to the same account. Both go through the in-process
// mock (without the test client's response validation, which would
// dominate), write NDJSON only and ask for 1000 rows a page:
//
//	go test -run '^$' -bench IncrementalExport -benchtime 1x ./examples/datalake-export/
//
// The outputs go to a temporary directory, or under TENANTKIT_BENCH_DIR.
//
// It reports rows/s of each (incremental-rows/s, full-rows/s) and their
// ratio, and the rows/s of a full export of the incremental one's own
// tenant (same-tenant-full-rows/s: every row the account sees, about half
// of benchRows) with that ratio, each the median over the b.N iterations
// (-benchtime 3x: three); it asserts nothing about time.
func BenchmarkIncrementalExport(b *testing.B) {
	n := benchRows()
	const service = 2001 // demo-key-service's user
	watermarkAt := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := mocktest.NewClock(watermarkAt.Add(time.Second))
	srv := mocktest.Start(b, mocktest.WithFixture(tenant.WithGenerated(tenant.Demo(), "Project", n, 1)), mocktest.WithClock(clock),
		mocktest.WithoutResponseValidation())
	tn := srv.Tenant()
	visible, err := tn.Entities("Project", service)
	if err != nil {
		b.Fatal(err)
	}
	changed := 0
	for i, e := range visible {
		if e.Type != "Project" || i%5 != 0 {
			continue
		}
		if _, err := tn.UpdateEntity("Project", e.ID, service, map[string]any{"State": "Active"}); err != nil {
			b.Fatal(err)
		}
		if changed++; changed%100 == 0 {
			clock.Advance(time.Second)
		}
	}
	// A tenant whose account sees about as many rows, for the full export.
	fullCount := max(1, int(int64(changed)*int64(n)/int64(max(1, len(visible)))))
	visible = nil
	full := mocktest.Start(b, mocktest.WithFixture(tenant.WithGenerated(tenant.Demo(), "Project", fullCount, 2)),
		mocktest.WithoutResponseValidation())
	// The export syncs its journal and checkpoint after every page; on a
	// slow disk that, not the API, sets the pace. TENANTKIT_BENCH_DIR (a
	// tmpfs such as /dev/shm) takes the disk out of the comparison.
	dir := b.TempDir()
	if d := os.Getenv("TENANTKIT_BENCH_DIR"); d != "" {
		var err error
		if dir, err = os.MkdirTemp(d, "incremental-bench"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	args := func(s *mocktest.Server, out string, extra ...string) []string {
		return append(exportArgs(s, out, "-api-key", "demo-key-service", "-type", "Project", "-page-size", "1000", "-format", "ndjson"), extra...)
	}
	// The previous export's checkpoint: finished, with the watermark.
	incOut := filepath.Join(dir, "incremental")
	prev := &checkpoint{Source: "data", Type: "Project", URL: srv.URL, Credential: (&config{source: "data", apiKey: "demo-key-service"}).credential(),
		Done: true, Watermark: &watermark{Time: watermarkAt.Format(time.RFC3339)}}

	// Each iteration runs the three exports one after another; the rates
	// are the medians over the iterations, and each ratio is the median of
	// the iterations' own ratios, so that one slow export (a collection
	// over the 1M-row heap, other work on the machine) moves neither much.
	var incRate, fullRate, sameRate, ratio, sameRatio []float64
	var incRows, fullRows int
	export := func(s *mocktest.Server, out string, extra ...string) (rows int, rate float64) {
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		if err := run(b.Context(), args(s, out, extra...), noEnv, io.Discard, io.Discard, hooks(s)); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.StopTimer()
		cp, err := loadCheckpoint(out + ".checkpoint.json")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		return cp.Rows, float64(cp.Rows) / took.Seconds()
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := prev.save(incOut + ".checkpoint.json"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rows, inc := export(srv, incOut, "-incremental")
		if rows != changed {
			b.Fatalf("the incremental export has %d rows, want the %d changed", rows, changed)
		}
		incRows = rows
		var fl float64
		fullRows, fl = export(full, filepath.Join(dir, "full"))
		// A full export of the incremental one's own tenant: every row the
		// account sees, from the same heap and indexes.
		_, same := export(srv, filepath.Join(dir, "same"))
		incRate, fullRate, sameRate = append(incRate, inc), append(fullRate, fl), append(sameRate, same)
		ratio, sameRatio = append(ratio, inc/fl), append(sameRatio, inc/same)
	}
	b.StopTimer()
	b.ReportMetric(median(incRate), "incremental-rows/s")
	b.ReportMetric(median(fullRate), "full-rows/s")
	b.ReportMetric(median(ratio), "ratio")
	b.ReportMetric(median(sameRate), "same-tenant-full-rows/s")
	b.ReportMetric(median(sameRatio), "same-tenant-ratio")
	b.ReportMetric(float64(incRows), "changed-rows")
	b.ReportMetric(float64(fullRows), "full-rows")
}

// median of v (v is not empty).
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
