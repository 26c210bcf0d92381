package client_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// What an SDK user sees of the mock's limits on hostile input: a 400
// *APIError whose message names the limit, at once, for a where tree
// nested too deep, too many sort keys and a text operand too long.
func TestSDKSeesTheLimitsOfHostileQueries(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.ServiceKey, client.WithMaxRetries(0))

	where := client.Compare("Name", dataapi.Equal, "x")
	for range 15 {
		where = client.Not(where)
	}
	_, err := c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project", Where: client.Where(where)})
	require.NoError(t, err, "16 levels are within the limit")

	_, err = c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project", Where: client.Where(client.Not(where))})
	var ae *client.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, 400, ae.StatusCode)
	assert.Equal(t, "InvalidArgument", ae.Code)
	assert.Contains(t, ae.Message, "nested more than 16 levels deep")

	orders := make([]dataapi.OrderBy, 17)
	for i := range orders {
		orders[i] = dataapi.OrderBy{FieldName: "Name"}
	}
	_, err = c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project", Orders: &orders})
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "orders: holds 17 items; the limit is 16", ae.Message)

	_, err = c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project",
		Where: client.Where(client.Compare("Name", dataapi.Like, strings.Repeat("%", 2000)))})
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "where.rightExpression.value: is 2000 characters long; the limit is 1024", ae.Message)
}
