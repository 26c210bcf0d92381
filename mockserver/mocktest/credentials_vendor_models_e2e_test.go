package mocktest_test

// Every response of the credentials API, success and refusal, decoded into
// the vendor Go SDK's own models, field for field, over a real HTTP server.
//
// The models below mirror platform-client-sdk-go 188.0.0 (commit
// 62dc270ead9ff72133c41f67dcb4ec96db238c3d), package platformclientv2: the
// same JSON names and Go types, pointers where the vendor has them. The
// return type of each API method is the one in integrationsapi.go:
//
//	getToken              Configuration.AuthorizeClientCredentials (configuration.go): AuthResponse, AuthErrorResponse
//	listCredentials       GetIntegrationsCredentials        *Credentialinfolisting
//	createCredential      PostIntegrationsCredentials       *Credentialinfo
//	listCredentialsCursor GetIntegrationsCredentialsListing *Credentialinfocursorlisting
//	listCredentialTypes   GetIntegrationsCredentialsTypes   []Credentialtype
//	getCredential         GetIntegrationsCredential         *Credential
//	updateCredential      PutIntegrationsCredential         *Credentialinfo
//	deleteCredential      DeleteIntegrationsCredential      no body (*APIResponse only)
//
// A refused request's body is the swagger model Errorbody (errorbody.go);
// the SDK itself reads it as APIError (apiresponse.go NewAPIResponse).
//
// The vendor's own UnmarshalJSON methods ignore unknown members and drop a
// member of the wrong JSON type silently (type assertions), so this test
// decodes more strictly than the SDK: an unknown member, or one of another
// JSON type than the vendor's field, fails.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// vendorAuthResponse is the vendor's AuthResponse (configuration.go), what
// AuthorizeClientCredentials decodes a 200 from /oauth/token into.
type vendorAuthResponse struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	ExpiresIn    int    `json:"expires_in,omitempty"`
}

