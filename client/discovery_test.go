package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// ListEntities and DescribeEntities against the mock: Bob reads Project,
// Deals, Companies and Contacts through the API, not Task, which is neither listed nor described.
func TestDataMetadataDiscovery(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	bob := srv.Client(mocktest.BobKey).Data
	names, err := bob.ListEntities(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Project", "Deals", "Companies", "Contacts"}, names)

	alice := srv.Client(mocktest.AliceLogin).Data
	names, err = alice.ListEntities(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Project", "Task", "Deals", "Companies", "Contacts"}, names)

	descs, err := alice.DescribeEntities(ctx, []string{"Task"})
	require.NoError(t, err)
	require.Len(t, descs, 1)
	assert.Equal(t, "Task", descs[0].TypeName)
	require.NotNil(t, descs[0].Fields)
	var project *dataapi.FieldDescription
	for i, f := range *descs[0].Fields {
		if f.Name == "Project" {
			project = &(*descs[0].Fields)[i]
		}
	}
	require.NotNil(t, project)
	assert.Equal(t, dataapi.FieldDescriptionTypeEntity, project.Type)
	assert.Equal(t, []string{"Project"}, *project.ReferencedEntities)
	assert.True(t, project.Nullable)

	_, err = bob.DescribeEntities(ctx, []string{"Task"})
	var ve *client.ValidationError
	require.ErrorAs(t, err, &ve, "a hidden type is an unknown type")
	_, unknown := bob.DescribeEntities(ctx, []string{"Tusk"})
	require.ErrorAs(t, unknown, &ve)

	all, err := bob.DescribeMetadata(ctx, &dataapi.DescribeMetadataParams{Flags: &[]dataapi.DescribeMetadataParamsFlags{dataapi.Fields}})
	require.NoError(t, err)
	require.Len(t, all, 4)
	assert.NotEmpty(t, *all[1].Fields)
}

// CountQuery agrees with EntityQueryAll for the same user and condition;
// a type the user may not read is an *ObjectAccessError, as for entityQuery.
func TestDataCountQuery(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	where := client.Compare("State", dataapi.Equal, "Active")
	for _, cred := range []mocktest.Credential{mocktest.BobKey, mocktest.ServiceKey, mocktest.AliceLogin, mocktest.CarolLogin} {
		data := srv.Client(cred).Data
		n, err := data.CountQuery(ctx, dataapi.CountedQuery{TypeName: "Project", Where: &where})
		require.NoError(t, err)
		seen := 0
		for _, err := range data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Project", Where: &where}) {
			require.NoError(t, err)
			seen++
		}
		assert.Equal(t, int64(seen), n)
	}
	_, err := srv.Client(mocktest.BobKey).Data.CountQuery(ctx, dataapi.CountedQuery{TypeName: "Task"})
	var oe *client.ObjectAccessError
	require.ErrorAs(t, err, &oe)
}

// RetrieveMultiple returns the ids the caller may read, in order; a hidden
// or missing id is simply absent.
func TestDataRetrieveMultiple(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ents, err := srv.Client(mocktest.BobKey).Data.RetrieveMultiple(t.Context(),
		[]string{"/Project/4", "/Project/9", "/Project/404", "/Task/1", "/Project/1"}, []string{"Name"})
	require.NoError(t, err)
	require.Len(t, ents, 2)
	assert.Equal(t, "/Project/4", ents[0].Id)
	assert.Equal(t, "Sales Enablement Portal", ents[0].AdditionalProperties["Name"])
	assert.Equal(t, "/Project/1", ents[1].Id)
}
