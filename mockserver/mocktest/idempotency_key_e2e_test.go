package mocktest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/openapi"
)

// The SDK and the mock bound an Idempotency-Key alike, both from the specs'
// x-max-idempotency-key: a key of exactly that length goes through; a
// longer one, or one with a control character, the SDK refuses before
// sending, and the mock refuses with a 400 when it is sent anyway.
func TestIdempotencyKeyBoundComesFromTheSpecs(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load(openapi.Data)
	require.NoError(t, err)
	limit, err := openapi.MaxIdempotencyKey(doc)
	require.NoError(t, err)
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.APIKey("demo-key-service"))
	values := dataapi.EntityValues{"Name": "idempotency bound"}
	ctx := t.Context()

	_, err = c.Data.CreateObject(ctx, "Project", values, client.IdempotencyKey(strings.Repeat("k", limit)))
	require.NoError(t, err)
	for _, key := range []string{strings.Repeat("k", limit+1), "tab\there"} {
		_, err = c.Data.CreateObject(ctx, "Project", values, client.IdempotencyKey(key))
		assert.Error(t, err, "the SDK sent key %q", key)

		sent := func(_ context.Context, r *http.Request) error {
			r.Header.Set(client.IdempotencyKeyHeader, key)
			return nil
		}
		_, err = c.Data.CreateObject(ctx, "Project", values, client.EditRequest(sent))
		var ae *client.APIError
		if assert.ErrorAs(t, err, &ae, "the mock took key %q", key) {
			assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
			assert.Contains(t, ae.Message, "Idempotency-Key")
		}
	}
}
