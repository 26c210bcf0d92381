package relationship

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/openapi"
)

// The spec's filter operations are the parser's, in its order, and its
// x-filter-limits reach the parser; a spec that disagrees does not load.
func TestPrepareFilterOperations(t *testing.T) {
	doc, err := openapi.Load(openapi.Relationship)
	require.NoError(t, err)
	x, err := Prepare(doc)
	require.NoError(t, err)
	sp := x.(*spec)
	require.Len(t, sp.filterOperations, len(query.FilterOperators()))
	assert.Equal(t, query.Limits{MaxDepth: 32, MaxConditions: 500, MaxListItems: 5000, MaxText: 1000}, sp.filterLimits)

	get := doc.Paths.Find("/api/rest/v4/schema/filteroperations").Get
	ops := get.Extensions["x-filter-operations"].([]any)
	get.Extensions["x-filter-operations"] = ops[:len(ops)-1]
	_, err = Prepare(doc)
	assert.ErrorContains(t, err, "the rows filter has")
	get.Extensions["x-filter-operations"] = ops

	get.Extensions["x-filter-limits"] = map[string]any{"maxDepth": 3}
	_, err = Prepare(doc)
	assert.ErrorContains(t, err, "x-filter-limits needs")
	get.Extensions["x-filter-limits"] = map[string]any{"maxDepth": 3, "maxConditions": 1, "maxListItems": 1, "maxText": 1, "maxOther": 1}
	_, err = Prepare(doc)
	assert.ErrorContains(t, err, "x-filter-limits needs")
}
