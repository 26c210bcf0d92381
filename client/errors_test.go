package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/internal/wire"
)

// Calls of each API used by the error tests.
var (
	deleteCredential = func(ctx context.Context, c *client.Client) error {
		return c.Credentials.Delete(ctx, "cred-1")
	}
	listCredentials = func(ctx context.Context, c *client.Client) error {
		_, err := c.Credentials.List(ctx, nil)
		return err
	}
	getObject = func(ctx context.Context, c *client.Client) error {
		_, err := c.Data.GetObject(ctx, "Project", "/Project/7", nil)
		return err
	}
	createObject = func(ctx context.Context, c *client.Client) error {
		_, err := c.Data.CreateObject(ctx, "Project", map[string]any{"Name": "x"})
		return err
	}
	getRows = func(ctx context.Context, c *client.Client) error {
		_, err := c.Relationship.Rows(ctx, "Deals", nil)
		return err
	}
	getRowsAs42 = func(ctx context.Context, c *client.Client) error {
		_, err := c.Relationship.Rows(ctx, "Deals", nil, client.AsUser(42))
		return err
	}
)

const (
	ctJSON    = "application/json"
	ctProblem = "application/problem+json"
)

func TestErrors_VendorShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     func(context.Context, *client.Client) error
		response func(http.ResponseWriter, *http.Request)
		// check asserts the typed error; it returns the *APIError it found.
		check     func(t *testing.T, err error) *client.APIError
		wantError string // the whole Error() string, when set
		wantCode  string
		wantReqID string
	}{
		{
			name: "genesys missing.any.permissions",
			call: deleteCredential,
			response: respond(403, ctJSON, `{"message":"missing permission integrations:integration:delete","code":"missing.any.permissions","status":403,
				"messageParams":{"permissions":"integrations:integration:delete"},"contextId":"ctx-1"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var pe *client.PermissionError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, []string{"integrations:integration:delete"}, pe.Missing)
				return pe.APIError
			},
			wantError: "tenantkit: credentials deleteCredential: 403 missing.any.permissions: missing permission integrations:integration:delete",
			wantCode:  "missing.any.permissions",
			wantReqID: "ctx-1",
		},
		{
			name: "genesys missing.permissions bracketed list",
			call: listCredentials,
			response: respond(403, ctJSON, `{"message":"You are missing the following permission(s): [integrations:integration:view, integrations:integration:edit]","code":"missing.permissions","status":403}`,
				"ININ-Correlation-Id", "corr-9"),
			check: func(t *testing.T, err error) *client.APIError {
				var pe *client.PermissionError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, []string{"integrations:integration:view", "integrations:integration:edit"}, pe.Missing)
				return pe.APIError
			},
			wantReqID: "corr-9",
		},
		{
			name:     "genesys missing.scopes",
			call:     listCredentials,
			response: respond(403, ctJSON, `{"message":"Missing required oauth scopes: integrations, integrations:readonly","code":"missing.scopes","status":403,"contextId":"ctx-2"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var se *client.ScopeError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, []string{"integrations", "integrations:readonly"}, se.Missing)
				return se.APIError
			},
			wantError: "tenantkit: credentials listCredentials: 403 missing.scopes: Missing required oauth scopes: integrations, integrations:readonly",
		},
		{
			name:     "genesys bad.credentials",
			call:     listCredentials,
			response: respond(401, ctJSON, `{"message":"Invalid login credentials.","code":"bad.credentials","status":401}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ue *client.UnauthenticatedError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, client.ReasonUnknown, ue.Reason)
				return ue.APIError
			},
		},
		{
			name:     "genesys credentials.expired",
			call:     listCredentials,
			response: respond(401, ctJSON, `{"message":"Token expired","code":"credentials.expired","status":401}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ue *client.UnauthenticatedError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, client.ReasonExpired, ue.Reason)
				return ue.APIError
			},
		},
		{
			name:     "genesys not.found",
			call:     deleteCredential,
			response: respond(404, ctJSON, `{"message":"Credential cred-1 not found","code":"not.found","status":404,"contextId":"ctx-3"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var nf *client.NotFoundError
				require.ErrorAs(t, err, &nf)
				return nf.APIError
			},
			wantError: "tenantkit: credentials deleteCredential: 404 not.found: Credential cred-1 not found",
			wantReqID: "ctx-3",
		},
		{
			name: "genesys bad.request details",
			call: listCredentials,
			response: respond(400, ctJSON, `{"message":"The request could not be understood","code":"bad.request","status":400,
				"details":[{"errorCode":"invalid.value","fieldName":"pageSize"}]}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ve *client.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, []client.FieldError{{Field: "pageSize", Code: "invalid.value"}}, ve.Fields)
				return ve.APIError
			},
		},
		{
			name:     "genesys too.many.requests",
			call:     listCredentials,
			response: respond(429, ctJSON, `{"message":"Rate limit exceeded","code":"too.many.requests","status":429}`, "Retry-After", "3600"),
			check: func(t *testing.T, err error) *client.APIError {
				var rl *client.RateLimitError
				require.ErrorAs(t, err, &rl)
				assert.Equal(t, time.Hour, rl.RetryAfter)
				return rl.APIError
			},
			wantError: "tenantkit: credentials listCredentials: 429 too.many.requests: Rate limit exceeded (retry after 1h0m0s)",
		},
		{
			name:     "clarizen EntityNotFound with 500",
			call:     getObject,
			response: respond(500, ctJSON, `{"errorCode":"EntityNotFound","message":"Entity /Project/7 was not found","referenceId":"ref-1"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var nf *client.NotFoundError
				require.ErrorAs(t, err, &nf)
				return nf.APIError
			},
			wantCode:  "EntityNotFound",
			wantReqID: "ref-1",
		},
		{
			name:     "clarizen MissingPermissions",
			call:     createObject,
			response: respond(403, ctJSON, `{"errorCode":"MissingPermissions","message":"Missing permissions (any of): data:entity:add","referenceId":"ref-2"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var pe *client.PermissionError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, []string{"data:entity:add"}, pe.Missing)
				return pe.APIError
			},
		},
		{
			name:     "clarizen EntityTypeNotAccessible",
			call:     getObject,
			response: respond(403, ctJSON, `{"errorCode":"EntityTypeNotAccessible","message":"Not accessible through the API","referenceId":"ref-3"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var oe *client.ObjectAccessError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, "Project", oe.EntityType, "taken from the request path")
				return oe.APIError
			},
		},
		{
			name:     "clarizen SessionTimeout",
			call:     getObject,
			response: respond(401, ctJSON, `{"errorCode":"SessionTimeout","message":"Session timed out"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ue *client.UnauthenticatedError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, client.ReasonExpired, ue.Reason)
				return ue.APIError
			},
			wantError: "tenantkit: data getObject: 401 SessionTimeout: Session timed out",
		},
		{
			name:     "clarizen InvalidArgument",
			call:     createObject,
			response: respond(400, ctJSON, `{"errorCode":"InvalidArgument","message":"Unknown field Foo"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ve *client.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Empty(t, ve.Fields)
				return ve.APIError
			},
		},
		{
			name: "problem missing_scopes",
			call: getRows,
			response: respond(403, ctProblem, `{"type":"about:blank","title":"Forbidden","status":403,"detail":"Missing required oauth scopes: data",
				"traceId":"trace-1","errorCode":"missing_scopes"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var se *client.ScopeError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, []string{"data"}, se.Missing)
				return se.APIError
			},
			wantError: "tenantkit: relationship getRows: 403 missing_scopes: Missing required oauth scopes: data",
			wantReqID: "trace-1",
		},
		{
			name:     "problem proxy_not_allowed",
			call:     getRowsAs42,
			response: respond(403, ctProblem, `{"title":"Forbidden","status":403,"detail":"You may not act as this user","errorCode":"proxy_not_allowed"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var pe *client.ProxyError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, int64(42), pe.Principal, "taken from the AS-USER sent")
				return pe.APIError
			},
		},
		{
			name:     "problem missing_permissions",
			call:     getRows,
			response: respond(403, ctProblem, `{"title":"Forbidden","status":403,"detail":"Missing permissions: data:deals:view or data:*:view","errorCode":"missing_permissions"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var pe *client.PermissionError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, []string{"data:deals:view", "data:*:view"}, pe.Missing)
				return pe.APIError
			},
		},
		{
			name:     "problem entry_type_not_accessible",
			call:     getRows,
			response: respond(403, ctProblem, `{"title":"Forbidden","status":403,"detail":"Entry type not accessible","errorCode":"entry_type_not_accessible"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var oe *client.ObjectAccessError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, "Deals", oe.EntityType)
				return oe.APIError
			},
		},
		{
			name: "problem validation errors",
			call: getRows,
			response: respond(400, ctProblem, `{"title":"One or more validation errors occurred.","status":400,"errorCode":"invalid_request",
				"message":"limit: must be at most 10000",
				"errors":[{"field":"limit","errorCode":"invalid_request","message":"must be at most 10000"},{"field":"skip","message":"must not be negative"}]}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ve *client.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, []client.FieldError{{Field: "limit", Code: "invalid_request", Message: "must be at most 10000"}, {Field: "skip", Message: "must not be negative"}}, ve.Fields)
				assert.Equal(t, "limit: must be at most 10000", ve.Message)
				return ve.APIError
			},
		},
		{
			name:     "the vendor's documented body: message only",
			call:     getRows,
			response: respond(400, "application/json", `{"message":"Field with name \"SubjectS\" does not exist"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ae *client.APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, `Field with name "SubjectS" does not exist`, ae.Message)
				return ae
			},
		},
		{
			name:     "problem token_expired",
			call:     getRows,
			response: respond(401, ctProblem, `{"title":"Unauthorized","status":401,"errorCode":"token_expired"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ue *client.UnauthenticatedError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, client.ReasonExpired, ue.Reason)
				return ue.APIError
			},
			wantError: "tenantkit: relationship getRows: 401 token_expired: Unauthorized",
		},
		{
			// The operation declares a Genesys ErrorBody: a body of another
			// schema is not guessed at, and the status alone types the error.
			name:     "a body that is not the operation's error schema",
			call:     listCredentials,
			response: respond(401, ctJSON, `{"error":"invalid_client","error_description":"Client authentication failed"}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ue *client.UnauthenticatedError
				require.ErrorAs(t, err, &ue)
				assert.Empty(t, ue.Reason)
				return ue.APIError
			},
			wantError: "tenantkit: credentials listCredentials: 401 Unauthorized",
		},
		{
			name:     "unknown HTML body",
			call:     listCredentials,
			response: respond(503, "text/html", `<html><body>upstream down</body></html>`),
			check: func(t *testing.T, err error) *client.APIError {
				var ae *client.APIError
				require.ErrorAs(t, err, &ae)
				assert.IsType(t, &client.APIError{}, err, "not specialised")
				return ae
			},
			wantError: "tenantkit: credentials listCredentials: 503 Service Unavailable",
		},
		{
			name:     "empty body",
			call:     getRows,
			response: respond(502, "", ``),
			check: func(t *testing.T, err error) *client.APIError {
				var ae *client.APIError
				require.ErrorAs(t, err, &ae)
				return ae
			},
			wantError: "tenantkit: relationship getRows: 502 Bad Gateway",
		},
		{
			name:     "JSON of no known shape",
			call:     listCredentials,
			response: respond(418, ctJSON, `{"teapot":true}`),
			check: func(t *testing.T, err error) *client.APIError {
				var ae *client.APIError
				require.ErrorAs(t, err, &ae)
				return ae
			},
			wantError: "tenantkit: credentials listCredentials: 418 I'm a teapot",
		},
		{
			name:     "malformed JSON error body the generated parser rejects",
			call:     listCredentials,
			response: respond(403, ctJSON, `{"message": "truncated`),
			check: func(t *testing.T, err error) *client.APIError {
				var ae *client.APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, `{"message": "truncated`, string(ae.Body))
				return ae
			},
			wantError: "tenantkit: credentials listCredentials: 403 Forbidden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, sequence(tt.response))
			c := newClient(t, s, client.WithMaxRetries(0))
			err := tt.call(t.Context(), c)
			require.Error(t, err)
			ae := tt.check(t, err)
			require.NotNil(t, ae)

			var viaAs *client.APIError
			require.ErrorAs(t, err, &viaAs, "every typed error unwraps to *APIError")
			assert.Same(t, ae, viaAs)
			if tt.wantError != "" {
				assert.Equal(t, tt.wantError, err.Error())
			}
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, ae.Code)
			}
			if tt.wantReqID != "" {
				assert.Equal(t, tt.wantReqID, ae.RequestID)
			}
			assert.NotContains(t, err.Error(), "\n")
			assert.Nil(t, ae.Decision, "no decision header was sent")
		})
	}
}

