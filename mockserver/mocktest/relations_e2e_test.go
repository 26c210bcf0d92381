package mocktest_test

// Relations in the data API, end to end through the SDK against the demo
// tenant (every response is checked against the spec): relationQuery and
// entityQuery's relations return only related rows the effective user may
// see, count them as entityQuery on the related type does, refuse a
// related type the user may not read through the API, and keep their
// bounds.

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func entityIDs(t *testing.T, es []dataapi.Entity) []string {
	t.Helper()
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Id
	}
	return out
}

// refEqual is the where condition `field Equal id`.
func refEqual(field, id string) *dataapi.Condition {
	return client.Where(client.Compare(field, dataapi.Equal, id))
}

// collect reads an iterator to the end.
func collect(t *testing.T, seq func(func(dataapi.Entity, error) bool)) []dataapi.Entity {
	t.Helper()
	var out []dataapi.Entity
	for e, err := range seq {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// The service account (Integrator: Companies and Contacts) sees Companies 3
// and 4 and Contacts 4 and 5: Company 4's Contacts are 5 and 6, and 6 is
// not shared with it, so it is never returned or counted; the related rows
// are exactly entityQuery's on Contacts with Company = the entity, and
// countQuery's count.
func TestRelationQueryReturnsOnlyVisibleRelatedRows(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	svc := srv.Client(mocktest.APIKey("demo-key-service"))
	alice := srv.Client(mocktest.AliceLogin)
	ctx := t.Context()

	for _, c := range []struct {
		name string
		cl   *client.Client
		want []string
	}{
		{"service", svc, []string{"/Contacts/5"}},
		{"alice", alice, []string{"/Contacts/5", "/Contacts/6"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			page, err := c.cl.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{
				EntityId: "/Companies/4", RelationName: "Contacts", Fields: &[]string{"Name", "Company"},
			})
			require.NoError(t, err)
			assert.Equal(t, c.want, entityIDs(t, page.Entities))
			assert.False(t, *page.Paging.HasMore)

			same, err := c.cl.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{
				TypeName: "Contacts", Fields: &[]string{"Name", "Company"}, Where: refEqual("Company", "/Companies/4"),
			})
			require.NoError(t, err)
			assert.Equal(t, same.Entities, page.Entities, "relationQuery reads what entityQuery on the related type reads")
			n, err := c.cl.Data.CountQuery(ctx, dataapi.CountedQuery{TypeName: "Contacts", Where: refEqual("Company", "/Companies/4")})
			require.NoError(t, err)
			assert.EqualValues(t, len(c.want), n)

			all := collect(t, c.cl.Data.RelationQueryAll(ctx, dataapi.RelationQueryRequest{
				EntityId: "/Companies/4", RelationName: "contacts", Paging: &dataapi.Paging{Limit: ptr(1)},
			}))
			assert.Equal(t, c.want, entityIDs(t, all), "paging one by one yields the same rows; names match ignoring case")
		})
	}

	// Bypass opens the hidden contact to the service account, as it does
	// for entityQuery.
	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	page, err := svc.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{EntityId: "/Companies/4", RelationName: "Contacts"})
	require.NoError(t, err)
	assert.Equal(t, []string{"/Contacts/5", "/Contacts/6"}, entityIDs(t, page.Entities))
}

// A hidden entity is a 404 exactly like a missing one; a related type the
// user may not read through the API is the object step's 403, as
// entityQuery of that type answers.
func TestRelationQueryAccess(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	svc := srv.Client(mocktest.APIKey("demo-key-service"))
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	ctx := t.Context()

	var nf *client.NotFoundError
	_, hidden := svc.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{EntityId: "/Companies/6", RelationName: "Contacts"})
	require.ErrorAs(t, hidden, &nf)
	_, missing := svc.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{EntityId: "/Companies/99", RelationName: "Contacts"})
	require.ErrorAs(t, missing, &nf)
	assert.Equal(t, strings.ReplaceAll(errors.Unwrap(hidden).(*client.APIError).Message, "6", "99"),
		errors.Unwrap(missing).(*client.APIError).Message, "hidden reads like missing")

	_, alone := bob.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Task"})
	var objAlone, obj *client.ObjectAccessError
	require.ErrorAs(t, alone, &objAlone)
	_, err := bob.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{EntityId: "/Project/1", RelationName: "Tasks"})
	require.ErrorAs(t, err, &obj)
	assert.Equal(t, "Task", obj.EntityType)
	assert.Equal(t, objAlone.Message, obj.Message)
	_, err = bob.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Project",
		Relations: &[]dataapi.Relation{{Name: "Tasks"}}})
	require.ErrorAs(t, err, &obj, "a relation to an unreadable type refuses the whole query")
	assert.Equal(t, "Task", obj.EntityType)

	// Alice reads every task of project 5 (Tasks 4 and 5).
	page, err := srv.Client(mocktest.AliceLogin).Data.RelationQuery(ctx, dataapi.RelationQueryRequest{
		EntityId: "/Project/5", RelationName: "Tasks", Fields: &[]string{"Name"},
		Orders: &[]dataapi.OrderBy{{FieldName: "Name", Order: ptr(dataapi.Descending)}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"/Task/5", "/Task/4"}, entityIDs(t, page.Entities))
}

