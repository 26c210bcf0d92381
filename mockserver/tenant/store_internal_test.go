package tenant

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A table under create-and-delete churn is rebuilt once deleted slots
// outnumber live ones: its storage stays proportional to its live rows,
// and rows, ids, shares, values and the next id survive the rebuild.
func TestDeletedSlotsAreCompacted(t *testing.T) {
	tn, err := New(Demo(), Config{ID: "t1"})
	require.NoError(t, err)
	const admin, service = 1001, 2001
	var kept []int64
	for i := range 3000 {
		e, err := tn.CreateEntity("Project", admin, map[string]any{"Name": "churn", "Budget": float64(i)})
		require.NoError(t, err)
		if i%4 == 0 {
			require.NoError(t, tn.SetShares("Project", e.ID, []string{"Integrations-Test"}, nil))
			kept = append(kept, e.ID)
			continue
		}
		require.NoError(t, tn.DeleteEntity("Project", e.ID, admin))
	}
	tb := tn.tables["Project"]
	live := int(tb.live.GetCardinality())
	assert.Equal(t, 12+len(kept), live)
	assert.Less(t, len(tb.ids), 2*live+compactMin+1, "deleted slots were dropped")

	rows, err := tn.Entities("Project", service)
	require.NoError(t, err)
	var ids []int64
	for _, e := range rows {
		if e.ID > 12 {
			ids = append(ids, e.ID)
			assert.Equal(t, []string{"Integrations-Test"}, e.SharedGroups)
			assert.Equal(t, "churn", e.Fields["Name"])
		}
	}
	assert.Equal(t, kept, ids, "the service account sees exactly the shared survivors, in id order")
	budget, err := tn.Entity("Project", kept[len(kept)-1], admin)
	require.NoError(t, err)
	assert.Equal(t, float64(2996), budget.Fields["Budget"])

	e, err := tn.CreateEntity("Project", admin, map[string]any{"Name": "after"})
	require.NoError(t, err)
	assert.Equal(t, int64(12+3000+1), e.ID, "ids are never reused")
}

// A page whose limit is as large as an int can be still ends at the last
// row (from + limit would overflow).
func TestQueryWithHugeLimit(t *testing.T) {
	tn, err := New(Demo(), Config{ID: "t1"})
	require.NoError(t, err)
	var n int
	info, err := tn.Query(QuerySpec{Type: "Project", User: 1001, From: 1, Limit: math.MaxInt}, func(r *Rows) error {
		n = r.Len()
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 11, n)
	assert.False(t, info.HasMore)
}

// Expired sessions and tokens are dropped as new ones are issued: a tenant
// logged into again and again keeps about as many as are valid.
func TestExpiredSessionsAndTokensAreDropped(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tn, err := New(Demo(), Config{ID: "t1", Clock: func() time.Time { return now }})
	require.NoError(t, err)
	for range 20_000 {
		_, err := tn.NewSession(1002)
		require.NoError(t, err)
		_, err = tn.IssueToken("credentials", "demo-admin", "demo-admin-secret", nil, time.Minute)
		require.NoError(t, err)
		now = now.Add(time.Hour) // every earlier one has expired
	}
	assert.LessOrEqual(t, len(tn.sessions), 2*minSweep)
	assert.LessOrEqual(t, len(tn.tokens), 2*minSweep)
}