func TestErrors_DecisionHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		decision wire.Decision
		check    func(t *testing.T, err error)
	}{
		{
			name:     "authenticate",
			status:   401,
			decision: wire.Decision{Operation: "getRows", Outcome: wire.OutcomeDeny, Step: wire.StepAuthenticate, Code: wire.CodeRevokedCredential},
			check: func(t *testing.T, err error) {
				var ue *client.UnauthenticatedError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, client.ReasonRevoked, ue.Reason)
			},
		},
		{
			name:     "scope",
			status:   403,
			decision: wire.Decision{Operation: "getRows", Outcome: wire.OutcomeDeny, Step: wire.StepScope, Code: wire.CodeMissingScopes, Missing: []string{"data"}},
			check: func(t *testing.T, err error) {
				var se *client.ScopeError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, []string{"data"}, se.Missing)
			},
		},
		{
			name:     "proxy",
			status:   403,
			decision: wire.Decision{Operation: "getRows", Outcome: wire.OutcomeDeny, Step: wire.StepProxy, Code: wire.CodeProxyNotAllowed, Principal: 7},
			check: func(t *testing.T, err error) {
				var pe *client.ProxyError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, int64(7), pe.Principal)
			},
		},
		{
			name:   "permission",
			status: 403,
			decision: wire.Decision{Operation: "getRows", Outcome: wire.OutcomeDeny, Step: wire.StepPermission, Code: wire.CodeMissingPermissions,
				Missing: []string{"data:deals:view", "data:*:view"}, Reason: "user 3 has no role granting data:deals:view"},
			check: func(t *testing.T, err error) {
				var pe *client.PermissionError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, []string{"data:deals:view", "data:*:view"}, pe.Missing)
				assert.Equal(t, "tenantkit: relationship getRows: 403 user 3 has no role granting data:deals:view", err.Error(),
					"with no vendor message, the decision's reason is used")
			},
		},
		{
			name:     "object",
			status:   403,
			decision: wire.Decision{Operation: "getRows", Outcome: wire.OutcomeDeny, Step: wire.StepObject, Code: wire.CodeObjectNotAccessible, EntityType: "Companies"},
			check: func(t *testing.T, err error) {
				var oe *client.ObjectAccessError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, "Companies", oe.EntityType)
			},
		},
		{
			name:     "row hidden",
			status:   404,
			decision: wire.Decision{Operation: "getRows", Outcome: wire.OutcomeDeny, Step: wire.StepRow, Code: wire.CodeRowHidden},
			check: func(t *testing.T, err error) {
				var nf *client.NotFoundError
				require.ErrorAs(t, err, &nf)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The body is of no known shape: the decision alone classifies.
			s := newServer(t, sequence(respond(tt.status, "text/plain", "denied", wire.DecisionHeader, tt.decision.Encode())))
			c := newClient(t, s, client.WithMaxRetries(0))
			err := getRows(t.Context(), c)
			require.Error(t, err)
			tt.check(t, err)
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			require.NotNil(t, ae.Decision)
			assert.Equal(t, client.Step(tt.decision.Step), ae.Decision.Step)
			assert.Equal(t, client.DecisionCode(tt.decision.Code), ae.Decision.Code)
		})
	}
}

