package tenant_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Generated Projects keep each DueDate after its StartDate, and their
// shares let the service account see about half of them.
func TestGeneratedProjectsAreRealistic(t *testing.T) {
	tn, err := tenant.New(tenant.WithGenerated(tenant.Demo(), "Project", 3000, 7), tenant.Config{ID: "t1"})
	require.NoError(t, err)
	rows, err := tn.Entities("Project", 1001)
	require.NoError(t, err)
	require.Len(t, rows, 12+3000)
	both := 0
	for _, e := range rows[12:] {
		start, okS := e.Fields["StartDate"].(string)
		due, okD := e.Fields["DueDate"].(string)
		if !okS || !okD {
			continue
		}
		both++
		s, err := time.Parse(time.RFC3339, start)
		require.NoError(t, err)
		d, err := time.Parse(time.RFC3339, due)
		require.NoError(t, err)
		assert.True(t, d.After(s), "/Project/%d: DueDate %s is not after StartDate %s", e.ID, due, start)
	}
	assert.Greater(t, both, 2700)
	visible, err := tn.Entities("Project", 2001)
	require.NoError(t, err)
	assert.InDelta(t, 1500, len(visible), 200)
}

// Generation works on any valid fixture: a type with a DueDate and no
// StartDate, and references written in another case than the type.
func TestGenerateOnUnusualTypes(t *testing.T) {
	f, err := tenant.Parse("odd.yaml", []byte(`
users:
  - {id: 1, name: One, email: one@x}
entityTypes:
  - name: Project
    fields: {Name: string, DueDate: date}
  - name: Task
    fields: {Name: string, Project: ref:project}
entities:
  - {type: Project, id: 1, owner: 1, fields: {Name: P}}
`))
	require.NoError(t, err)
	for _, typ := range []string{"Project", "Task"} {
		tn, err := tenant.New(tenant.WithGenerated(f, typ, 50, 1), tenant.Config{ID: "t1"})
		require.NoError(t, err, typ)
		rows, err := tn.Entities(typ, 1)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, len(rows), 50)
		for _, e := range rows {
			if r, ok := e.Fields["Project"].(tenant.Ref); ok {
				assert.Equal(t, tenant.Ref{Type: "Project", ID: 1}, r, "a reference names the declared type")
			}
		}
	}
}

// Field names differing only in case, or from the implicit Owner and id,
// are refused: queries match field names case-insensitively.
func TestFieldNamesMustDifferBeyondCase(t *testing.T) {
	_, err := tenant.Parse("dup.yaml", []byte(`
entityTypes:
  - name: Item
    fields: {Name: string, name: string, owner: string, ID: number}
`))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `differs from field "Name" only in case`)
	assert.Contains(t, msg, "owner is implicit")
	assert.Contains(t, msg, "ID is implicit")
}
