package rowfilter_test

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/client/rowfilter"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

type stage string

// MarshalJSON would write an object: the builder writes the string by its
// kind instead.
func (stage) MarshalJSON() ([]byte, error) { return []byte(`{"evil":true}`), nil }

func TestText(t *testing.T) {
	cases := []struct {
		f    rowfilter.Filter
		want string
	}{
		{rowfilter.Filter{}, `{}`},
		{rowfilter.Eq("Stage", "Proposal"), `{"Stage":"Proposal"}`},
		{rowfilter.Eq("Stage", stage("Proposal")), `{"Stage":"Proposal"}`},
		{rowfilter.Ne("Region", "Global"), `{"Region":{"$not":"Global"}}`},
		{rowfilter.Null("Region"), `{"Region":null}`},
		{rowfilter.NotNull("Region"), `{"Region":{"$not":null}}`},
		{rowfilter.Contains("Name", `a "quoted" <name>`), `{"Name":{"$contains":"a \"quoted\" <name>"}}`},
		{rowfilter.StartsWith("Name", "Pro"), `{"Name":{"$startswith":"Pro"}}`},
		{rowfilter.EndsWith("Name", "\n"), `{"Name":{"$endswith":"\n"}}`},
		{rowfilter.Gt("Amount", 2.5e21), `{"Amount":{"$gt":2.5e+21}}`},
		{rowfilter.Gte("Amount", uint8(7)), `{"Amount":{"$gte":7}}`},
		{rowfilter.Lt("Amount", float32(0.1)), `{"Amount":{"$lt":0.1}}`},
		{rowfilter.Lte("Done", true), `{"Done":{"$lte":true}}`},
		{rowfilter.Between("CloseDate", time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC)),
			`{"CloseDate":{"$between":["2026-06-30T00:00:00Z","2026-08-15T00:00:00Z"]}}`},
		{rowfilter.In("EntryId", 1, 2), `{"EntryId":{"$in":[1,2]}}`},
		{rowfilter.In[int]("EntryId"), `{"EntryId":{"$in":[]}}`},
		{rowfilter.NotIn("Currency", "USD"), `{"Currency":{"$nin":["USD"]}}`},
		{rowfilter.And(), `{}`},
		{rowfilter.And(rowfilter.Eq("A", 1)), `{"A":1}`},
		{rowfilter.And(rowfilter.Eq("A", 1), rowfilter.Eq("B", 2)), `{"$and":[{"A":1},{"B":2}]}`},
		{rowfilter.Or(), `{"$or":[]}`},
		{rowfilter.Or(rowfilter.Eq("A", 1), rowfilter.And()), `{"$or":[{"A":1},{}]}`},
	}
	for _, c := range cases {
		text, err := c.f.Text()
		require.NoError(t, err)
		assert.Equal(t, c.want, text)
		assert.Equal(t, c.want, c.f.String())
		assert.True(t, json.Valid([]byte(text)), text)
	}
}

func TestInvalidNumbers(t *testing.T) {
	for _, f := range []rowfilter.Filter{
		rowfilter.Gt("Amount", math.NaN()),
		rowfilter.In("Amount", 1, math.Inf(1)),
		rowfilter.Or(rowfilter.Eq("A", 1), rowfilter.Lt("Amount", float32(math.Inf(-1)))),
		rowfilter.And(rowfilter.Eq("A", 1), rowfilter.Between("Amount", 0, math.NaN())),
	} {
		_, err := f.Text()
		require.Error(t, err)
		assert.ErrorContains(t, err, "rowfilter: Amount: ")
		assert.Equal(t, err, f.Err())
		assert.Regexp(t, `^!invalid rowfilter`, f.String(), "text no server takes as a filter")
	}
}