// entityQuery's relations nest each entity's visible related entities in
// it, {entities, paging}, counted as entityQuery counts them.
func TestEntityQueryRelationsNestVisibleRows(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	svc := srv.Client(mocktest.APIKey("demo-key-service"))
	ctx := t.Context()

	page, err := svc.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{
		TypeName: "Companies", Fields: &[]string{"Name"},
		Relations: &[]dataapi.Relation{{Name: "Contacts", Fields: &[]string{"Name", "Title"}}},
	})
	require.NoError(t, err)
	require.Equal(t, []string{"/Companies/3", "/Companies/4"}, entityIDs(t, page.Entities))
	for _, e := range page.Entities {
		rel, ok, err := client.Related(e, "Contacts")
		require.NoError(t, err)
		require.True(t, ok, "%s has its Contacts", e.Id)
		same, err := svc.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Contacts",
			Fields: &[]string{"Name", "Title"}, Where: refEqual("Company", e.Id)})
		require.NoError(t, err)
		assert.Equal(t, same.Entities, rel.Entities, "%s: the nested rows are entityQuery's", e.Id)
		assert.False(t, *rel.Paging.HasMore)
	}
	rel, _, _ := client.Related(page.Entities[1], "Contacts")
	assert.Equal(t, []string{"/Contacts/5"}, entityIDs(t, rel.Entities), "Contact 6 is hidden from the service account")

	// A where of the relation narrows its rows.
	page, err = srv.Client(mocktest.AliceLogin).Data.EntityQuery(ctx, dataapi.EntityQueryRequest{
		TypeName: "Companies", Where: refEqual("id", "/Companies/1"),
		Relations: &[]dataapi.Relation{{Name: "Contacts", Where: refEqual("ContactType", "Technical")}},
	})
	require.NoError(t, err)
	rel, _, _ = client.Related(page.Entities[0], "Contacts")
	assert.Equal(t, []string{"/Contacts/2"}, entityIDs(t, rel.Entities))
}

// The bounds and errors, each a 400 naming the field.
func TestRelationBoundsAndErrors(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	alice := srv.Client(mocktest.AliceLogin)
	ctx := t.Context()
	field := func(err error) string {
		t.Helper()
		var ve *client.ValidationError
		require.ErrorAs(t, err, &ve)
		require.NotEmpty(t, ve.Fields, "%v", err)
		return ve.Fields[0].Field
	}

	_, err := alice.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{EntityId: "/Companies/1", RelationName: "Deals"})
	assert.Equal(t, "relationName", field(err))
	_, err = alice.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{EntityId: "/Companies/1", RelationName: "Contacts", FromLink: ptr(true)})
	assert.Equal(t, "fromLink", field(err))
	_, err = alice.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Companies",
		Relations: &[]dataapi.Relation{{Name: "Contacts", Relations: &[]map[string]any{{"name": "Deals"}}}}})
	assert.Equal(t, "relations[0].relations", field(err), "one level of nesting")
	page, err := alice.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Companies", Paging: &dataapi.Paging{Limit: ptr(1)},
		Relations: &[]dataapi.Relation{{Name: "Contacts", Fields: &[]string{"Name"}}, {Name: "contacts", Fields: &[]string{"Nope"}}}})
	require.NoError(t, err, "a relation asked for again is ignored, as a repeated order key is")
	rel, _, _ := client.Related(page.Entities[0], "Contacts")
	assert.Equal(t, []string{"/Contacts/1", "/Contacts/2"}, entityIDs(t, rel.Entities))
	_, err = alice.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Companies",
		Relations: &[]dataapi.Relation{{Name: "Contacts", Fields: &[]string{"Nope"}}}})
	assert.Equal(t, "relations[0].fields", field(err))
	_, err = alice.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Companies", Paging: &dataapi.Paging{Limit: ptr(101)},
		Relations: &[]dataapi.Relation{{Name: "Contacts"}}})
	assert.Equal(t, "paging.limit", field(err), "a page with relations holds at most 100 entities")
	_, err = alice.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Companies",
		Relations: ptr(slices.Repeat([]dataapi.Relation{{Name: "Contacts"}}, 9))})
	var ve *client.ValidationError
	require.ErrorAs(t, err, &ve, "at most 8 relations")
	_, err = alice.Data.RelationQuery(ctx, dataapi.RelationQueryRequest{EntityId: "/Project/5", RelationName: "Tasks",
		Where: refEqual("Nope", "x")})
	assert.Equal(t, "where", field(err))
}

