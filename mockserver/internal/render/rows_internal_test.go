package render

import (
	"encoding/json"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// rowsTenant is the demo tenant with n generated Deals.
func rowsTenant(tb testing.TB, n int) (*tenant.Tenant, tenant.EntityType) {
	tb.Helper()
	tn, err := tenant.New(tenant.WithGenerated(tenant.Demo(), "Deals", n, 1), tenant.Config{ID: "render"})
	if err != nil {
		tb.Fatal(err)
	}
	et, _ := tn.EntityType("Deals")
	return tn, et
}

// encodeRows encodes one page of Deals as the rows handler does.
func encodeRows(tb testing.TB, tn *tenant.Tenant, et *tenant.EntityType, b []byte, format RowsFormat, limit int) []byte {
	proj := NewRowProjection(tn, 1001, et, nil, format)
	_, err := tn.Query(tenant.QuerySpec{Type: et.Name, User: 1001, IDField: "EntryId", Limit: limit}, func(rows *tenant.Rows) error {
		b = AppendRows(b, rows, proj)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Every format writes valid JSON, and a page costs no allocation per row.
func TestAppendRowsIsJSONWithoutPerRowAllocations(t *testing.T) {
	tn, et := rowsTenant(t, 2000)
	for _, format := range []RowsFormat{{}, {Wrap: true}, {Wrap: true, URLBase: "http://127.0.0.1:8080"}} {
		b := encodeRows(t, tn, &et, []byte("["), format, 1000)
		var rows []map[string]any
		if err := json.Unmarshal(append(b, ']'), &rows); err != nil {
			t.Fatalf("%+v: %v", format, err)
		}
		if len(rows) != 1000 {
			t.Fatalf("%+v: %d rows", format, len(rows))
		}
		buf := make([]byte, 0, 4<<20)
		small := testing.AllocsPerRun(5, func() { encodeRows(t, tn, &et, buf[:0], format, 10) })
		large := testing.AllocsPerRun(5, func() { encodeRows(t, tn, &et, buf[:0], format, 1000) })
		if large > small+5 {
			t.Errorf("%+v: %.0f allocations for 10 rows, %.0f for 1000: rows allocate", format, small, large)
		}
	}
}

func BenchmarkAppendRows(b *testing.B) {
	tn, et := rowsTenant(b, 2000)
	buf := make([]byte, 0, 4<<20)
	for _, bc := range []struct {
		name   string
		format RowsFormat
	}{{"plain", RowsFormat{}}, {"wrap+urls", RowsFormat{Wrap: true, URLBase: "http://127.0.0.1:8080"}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = encodeRows(b, tn, &et, buf[:0], bc.format, 1000)
			}
		})
	}
}
