package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// ExportFields turns the mock's description of Project into an export's
// field list: the names asked for in their declared spelling, each once and
// in the order asked, with their types; every field when none are named;
// an unknown name an *UnknownFieldError listing the type's fields; a type
// the caller may not read an error, as describeEntities answers it.
func TestExportFieldsFromTheMetadata(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	data := srv.Client(mocktest.BobKey).Data

	fields, err := data.ExportFields(ctx, "Project", []string{"budget", "ID", "Name", "BUDGET", "lastupdatedon"})
	require.NoError(t, err)
	var names []string
	types := map[string]dataapi.FieldDescriptionType{}
	for _, f := range fields {
		names = append(names, f.Name)
		types[f.Name] = f.Type
	}
	assert.Equal(t, []string{"Budget", "Name", "LastUpdatedOn"}, names)
	assert.Equal(t, dataapi.FieldDescriptionTypeDouble, types["Budget"])
	assert.Equal(t, dataapi.FieldDescriptionTypeDateTime, types["LastUpdatedOn"])

	descs, err := data.DescribeEntities(ctx, []string{"Project"})
	require.NoError(t, err)
	every, err := data.ExportFields(ctx, "Project", nil)
	require.NoError(t, err)
	assert.Equal(t, *descs[0].Fields, every, "no names: every described field")

	_, err = data.ExportFields(ctx, "Project", []string{"Name", "Nope"})
	var ufe *client.UnknownFieldError
	require.ErrorAs(t, err, &ufe)
	assert.Equal(t, "Project", ufe.TypeName)
	assert.Equal(t, "Nope", ufe.Field)
	assert.Contains(t, ufe.Known, "Budget")

	_, err = data.ExportFields(ctx, "Task", nil)
	assert.Error(t, err, "Bob may not read Task through the API")
	assert.NotErrorAs(t, err, &ufe)
}
