package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func leaksHarness(t *testing.T) *harness {
	t.Helper()
	f, err := tenant.LoadFile("testdata/leaks.yaml")
	require.NoError(t, err)
	return newHarness(t, mockserver.WithFixture(f))
}

// readPath is one way of reading Tasks: the data API's entity query (POST
// and GET), CZQL, getObject, and the relationship API's rows (GET and POST
// query).
type readPath struct {
	name, method, path string
	body               any
}

func taskReads(rows bool) []readPath {
	q := func(text string) map[string]any { return map[string]any{"q": text} }
	out := []readPath{
		{"entityQuery fields [Project]", http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Name","Project"]}`},
		{"entityQuery without fields", http.MethodPost, entityQuery, `{"typeName":"Task"}`},
		{"entityQuery GET fields=Project", http.MethodGet, entityQuery + "?typeName=Task&fields=Name,Project", nil},
		{"entityQuery GET without fields", http.MethodGet, entityQuery + "?typeName=Task", nil},
		{"CZQL SELECT *", http.MethodPost, "/V2.0/services/data/query", q("SELECT * FROM Task")},
		{"CZQL SELECT Project", http.MethodPost, "/V2.0/services/data/query", q("SELECT Name, Project FROM Task")},
	}
	if rows {
		out = append(out,
			readPath{"rows GET", http.MethodGet, rowsPath + "Task", nil},
			readPath{"rows POST query fields [Project]", http.MethodPost, rowsPath + "query/Task", `{"fields":["Name","Project"]}`},
			readPath{"rows POST query without fields", http.MethodPost, rowsPath + "query/Task", `{}`},
		)
	}
	return out
}

// refOf returns the Project reference of the task with the given id from a
// page (entities or rows) or a single entity.
func refOf(t *testing.T, body []byte, task float64) any {
	t.Helper()
	var page struct {
		Entities []map[string]any `json:"entities"`
		Rows     []map[string]any `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(body, &page), "%s", body)
	for _, e := range page.Entities {
		if e["id"] == "/Task/"+jsonNum(task) {
			return e["Project"]
		}
	}
	for _, r := range page.Rows {
		if r["EntryId"] == task {
			return r["Project"]
		}
	}
	var one map[string]any
	require.NoError(t, json.Unmarshal(body, &one))
	require.Equal(t, "/Task/"+jsonNum(task), one["id"], "task %v not in %s", task, body)
	return one["Project"]
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

// Item 5: a reference to a type the effective user may not read through
// the API is written as its id alone (rows: with no name), on every rendering path; the dotted
// path that reads the referenced row's fields stays a 403. A reference to
// a user keeps its Name.
func TestReferenceToUnreadableTypeShowsOnlyItsID(t *testing.T) {
	t.Parallel()
	h := leaksHarness(t)
	tok := h.token(dealcloudToken, "tess-client", "tess-secret", "data")
	reads := append(taskReads(true),
		readPath{"getObject", http.MethodGet, "/V2.0/services/data/objects/Task/1", nil},
		readPath{"getObject fields=Project", http.MethodGet, "/V2.0/services/data/objects/Task/1?fields=Name,Project", nil},
	)
	for _, rd := range reads {
		auth := apiKey("tess-key")
		want := any(map[string]any{"id": "/Project/5"})
		if strings.HasPrefix(rd.path, rowsPath) {
			auth, want = bearer(tok), map[string]any{"type": float64(0), "id": float64(5), "entryListId": float64(0)} // Project has no entry type id here
		}
		r := h.do(rd.method, rd.path, rd.body, auth...)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", rd.name, r.body)
		assert.NotContains(t, string(r.body), "Shared plan", rd.name)
		assert.Equal(t, want, refOf(t, r.body, 1), "%s: %s", rd.name, r.body)
		if strings.Contains(rd.name, "without fields") || strings.Contains(rd.name, "*") || rd.name == "getObject" || rd.name == "rows GET" {
			assert.Contains(t, string(r.body), "Mel Member", "%s: a user reference keeps its Name: %s", rd.name, r.body)
		}
	}

	r := h.do(http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Project.Name"]}`, apiKey("tess-key")...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.NotContains(t, string(r.body), "Shared plan")

	// The type readable, the row too: the reference has its Name.
	r = h.do(http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Project"]}`, apiKey("mel-key")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, map[string]any{"id": "/Project/5", "Name": "Shared plan"}, refOf(t, r.body, 1))
}

// Item 5, rows: a reference to a row that row-level sharing hides from the
// effective user is its id alone on every path, exactly as a reference to
// a row that does not exist; dotted fields of it, Name included, are null.
// Under apiDataAccess: bypass, which opens API reads, it has its Name.
func TestReferenceToHiddenRowShowsOnlyItsID(t *testing.T) {
	t.Parallel()
	h := leaksHarness(t)
	tok := h.token(dealcloudToken, "mel-client", "mel-secret", "data")
	reads := append(taskReads(true),
		readPath{"getObject", http.MethodGet, "/V2.0/services/data/objects/Task/2", nil},
		readPath{"getObject fields=Project", http.MethodGet, "/V2.0/services/data/objects/Task/2?fields=Project", nil},
		readPath{"dotted Project.Name", http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Project.Name","Project.Budget"]}`},
		readPath{"Project and Project.Name", http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Project","Project.Name"]}`},
	)
	read := func(rd readPath) *response {
		auth := apiKey("mel-key")
		if strings.HasPrefix(rd.path, rowsPath) {
			auth = bearer(tok)
		}
		r := h.do(rd.method, rd.path, rd.body, auth...)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", rd.name, r.body)
		return r
	}
	hidden := map[string]any{}
	for _, rd := range reads {
		r := read(rd)
		assert.NotContains(t, string(r.body), "Executive secret", rd.name)
		assert.NotContains(t, string(r.body), "1000000", rd.name)
		ref := refOf(t, r.body, 2)
		hidden[rd.name] = ref
		switch {
		case strings.HasPrefix(rd.path, rowsPath):
			assert.Equal(t, map[string]any{"type": float64(0), "id": float64(10), "entryListId": float64(0)}, ref, rd.name)
		case rd.name == "dotted Project.Name":
			assert.Equal(t, map[string]any{"id": "/Project/10", "Name": nil, "Budget": nil}, ref, rd.name)
		case rd.name == "Project and Project.Name":
			assert.Equal(t, map[string]any{"id": "/Project/10", "Name": nil}, ref, rd.name)
		default:
			assert.Equal(t, map[string]any{"id": "/Project/10"}, ref, "%s: %s", rd.name, r.body)
		}
	}

	// Under bypass Mel reads Project 10, so the reference names it.
	h.setDataAccess(tenant.DataAccessBypass)
	r := read(reads[0])
	assert.Equal(t, map[string]any{"id": "/Project/10", "Name": "Executive secret"}, refOf(t, r.body, 2))
	h.setDataAccess(tenant.DataAccessEnforce)

	// Once Project 10 is gone, every path renders the reference as before:
	// a hidden row and a missing one cannot be told apart.
	r = h.do(http.MethodDelete, "/V2.0/services/data/objects/Project/10", nil, apiKey("admin-key")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	for _, rd := range reads {
		assert.Equal(t, hidden[rd.name], refOf(t, read(rd).body, 2), rd.name)
	}
}

// writeResult is what a client sees of a refused write: the status, the
// body without its per-request referenceId, and the decision header.
type writeResult struct {
	Status   int
	Body     map[string]any
	Decision string
}

func (h *harness) writeResult(method, path string, body any, auth []string) writeResult {
	h.t.Helper()
	r := h.do(method, path, body, auth...)
	var m map[string]any
	require.NoError(h.t, json.Unmarshal(r.body, &m), "%s", r.body)
	delete(m, "referenceId")
	return writeResult{Status: r.status, Body: m, Decision: r.header.Get("X-Tenantkit-Decision")}
}

// Item 6: writing a reference to a row the effective user may not read (a
// type it may not read through the API, or a row row-level sharing hides)
// fails exactly like a reference to a row that does not exist: same status,
// body and decision header. Nothing is written.
func TestWrittenReferenceToUnreadableRowIsUnknown(t *testing.T) {
	t.Parallel()
	h := leaksHarness(t)
	objects := "/V2.0/services/data/objects/"
	type write struct {
		name, method, path, ref string
		auth                    []string
	}
	writes := []write{
		{"update, type Tess may not read", http.MethodPost, objects + "Task/4", "/Project/5", apiKey("tess-key")},
		{"create, type Tess may not read", http.MethodPut, objects + "Task", "/Project/5", apiKey("tess-key")},
		{"update, row hidden from Mel", http.MethodPost, objects + "Task/2", "/Project/10", apiKey("mel-key")},
		{"create, row hidden from Mel", http.MethodPut, objects + "Task", "/Project/10", apiKey("mel-key")},
		{"create, row hidden from Mel, {id} form", http.MethodPut, objects + "Task", "", apiKey("mel-key")},
	}
	body := func(w write) any {
		if w.ref == "" {
			return map[string]any{"Name": "x", "Project": map[string]any{"id": "/Project/10"}}
		}
		return map[string]any{"Name": "x", "Project": w.ref}
	}
	before := map[string]writeResult{}
	for _, w := range writes {
		res := h.writeResult(w.method, w.path, body(w), w.auth)
		require.Equal(t, http.StatusBadRequest, res.Status, "%s: %v", w.name, res.Body)
		before[w.name] = res
	}
	// Nothing was written.
	r := h.do(http.MethodPost, entityQuery, `{"typeName":"Task","fields":["Name","Project"]}`, apiKey("admin-key")...)
	require.Equal(t, http.StatusOK, r.status)
	var page struct{ Entities []map[string]any }
	r.json(t, &page)
	require.Len(t, page.Entities, 3, "%s", r.body)
	assert.Nil(t, page.Entities[2]["Project"], "Task 4 keeps no project: %s", r.body)

	// Delete both projects: the same writes now name rows that do not exist.
	for _, p := range []string{"Project/5", "Project/10"} {
		r := h.do(http.MethodDelete, objects+p, nil, apiKey("admin-key")...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	for _, w := range writes {
		assert.Equal(t, before[w.name], h.writeResult(w.method, w.path, body(w), w.auth), w.name)
	}
}

// Under apiDataAccess: bypass a user reads every row, so it may also
// reference every row of a type it may read.
func TestWrittenReferenceUnderBypassFollowsReads(t *testing.T) {
	t.Parallel()
	h := leaksHarness(t)
	h.setDataAccess(tenant.DataAccessBypass)
	r := h.do(http.MethodPut, "/V2.0/services/data/objects/Task", `{"Name":"x","Project":"/Project/10"}`, apiKey("mel-key")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = h.do(http.MethodPut, "/V2.0/services/data/objects/Task", `{"Name":"x","Project":"/Project/5"}`, apiKey("tess-key")...)
	require.Equal(t, http.StatusBadRequest, r.status, "bypass does not open a type Tess may not read: %s", r.body)
}

// Item 9: apiDataAccess: bypass opens API reads only. Under bypass Mel reads
// the hidden Executive project, but updating or deleting it is 404, with
// the body of a project that does not exist, and changes nothing.
func TestBypassDoesNotOpenWritesToHiddenRows(t *testing.T) {
	t.Parallel()
	h := leaksHarness(t)
	h.setDataAccess(tenant.DataAccessBypass)
	objects := "/V2.0/services/data/objects/"
	mel := apiKey("mel-key")

	r := h.do(http.MethodGet, objects+"Project/10", nil, mel...)
	require.Equal(t, http.StatusOK, r.status, "bypass opens reads: %s", r.body)

	norm := func(res writeResult, id string) writeResult {
		res.Decision = ""
		if m, ok := res.Body["message"].(string); ok {
			res.Body["message"] = strings.ReplaceAll(m, id, "N")
		}
		return res
	}
	for _, w := range []struct {
		method string
		body   any
	}{
		{http.MethodPost, `{"Name":"Renamed","Budget":1}`},
		{http.MethodDelete, nil},
	} {
		hidden := h.writeResult(w.method, objects+"Project/10", w.body, mel)
		require.Equal(t, http.StatusNotFound, hidden.Status, "%s: %v", w.method, hidden.Body)
		d, _ := wireDecision(hidden.Decision)
		assert.Equal(t, "row", d["step"], w.method)
		assert.NotContains(t, d["fix"], "set apiDataAccess: bypass", "bypass is no fix for a write")
		missing := h.writeResult(w.method, objects+"Project/99", w.body, mel)
		assert.Equal(t, norm(missing, "/Project/99"), norm(hidden, "/Project/10"), w.method)
	}

	r = h.do(http.MethodGet, objects+"Project/10?fields=Name,Budget", nil, apiKey("admin-key")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, map[string]any{"id": "/Project/10", "Name": "Executive secret", "Budget": float64(1000000)}, r.object(t))

	// Rows shared with Mel stay writable under bypass.
	r = h.do(http.MethodPost, objects+"Project/5", `{"Budget":11}`, mel...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = h.do(http.MethodDelete, objects+"Project/5", nil, mel...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

func wireDecision(v string) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal([]byte(v), &m)
	return m, err
}

func (h *harness) setDataAccess(a tenant.APIDataAccess) {
	h.t.Helper()
	_, err := h.srv.DefaultTenant().UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = a })
	require.NoError(h.t, err)
}
