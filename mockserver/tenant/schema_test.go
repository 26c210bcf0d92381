package tenant_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The demo tenant's Deals carry the schema the relationship API's schema
// operations show: names, ids, options and choices; a type without an
// entry type id has no schema.
func TestEntryTypeSchemaFromFixture(t *testing.T) {
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "t1"})
	require.NoError(t, err)
	deals, ok := tn.EntityType("Deals")
	require.True(t, ok)
	assert.Equal(t, "Deal", deals.SingularName)
	assert.Equal(t, "Deals", deals.PluralName)
	byName := map[string]tenant.SchemaField{}
	for _, f := range deals.Schema {
		byName[f.Name] = f
	}
	require.Len(t, byName, len(deals.Fields)-2, "every field, Owner included, but the system fields (CreatedOn, LastUpdatedOn)")
	assert.NotContains(t, byName, tenant.LastUpdatedOnField)
	assert.Equal(t, tenant.SchemaField{Name: "Name", ID: byName["Name"].ID, Type: tenant.FieldType{Kind: tenant.KindString}, Required: true, Key: true}, byName["Name"])
	assert.Equal(t, []string{"USD", "EUR", "GBP"}, byName["Currency"].Choices)
	assert.Equal(t, tenant.FieldType{Kind: tenant.KindRef, RefType: tenant.UserType}, byName["Owner"].Type)
	ids := map[int64]bool{}
	for _, f := range deals.Schema {
		assert.False(t, ids[f.ID], "field ids are unique: %d", f.ID)
		ids[f.ID] = true
		assert.Greater(t, f.ID, int64(3011000))
	}
	fx := `entityTypes:
  - {name: Widget, fields: {Name: string}}
`
	f, err := tenant.Parse("t.yaml", []byte(fx))
	require.NoError(t, err)
	tw, err := tenant.New(f, tenant.Config{ID: "t1"})
	require.NoError(t, err)
	w, _ := tw.EntityType("Widget")
	assert.Nil(t, w.Schema, "no entry type id, no schema")
	assert.Equal(t, "Widget", w.SingularName, "the names default to the type's")
}

func TestFieldOptionsAreChecked(t *testing.T) {
	for _, c := range []struct{ name, opts, want string }{
		{"unknown field", "{Nope: {required: true}}", "fieldOptions.Nope: names no field of Widget"},
		{"choices on a number", "{Weight: {choices: [a]}}", "fieldOptions.Weight.choices: choice values need a string field"},
		{"duplicate choice", "{Name: {choices: [a, a]}}", "fieldOptions.Name.choices[1]: empty or duplicate choice value"},
		{"multi-select text", "{Name: {multiSelect: true}}", "fieldOptions.Name.multiSelect: only choice and reference fields"},
		{"duplicate id", "{Name: {id: 7}, Weight: {id: 7}}", "duplicate or negative field id 7"},
		{"too many choices", "{Name: {choices: [" + manyChoices(tenant.MaxChoices+1) + "]}}", "fieldOptions.Name.choices: 100 choice values; a field has at most 99"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := "entityTypes:\n  - {name: Widget, entryTypeId: 5, fields: {Name: string, Weight: number, Part: 'ref:Widget'}, fieldOptions: " + c.opts + "}\n"
			_, err := tenant.Parse("t.yaml", []byte(src))
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), c.want), err.Error())
		})
	}
	ok := "entityTypes:\n  - {name: Widget, entryTypeId: 5, fields: {Part: 'ref:Widget'}, fieldOptions: {Part: {multiSelect: true, id: 9}}}\n"
	_, err := tenant.Parse("t.yaml", []byte(ok))
	require.NoError(t, err)
	most := "entityTypes:\n  - {name: Widget, entryTypeId: 5, fields: {Name: string}, fieldOptions: {Name: {choices: [" + manyChoices(tenant.MaxChoices) + "]}}}\n"
	_, err = tenant.Parse("t.yaml", []byte(most))
	require.NoError(t, err)
}

// manyChoices is n distinct choice values, comma-separated.
func manyChoices(n int) string {
	c := make([]string, n)
	for i := range c {
		c[i] = "c" + strconv.Itoa(i)
	}
	return strings.Join(c, ", ")
}
