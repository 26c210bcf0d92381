package mockserver_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// BenchmarkEncodeReferences encodes pages of 1000 generated Tasks, whose
// Project references the encoder names only when the reader may see the
// Project (one visible set per page, one bitmap lookup per row) and whose
// Assignee and Owner are users:
//
//	go test -run '^$' -bench EncodeReferences -benchmem ./mockserver/
func BenchmarkEncodeReferences(b *testing.B) {
	tn, err := tenant.New(tenant.WithGenerated(tenant.Demo(), "Task", 100_000, 1), tenant.Config{ID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		user int64
	}{
		{"admin", 1001},             // every Project visible
		{"service-account", 2001},   // Projects 5-8 of 12 visible
		{"no-project-access", 6045}, // reads Project, sees none of the demo's
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				page, err := mockserver.EncodeEntityPage(tn, tenant.QuerySpec{Type: "Task", User: c.user, Limit: 1000})
				if err != nil {
					b.Fatal(err)
				}
				n = len(page)
			}
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}
