package openapi_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/openapi"
)

// The relationship API's schema operations carry the vendor's documented
// limit from their tag's x-rate-limit; no other operation has one.
func TestVendorRateLimitsAreReadFromTheSpecs(t *testing.T) {
	limited := map[string]bool{}
	for _, api := range openapi.VendorAPIs {
		doc, err := openapi.Load(api)
		require.NoError(t, err)
		ops, err := openapi.Operations(api, doc)
		require.NoError(t, err)
		for _, op := range ops {
			if op.RateLimit == nil {
				continue
			}
			limited[string(api)+"."+op.ID] = true
			if api == openapi.Data {
				// "up to 25 requests per second. The quota is global for the
				// organization, and not per user."
				assert.Equal(t, openapi.RateLimit{Requests: 25, Window: time.Second, Group: "api-calls", PerOrganization: true}, *op.RateLimit, op.ID)
				continue
			}
			assert.Equal(t, openapi.RateLimit{Requests: 5, Window: time.Second, Group: "schema",
				Message: "Requests to the Schema APIs are limited to 5 calls per second."}, *op.RateLimit, op.ID)
		}
	}
	want := map[string]bool{
		"relationship.getEntryTypes": true, "relationship.getEntryType": true, "relationship.getEntryTypeFields": true,
		"relationship.getAllFields": true, "relationship.getSchemaUsers": true, "relationship.getCurrencies": true,
		"relationship.getFilterOperations": true,
	}
	doc, err := openapi.Load(openapi.Data)
	require.NoError(t, err)
	ops, err := openapi.Operations(openapi.Data, doc)
	require.NoError(t, err)
	for _, op := range ops {
		switch op.ID {
		case "login", "logout", "getServerDefinition": // not counted toward the quota
		default:
			want["data."+op.ID] = true
		}
	}
	assert.Equal(t, want, limited)
}
