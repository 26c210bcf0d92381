package mocktest_test

// The credentials API's wire format as the vendor's current SDKs read it
// (platform-client-sdk-go, -python, -javascript), over a real HTTP server.

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// vendorCredentialType is the vendor Go SDK's Credentialtype, field for
// field (platformclientv2/credentialtype.go): properties is free-form.
type vendorCredentialType struct {
	Id           *string      `json:"id,omitempty"`
	Name         *string      `json:"name,omitempty"`
	Properties   *interface{} `json:"properties,omitempty"`
	DisplayOrder *[]string    `json:"displayOrder,omitempty"`
	Required     *[]string    `json:"required,omitempty"`
}

// getCredentials sends an authorized GET to a credentials API path and
// returns the 200 body.
func getCredentials(t *testing.T, srv *mocktest.Server, path string) []byte {
	t.Helper()
	tok := issueToken(t, srv, auth.CredentialsTokenURL(srv.URL))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	return body
}

// GET /credentials/types answers a bare JSON array, which the vendor's Go
// SDK (GetIntegrationsCredentialsTypes: json.Unmarshal into
// []Credentialtype) decodes; an object, as the mock answered before, is the
// error that SDK returns.
func TestCredentialTypesDecodeAsTheVendorSDKsDo(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	body := getCredentials(t, srv, "/api/v2/integrations/credentials/types")

	var types []vendorCredentialType
	require.NoError(t, json.Unmarshal(body, &types), "the vendor SDK decodes a list: %s", body)
	require.Len(t, types, 3)
	for _, ct := range types {
		require.NotNil(t, ct.Name)
		assert.NotEmpty(t, *ct.Name)
		require.NotNil(t, ct.Properties)
		assert.IsType(t, map[string]any{}, *ct.Properties)
		assert.NotNil(t, ct.DisplayOrder)
		assert.NotNil(t, ct.Required)
	}

	// The decoding is as strict as the SDK's: the old envelope fails.
	var old []vendorCredentialType
	err := json.Unmarshal([]byte(`{"entities":`+string(body)+`}`), &old)
	var ute *json.UnmarshalTypeError
	require.ErrorAs(t, err, &ute, "an object is not a list")
	assert.Equal(t, "object", ute.Value)

	// The SDK returns the same list.
	sdk, err := srv.Client(mocktest.IntegratorOAuth).Credentials.Types(t.Context())
	require.NoError(t, err)
	require.Len(t, sdk, len(types))
	for i := range sdk {
		assert.Equal(t, *types[i].Name, *sdk[i].Name)
	}
}

// The cursor listing's body is exactly the vendor's four fields, and the
// SDK's ListingAll pages through the mock by the after cursor in nextUri:
// every credential once, in order, one request per page.
func TestListingAllFollowsNextURIOnTheMock(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	body := getCredentials(t, srv, "/api/v2/integrations/credentials/listing?pageSize=1")
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &raw))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"entities", "nextUri", "selfUri"}, keys, "the first page has no previousUri, and no cursor fields")

	var want []string
	for _, c := range srv.Tenant().Credentials() {
		want = append(want, c.ID)
	}
	require.Len(t, want, 4)
	before := len(srv.Audit(tenant.AuditFilter{Operation: "listCredentialsCursor"}))
	var got []string
	for c, err := range srv.Client(mocktest.ReadonlyOAuth).Credentials.ListingAll(t.Context(), &credentialsapi.ListCredentialsCursorParams{PageSize: ptr(1)}) {
		require.NoError(t, err)
		got = append(got, c.Id)
	}
	assert.Equal(t, want, got)
	assert.Len(t, srv.Audit(tenant.AuditFilter{Operation: "listCredentialsCursor"}), before+len(want),
		"one request per page; the last page has no nextUri")
}
