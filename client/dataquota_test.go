package client_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
)

// The data API's vendor documents the wording of its call-quota refusal
// ("API calls quota exceeded") and the errorCode SessionTimeout, not the
// HTTP statuses; its errors often come as 500. The SDK types them by body
// whatever the status.
func TestDataQuotaAndSessionTimeoutTypedByBody(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusForbidden} {
		s := newServer(t, sequence(respond(status, "application/json",
			`{"errorCode":"RequestLimitExceeded","message":"API calls quota exceeded","referenceId":"r1"}`, "Retry-After", "2")))
		_, err := newClient(t, s, client.WithMaxRetries(0)).Data.GetSessionInfo(t.Context())
		var rl *client.RateLimitError
		require.ErrorAs(t, err, &rl, "status %d: %v", status, err)
		assert.Equal(t, status, rl.StatusCode)
		assert.Equal(t, "API calls quota exceeded", rl.Message)
		if status == http.StatusTooManyRequests {
			assert.Equal(t, "2s", rl.RetryAfter.String())
		}
	}

	s := newServer(t, sequence(respond(http.StatusInternalServerError, "application/json",
		`{"errorCode":"SessionTimeout","message":"Session expired","referenceId":"r2"}`)))
	_, err := newClient(t, s, client.WithMaxRetries(0)).Data.GetSessionInfo(t.Context())
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue, "%v", err)
	assert.Equal(t, client.ReasonExpired, ue.Reason)

	// Other APIs' bodies are not read that way.
	s = newServer(t, sequence(respond(http.StatusInternalServerError, "application/json",
		`{"message":"API calls quota exceeded","code":"internal.server.error","status":500}`)))
	_, err = newClient(t, s, client.WithMaxRetries(0)).Credentials.Types(t.Context())
	require.Error(t, err)
	assert.False(t, errors.As(err, new(*client.RateLimitError)), "%v", err)
}
