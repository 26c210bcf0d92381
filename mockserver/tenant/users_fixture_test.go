package tenant_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Group ids default to the group's position; user dates and the active
// flag default as documented.
func TestUserAndGroupFixtureDefaults(t *testing.T) {
	f, err := tenant.Parse("x.yaml", []byte(`
groups: [{name: A}, {id: 12, name: B}, {name: C}]
users:
  - {id: 1, name: Ann Lee Smith, email: a@x, groups: [C, A]}
  - {id: 2, name: Bo, email: b@x, active: false, createdDate: "2025-05-01T10:00:00", modifiedDate: 2025-06-01T10:00:00+02:00}
`))
	require.NoError(t, err)
	tn, err := tenant.New(f, tenant.Config{ID: "x"})
	require.NoError(t, err)
	var ids []int64
	for _, g := range tn.Groups() {
		ids = append(ids, g.ID)
	}
	assert.Equal(t, []int64{1, 12, 3}, ids)
	u1, _ := tn.User(1)
	assert.True(t, u1.Active)
	assert.Equal(t, tenant.DefaultUserDate, u1.Created)
	assert.Equal(t, u1.Created, u1.Modified)
	assert.Equal(t, "Ann", u1.FirstName())
	assert.Equal(t, "Lee Smith", u1.LastName())
	u2, _ := tn.User(2)
	assert.False(t, u2.Active)
	assert.Equal(t, time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC), u2.Created)
	assert.Equal(t, time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC), u2.Modified)
	assert.Equal(t, "Bo", u2.FirstName())
	assert.Empty(t, u2.LastName())
}

func TestUserAndGroupFixtureErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"groups: [{name: A}, {id: 1, name: B}]", "x.yaml:1: groups[1].id: duplicate group id 1"},
		{"groups: [{id: -3, name: A}]", "groups[0].id: must be a positive integer"},
		{"users: [{id: 1, name: A, email: a@x, createdDate: yesterday}]", `users[0].createdDate: "yesterday" is not a date-time`},
		{"users: [{id: 1, name: A, email: a@x, createdDate: '2026-02-01', modifiedDate: '2026-01-01'}]", "users[0].modifiedDate: is before createdDate"},
	} {
		_, err := tenant.Parse("x.yaml", []byte(c.src))
		if assert.Error(t, err, c.src) {
			assert.Contains(t, err.Error(), c.want, c.src)
		}
	}
}