func TestErrors_NoSecretsInErrorString(t *testing.T) {
	t.Parallel()
	const key = "k3y-SUPER-secret-42"
	// A careless server echoes the credential, a client secret and a URL
	// with a token in its message, over several lines.
	s := newServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		msg := "bad header " + r.Header.Get("Authorization") + "\nclient_secret=" + key +
			` see https://api.example.com/x?access_token=` + key + ` "password":"` + key + `"`
		w.Header().Set("Content-Type", ctJSON)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errorCode":"Unauthorized","message":` + quote(msg) + `}`))
	})
	c := newClient(t, s, client.WithAuth(auth.APIKey(key)))
	_, err := c.Data.GetSessionInfo(t.Context())
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, key)
	assert.NotContains(t, msg, "\n")
	assert.NotContains(t, msg, "access_token")
	assert.Contains(t, msg, "tenantkit: data getSessionInfo: 401 Unauthorized: bad header ApiKey [REDACTED]")

	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, string(ae.Body), key, "the raw body is still there for whoever needs it")
	assert.Equal(t, "ApiKey "+key, s.requests()[0].Header.Get("Authorization"))
}

func TestErrors_TransportErrorIsOperationErrorWithoutQuery(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(200, ctJSON, `{}`)))
	s.Close() // nothing listens any more
	c := newClient(t, s, client.WithMaxRetries(1), client.WithAuth(auth.Bearer("tok-abc-123")))
	_, err := c.Credentials.Listing(t.Context(), &credentialsapi.ListCredentialsCursorParams{After: ptr("cursor-secret-1")})
	require.Error(t, err)
	var oe *client.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, client.CredentialsAPI, oe.API)
	assert.Equal(t, "listCredentialsCursor", oe.Operation)
	assert.NotContains(t, err.Error(), "cursor-secret-1")
	assert.NotContains(t, err.Error(), "tok-abc-123")
	assert.True(t, strings.HasPrefix(err.Error(), "tenantkit: credentials listCredentialsCursor: "), err.Error())
}

