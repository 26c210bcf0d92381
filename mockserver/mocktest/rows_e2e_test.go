package mocktest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// rowIDs lists the EntryIds of rows.
func rowIDs(rows []relationshipapi.Row) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.EntryId
	}
	return out
}

// asJSON round-trips v to plain JSON values (maps, float64).
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// Rows through the generated client, responses checked against the spec:
// fields repeated on GET (fields=A&fields=B) and listed in the POST body,
// matched ignoring case and answered in declared case; the value shapes of
// the vendor's example (the key field a reference to the row itself,
// entry and user references, choices whose ids are the schema's
// choiceValues ids); wrapIntoArrays and resolveReferenceUrls.
func TestRowsValueShapesThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	rel := srv.Client(mocktest.AdminOAuth).Relationship

	fields, err := rel.EntryTypeFields(ctx, "Contacts", nil)
	require.NoError(t, err)
	var contactType relationshipapi.Field
	for _, f := range fields {
		if f.ApiName == "ContactType" {
			contactType = f
		}
	}
	require.NotNil(t, contactType.ChoiceValues)
	decisionMaker := (*contactType.ChoiceValues)[0]
	require.Equal(t, "Decision Maker", decisionMaker.Name)

	page, err := rel.Rows(ctx, "Contacts", &relationshipapi.GetRowsParams{
		Fields: &[]string{"name", "COMPANY", "contactType", "owner", "lastcontacted"}, Query: ptr("{EntryId: 1}"),
	})
	require.NoError(t, err)
	require.Len(t, page.Rows, 1)
	assert.EqualValues(t, 1, page.TotalRecords)
	assert.Equal(t, map[string]any{
		"EntryId":       1.0,
		"Name":          map[string]any{"type": 0.0, "id": 1.0, "name": "Greta Hoffmann", "entryListId": 3022.0},
		"Company":       map[string]any{"type": 0.0, "id": 1.0, "name": "Adatum GmbH", "entryListId": 3021.0},
		"ContactType":   map[string]any{"seqNumber": 1.0, "isAutoPdf": false, "id": float64(decisionMaker.Id), "name": "Decision Maker", "entryListId": 3022.0},
		"Owner":         map[string]any{"url": "mailto:carol@demo.tenantkit.dev", "type": 0.0, "id": 6045.0, "name": "Carol Principal", "entryListId": -1.0},
		"LastContacted": "2026-02-18T00:00:00Z",
	}, asJSON(t, page.Rows[0]), "declared case, the vendor's shapes")

	// wrapIntoArrays: choice, reference and user values as arrays; the key
	// field stays one object. The same on POST.
	get, err := rel.Rows(ctx, "Contacts", &relationshipapi.GetRowsParams{
		Fields: &[]string{"Name", "Company", "ContactType", "Owner"}, Query: ptr("{EntryId: 1}"), WrapIntoArrays: ptr(true),
	})
	require.NoError(t, err)
	row := asJSON(t, get.Rows[0]).(map[string]any)
	assert.IsType(t, map[string]any{}, row["Name"])
	for _, f := range []string{"Company", "ContactType", "Owner"} {
		assert.IsType(t, []any{}, row[f], f)
		assert.Len(t, row[f], 1, f)
	}
	post, err := rel.QueryRows(ctx, "Contacts", nil, relationshipapi.RowsQuery{
		Fields: &[]string{"name", "company", "contacttype", "owner"}, Query: ptr("{EntryId: 1}"), WrapIntoArrays: ptr(true),
	})
	require.NoError(t, err)
	assert.Equal(t, get.Rows, post.Rows, "GET and POST answer alike")

	// resolveReferenceUrls: an entry reference carries the URL of a rows
	// read of its entry, which answers that entry.
	withURLs, err := rel.QueryRows(ctx, "3022", nil, relationshipapi.RowsQuery{
		Fields: &[]string{"Company", "Name"}, Query: ptr("{EntryId: 5}"), ResolveReferenceUrls: ptr(true),
	})
	require.NoError(t, err)
	row = asJSON(t, withURLs.Rows[0]).(map[string]any)
	company := row["Company"].(map[string]any)
	assert.Equal(t, "Northwind Traders", company["name"])
	u, err := url.Parse(company["url"].(string))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimPrefix(srv.URL, "http://"), u.Host)
	assert.Equal(t, "/api/rest/v4/data/entrydata/rows/3021", u.Path)
	target, err := rel.Rows(ctx, strings.TrimPrefix(u.Path, "/api/rest/v4/data/entrydata/rows/"),
		&relationshipapi.GetRowsParams{Query: ptr(u.Query().Get("query")), Fields: &[]string{"Name"}})
	require.NoError(t, err)
	assert.Equal(t, []int64{4}, rowIDs(target.Rows), "the URL reads the referenced company")
	self := row["Name"].(map[string]any)
	assert.Equal(t, srv.URL+"/api/rest/v4/data/entrydata/rows/3022?query=%7BEntryId%3A5%7D", self["url"], "the key field's URL is the row's own")
	plain := asJSON(t, page.Rows[0]).(map[string]any)
	assert.NotContains(t, plain["Company"], "url", "no url without resolveReferenceUrls")
}