// Related entities beyond the per-entity cap are left for relationQuery:
// the nested paging says more follow.
func TestEntityQueryRelationsCapPerEntity(t *testing.T) {
	t.Parallel()
	f := tenant.Demo()
	for i := range 105 {
		f.Entities = append(f.Entities, tenant.EntityFixture{Type: "Contacts", ID: int64(100 + i), Owner: 1001,
			Fields: map[string]any{"Name": "bulk contact", "Company": map[string]any{"ref": "/Companies/6"}}})
	}
	srv := mocktest.Start(t, mocktest.WithFixture(f))
	alice := srv.Client(mocktest.AliceLogin)
	ctx := t.Context()
	page, err := alice.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Companies", Where: refEqual("id", "/Companies/6"),
		Relations: &[]dataapi.Relation{{Name: "Contacts", Fields: &[]string{"Name"}}}})
	require.NoError(t, err)
	rel, ok, err := client.Related(page.Entities[0], "Contacts")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Len(t, rel.Entities, 100)
	assert.True(t, *rel.Paging.HasMore)
	all := collect(t, alice.Data.RelationQueryAll(ctx, dataapi.RelationQueryRequest{EntityId: "/Companies/6", RelationName: "Contacts"}))
	n, err := alice.Data.CountQuery(ctx, dataapi.CountedQuery{TypeName: "Contacts", Where: refEqual("Company", "/Companies/6")})
	require.NoError(t, err)
	assert.EqualValues(t, n, len(all))
	assert.Greater(t, len(all), 100)
}

// describeMetadata's relations flag lists each type's relations, leaving
// out a relation to a type the caller may not read through the API.
func TestDescribeMetadataListsReadableRelations(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	flags := &[]dataapi.DescribeMetadataParamsFlags{dataapi.Relations}
	types := &dataapi.TypeNameList{"Project", "Companies"}
	relationsOf := func(cl *client.Client) map[string][]dataapi.RelationDescription {
		t.Helper()
		ds, err := cl.Data.DescribeMetadata(ctx, &dataapi.DescribeMetadataParams{TypeNames: types, Flags: flags})
		require.NoError(t, err)
		out := map[string][]dataapi.RelationDescription{}
		for _, d := range ds {
			assert.Nil(t, d.Fields, "no fields flag")
			if d.Relations != nil {
				out[d.TypeName] = *d.Relations
			}
		}
		return out
	}
	contacts := dataapi.RelationDescription{Name: "Contacts", RelatedTypeName: "Contacts", SourceFieldName: "Company", ReadOnly: true}
	tasks := dataapi.RelationDescription{Name: "Tasks", RelatedTypeName: "Task", SourceFieldName: "Project", ReadOnly: true}
	assert.Equal(t, map[string][]dataapi.RelationDescription{"Companies": {contacts}, "Project": {tasks}},
		relationsOf(srv.Client(mocktest.AliceLogin)))
	assert.Equal(t, map[string][]dataapi.RelationDescription{"Companies": {contacts}},
		relationsOf(srv.Client(mocktest.APIKey("demo-key-service"))), "Task is not readable by the service account")
}

// relationQuery runs inside bulk/execute as it runs alone.
func TestRelationQueryInBulk(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	svc := srv.Client(mocktest.APIKey("demo-key-service"))
	ctx := t.Context()
	req := dataapi.RelationQueryRequest{EntityId: "/Companies/4", RelationName: "Contacts", Fields: &[]string{"Name"}}
	alone, err := svc.Data.RelationQuery(ctx, req)
	require.NoError(t, err)
	res, err := svc.Data.Bulk(ctx, []client.BulkRequest{
		{Method: "POST", URL: "/data/relationQuery", Body: req},
		{Method: "POST", URL: "/data/relationQuery", Body: dataapi.RelationQueryRequest{EntityId: "/Companies/6", RelationName: "Contacts"}},
	})
	require.NoError(t, err)
	require.Len(t, res, 2)
	var page dataapi.EntityQueryResult
	require.NoError(t, res[0].Decode(&page))
	assert.Equal(t, alone.Entities, page.Entities)
	var nf *client.NotFoundError
	assert.ErrorAs(t, res[1].Err(), &nf, "a hidden entity is 404 in a sub-response too")
}

// Under enforcement: audit a relation to a type the user may not read is
// read and the denial recorded, as entityQuery of that type is.
func TestRelationToUnreadableTypeUnderAudit(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	srv.UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	bob := srv.Client(mocktest.APIKey("demo-key-bob"))
	page, err := bob.Data.RelationQuery(t.Context(), dataapi.RelationQueryRequest{EntityId: "/Project/1", RelationName: "Tasks"})
	require.NoError(t, err)
	assert.Equal(t, []string{"/Task/1"}, entityIDs(t, page.Entities), "Bob sees the Sales task of project 1")
	entries := srv.Audit(tenant.AuditFilter{Operation: "relationQuery"})
	require.Len(t, entries, 1)
	assert.Equal(t, wire.OutcomeAuditDeny, entries[0].Outcome)
}