// Every builder against the mock, through both rows reads, as Alice (who
// sees all nine Deals).
func TestAgainstTheMock(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	rel := srv.Client(mocktest.AdminOAuth).Relationship
	ctx := t.Context()
	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		require.NoError(t, err)
		return d
	}
	cases := []struct {
		f    rowfilter.Filter
		want []int64
	}{
		{rowfilter.Filter{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{rowfilter.Eq("Stage", "proposal"), []int64{2, 8}},
		{rowfilter.Eq("entryid", 3), []int64{3}},
		{rowfilter.Ne("Region", "Global"), []int64{1, 2, 3, 4, 5, 6}},
		{rowfilter.Null("Region"), []int64{}},
		{rowfilter.NotNull("Region"), []int64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{rowfilter.Contains("Name", "DEAL"), []int64{2}},
		{rowfilter.StartsWith("Name", "Project"), []int64{7}},
		{rowfilter.EndsWith("Company", " Toys"), []int64{8}},
		{rowfilter.Gt("Amount", 2500000), []int64{7, 9}},
		{rowfilter.Gte("Amount", 2500000.0), []int64{7, 8, 9}},
		{rowfilter.Lt("Probability", 35), []int64{4, 6}},
		{rowfilter.Lte("Probability", int64(35)), []int64{4, 6, 8}},
		{rowfilter.Between("CloseDate", date("2026-06-30"), date("2026-08-15")), []int64{1, 2, 7}},
		{rowfilter.Between("Amount", 96000, 310000), []int64{2, 3, 5}},
		{rowfilter.In("EntryId", 3, 5, 42), []int64{3, 5}},
		{rowfilter.In[string]("Stage"), []int64{}},
		{rowfilter.NotIn("Currency", "USD", "GBP"), []int64{1, 2}},
		{rowfilter.Or(rowfilter.Eq("Region", "EMEA"), rowfilter.Gt("Amount", 8000000)), []int64{1, 2, 3, 7}},
		{rowfilter.And(rowfilter.Eq("Region", "Americas"), rowfilter.StartsWith("Stage", "Closed")), []int64{6}},
		{rowfilter.And(rowfilter.Gt("Amount", 100000), rowfilter.Lt("Amount", 500000), rowfilter.Eq("Currency", "USD")), []int64{5}},
		{rowfilter.Or(), []int64{}},
	}
	for _, c := range cases {
		name := c.f.String()
		page, err := rel.QueryRows(ctx, "Deals", nil, relationshipapi.RowsQuery{Query: client.Ptr(c.f.String()), Fields: &[]string{"Name"}})
		require.NoError(t, err, name)
		assert.Equal(t, c.want, ids(page), "POST %s", name)
		assert.EqualValues(t, len(c.want), page.TotalRecords, name)

		page, err = rel.Rows(ctx, "Deals", &relationshipapi.GetRowsParams{Query: client.Ptr(c.f.String())})
		require.NoError(t, err, name)
		assert.Equal(t, c.want, ids(page), "GET %s", name)
	}

	// A field the entry type does not have is the vendor's 400.
	_, err := rel.QueryRows(ctx, "Deals", nil, relationshipapi.RowsQuery{Query: client.Ptr(rowfilter.Eq("Colour", "red").String())})
	var ve *client.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), `Field with name "Colour" does not exist`)
	// An invalid filter's text is refused, not run.
	_, err = rel.QueryRows(ctx, "Deals", nil, relationshipapi.RowsQuery{Query: client.Ptr(rowfilter.Gt("Amount", math.NaN()).String())})
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "at position 1")
}

func ids(p *relationshipapi.RowsResponse) []int64 {
	out := []int64{}
	for _, r := range p.Rows {
		out = append(out, r.EntryId)
	}
	return out
}

func Example() {
	f := rowfilter.And(
		rowfilter.In("Stage", "Proposal", "Negotiation"),
		rowfilter.Gte("Amount", 100000),
		rowfilter.Or(rowfilter.Eq("Region", "EMEA"), rowfilter.StartsWith("Company", "Contoso")),
	)
	fmt.Println(f)
	// Output:
	// {"$and":[{"Stage":{"$in":["Proposal","Negotiation"]}},{"Amount":{"$gte":100000}},{"$or":[{"Region":"EMEA"},{"Company":{"$startswith":"Contoso"}}]}]}
}
