package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Failed keyed writes leave no record behind, and the eviction order stays
// proportional to the records kept, even behind a live record.
func TestIdempotencyRecordsStayBounded(t *testing.T) {
	s, err := New()
	require.NoError(t, err)
	do := func(method, path, key, body string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Host = "127.0.0.1" // httptest names example.com, a host the mock does not answer for
		req.Header.Set("Authorization", "ApiKey demo-key-service")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(IdempotencyKeyHeader, key)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Code
	}
	require.Equal(t, http.StatusOK, do(http.MethodPut, "/V2.0/services/data/objects/Project", "create-1", `{"Name":"kept"}`))
	for i := range 2000 {
		code := do(http.MethodPost, "/V2.0/services/data/objects/Project/999", "missing-"+strconv.Itoa(i), `{"Name":"x"}`)
		require.NotEqual(t, http.StatusOK, code)
	}
	records, order := s.stateFor(s.DefaultTenant()).resilience.IdempotencyRecords()
	assert.Equal(t, 1, records, "only the successful write is remembered")
	assert.LessOrEqual(t, order, 2*records+64)
}
