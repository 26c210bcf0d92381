package mocktest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// A generated tenant pages through the SDK iterator: every row the user
// may see, once, and no other.
func TestGeneratedProjectsExport(t *testing.T) {
	srv := mocktest.Start(t, mocktest.WithGeneratedProjects(3000, 7))
	c := srv.Client(mocktest.APIKey("demo-key-service"))
	limit := 500
	seen := map[string]bool{}
	for e, err := range c.Data.EntityQueryAll(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project", Paging: &dataapi.Paging{Limit: &limit}}) {
		require.NoError(t, err)
		require.False(t, seen[e.Id], "row %s twice", e.Id)
		seen[e.Id] = true
	}
	all, err := srv.Tenant().Entities("Project", 1001)
	require.NoError(t, err)
	visible, err := srv.Tenant().Entities("Project", 2001)
	require.NoError(t, err)
	assert.Len(t, all, 3012, "the demo's 12 and 3000 generated")
	assert.Len(t, seen, len(visible))
	assert.InDelta(t, 0.5, float64(len(visible))/float64(len(all)), 0.05, "the service account sees about half")
}