// Who sees which companies and contacts; a reference to a company the
// caller may not see keeps its id and loses its name.
func TestRowsOfCompaniesAndContactsFollowSharing(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	read := func(cred mocktest.Credential, typ string, opts ...client.CallOption) ([]int64, *relationshipapi.RowsResponse) {
		t.Helper()
		page, err := srv.Client(cred).Relationship.Rows(ctx, typ, nil, opts...)
		require.NoError(t, err)
		assert.EqualValues(t, len(page.Rows), page.TotalRecords)
		return rowIDs(page.Rows), page
	}
	ids, _ := read(mocktest.AdminOAuth, "Companies")
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, ids)
	ids, _ = read(mocktest.AdminOAuth, "Contacts")
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 8}, ids)
	ids, _ = read(mocktest.ReadonlyOAuth, "Companies")
	assert.Equal(t, []int64{4, 5}, ids, "Bob: the Americas companies")
	ids, bob := read(mocktest.ReadonlyOAuth, "Contacts")
	assert.Equal(t, []int64{5, 6, 7, 8}, ids, "Bob: the Sales contacts")
	falcon := asJSON(t, bob.Rows[3]).(map[string]any)["Company"]
	assert.Equal(t, map[string]any{"type": 0.0, "id": 6.0, "entryListId": 3021.0}, falcon, "Falcon Analytics is Admin's: its id, not its name")
	assert.NotContains(t, mustJSON(t, bob), "Falcon Analytics")
	ids, _ = read(mocktest.IntegratorOAuth, "Companies", client.AsUser(mocktest.CarolID))
	assert.Equal(t, []int64{1, 2, 3}, ids, "Carol: the EMEA companies")
	ids, _ = read(mocktest.IntegratorOAuth, "Contacts", client.AsUser(mocktest.CarolID))
	assert.Equal(t, []int64{1, 2, 3, 4}, ids, "Carol: the EMEA contacts")
	ids, _ = read(mocktest.ReportingOAuth, "Companies")
	assert.Equal(t, []int64{3, 4}, ids, "the service account: those shared with Integrations-Test")
	ids, _ = read(mocktest.ReportingOAuth, "Contacts")
	assert.Equal(t, []int64{4, 5}, ids)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// An entry type by numeric id or api name (any case), on GET and POST.
