package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
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
// of benchRows) with that ratio; it asserts nothing about time.
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

	var incRows, fullRows, sameRows int
	var incTime, fullTime, sameTime time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := prev.save(incOut + ".checkpoint.json"); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		if err := run(b.Context(), args(srv, incOut, "-incremental"), noEnv, io.Discard, io.Discard, hooks(srv)); err != nil {
			b.Fatal(err)
		}
		incTime += time.Since(start)
		b.StopTimer()
		cp, err := loadCheckpoint(incOut + ".checkpoint.json")
		if err != nil {
			b.Fatal(err)
		}
		if cp.Rows != changed {
			b.Fatalf("the incremental export has %d rows, want the %d changed", cp.Rows, changed)
		}
		incRows += cp.Rows
		runtime.GC()
		b.StartTimer()

		start = time.Now()
		fullOut := filepath.Join(dir, "full")
		if err := run(b.Context(), args(full, fullOut), noEnv, io.Discard, io.Discard, hooks(full)); err != nil {
			b.Fatal(err)
		}
		fullTime += time.Since(start)
		b.StopTimer()
		if cp, err = loadCheckpoint(fullOut + ".checkpoint.json"); err != nil {
			b.Fatal(err)
		}
		fullRows += cp.Rows
		runtime.GC()
		b.StartTimer()

		// A full export of the incremental one's own tenant: every row the
		// account sees, from the same heap and indexes.
		start = time.Now()
		sameOut := filepath.Join(dir, "same")
		if err := run(b.Context(), args(srv, sameOut), noEnv, io.Discard, io.Discard, hooks(srv)); err != nil {
			b.Fatal(err)
		}
		sameTime += time.Since(start)
		b.StopTimer()
		if cp, err = loadCheckpoint(sameOut + ".checkpoint.json"); err != nil {
			b.Fatal(err)
		}
		sameRows += cp.Rows
		b.StartTimer()
	}
	b.StopTimer()
	inc, fl := float64(incRows)/incTime.Seconds(), float64(fullRows)/fullTime.Seconds()
	b.ReportMetric(inc, "incremental-rows/s")
	b.ReportMetric(fl, "full-rows/s")
	b.ReportMetric(inc/fl, "ratio")
	same := float64(sameRows) / sameTime.Seconds()
	b.ReportMetric(same, "same-tenant-full-rows/s")
	b.ReportMetric(inc/same, "same-tenant-ratio")
	b.ReportMetric(float64(incRows/b.N), "changed-rows")
	b.ReportMetric(float64(fullRows/b.N), "full-rows")
}
