package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// AggregateQuery against the mock agrees with EntityQueryAll for the same
// user and condition: per State, the count, budget sum, minimum and maximum
// of the rows the user sees; a row the user may not see is never counted.
// The groups are paged (one per page here) and AggregateQueryAll follows.
func TestDataAggregateQueryAgreesWithEntityQuery(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	where := client.Not(client.In("Client", "No such client"))
	type agg struct {
		count    int
		sum      float64
		min, max float64
	}
	for i, cred := range []mocktest.Credential{mocktest.BobKey, mocktest.ServiceKey, mocktest.AliceLogin} {
		data := srv.Client(cred).Data
		want := map[string]*agg{}
		var ids []string
		for e, err := range data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Project", Where: &where, Fields: &[]string{"State", "Budget"}}) {
			require.NoError(t, err)
			ids = append(ids, e.Id)
			state, _ := e.AdditionalProperties["State"].(string)
			budget, _ := e.AdditionalProperties["Budget"].(float64)
			a := want[state]
			if a == nil {
				a = &agg{min: budget, max: budget}
				want[state] = a
			}
			a.count++
			a.sum += budget
			a.min, a.max = min(a.min, budget), max(a.max, budget)
		}
		require.NotEmpty(t, ids)
		if i == 0 {
			assert.Equal(t, []string{"/Project/1", "/Project/2", "/Project/3", "/Project/4"}, ids, "Bob sees Projects 1-4 only")
		}

		got := map[string]*agg{}
		pages := 0
		req := dataapi.AggregateQueryRequest{
			TypeName: "Project",
			Where:    &where,
			GroupBy:  &[]string{"State"},
			Aggregations: []dataapi.FieldAggregation{
				{Function: dataapi.Count, FieldName: "id", Alias: client.Ptr("Cnt")},
				{Function: dataapi.Sum, FieldName: "Budget"},
				{Function: dataapi.Min, FieldName: "Budget"},
				{Function: dataapi.Max, FieldName: "Budget"},
			},
			Orders: &[]dataapi.OrderBy{{FieldName: "Cnt", Order: client.Ptr(dataapi.Descending)}},
			Paging: &dataapi.Paging{Limit: client.Ptr(1)},
		}
		last := -1.0
		for g, err := range data.AggregateQueryAll(ctx, req) {
			require.NoError(t, err)
			pages++
			assert.Nil(t, g.Id)
			state, _ := g.AdditionalProperties["State"].(string)
			n, _ := g.AdditionalProperties["Cnt"].(float64)
			if last >= 0 {
				assert.LessOrEqual(t, n, last, "ordered by Cnt, descending")
			}
			last = n
			got[state] = &agg{count: int(n), sum: g.AdditionalProperties["Sum_Budget"].(float64),
				min: g.AdditionalProperties["Min_Budget"].(float64), max: g.AdditionalProperties["Max_Budget"].(float64)}
		}
		assert.Equal(t, want, got, "%v", cred)
		assert.Equal(t, len(want), pages, "one group a page")

		// Without groupBy: one group, counting exactly the rows entityQuery returns.
		one, err := data.AggregateQuery(ctx, dataapi.AggregateQueryRequest{TypeName: "Project", Where: &where,
			Aggregations: []dataapi.FieldAggregation{{Function: dataapi.Count, FieldName: "id"}}})
		require.NoError(t, err)
		require.Len(t, one.Entities, 1)
		n, _ := one.Entities[0].Get("Count_id")
		assert.Equal(t, float64(len(ids)), n)
		assert.False(t, *one.Paging.HasMore)
	}

	// A field Sum cannot read is a *ValidationError naming it; a type the
	// user may not read is an *ObjectAccessError, as for entityQuery.
	bob := srv.Client(mocktest.BobKey).Data
	_, err := bob.AggregateQuery(ctx, dataapi.AggregateQueryRequest{TypeName: "Project",
		Aggregations: []dataapi.FieldAggregation{{Function: dataapi.Sum, FieldName: "Name"}}})
	var ve *client.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "aggregations[0].fieldName")
	_, err = bob.AggregateQuery(ctx, dataapi.AggregateQueryRequest{TypeName: "Task",
		Aggregations: []dataapi.FieldAggregation{{Function: dataapi.Count, FieldName: "id"}}})
	var oe *client.ObjectAccessError
	require.ErrorAs(t, err, &oe)
}
