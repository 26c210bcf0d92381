package tenant_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// A watch receives the entries recorded after it started, in order, with
// copies of what they point to; a full channel drops entries (counted)
// instead of holding up Record; Stop closes the channel once.
func TestAuditWatchDeliversInOrderAndNeverBlocks(t *testing.T) {
	t.Parallel()
	tn := demo(t)
	tn.Record(tenant.AuditEntry{Operation: "before"})
	w, err := tn.Watch(2)
	require.NoError(t, err)
	missing := []string{"user_management"}
	caller := &tenant.AuditCaller{Kind: "oauth_client", ID: "demo-reporting"}
	tn.Record(tenant.AuditEntry{Operation: "a", Missing: missing, Caller: caller})
	tn.Record(tenant.AuditEntry{Operation: "b"})
	tn.Record(tenant.AuditEntry{Operation: "c"}) // the channel is full: dropped
	missing[0], caller.ID = "changed", "changed"

	e := <-w.Entries()
	assert.Equal(t, "a", e.Operation)
	assert.Equal(t, []string{"user_management"}, e.Missing)
	assert.Equal(t, "demo-reporting", e.Caller.ID)
	assert.Equal(t, "b", (<-w.Entries()).Operation)
	assert.Equal(t, int64(1), w.Dropped())
	assert.Equal(t, int64(2), e.Seq)

	logged := tn.Audit(tenant.AuditFilter{Operation: "a"})
	require.Len(t, logged, 1)
	assert.Equal(t, []string{"user_management"}, logged[0].Missing, "the log keeps its own copy")
	logged[0].Missing[0] = "changed again"
	assert.Equal(t, []string{"user_management"}, tn.Audit(tenant.AuditFilter{Operation: "a"})[0].Missing)

	w.Stop()
	w.Stop()
	_, open := <-w.Entries()
	assert.False(t, open)
	tn.Record(tenant.AuditEntry{Operation: "after"}) // no watcher left: nothing to send to
}

// A tenant holds at most MaxAuditWatches; a stopped watch frees its place,
// and a reset keeps the watches.
func TestAuditWatchesAreBounded(t *testing.T) {
	t.Parallel()
	tn := demo(t)
	var ws []*tenant.AuditWatch
	for range tenant.MaxAuditWatches {
		w, err := tn.Watch(1)
		require.NoError(t, err)
		ws = append(ws, w)
	}
	_, err := tn.Watch(1)
	require.ErrorIs(t, err, tenant.ErrTooManyWatches)
	ws[0].Stop()
	w, err := tn.Watch(1)
	require.NoError(t, err)

	require.NoError(t, tn.Reset())
	tn.Record(tenant.AuditEntry{Operation: "after reset"})
	assert.Equal(t, "after reset", (<-w.Entries()).Operation)
	for _, w := range ws[1:] {
		w.Stop()
	}
	w.Stop()
}
