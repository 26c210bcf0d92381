package tenant_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Relations come from reference fields and are named after the referencing
// type's plural; the fixture derives the same relations as its tenant.
func TestRelationsFromReferenceFields(t *testing.T) {
	f := tenant.Demo()
	f.EntityTypes = append(f.EntityTypes, tenant.EntityTypeFixture{Name: "Milestone", Fields: map[string]string{
		"Name": "string", "Project": "ref:project", "FollowUpProject": "ref:Project", "Owner2": "ref:User"}})
	tn, err := tenant.New(f, tenant.Config{ID: "relations"})
	require.NoError(t, err)

	assert.Equal(t, []tenant.Relation{
		{Name: "MilestonesByFollowUpProject", Type: "Milestone", Field: "FollowUpProject"},
		{Name: "MilestonesByProject", Type: "Milestone", Field: "Project"},
		{Name: "Tasks", Type: "Task", Field: "Project"},
	}, tn.Relations("project"))
	assert.Equal(t, []tenant.Relation{{Name: "Contacts", Type: "Contacts", Field: "Company"}}, tn.Relations("Companies"))
	assert.Empty(t, tn.Relations("Task"), "no type references Task; User references give no relation")
	assert.Empty(t, tn.Relations("Nope"))

	r, ok := tn.Relation("Project", "tasks")
	assert.True(t, ok)
	assert.Equal(t, "Tasks", r.Name)
	_, ok = tn.Relation("Project", "Task")
	assert.False(t, ok)

	fr := f.Relations()
	assert.Equal(t, tn.Relations("Project"), fr["Project"])
	assert.Equal(t, tn.Relations("Companies"), fr["Companies"])
}
