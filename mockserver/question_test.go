package mockserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver"
)

// Server.Decide answers for the credential asked about, and says what is
// wrong with a question it cannot answer instead of guessing.
func TestServerDecideQuestions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tn := h.srv.DefaultTenant()
	a, err := h.srv.Decide(tn, mockserver.Question{Operation: "entityQuery", APIKey: "demo-key-service", EntityType: "Project"})
	require.NoError(t, err)
	assert.True(t, a.Allowed)
	assert.Equal(t, "allow", a.Outcome)
	// Narrower scopes than the client's are judged as asked.
	a, err = h.srv.Decide(tn, mockserver.Question{Operation: "listCredentialTypes", Client: "demo-integrator", Scopes: []string{}})
	require.NoError(t, err)
	assert.False(t, a.Allowed)
	assert.Equal(t, "scope", a.Step)
	assert.NotEmpty(t, a.Missing)
	for name, q := range map[string]mockserver.Question{
		"unknown operation": {Operation: "nope", APIKey: "demo-key-service"},
		"unknown key":       {Operation: "entityQuery", APIKey: "nope"},
		"unknown client":    {Operation: "getRows", Client: "nope"},
		"no credential":     {Operation: "entityQuery"},
	} {
		_, err := h.srv.Decide(tn, q)
		assert.Error(t, err, name)
	}
	_, err = h.srv.Decide(nil, mockserver.Question{Operation: "entityQuery", APIKey: "demo-key-service"})
	assert.Error(t, err)
}
