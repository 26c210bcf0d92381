package mockserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
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

// A token request refused for its scopes repeats only a few of them, each
// cut short: a scope list of any size gets a small answer and header.
func TestRefusedScopesAreEchoedInPart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	scopes := []string{strings.Repeat("y", 100_000)}
	for i := range 20_000 {
		scopes = append(scopes, fmt.Sprint("s", i), "s0")
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-integrator"},
		"client_secret": {"demo-integrator-secret"}, "scope": {strings.Join(scopes, " ")}}
	r := h.do(http.MethodPost, "/oauth/token", form)
	require.Equal(t, http.StatusBadRequest, r.status, "%.300s", r.body)
	assert.Less(t, len(r.body), 2048)
	assert.Less(t, len(r.header.Get(wire.DecisionHeader)), 2048)
	msg, _ := r.object(t)["error_description"].(string)
	assert.Contains(t, msg, strings.Repeat("y", 64)+"…")
	assert.NotContains(t, msg, strings.Repeat("y", 65))
	assert.Contains(t, msg, "and 19993 more") // 20,001 refused, 8 named (repeats of a named one are not counted)
	assert.Equal(t, "scope", r.decision.Step)
	assert.Len(t, r.decision.Missing, 8)
}
