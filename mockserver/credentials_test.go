package mockserver_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client/credentialsapi"
)

var genesysDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

func TestCredentialsListing(t *testing.T) {
	h := newHarness(t)
	tok := bearer(h.token(genesysToken, "demo-readonly", "demo-readonly-secret", ""))
	r := h.do(http.MethodGet, credentials+"?pageSize=3&pageNumber=1", nil, tok...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var l credentialsapi.CredentialInfoListing
	r.json(t, &l)
	require.Len(t, l.Entities, 3)
	assert.EqualValues(t, 4, *l.Total)
	assert.Equal(t, 2, *l.PageCount)
	assert.Equal(t, credentials+"?pageSize=3&pageNumber=2", *l.NextUri)
	assert.Equal(t, credentials+"?pageSize=3&pageNumber=2", *l.LastUri)
	assert.Equal(t, credentials+"?pageSize=3&pageNumber=1", *l.FirstUri)
	assert.Nil(t, l.PreviousUri)
	assert.Equal(t, "Salesforce sync user", l.Entities[0].Name)

	r = h.do(http.MethodGet, *l.NextUri, nil, tok...)
	l = credentialsapi.CredentialInfoListing{}
	r.json(t, &l)
	require.Len(t, l.Entities, 1)
	assert.Nil(t, l.NextUri)
	assert.Equal(t, credentials+"?pageSize=3&pageNumber=1", *l.PreviousUri)

	var raw map[string]any
	r.json(t, &raw)
	info := raw["entities"].([]any)[0].(map[string]any)
	assert.Regexp(t, genesysDate, info["createdDate"])
	assert.Regexp(t, genesysDate, info["modifiedDate"])
	assert.NotContains(t, info, "credentialFields")
}

func TestCredentialsCursor(t *testing.T) {
	h := newHarness(t)
	tok := bearer(h.token(genesysToken, "demo-readonly", "demo-readonly-secret", ""))
	var seen []string
	path := credentials + "/listing?pageSize=3"
	for pages := 0; path != ""; pages++ {
		require.Less(t, pages, 5)
		r := h.do(http.MethodGet, path, nil, tok...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var l credentialsapi.CredentialInfoCursorListing
		r.json(t, &l)
		for _, e := range l.Entities {
			seen = append(seen, e.Id)
		}
		// Exactly the vendor's envelope: the cursors are only in the URIs.
		var raw map[string]any
		r.json(t, &raw)
		for k := range raw {
			assert.Contains(t, []string{"entities", "nextUri", "selfUri", "previousUri"}, k)
		}
		path = ""
		if l.NextUri != nil {
			u, err := url.Parse(*l.NextUri)
			require.NoError(t, err)
			assert.NotEmpty(t, u.Query().Get("after"), "nextUri carries the after cursor")
			path = *l.NextUri
		}
		if pages > 0 {
			require.NotNil(t, l.PreviousUri)
			assert.Contains(t, *l.PreviousUri, "before=")
		}
	}
	assert.Len(t, seen, 4)
	assert.Equal(t, firstCredential, seen[0])

	r := h.do(http.MethodGet, credentials+"/listing?pageSize=201", nil, tok...)
	assert.Equal(t, http.StatusBadRequest, r.status, "pageSize is capped at 200")
	assert.Equal(t, "bad.request", r.object(t)["code"])
	r = h.do(http.MethodGet, credentials+"/listing?after=bogus", nil, tok...)
	assert.Equal(t, http.StatusBadRequest, r.status)
}

func TestCredentialsCRUDRedactsSecrets(t *testing.T) {
	h := newHarness(t)
	admin := bearer(h.token(genesysToken, "demo-admin", "demo-admin-secret", ""))
	r := h.do(http.MethodGet, credentials+"/"+firstCredential, nil, admin...)
	require.Equal(t, http.StatusOK, r.status)
	var c credentialsapi.Credential
	r.json(t, &c)
	assert.Equal(t, map[string]string{"userName": "sync@northwind.example", "password": "********"}, *c.CredentialFields)

	h.clock.Advance(time.Hour)
	r = h.do(http.MethodPost, credentials, map[string]any{
		"name": "Reporting DB", "type": map[string]any{"name": "basicAuth"},
		"credentialFields": map[string]string{"userName": "report", "password": "hunter2"},
	}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	info := r.object(t)
	id := info["id"].(string)
	assert.Equal(t, "2026-03-02T10:30:00.000Z", info["createdDate"])
	assert.NotContains(t, string(r.body), "hunter2")

	// Update: the redaction placeholder keeps the stored secret.
	h.clock.Advance(time.Minute)
	r = h.do(http.MethodPut, credentials+"/"+id, map[string]any{
		"name": "Reporting DB (ro)", "type": map[string]any{"name": "basicAuth"},
		"credentialFields": map[string]string{"userName": "report-ro", "password": "********"},
	}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "2026-03-02T10:31:00.000Z", r.object(t)["modifiedDate"])
	stored, ok := h.srv.DefaultTenant().Credential(id)
	require.True(t, ok)
	assert.Equal(t, "hunter2", stored.Fields["password"])

	// Missing required fields and unknown types are 400s naming the field.
	r = h.do(http.MethodPost, credentials, map[string]any{"name": "x", "type": map[string]any{"name": "basicAuth"},
		"credentialFields": map[string]string{"userName": "u"}}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.object(t)["message"], "credentialFields.password")
	r = h.do(http.MethodPost, credentials, map[string]any{"name": "x", "type": map[string]any{"name": "nope"}}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status)

	assert.Equal(t, http.StatusNoContent, h.do(http.MethodDelete, credentials+"/"+id, nil, admin...).status)
	r = h.do(http.MethodGet, credentials+"/"+id, nil, admin...)
	require.Equal(t, http.StatusNotFound, r.status)
	m := r.object(t)
	assert.Equal(t, "not.found", m["code"])
	assert.Equal(t, r.header.Get("ININ-Correlation-Id"), m["contextId"])
}

// Only type is required in a Credential, as the vendor declares it: a POST
// without name creates a credential without one, a PUT without name keeps
// the stored name; a name that is sent still needs a character that is not
// white space, and a body without type is still a 400 naming it.
func TestCredentialNameIsOptional(t *testing.T) {
	h := newHarness(t)
	admin := bearer(h.token(genesysToken, "demo-admin", "demo-admin-secret", ""))
	fields := map[string]string{"userName": "u", "password": "hunter2-secret"}
	r := h.do(http.MethodPost, credentials, map[string]any{"type": map[string]any{"name": "basicAuth"}, "credentialFields": fields}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	info := r.object(t)
	assert.Equal(t, "", info["name"])
	id := info["id"].(string)
	r = h.do(http.MethodGet, credentials+"/"+id, nil, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.NotContains(t, r.object(t), "name", "a credential without a name has none")

	r = h.do(http.MethodPut, credentials+"/"+firstCredential, map[string]any{"type": map[string]any{"name": "basicAuth"}, "credentialFields": fields}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "Salesforce sync user", r.object(t)["name"], "a PUT without name keeps the stored one")

	r = h.do(http.MethodPost, credentials, map[string]any{"name": " ", "type": map[string]any{"name": "basicAuth"}, "credentialFields": fields}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.NotContains(t, string(r.body), "hunter2", "no field value is echoed")
	r = h.do(http.MethodPost, credentials, map[string]any{"name": "no type", "credentialFields": fields}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, r.object(t)["message"], "type")
}
