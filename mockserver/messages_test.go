package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every message a user can see reads as one sentence naming the input: no
// repeated phrases, no empty field names, no Go type names.
func TestValidationMessagesNameTheInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key := apiKey("demo-key-service")
	cases := []struct {
		method, path string
		body         any
		want         string
	}{
		{http.MethodGet, entityQuery + "?typeName=Project&from=", nil, "from: the query parameter may not be empty"},
		{http.MethodGet, entityQuery + "?typeName=Project&limit=x", nil, `limit: "x" is not a whole number`},
		{http.MethodGet, "/_mock/tenants/default/visibility?user=2001", nil, "entityType: the query parameter is required"},
		{http.MethodPost, entityQuery, "", "body: the request body is empty; this operation needs one"},
		{http.MethodPost, entityQuery, map[string]any{}, "typeName: the field is required"},
		{http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "where": map[string]any{"_type": "Bogus"}},
			`where._type: "Bogus" is not one of and, cZQLCondition, compare, not, or`},
	}
	for _, c := range cases {
		r := h.do(c.method, c.path, c.body, key...)
		assert.Equal(t, http.StatusBadRequest, r.status, "%s %s", c.method, c.path)
		m := r.object(t)
		msg, _ := m["message"].(string)
		assert.Equal(t, c.want, msg, "%s %s", c.method, c.path)
	}
}
