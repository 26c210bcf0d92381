package tenant_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func demo(t *testing.T) *tenant.Tenant {
	t.Helper()
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "t1"})
	require.NoError(t, err)
	return tn
}

func TestDemoVisibility(t *testing.T) {
	tn := demo(t)
	count := func(typ string, user int64) int {
		rows, err := tn.Entities(typ, user)
		require.NoError(t, err)
		return len(rows)
	}
	// user: Projects, Deals, Tasks
	want := map[int64][3]int{1001: {12, 9, 10}, 1002: {4, 3, 3}, 6045: {0, 3, 0}, 2001: {4, 0, 4}}
	for user, w := range want {
		got := [3]int{count("Project", user), count("Deals", user), count("Task", user)}
		assert.Equal(t, w, got, "user %d", user)
	}
	_, err := tn.Entity("Project", 9, 2001)
	assert.True(t, errors.Is(err, tenant.ErrHidden))
	_, err = tn.Entity("Project", 99, 2001)
	assert.True(t, errors.Is(err, tenant.ErrNotFound))

	_, err = tn.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	require.NoError(t, err)
	assert.Equal(t, 12, count("Project", 2001))
}

func TestDemoCredentials(t *testing.T) {
	tn := demo(t)
	k, ok := tn.APIKey("demo-key-revoked")
	require.True(t, ok)
	assert.True(t, k.Revoked)
	assert.True(t, tn.CanProxy(2001, 6045))
	assert.True(t, tn.CanProxy(2001, 1002))
	assert.False(t, tn.CanProxy(2001, 1001))
	assert.Equal(t, []string{"integrations:integration:edit"}, tn.GrantedPermissions(2001, []string{"integrations:integration:edit"}))
	assert.Empty(t, tn.GrantedPermissions(2001, []string{"integrations:integration:delete"}))
	assert.True(t, tn.SeesAllRows(1001))
	assert.False(t, tn.CanReadType(1002, "Task"))

	_, err := tn.IssueToken("credentials", "demo-reporting", "demo-reporting-secret", []string{"user_management"}, time.Hour)
	var se *tenant.ScopeError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, []string{"user_management"}, se.NotAllowed)
	_, err = tn.IssueToken("credentials", "demo-reporting", "nope", nil, time.Hour)
	assert.ErrorIs(t, err, tenant.ErrInvalidClient)
}

func TestSuffixedCredentials(t *testing.T) {
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "t7", CredentialSuffix: "@t7"})
	require.NoError(t, err)
	_, ok := tn.APIKey("demo-key-bob")
	assert.False(t, ok)
	_, ok = tn.APIKey("demo-key-bob@t7")
	assert.True(t, ok)
	_, ok = tn.OAuthClient("demo-admin@t7")
	assert.True(t, ok)
	u, ok := tn.CheckPassword("alice@demo.tenantkit.dev@t7", "demo-password")
	require.True(t, ok)
	assert.EqualValues(t, 1001, u.ID)
	tok, err := tn.IssueToken("credentials", "demo-admin@t7", "demo-admin-secret", nil, time.Minute)
	require.NoError(t, err)
	assert.Regexp(t, `^t7\.`, tok.Value)
}

func TestResetRestoresTheFixture(t *testing.T) {
	tn := demo(t)
	_, err := tn.CreateEntity("Project", 2001, map[string]any{"Name": "x"})
	require.NoError(t, err)
	require.NoError(t, tn.DeleteCredential("5f1c3a2e-8b4d-4c1e-9a7f-1d2e3f4a5b01"))
	tn.Record(tenant.AuditEntry{Operation: "x", Outcome: "allow"})
	require.NoError(t, tn.Reset())
	rows, err := tn.Entities("Project", 1001)
	require.NoError(t, err)
	assert.Len(t, rows, 12)
	assert.Len(t, tn.Credentials(), 4)
	assert.Empty(t, tn.Audit(tenant.AuditFilter{}))
}

func TestAuditCapacity(t *testing.T) {
	tn := demo(t)
	for i := range tenant.AuditCapacity + 5 {
		tn.Record(tenant.AuditEntry{Operation: "op", Outcome: "allow", Status: i})
	}
	all := tn.Audit(tenant.AuditFilter{})
	require.Len(t, all, tenant.AuditCapacity)
	assert.Equal(t, 5, all[0].Status)
	assert.Len(t, tn.Audit(tenant.AuditFilter{Limit: 3}), 3)
}

// Every change to a tenant moves its version on, and a query reports the
// version it read: a cached answer can never outlive a change.
func TestVersionMovesWithEveryChange(t *testing.T) {
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "v"})
	if err != nil {
		t.Fatal(err)
	}
	et := tn.EntityTypes()[0].Name
	read := func() uint64 {
		info, err := tn.Query(tenant.QuerySpec{Type: et, User: 1001, Limit: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if info.Version != tn.Version() {
			t.Fatalf("the page was read at version %d, the tenant is at %d", info.Version, tn.Version())
		}
		return info.Version
	}
	changes := map[string]func() error{
		"create": func() error { _, err := tn.CreateEntity(et, 1001, map[string]any{"Name": "v"}); return err },
		"settings": func() error {
			_, err := tn.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
			return err
		},
		"groups": func() error { return tn.SetUserGroups(1002, nil) },
		"reset":  tn.Reset,
	}
	for name, change := range changes {
		before := read()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if after := read(); after == before {
			t.Errorf("%s left the version at %d", name, after)
		}
	}
	// Reads do not move it.
	v := read()
	tn.Users()
	if read() != v {
		t.Error("a read moved the version")
	}
}
