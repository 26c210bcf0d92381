package tenant_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Config.Extension builds the state a server keeps with a tenant: once for
// the new tenant and again with every Reset, so it starts afresh with the
// tenant.
func TestExtensionIsRebuiltByReset(t *testing.T) {
	type state struct{ n int }
	built := 0
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "x", Extension: func() any {
		built++
		return &state{n: built}
	}})
	require.NoError(t, err)
	first, ok := tn.Extension().(*state)
	require.True(t, ok)
	assert.Equal(t, 1, first.n)
	assert.Same(t, first, tn.Extension(), "the same value until a reset")

	g := tn.Generation()
	require.NoError(t, tn.Reset())
	second := tn.Extension().(*state)
	assert.NotSame(t, first, second)
	assert.Equal(t, 2, second.n)
	assert.NotEqual(t, g, tn.Generation())

	plain, err := tenant.New(tenant.Demo(), tenant.Config{ID: "y"})
	require.NoError(t, err)
	assert.Nil(t, plain.Extension())
}