func TestRowsEntryTypeByIDOrName(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	rel := srv.Client(mocktest.ReadonlyOAuth).Relationship
	var pages []*relationshipapi.RowsResponse
	for _, typ := range []string{"Companies", "3021", "companies"} {
		get, err := rel.Rows(ctx, typ, nil)
		require.NoError(t, err, typ)
		post, err := rel.QueryRows(ctx, typ, nil, relationshipapi.RowsQuery{})
		require.NoError(t, err, typ)
		pages = append(pages, get, post)
	}
	for _, p := range pages[1:] {
		assert.Equal(t, pages[0], p)
	}
	assert.Equal(t, []int64{4, 5}, rowIDs(pages[0].Rows))
}

// Refusals of a rows read's parameters: an unknown field in the vendor's
// wording, on GET and POST; dateTimeBehavior 0 and 1 are served (both UTC),
// others are refused by the spec's enum.
func TestRowsParameterRefusals(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	rel := srv.Client(mocktest.AdminOAuth).Relationship
	badRequest := func(err error) string {
		t.Helper()
		var ae *client.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
		return ae.Message
	}
	_, err := rel.Rows(ctx, "Deals", &relationshipapi.GetRowsParams{Fields: &[]string{"Name", "Nope"}})
	assert.Equal(t, `Field with name "Nope" does not exist`, badRequest(err))
	_, err = rel.QueryRows(ctx, "Deals", nil, relationshipapi.RowsQuery{Fields: &[]string{"Nope"}})
	assert.Equal(t, `Field with name "Nope" does not exist`, badRequest(err))

	utc, err := rel.Rows(ctx, "Deals", &relationshipapi.GetRowsParams{Fields: &[]string{"CloseDate"}})
	require.NoError(t, err)
	local, err := rel.Rows(ctx, "Deals", &relationshipapi.GetRowsParams{Fields: &[]string{"CloseDate"}, DateTimeBehavior: ptr(relationshipapi.GetRowsParamsDateTimeBehavior(1))})
	require.NoError(t, err)
	assert.Equal(t, utc, local, "the mock's users have no time zone: 1 answers UTC")
	_, err = rel.Rows(ctx, "Deals", &relationshipapi.GetRowsParams{DateTimeBehavior: ptr(relationshipapi.GetRowsParamsDateTimeBehavior(2))})
	badRequest(err)
	_, err = rel.QueryRows(ctx, "Deals", nil, relationshipapi.RowsQuery{DateTimeBehavior: ptr(relationshipapi.RowsQueryDateTimeBehavior(2))})
	badRequest(err)
}

// The vendor's paging defaults: without limit a page holds 1000 rows; a
// page past the end is a 200 with rows [] and the same totalRecords; the
// SDK's iterators read every row.
func TestRowsDefaultPageAndPastTheEnd(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithGeneratedProjects(1500, 7))
	ctx := t.Context()
	rel := srv.Client(mocktest.AdminOAuth).Relationship
	const total = 1512 // the demo's 12 and 1500 generated
	first, err := rel.Rows(ctx, "Project", nil)
	require.NoError(t, err)
	assert.Len(t, first.Rows, 1000, "the vendor's default limit")
	assert.EqualValues(t, total, first.TotalRecords)
	q, err := rel.QueryRows(ctx, "Project", nil, relationshipapi.RowsQuery{})
	require.NoError(t, err)
	assert.Len(t, q.Rows, 1000)
	past, err := rel.Rows(ctx, "Project", &relationshipapi.GetRowsParams{Skip: ptr(3000), Limit: ptr(1000)})
	require.NoError(t, err)
	assert.Empty(t, past.Rows)
	assert.NotNil(t, past.Rows, "rows: [], never null")
	assert.EqualValues(t, total, past.TotalRecords)

	n := 0
	for _, err := range rel.RowsAll(ctx, "Project", &relationshipapi.GetRowsParams{Fields: &[]string{"Name"}}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, total, n)
	n = 0
	for _, err := range rel.QueryRowsAll(ctx, "Project", nil, relationshipapi.RowsQuery{Fields: &[]string{"Name"}}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, total, n)
}
