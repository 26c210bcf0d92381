package mocktest_test

// The credentials API's wire format as the vendor's current SDKs read it
// (platform-client-sdk-go, -python, -javascript), over a real HTTP server.

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// getCredentials sends an authorized GET to a credentials API path and
// returns the 200 body.
func getCredentials(t *testing.T, srv *mocktest.Server, path string) []byte {
	t.Helper()
	return callCredentials(t, srv, http.MethodGet, path, "")
}

// callCredentials sends an authorized request with a JSON body (none when
// empty) to a credentials API path and returns the 200 body.
func callCredentials(t *testing.T, srv *mocktest.Server, method, path, body string) []byte {
	t.Helper()
	tok := issueToken(t, srv, auth.CredentialsTokenURL(srv.URL))
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return b
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

// vendorTime parses a date as the vendor's Go SDK does
// (platformclientv2/credentialinfo.go UnmarshalJSON): this layout, the
// error dropped, so anything but a literal Z gives the zero time.
func vendorTime(s string) time.Time {
	t, _ := time.Parse("2006-01-02T15:04:05.999999Z", s)
	return t
}

// Every createdDate and modifiedDate the mock writes (create, update, both
// listings) is UTC with milliseconds and a literal Z, which the vendor's Go
// SDK parses to the credential's own time; with an offset it would read the
// zero time, and the test would fail.
func TestCredentialDatesParseAsTheVendorGoSDKDoes(t *testing.T) {
	t.Parallel()
	// A clock outside UTC: the mock must still write UTC.
	clock := mocktest.NewClock(time.Date(2026, 3, 2, 10, 30, 0, 123456789, time.FixedZone("CET", 3600)))
	srv := mocktest.Start(t, mocktest.WithClock(clock))
	require.True(t, vendorTime("2026-03-02T09:30:00.000+00:00").IsZero(), "the vendor SDK reads an offset as the zero time")

	created := callCredentials(t, srv, http.MethodPost, "/api/v2/integrations/credentials",
		`{"name":"Dates","type":{"name":"basicAuth"},"credentialFields":{"userName":"u","password":"p"}}`)
	var info struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(created, &info))
	clock.Advance(90 * time.Second)
	updated := callCredentials(t, srv, http.MethodPut, "/api/v2/integrations/credentials/"+info.ID,
		`{"name":"Dates 2","type":{"name":"basicAuth"},"credentialFields":{"userName":"u","password":"p"}}`)
	bodies := map[string][]byte{
		"create": created, "update": updated,
		"listing": getCredentials(t, srv, "/api/v2/integrations/credentials?pageSize=100"),
		"cursor":  getCredentials(t, srv, "/api/v2/integrations/credentials/listing?pageSize=100"),
	}
	checked := 0
	for name, body := range bodies {
		var page struct {
			Entities []map[string]any `json:"entities"`
		}
		require.NoError(t, json.Unmarshal(body, &page), name)
		infos := page.Entities
		if infos == nil {
			var one map[string]any
			require.NoError(t, json.Unmarshal(body, &one), name)
			infos = []map[string]any{one}
		}
		require.NotEmpty(t, infos, name)
		for _, ci := range infos {
			stored, ok := srv.Tenant().Credential(ci["id"].(string))
			require.True(t, ok, name)
			if name == "create" { // written before the update
				stored.Modified = stored.Created
			}
			for field, want := range map[string]time.Time{"createdDate": stored.Created, "modifiedDate": stored.Modified} {
				s, _ := ci[field].(string)
				assert.Regexp(t, `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`, s, "%s %s", name, field)
				got := vendorTime(s)
				assert.False(t, got.IsZero(), "%s %s %q: the vendor's Go SDK reads the zero time", name, field, s)
				assert.True(t, want.Truncate(time.Millisecond).Equal(got), "%s %s: %s, want %s", name, field, got, want)
				checked++
			}
		}
	}
	assert.GreaterOrEqual(t, checked, 2*(2+5+5))
}