// vendorAuthErrorResponse is the vendor's AuthErrorResponse
// (configuration.go), what AuthorizeClientCredentials decodes any other
// answer from /oauth/token into.
type vendorAuthErrorResponse struct {
	Error            string `json:"error,omitempty"`
	Description      string `json:"description,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// vendorCredentialType is the vendor's Credentialtype (credentialtype.go):
// properties is free-form.
type vendorCredentialType struct {
	Id           *string      `json:"id,omitempty"`
	Name         *string      `json:"name,omitempty"`
	Properties   *interface{} `json:"properties,omitempty"`
	DisplayOrder *[]string    `json:"displayOrder,omitempty"`
	Required     *[]string    `json:"required,omitempty"`
}

// vendorCredential is the vendor's Credential (credential.go).
type vendorCredential struct {
	Id               *string               `json:"id,omitempty"`
	Name             *string               `json:"name,omitempty"`
	VarType          *vendorCredentialType `json:"type,omitempty"`
	CredentialFields *map[string]string    `json:"credentialFields,omitempty"`
	SelfUri          *string               `json:"selfUri,omitempty"`
}

// vendorCredentialInfo is the vendor's Credentialinfo (credentialinfo.go).
// CreatedDate and ModifiedDate are *time.Time there, read by its
// UnmarshalJSON from a JSON string with the layout vendorTime uses; here
// they are the strings, checked with vendorTime.
type vendorCredentialInfo struct {
	Id           *string               `json:"id,omitempty"`
	Name         *string               `json:"name,omitempty"`
	CreatedDate  *string               `json:"createdDate,omitempty"`
	ModifiedDate *string               `json:"modifiedDate,omitempty"`
	VarType      *vendorCredentialType `json:"type,omitempty"`
	SelfUri      *string               `json:"selfUri,omitempty"`
}

// vendorCredentialInfoListing is the vendor's Credentialinfolisting
// (credentialinfolisting.go).
type vendorCredentialInfoListing struct {
	Entities    *[]vendorCredentialInfo `json:"entities,omitempty"`
	PageSize    *int                    `json:"pageSize,omitempty"`
	PageNumber  *int                    `json:"pageNumber,omitempty"`
	Total       *int                    `json:"total,omitempty"`
	FirstUri    *string                 `json:"firstUri,omitempty"`
	NextUri     *string                 `json:"nextUri,omitempty"`
	PreviousUri *string                 `json:"previousUri,omitempty"`
	LastUri     *string                 `json:"lastUri,omitempty"`
	SelfUri     *string                 `json:"selfUri,omitempty"`
	PageCount   *int                    `json:"pageCount,omitempty"`
}

// vendorCredentialInfoCursorListing is the vendor's
// Credentialinfocursorlisting (credentialinfocursorlisting.go).
type vendorCredentialInfoCursorListing struct {
	Entities    *[]vendorCredentialInfo `json:"entities,omitempty"`
	NextUri     *string                 `json:"nextUri,omitempty"`
	SelfUri     *string                 `json:"selfUri,omitempty"`
	PreviousUri *string                 `json:"previousUri,omitempty"`
}

// vendorErrorBody is the vendor's Errorbody (errorbody.go).
type vendorErrorBody struct {
	Message           *string            `json:"message,omitempty"`
	Code              *string            `json:"code,omitempty"`
	Status            *int               `json:"status,omitempty"`
	EntityId          *string            `json:"entityId,omitempty"`
	EntityName        *string            `json:"entityName,omitempty"`
	MessageWithParams *string            `json:"messageWithParams,omitempty"`
	MessageParams     *map[string]string `json:"messageParams,omitempty"`
	ContextId         *string            `json:"contextId,omitempty"`
	Details           *[]vendorDetail    `json:"details,omitempty"`
	Errors            *[]vendorErrorBody `json:"errors,omitempty"`
	Limit             *vendorLimit       `json:"limit,omitempty"`
}

// vendorDetail is the vendor's Detail (detail.go), an Errorbody's details.
type vendorDetail struct {
	ErrorCode  *string `json:"errorCode,omitempty"`
	FieldName  *string `json:"fieldName,omitempty"`
	EntityId   *string `json:"entityId,omitempty"`
	EntityName *string `json:"entityName,omitempty"`
}

// vendorLimit is the vendor's Limit (limit.go), an Errorbody's limit.
type vendorLimit struct {
	Key       *string `json:"key,omitempty"`
	Namespace *string `json:"namespace,omitempty"`
	Value     *int    `json:"value,omitempty"`
}

// vendorAPIError is the vendor's APIError (apiresponse.go): what the SDK
// decodes every non-2xx body into (json.Unmarshal, not strict), for the
// message and context id of the error it returns.
type vendorAPIError struct {
	Status            int            `json:"status,omitempty"`
	Message           string         `json:"message,omitempty"`
	MessageWithParams string         `json:"messageWithParams,omitempty"`
	MessageParams     map[string]any `json:"messageParams,omitempty"`
	Code              string         `json:"code,omitempty"`
	ContextID         string         `json:"contextId,omitempty"`
	Details           []vendorDetail `json:"details,omitempty"`
}

// decodeVendor decodes body into v, refusing a member v lacks, a member of
// another JSON type and anything after the value.
func decodeVendor(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// vendorCase is one request to the credentials API and the status it must
// be answered with.
type vendorCase struct {
	name   string
	op     string // operationId
	status int
	method string
	path   string
	form   url.Values // a form body (token endpoint), sent with client Basic
	basic  [2]string  // client id and secret for HTTP Basic (token endpoint)
	body   string     // a JSON body
	token  string     // a bearer token; none when empty
	header http.Header
	host   string           // the Host to send, when not the server's
	fault  tenant.FaultKind // injected into op, once
}

// TestEveryCredentialsResponseDecodesIntoTheVendorGoModels sends, for every
// operation of openapi/credentials.yaml, a request for each status the spec
// declares, and decodes the answer strictly into the vendor Go SDK's model
// for it; the test fails if a declared status is not exercised.
func TestEveryCredentialsResponseDecodesIntoTheVendorGoModels(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	tokenURL := auth.CredentialsTokenURL(srv.URL)
	tokenPath := strings.TrimPrefix(tokenURL, srv.URL)
	bearerOf := func(id, secret string, scopes ...string) string {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}}
		if len(scopes) > 0 {
			form.Set("scope", strings.Join(scopes, " "))
		}
		status, _, body := sendVendorCase(t, srv, vendorCase{method: http.MethodPost, path: tokenPath, form: form, basic: [2]string{id, secret}})
		require.Equal(t, http.StatusOK, status, "%s", body)
		var tok vendorAuthResponse
		require.NoError(t, json.Unmarshal(body, &tok))
		return tok.AccessToken
	}
	integrator := bearerOf("demo-integrator", "demo-integrator-secret")
	readonly := bearerOf("demo-readonly", "demo-readonly-secret")
	admin := bearerOf("demo-admin", "demo-admin-secret")
	dataOnly := bearerOf("demo-reporting", "demo-reporting-secret") // no integrations scope

	creds := srv.Tenant().Credentials()
	require.GreaterOrEqual(t, len(creds), 3)
	const base = "/api/v2/integrations/credentials"
	one := func(id string) string { return base + "/" + id }
	const credBody = `{"name":"Vendor models","type":{"name":"basicAuth"},"credentialFields":{"userName":"u","password":"p"}}`
	clientForm := url.Values{"grant_type": {"client_credentials"}}
	integratorBasic := [2]string{"demo-integrator", "demo-integrator-secret"}

	// A good request per operation; the refusals every operation can get
	// are derived from it below.
	good := []vendorCase{
		{op: "getToken", status: 200, method: http.MethodPost, path: tokenPath, form: clientForm, basic: integratorBasic},
		{op: "listCredentials", status: 200, method: http.MethodGet, path: base + "?pageSize=2&pageNumber=2", token: readonly},
		{op: "createCredential", status: 200, method: http.MethodPost, path: base, body: credBody, token: integrator},
		{op: "listCredentialsCursor", status: 200, method: http.MethodGet, path: base + "/listing?pageSize=2", token: readonly},
		{op: "listCredentialTypes", status: 200, method: http.MethodGet, path: base + "/types", token: readonly},
		{op: "getCredential", status: 200, method: http.MethodGet, path: one(creds[0].ID), token: readonly},
		{op: "updateCredential", status: 200, method: http.MethodPut, path: one(creds[1].ID), body: credBody, token: integrator},
		{op: "deleteCredential", status: 204, method: http.MethodDelete, path: one(creds[2].ID), token: admin},
	}
	var cases []vendorCase
	add := func(c vendorCase, name string, change func(*vendorCase)) {
		c.name = name
		if change != nil {
			change(&c)
		}
		cases = append(cases, c)
	}
	longKey := http.Header{"Idempotency-Key": {strings.Repeat("k", 256)}}
	for _, g := range good {
		add(g, "ok", nil)
		if g.op == "getToken" {
			add(g, "unsupported grant", func(c *vendorCase) {
				c.status, c.form = 400, url.Values{"grant_type": {"password"}}
			})
			add(g, "wrong secret", func(c *vendorCase) { c.status, c.basic = 401, [2]string{"demo-integrator", "wrong"} })
		} else {
			add(g, "no token", func(c *vendorCase) { c.status, c.token = 401, "" })
			add(g, "unknown token", func(c *vendorCase) { c.status, c.token = 401, "not-a-token" })
			if g.method == http.MethodGet {
				add(g, "missing scope", func(c *vendorCase) { c.status, c.token = 403, dataOnly })
			} else {
				add(g, "missing scope", func(c *vendorCase) { c.status, c.token = 403, readonly })
			}
		}
		add(g, "misdirected", func(c *vendorCase) { c.status, c.host = 421, "rebind.example" })
		add(g, "too large", func(c *vendorCase) {
			c.status = 413
			if c.form != nil {
				c.form = url.Values{"grant_type": {"client_credentials"}, "pad": {strings.Repeat("x", 1<<20)}}
			} else {
				c.body = `{"name":"` + strings.Repeat("x", 1<<20) + `","type":{"name":"basicAuth"}}`
			}
		})
		for _, f := range []struct {
			status int
			kind   tenant.FaultKind
		}{{429, tenant.Fault429}, {500, tenant.Fault500}, {503, tenant.Fault503}} {
			add(g, "fault "+string(f.kind), func(c *vendorCase) { c.status, c.fault = f.status, f.kind })
		}
	}
	cases = append(cases,
		vendorCase{name: "page size 0", op: "listCredentials", status: 400, method: http.MethodGet, path: base + "?pageSize=0", token: readonly},
		vendorCase{name: "no type", op: "createCredential", status: 400, method: http.MethodPost, path: base, body: `{"name":"x"}`, token: integrator},
		vendorCase{name: "page size 0", op: "listCredentialsCursor", status: 400, method: http.MethodGet, path: base + "/listing?pageSize=0", token: readonly},
		vendorCase{name: "no type", op: "updateCredential", status: 400, method: http.MethodPut, path: one(creds[1].ID), body: `{"name":"x"}`, token: integrator},
		vendorCase{name: "idempotency key too long", op: "deleteCredential", status: 400, method: http.MethodDelete, path: one(creds[0].ID), token: admin, header: longKey},
		vendorCase{name: "missing permission", op: "deleteCredential", status: 403, method: http.MethodDelete, path: one(creds[0].ID), token: integrator},
		vendorCase{name: "unknown", op: "getCredential", status: 404, method: http.MethodGet, path: one("no-such-credential"), token: readonly},
		vendorCase{name: "unknown", op: "updateCredential", status: 404, method: http.MethodPut, path: one("no-such-credential"), body: credBody, token: integrator},
		vendorCase{name: "unknown", op: "deleteCredential", status: 404, method: http.MethodDelete, path: one("no-such-credential"), token: admin},
	)

	// Every status the spec declares for an operation is exercised, and
	// nothing else: a status added to the spec needs a case here.
	doc, err := openapi.Load(openapi.Credentials)
	require.NoError(t, err)
	ops, err := openapi.Operations(openapi.Credentials, doc)
	require.NoError(t, err)
	var declared, exercised []string
	schemaOf := map[string]string{} // "op status" -> the schema the spec declares
	for _, o := range ops {
		op := doc.Paths.Find(o.Path).GetOperation(o.Method)
		for code, r := range op.Responses.Map() {
			key := o.ID + " " + code
			declared = append(declared, key)
			if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				schemaOf[key] = strings.TrimPrefix(mt.Schema.Ref, "#/components/schemas/")
			}
		}
	}
	for _, c := range cases {
		if k := fmt.Sprintf("%s %d", c.op, c.status); !slices.Contains(exercised, k) {
			exercised = append(exercised, k)
		}
	}
	sort.Strings(declared)
	sort.Strings(exercised)
	require.Equal(t, declared, exercised, "every declared status of every operation, and only those")

	for _, c := range cases {
		name := fmt.Sprintf("%s %d %s", c.op, c.status, c.name)
		if c.fault != "" {
			srv.SetFaults(tenant.Faults{Seed: 1, Rules: []tenant.FaultRule{
				{Operations: []string{"credentials." + c.op}, Kind: c.fault, Probability: 1, Times: 1},
			}})
		}
		status, header, body := sendVendorCase(t, srv, c)
		if c.fault != "" {
			srv.SetFaults(tenant.Faults{})
		}
		require.Equal(t, c.status, status, "%s: %s", name, body)
		schema := schemaOf[fmt.Sprintf("%s %d", c.op, c.status)]
		switch {
		case status < 300:
			checkVendorSuccess(t, name, c.op, body)
		case schema == "OAuthError":
			var e vendorAuthErrorResponse
			require.NoError(t, decodeVendor(body, &e), "%s: AuthErrorResponse: %s", name, body)
			assert.NotEmpty(t, e.Error, "%s: the SDK's error names error", name)
			assert.NotEmpty(t, e.ErrorDescription, "%s: and error_description", name)
		default:
			require.Equal(t, "ErrorBody", schema, name)
			checkVendorError(t, name, status, header, body)
		}
	}
}

// sendVendorCase sends c over the validating HTTP client and returns the
// answer.
func sendVendorCase(t *testing.T, srv *mocktest.Server, c vendorCase) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	switch {
	case c.form != nil:
		rd = strings.NewReader(c.form.Encode())
	case c.body != "":
		rd = strings.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), c.method, srv.URL+c.path, rd)
	require.NoError(t, err)
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case c.form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case c.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if c.basic[0] != "" {
		req.SetBasicAuth(c.basic[0], c.basic[1])
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.host != "" {
		req.Host = c.host
	}
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

// checkVendorSuccess decodes a 2xx body into the vendor model op's SDK
// method returns, and checks what the SDK needs of it.
func checkVendorSuccess(t *testing.T, name, op string, body []byte) {
	t.Helper()
	checkInfo := func(ci vendorCredentialInfo) {
		t.Helper()
		require.NotNil(t, ci.Id, "%s: id", name)
		assert.NotEmpty(t, *ci.Id, "%s: id", name)
		assert.NotNil(t, ci.Name, "%s: name", name)
		for field, d := range map[string]*string{"createdDate": ci.CreatedDate, "modifiedDate": ci.ModifiedDate} {
			if assert.NotNil(t, d, "%s: %s", name, field) {
				assert.False(t, vendorTime(*d).IsZero(), "%s: %s %q reads as the zero time in the vendor's Go SDK", name, field, *d)
			}
		}
		if assert.NotNil(t, ci.VarType, "%s: type", name) {
			assert.NotNil(t, ci.VarType.Name, "%s: type.name", name)
		}
		assert.NotNil(t, ci.SelfUri, "%s: selfUri", name)
	}
	switch op {
	case "getToken":
		// The vendor's AuthResponse has no scope. The mock writes it, as
		// RFC 6749 §5.1 allows (openapi/credentials.yaml TokenResponse
		// scope), and the vendor's SDK ignores it: that one member is
		// allowed here.
		var tok struct {
			vendorAuthResponse
			Scope *string `json:"scope"`
		}
		require.NoError(t, decodeVendor(body, &tok), "%s: AuthResponse: %s", name, body)
		assert.NotEmpty(t, tok.AccessToken, "%s: the SDK fails on an empty access_token", name)
		assert.Equal(t, "bearer", tok.TokenType, name)
		assert.Greater(t, tok.ExpiresIn, 60, "%s: the SDK refreshes 60 s before expires_in", name)
	case "listCredentials":
		var page vendorCredentialInfoListing
		require.NoError(t, decodeVendor(body, &page), "%s: Credentialinfolisting: %s", name, body)
		require.NotNil(t, page.Entities, name)
		require.NotEmpty(t, *page.Entities, name)
		for _, ci := range *page.Entities {
			checkInfo(ci)
		}
		for field, v := range map[string]*int{"pageSize": page.PageSize, "pageNumber": page.PageNumber, "total": page.Total, "pageCount": page.PageCount} {
			assert.NotNil(t, v, "%s: %s", name, field)
		}
		for field, v := range map[string]*string{"firstUri": page.FirstUri, "lastUri": page.LastUri, "selfUri": page.SelfUri, "previousUri": page.PreviousUri} {
			assert.NotNil(t, v, "%s: %s", name, field)
		}
	case "listCredentialsCursor":
		var page vendorCredentialInfoCursorListing
		require.NoError(t, decodeVendor(body, &page), "%s: Credentialinfocursorlisting: %s", name, body)
		require.NotNil(t, page.Entities, name)
		require.Len(t, *page.Entities, 2, name)
		for _, ci := range *page.Entities {
			checkInfo(ci)
		}
		if assert.NotNil(t, page.NextUri, "%s: nextUri", name) {
			u, err := url.Parse(*page.NextUri)
			require.NoError(t, err, name)
			assert.NotEmpty(t, u.Query().Get("after"), "%s: the next page's cursor", name)
		}
		assert.NotNil(t, page.SelfUri, "%s: selfUri", name)
	case "createCredential", "updateCredential":
		var ci vendorCredentialInfo
		require.NoError(t, decodeVendor(body, &ci), "%s: Credentialinfo: %s", name, body)
		checkInfo(ci)
	case "listCredentialTypes":
		var types []vendorCredentialType
		require.NoError(t, decodeVendor(body, &types), "%s: []Credentialtype: %s", name, body)
		require.NotEmpty(t, types, name)
		for _, ct := range types {
			require.NotNil(t, ct.Name, name)
			require.NotNil(t, ct.Properties, name)
			assert.IsType(t, map[string]any{}, *ct.Properties, name)
		}
	case "getCredential":
		var c vendorCredential
		require.NoError(t, decodeVendor(body, &c), "%s: Credential: %s", name, body)
		require.NotNil(t, c.Id, name)
		assert.NotNil(t, c.Name, name)
		if assert.NotNil(t, c.VarType, name) {
			assert.NotNil(t, c.VarType.Name, name)
		}
		assert.NotNil(t, c.SelfUri, name)
	case "deleteCredential":
		assert.Empty(t, body, "%s: DeleteIntegrationsCredential reads no body", name)
	default:
		t.Fatalf("%s: no vendor model for %s", name, op)
	}
}

// checkVendorError decodes a refusal strictly into the vendor's Errorbody,
// and as the SDK does into its APIError.
func checkVendorError(t *testing.T, name string, status int, header http.Header, body []byte) {
	t.Helper()
	var e vendorErrorBody
	require.NoError(t, decodeVendor(body, &e), "%s: Errorbody: %s", name, body)
	if assert.NotNil(t, e.Status, "%s: status", name) {
		assert.Equal(t, status, *e.Status, name)
	}
	if assert.NotNil(t, e.Code, "%s: code", name) {
		assert.NotEmpty(t, *e.Code, name)
	}
	if assert.NotNil(t, e.Message, "%s: message", name) {
		assert.NotEmpty(t, *e.Message, name)
	}
	if assert.NotNil(t, e.ContextId, "%s: contextId", name) {
		assert.Equal(t, header.Get("ININ-Correlation-Id"), *e.ContextId, "%s: contextId is the correlation id", name)
	}

	var api vendorAPIError
	require.NoError(t, json.Unmarshal(body, &api), "%s: the SDK's APIError: %s", name, body)
	assert.Equal(t, *e.Message, api.Message, name)
	assert.Equal(t, status, api.Status, name)
}

// decodeVendor fails on exactly what the test above must catch: a member the
// vendor model lacks, a member of another JSON type, trailing data; the
// token response's scope is refused by the vendor's AuthResponse alone.
func TestVendorModelDecodingIsStrict(t *testing.T) {
	t.Parallel()
	var e vendorErrorBody
	require.NoError(t, decodeVendor([]byte(`{"message":"m","code":"c","status":400,"details":[],"messageParams":{"a":"b"}}`), &e))
	assert.ErrorContains(t, decodeVendor([]byte(`{"message":"m","explanation":"x"}`), &e), `unknown field "explanation"`)
	assert.ErrorContains(t, decodeVendor([]byte(`{"details":[{"errorCode":"c","hint":"h"}]}`), &e), `unknown field "hint"`, "nested models too")
	var ute *json.UnmarshalTypeError
	assert.ErrorAs(t, decodeVendor([]byte(`{"status":"400"}`), &e), &ute)
	assert.ErrorAs(t, decodeVendor([]byte(`{"messageParams":{"n":1}}`), &e), &ute)
	assert.Error(t, decodeVendor([]byte(`{} {}`), &e))
	var ci vendorCredentialInfo
	assert.ErrorAs(t, decodeVendor([]byte(`{"createdDate":1772443800000}`), &ci), &ute, "the vendor reads dates from strings")
	var tok vendorAuthResponse
	assert.ErrorContains(t, decodeVendor([]byte(`{"access_token":"t","token_type":"bearer","expires_in":86399,"scope":""}`), &tok), `unknown field "scope"`)
}
