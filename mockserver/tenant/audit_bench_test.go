package tenant_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// BenchmarkRecord is one audit entry as the mock records a denied request:
// with no console page open (no watch) and with one.
func BenchmarkRecord(b *testing.B) {
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	e := tenant.AuditEntry{API: "credentials", Operation: "deleteCredential", Outcome: "deny", Step: "permission",
		Code: "missing_permissions", Status: 403, EffectiveUser: 2001,
		Caller: &tenant.AuditCaller{Kind: "oauth_client", ID: "demo-integrator", User: 2001},
		Reason: "user 2001 holds none of the permissions deleteCredential needs"}
	b.Run("no watch", func(b *testing.B) {
		for b.Loop() {
			tn.Record(e)
		}
	})
	w, err := tn.Watch(256)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	go func() {
		for range w.Entries() {
		}
	}()
	b.Run("one watch", func(b *testing.B) {
		for b.Loop() {
			tn.Record(e)
		}
	})
}