func TestErrors_UndecodableSuccess(t *testing.T) {
	t.Parallel()
	t.Run("invalid JSON", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(respond(200, ctJSON, `{"entities": [`)))
		c := newClient(t, s)
		_, err := c.Credentials.List(t.Context(), nil)
		var oe *client.OperationError
		require.ErrorAs(t, err, &oe)
		assert.Contains(t, err.Error(), "decode 200 response")
		assert.Len(t, s.requests(), 1, "a 2xx is not retried")
	})
	t.Run("not JSON", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(respond(200, "text/html", `<html></html>`)))
		c := newClient(t, s)
		_, err := c.Relationship.Rows(t.Context(), "Deals", nil)
		var oe *client.OperationError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, `tenantkit: relationship getRows: 200 response is not JSON (Content-Type "text/html")`, err.Error())
	})
}

func TestErrors_ErrorBodyIsLimited(t *testing.T) {
	t.Parallel()
	big := `{"message":"` + strings.Repeat("x", 2<<20) + `"}`
	s := newServer(t, sequence(respond(500, "text/plain", big)))
	c := newClient(t, s, client.WithMaxRetries(0))
	_, err := c.Relationship.Rows(t.Context(), "Deals", nil)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Len(t, ae.Body, 1<<20)
}

func TestErrors_RelationshipParamsProxy(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(403, ctProblem, `{"title":"Forbidden","status":403,"errorCode":"proxy_not_allowed"}`)))
	c := newClient(t, s, client.WithAsUser(5))
	_, err := c.Relationship.QueryRows(t.Context(), "Deals", &relationshipapi.QueryRowsParams{ASUSER: ptr[int64](11)}, relationshipapi.RowsQuery{})
	var pe *client.ProxyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, int64(11), pe.Principal)
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func ptr[T any](v T) *T { return &v }
