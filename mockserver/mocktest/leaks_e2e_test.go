package mocktest_test

// What a caller may not read never comes back through the SDK: not as a
// reference's Name, not as a different error for a written reference, and
// apiDataAccess: bypass opens no writes.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func startLeaks(t *testing.T) *mocktest.Server {
	t.Helper()
	f, err := tenant.LoadFile("../testdata/leaks.yaml")
	require.NoError(t, err)
	return mocktest.Start(t, mocktest.WithFixture(f))
}

// Item 5: through the SDK, a reference to a type the user may not read,
// or to a row hidden from it, carries its id and no Name.
func TestSDKReferenceNamesOnlyWhatTheUserMayRead(t *testing.T) {
	t.Parallel()
	srv := startLeaks(t)
	ctx := t.Context()

	tess := srv.Client(mocktest.APIKey("tess-key"))
	for e, err := range tess.Data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Task"}) {
		require.NoError(t, err)
		if e.Id == "/Task/1" {
			p, _ := e.Get("Project")
			assert.Equal(t, map[string]any{"id": "/Project/5"}, p, "Tess may not read Project")
		}
	}
	obj, err := tess.Data.GetObject(ctx, "Task", "1", nil)
	require.NoError(t, err)
	p, _ := obj.Get("Project")
	assert.Equal(t, map[string]any{"id": "/Project/5"}, p)

	rows, err := srv.Client(mocktest.OAuth("tess-client", "tess-secret")).Relationship.Rows(ctx, "Task", &relationshipapi.GetRowsParams{})
	require.NoError(t, err)
	require.NotEmpty(t, rows.Rows)
	p, _ = rows.Rows[0].Get("Project")
	assert.Equal(t, map[string]any{"type": float64(0), "id": float64(5), "entryListId": float64(0)}, p, "an id, no name (Project has no entry type id here)")

	mel := srv.Client(mocktest.APIKey("mel-key"))
	page, err := mel.Data.Query(ctx, dataapi.QueryRequest{Q: "SELECT * FROM Task"})
	require.NoError(t, err)
	got := map[string]any{}
	for _, e := range page.Entities {
		got[e.Id], _ = e.Get("Project")
	}
	assert.Equal(t, map[string]any{
		"/Task/1": map[string]any{"id": "/Project/5", "Name": "Shared plan"},
		"/Task/2": map[string]any{"id": "/Project/10"},
	}, got, "Mel sees Project 5's name, not hidden Project 10's")
}

// Item 6: through the SDK, writing a reference to a row the user may not
// read is the same *APIError as a reference to a row that does not exist.
func TestSDKWrittenHiddenReferenceIsUnknown(t *testing.T) {
	t.Parallel()
	srv := startLeaks(t)
	ctx := t.Context()
	tess := srv.Client(mocktest.APIKey("tess-key"))
	mel := srv.Client(mocktest.APIKey("mel-key"))

	write := func() (unreadableType, hiddenRow *client.APIError) {
		err := tess.Data.UpdateObject(ctx, "Task", "4", dataapi.EntityValues{"Project": "/Project/5"})
		require.ErrorAs(t, err, &unreadableType)
		err = mel.Data.UpdateObject(ctx, "Task", "2", dataapi.EntityValues{"Project": "/Project/10"})
		require.ErrorAs(t, err, &hiddenRow)
		return unreadableType, hiddenRow
	}
	same := func(a, b *client.APIError) {
		t.Helper()
		assert.Equal(t, a.StatusCode, b.StatusCode)
		assert.Equal(t, a.Code, b.Code)
		assert.Equal(t, a.Message, b.Message)
		assert.Equal(t, a.Decision, b.Decision)
	}
	typeBefore, rowBefore := write()
	assert.Equal(t, 400, typeBefore.StatusCode)

	admin := srv.Client(mocktest.APIKey("admin-key"))
	require.NoError(t, admin.Data.DeleteObject(ctx, "Project", "5"))
	require.NoError(t, admin.Data.DeleteObject(ctx, "Project", "10"))
	typeAfter, rowAfter := write()
	same(typeBefore, typeAfter)
	same(rowBefore, rowAfter)
}

// Item 9: under apiDataAccess: bypass the SDK reads the hidden Executive
// project, but updating or deleting it is a *NotFoundError and changes
// nothing.
func TestSDKBypassOpensNoWrites(t *testing.T) {
	t.Parallel()
	srv := startLeaks(t)
	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	ctx := t.Context()
	mel := srv.Client(mocktest.APIKey("mel-key"))

	_, err := mel.Data.GetObject(ctx, "Project", "10", nil)
	require.NoError(t, err, "bypass opens reads")

	var nf *client.NotFoundError
	err = mel.Data.UpdateObject(ctx, "Project", "10", dataapi.EntityValues{"Name": "Renamed"})
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, client.CodeRowNotFound, nf.Decision.Code, "the header reads like a missing row (the merged rule of item 7)")
	err = mel.Data.DeleteObject(ctx, "Project", "10")
	require.ErrorAs(t, err, &nf)

	e, err := srv.Client(mocktest.APIKey("admin-key")).Data.GetObject(ctx, "Project", "10", nil)
	require.NoError(t, err)
	name, _ := e.Get("Name")
	assert.Equal(t, "Executive secret", name)
}
