package mocktest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The SDK reads and sets proxy assignments in the vendor's shapes; setting
// replaces the proxy user's principals, and the new assignment is what
// AS-USER is judged by.
func TestSDKProxyAssignmentsRoundTrip(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	admin := srv.Client(mocktest.AdminOAuth).Relationship

	var got []relationshipapi.ProxyAssignment
	for a, err := range admin.ProxyAssignmentsAll(t.Context(), &relationshipapi.GetProxyAssignmentsParams{PageSize: ptr(1)}) {
		require.NoError(t, err)
		got = append(got, a)
	}
	require.Len(t, got, 1)
	assert.Equal(t, relationshipapi.ProxyAssignmentUser{Id: 2001, Email: "api-service@demo.tenantkit.dev", FullName: "API Service Account"}, got[0].ProxyUser)
	assert.Equal(t, []int64{1002, 6045}, []int64{got[0].Users[0].Id, got[0].Users[1].Id})

	stored, err := admin.CreateProxyAssignments(t.Context(), nil, relationshipapi.ProxyAssignmentCreate{ProxyUserId: 2001, Users: []int64{6045}})
	require.NoError(t, err)
	assert.Equal(t, int64(2001), stored.ProxyUser.Id)
	require.Len(t, stored.Users, 1)
	assert.Equal(t, relationshipapi.ProxyAssignmentUser{Id: 6045, Email: "carol@demo.tenantkit.dev", FullName: "Carol Principal"}, stored.Users[0])

	// Bob (1002) was replaced away: the integrator may no longer act as him.
	integ := srv.Client(mocktest.IntegratorOAuth).Relationship
	_, err = integ.Rows(t.Context(), "Deals", nil, client.AsUser(1002))
	var pe *client.ProxyError
	require.ErrorAs(t, err, &pe)
	_, err = integ.Rows(t.Context(), "Deals", nil, client.AsUser(6045))
	require.NoError(t, err)

	// The vendor's documented 400 for an unknown proxy user.
	_, err = admin.CreateProxyAssignments(t.Context(), nil, relationshipapi.ProxyAssignmentCreate{ProxyUserId: 42, Users: []int64{6045}})
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.Equal(t, "Proxy user with provided id does not exist.", ae.Message)
}

// The SDK pages through the user management read and reads users by id;
// the integrator's role lacks user_management:user:view.
func TestSDKUsers(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	admin := srv.Client(mocktest.AdminOAuth).Relationship

	var ids []int64
	for u, err := range admin.UsersAll(t.Context(), &relationshipapi.GetUsersParams{PageSize: ptr(3)}) {
		require.NoError(t, err)
		ids = append(ids, u.Id)
	}
	assert.Equal(t, []int64{1001, 1002, 2001, 6045}, ids)

	list, err := admin.Users(t.Context(), &relationshipapi.GetUsersParams{Email: ptr("carol@demo.tenantkit.dev")})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, relationshipapi.ManagementUser{
		Id: 6045, Email: "carol@demo.tenantkit.dev", FirstName: "Carol", LastName: "Principal", IsActive: true, Groups: []int64{3},
		CreatedDate: "2026-01-01T00:00:00.000", CreatedBy: 6045, ModifiedDate: "2026-01-01T00:00:00.000", ModifiedBy: 6045,
	}, list[0])

	list, err = admin.UsersByID(t.Context(), nil, []int64{2001, 1})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, int64(2001), list[0].Id)

	_, err = srv.Client(mocktest.IntegratorOAuth).Relationship.Users(t.Context(), nil)
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"user_management:user:view"}, pe.Missing)
}

// With vendorRateLimits, the SDK's sixth schema call within a second is a
// *RateLimitError carrying the whole-second Retry-After; rows are not
// limited by it.
func TestSDKVendorSchemaRateLimit(t *testing.T) {
	t.Parallel()
	f := tenant.Demo()
	f.Settings.VendorRateLimits = true
	srv := mocktest.Start(t, mocktest.WithFixture(f), mocktest.WithClock(mocktest.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))))
	rel := srv.Client(mocktest.AdminOAuth, client.WithMaxRetries(0)).Relationship
	for range 5 {
		_, err := rel.EntryTypes(t.Context())
		require.NoError(t, err)
	}
	_, err := rel.Currencies(t.Context())
	var rl *client.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Second, rl.RetryAfter)
	for range 6 {
		_, err := rel.Rows(t.Context(), "Deals", nil)
		require.NoError(t, err)
	}
}
