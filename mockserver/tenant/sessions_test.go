package tenant_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// sessionClock is a settable clock for a tenant.
type sessionClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *sessionClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *sessionClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func sessionTenant(t *testing.T, yaml string) (*tenant.Tenant, *sessionClock) {
	t.Helper()
	f := tenant.Demo()
	if yaml != "" {
		var err error
		f, err = tenant.Parse("t.yaml", []byte(yaml+base))
		require.NoError(t, err)
	}
	clock := &sessionClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tn, err := tenant.New(f, tenant.Config{ID: "t1", Clock: clock.Now})
	require.NoError(t, err)
	return tn, clock
}

// live reports whether the session is known and has not ended at the
// tenant's clock.
func live(tn *tenant.Tenant, clock *sessionClock, id string) bool {
	s, ok := tn.Session(id)
	return ok && clock.Now().Before(s.ExpiresAt)
}

func TestSessionSettingsFromFixture(t *testing.T) {
	tn, _ := sessionTenant(t, "")
	st := tn.Settings()
	assert.Equal(t, 30*time.Minute, st.SessionIdleTimeout, "the vendor's documented inactivity timeout by default")
	assert.Equal(t, 8*time.Hour, st.SessionLifetime)
	assert.Zero(t, st.MaxSessionsPerUser, "no per-user limit by default")

	tn, _ = sessionTenant(t, "settings: {sessionIdleTimeout: 0s, maxSessionsPerUser: 2}\n")
	st = tn.Settings()
	assert.Zero(t, st.SessionIdleTimeout)
	assert.Equal(t, 2, st.MaxSessionsPerUser)

	f, err := tenant.Parse("t.yaml", []byte("settings: {sessionIdleTimeout: soon}\n"+base))
	if err == nil {
		_, err = tenant.New(f, tenant.Config{ID: "x"})
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sessionIdleTimeout")
	_, err = tn.UpdateSettings(func(s *tenant.Settings) { s.MaxSessionsPerUser = -1 })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "maxSessionsPerUser")
}

func TestSessionIdleTimeoutAndLifetime(t *testing.T) {
	tn, clock := sessionTenant(t, "")
	user := firstUser(t, tn)
	s, err := tn.NewSession(user)
	require.NoError(t, err)

	// Use restarts the idle timeout; reading the session does not.
	clock.Advance(29 * time.Minute)
	_, ok := tn.UseSession(s.ID)
	require.True(t, ok)
	clock.Advance(29 * time.Minute)
	assert.True(t, live(tn, clock, s.ID))
	clock.Advance(time.Minute)
	assert.False(t, live(tn, clock, s.ID), "30 minutes after its last use")
	got, ok := tn.UseSession(s.ID)
	require.True(t, ok)
	assert.False(t, clock.Now().Before(got.ExpiresAt), "an ended session is not revived by a use")
	assert.False(t, live(tn, clock, s.ID))

	// Without an idle timeout only the lifetime counts.
	_, err = tn.UpdateSettings(func(st *tenant.Settings) { st.SessionIdleTimeout = 0 })
	require.NoError(t, err)
	s, err = tn.NewSession(user)
	require.NoError(t, err)
	clock.Advance(8*time.Hour - time.Second)
	assert.True(t, live(tn, clock, s.ID))
	clock.Advance(time.Second)
	assert.False(t, live(tn, clock, s.ID))
}

func TestMaxSessionsPerUserEndsTheOldest(t *testing.T) {
	tn, clock := sessionTenant(t, "settings: {maxSessionsPerUser: 2}\n")
	user := firstUser(t, tn)
	a, _ := tn.NewSession(user)
	clock.Advance(time.Second)
	b, _ := tn.NewSession(user)
	clock.Advance(time.Second)
	assert.True(t, live(tn, clock, a.ID))
	c, _ := tn.NewSession(user)
	assert.False(t, live(tn, clock, a.ID), "the third login ends the oldest session")
	assert.True(t, live(tn, clock, b.ID))
	assert.True(t, live(tn, clock, c.ID))

	// A logged-out session frees its place.
	require.True(t, tn.EndSession(b.ID))
	d, _ := tn.NewSession(user)
	assert.True(t, live(tn, clock, c.ID))
	assert.True(t, live(tn, clock, d.ID))

	// A reset forgets every session.
	require.NoError(t, tn.Reset())
	_, ok := tn.Session(c.ID)
	assert.False(t, ok)
}

func TestTenantSessionsAreBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("logs in MaxTenantSessions times")
	}
	tn, _ := sessionTenant(t, "")
	user := firstUser(t, tn)
	first, _ := tn.NewSession(user)
	for range tenant.MaxTenantSessions {
		_, err := tn.NewSession(user)
		require.NoError(t, err)
	}
	_, ok := tn.Session(first.ID)
	assert.False(t, ok, "the tenant's oldest session was dropped")
	assert.LessOrEqual(t, tn.SessionCount(), tenant.MaxTenantSessions)
}

func firstUser(t *testing.T, tn *tenant.Tenant) int64 {
	t.Helper()
	users := tn.Users()
	require.NotEmpty(t, users)
	return users[0].ID
}
