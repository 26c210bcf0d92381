package tenant_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// The store keeps CreatedOn and LastUpdatedOn from the tenant's clock:
// a create sets both, an update LastUpdatedOn alone, through the data
// API's writes and the row writes alike; no writer may set them.
func TestSystemFieldsFollowTheClock(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "t1", Clock: clock.Now})
	require.NoError(t, err)

	e, err := tn.CreateEntity("Project", 1001, map[string]any{"Name": "Clocked"})
	require.NoError(t, err)
	assert.Equal(t, "2026-03-01T09:00:00Z", e.Fields[tenant.CreatedOnField])
	assert.Equal(t, "2026-03-01T09:00:00Z", e.Fields[tenant.LastUpdatedOnField])

	clock.now = clock.now.Add(90 * time.Minute)
	e, err = tn.UpdateEntity("Project", e.ID, 1001, map[string]any{"State": "Active"})
	require.NoError(t, err)
	assert.Equal(t, "2026-03-01T09:00:00Z", e.Fields[tenant.CreatedOnField])
	assert.Equal(t, "2026-03-01T10:30:00Z", e.Fields[tenant.LastUpdatedOnField])

	for _, name := range []string{"LastUpdatedOn", "createdon"} {
		_, err = tn.UpdateEntity("Project", e.ID, 1001, map[string]any{name: "2020-01-01"})
		var ve *tenant.ValueError
		require.True(t, errors.As(err, &ve), "%s: %v", name, err)
		_, err = tn.CreateEntity("Project", 1001, map[string]any{"Name": "x", name: "2020-01-01"})
		require.True(t, errors.As(err, &ve), "%s: %v", name, err)
	}

	// Row writes (the relationship API): a created row gets both, an
	// updated one a new LastUpdatedOn; naming one is the row's problem.
	clock.now = clock.now.Add(time.Hour)
	res, err := tn.WriteRows("Deals", 1001, tenant.RowsCreate, []tenant.RowInput{{EntryID: -1, Values: map[string]any{"Name": "Clocked deal", "Stage": "Proposal"}}})
	require.NoError(t, err)
	require.True(t, res.Committed, "%+v", res)
	id := res.Rows[0].EntryID
	d, err := tn.Entity("Deals", id, 1001)
	require.NoError(t, err)
	assert.Equal(t, "2026-03-01T11:30:00Z", d.Fields[tenant.CreatedOnField])
	clock.now = clock.now.Add(time.Minute)
	res, err = tn.WriteRows("Deals", 1001, tenant.RowsUpdate, []tenant.RowInput{{EntryID: id, Values: map[string]any{"Stage": "Negotiation"}}})
	require.NoError(t, err)
	require.True(t, res.Committed)
	d, err = tn.Entity("Deals", id, 1001)
	require.NoError(t, err)
	assert.Equal(t, "2026-03-01T11:30:00Z", d.Fields[tenant.CreatedOnField])
	assert.Equal(t, "2026-03-01T11:31:00Z", d.Fields[tenant.LastUpdatedOnField])
	res, err = tn.WriteRows("Deals", 1001, tenant.RowsUpdate, []tenant.RowInput{{EntryID: id, Values: map[string]any{"LastUpdatedOn": "2020-01-01"}}})
	require.NoError(t, err)
	assert.False(t, res.Committed)
	require.NotEmpty(t, res.Rows[0].Problems)
	assert.Equal(t, tenant.LastUpdatedOnField, res.Rows[0].Problems[0].Field)
}

// Fixture rows without system fields get DefaultSystemTime; a fixture may
// set them; a type may not declare them.
func TestSystemFieldsOfFixtures(t *testing.T) {
	f := tenant.Demo()
	tn, err := tenant.New(f, tenant.Config{ID: "t1"})
	require.NoError(t, err)
	e, err := tn.Entity("Project", 10, 1001)
	require.NoError(t, err)
	def := tenant.DefaultSystemTime.Format(time.RFC3339)
	assert.Equal(t, def, e.Fields[tenant.CreatedOnField])
	assert.Equal(t, def, e.Fields[tenant.LastUpdatedOnField])

	g := *f
	g.Entities = append([]tenant.EntityFixture{}, f.Entities...)
	for i := range g.Entities {
		if g.Entities[i].Type == "Project" && g.Entities[i].ID == 10 {
			fields := map[string]any{"CreatedOn": "2025-02-03T04:05:06Z"}
			for k, v := range g.Entities[i].Fields {
				fields[k] = v
			}
			g.Entities[i].Fields = fields
		}
	}
	tn, err = tenant.New(&g, tenant.Config{ID: "t2"})
	require.NoError(t, err)
	e, err = tn.Entity("Project", 10, 1001)
	require.NoError(t, err)
	assert.Equal(t, "2025-02-03T04:05:06Z", e.Fields[tenant.CreatedOnField])
	assert.Equal(t, "2025-02-03T04:05:06Z", e.Fields[tenant.LastUpdatedOnField], "LastUpdatedOn defaults to CreatedOn")

	h := *f
	h.EntityTypes = append([]tenant.EntityTypeFixture{}, f.EntityTypes...)
	fields := map[string]string{"LastUpdatedOn": "date"}
	for k, v := range h.EntityTypes[0].Fields {
		fields[k] = v
	}
	h.EntityTypes[0].Fields = fields
	_, err = tenant.New(&h, tenant.Config{ID: "t3"})
	require.ErrorContains(t, err, "implicit")
}

// Generated rows have spread-out LastUpdatedOn values: a range selects a
// share, and agrees with reading every row.
func TestGeneratedLastUpdatedOnRange(t *testing.T) {
	tn, err := tenant.New(tenant.WithGenerated(tenant.Demo(), "Project", 5000, 1), tenant.Config{ID: "t1"})
	require.NoError(t, err)
	since := "2024-06-01T00:00:00Z"
	where := &query.Compare{Field: "lastUpdatedOn", Op: query.OpGreaterThan, Value: since}
	info, err := tn.Query(tenant.QuerySpec{Type: "Project", User: 1001, Where: where, IDField: "id", Limit: 1}, nil)
	require.NoError(t, err)
	all, err := tn.Entities("Project", 1001)
	require.NoError(t, err)
	want := 0
	for _, e := range all {
		if s, _ := e.Fields[tenant.LastUpdatedOnField].(string); s > since {
			want++
		}
	}
	assert.Equal(t, want, info.Total)
	assert.Greater(t, want, len(all)/4)
	assert.Less(t, want, len(all)*3/4)
}
