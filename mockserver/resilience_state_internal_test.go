package mockserver

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// serveAs sends one data-API request with an API key and returns its status.
func serveAs(s *Server, key string) int {
	req := httptest.NewRequest(http.MethodGet, "/V2.0/services/authentication/getSessionInfo", nil)
	req.Host = "127.0.0.1"
	req.Header.Set("Authorization", "ApiKey "+key)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w.Code
}

// The resilience state lives with its tenant: a reset replaces it, and a
// deleted tenant's state is freed with the tenant (the server keeps nothing
// for it).
func TestResilienceStateLivesWithItsTenant(t *testing.T) {
	s, err := New()
	require.NoError(t, err)
	tn, err := s.CreateTenant(tenant.WithRateLimit(tenant.Demo(), tenant.RateLimit{Requests: 1}))
	require.NoError(t, err)
	key := "demo-key-service" + tn.CredentialSuffix()

	st := s.stateFor(tn)
	require.Same(t, st, s.stateFor(tn), "one state per generation of the tenant")
	require.Equal(t, http.StatusOK, serveAs(s, key))
	require.Equal(t, http.StatusTooManyRequests, serveAs(s, key))

	require.NoError(t, s.ResetTenant(tn.ID()))
	assert.NotSame(t, st, s.stateFor(tn), "a reset builds a new state")
	require.Equal(t, http.StatusOK, serveAs(s, key), "the budget starts afresh")
	require.Equal(t, http.StatusTooManyRequests, serveAs(s, key))

	gone := weak.Make(s.stateFor(tn))
	id := tn.ID()
	st, tn = nil, nil // drop the test's references
	_, _ = st, tn
	require.NoError(t, s.DeleteTenant(id))
	for range 5 {
		runtime.GC()
		if gone.Value() == nil {
			break
		}
	}
	assert.Nil(t, gone.Value(), "the deleted tenant's state was freed")
}
