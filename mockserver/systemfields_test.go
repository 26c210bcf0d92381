package mockserver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The data API's system fields: set by the server from its clock on create
// and update, refused in writes, described as DateTime system fields that
// cannot be updated, read when named, and usable in where and orders.
func TestSystemFieldsThroughTheDataAPI(t *testing.T) {
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	r := h.do(http.MethodPut, "/V2.0/services/data/objects/Project", map[string]any{"Name": "Stamped"}, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	id, _ := r.object(t)["id"].(string)
	r = h.do(http.MethodGet, "/V2.0/services/data/objects"+id+"?fields=CreatedOn,LastUpdatedOn", nil, svc...)
	assert.Equal(t, map[string]any{"id": id, "CreatedOn": "2026-03-02T09:30:00Z", "LastUpdatedOn": "2026-03-02T09:30:00Z"}, r.object(t))

	h.clock.Advance(time.Hour)
	r = h.do(http.MethodPost, "/V2.0/services/data/objects"+id, map[string]any{"State": "Active"}, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = h.do(http.MethodGet, "/V2.0/services/data/objects"+id+"?fields=CreatedOn,LastUpdatedOn", nil, svc...)
	assert.Equal(t, map[string]any{"id": id, "CreatedOn": "2026-03-02T09:30:00Z", "LastUpdatedOn": "2026-03-02T10:30:00Z"}, r.object(t))

	// Writing one is a 400 naming it.
	r = h.do(http.MethodPost, "/V2.0/services/data/objects"+id, map[string]any{"LastUpdatedOn": "2020-01-01"}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.object(t)["message"], "LastUpdatedOn is a system field")
	r = h.do(http.MethodPut, "/V2.0/services/data/objects/Project", map[string]any{"Name": "x", "CreatedOn": "2020-01-01"}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status)

	// Not in the default fields; in where and orders.
	p := h.query(t, map[string]any{"typeName": "Project"}, svc...)
	require.NotEmpty(t, p.Entities)
	assert.NotContains(t, p.Entities[0], "LastUpdatedOn")
	p = h.query(t, map[string]any{"typeName": "Project", "fields": []string{"lastUpdatedOn"},
		"where":  map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "LastUpdatedOn"}, "operator": "GreaterThan", "rightExpression": map[string]any{"value": "2026-03-02T10:00:00Z"}},
		"orders": []map[string]any{{"fieldName": "LastUpdatedOn", "order": "Descending"}}}, svc...)
	assert.Equal(t, []string{id}, ids(p))
	assert.Equal(t, "2026-03-02T10:30:00Z", p.Entities[0]["LastUpdatedOn"])

	// Described as the vendor describes them.
	r = h.do(http.MethodGet, "/V2.0/services/metadata/describeEntities?typeNames=Project", nil, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var d struct {
		EntityDescriptions []struct {
			Fields []map[string]any `json:"fields"`
		} `json:"entityDescriptions"`
	}
	r.json(t, &d)
	found := 0
	for _, f := range d.EntityDescriptions[0].Fields {
		if f["name"] == "CreatedOn" || f["name"] == "LastUpdatedOn" {
			found++
			assert.Equal(t, "DateTime", f["type"])
			assert.Equal(t, true, f["system"])
			assert.Equal(t, false, f["updateable"])
		}
	}
	assert.Equal(t, 2, found)
}
