package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// Every credential mistake a user makes, through the real client against the
// in-process mock, is an *UnauthenticatedError: errors.As finds it whether
// the operation answered 401 or the token endpoint or login refused the
// credential before the operation was sent. In the second case the auth
// package's error stays reachable with its details.
func TestEveryCredentialMistakeIsUnauthenticated(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	entityQuery := func(c *client.Client) error {
		_, err := c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
		return err
	}
	listCredentials := func(c *client.Client) error {
		_, err := c.Credentials.List(t.Context(), nil)
		return err
	}
	rows := func(c *client.Client) error {
		_, err := c.Relationship.Rows(t.Context(), "Deals", nil)
		return err
	}
	tests := []struct {
		name       string
		cred       mocktest.Credential
		call       func(*client.Client) error
		reason     string
		status     int
		code       string // APIError.Code
		authErr    any    // *auth.TokenError or *auth.LoginError, when the refusal came before the operation
		secret     string // must not appear in the message
		wantInText string
	}{
		{name: "no credential", cred: mocktest.Credential{}, call: entityQuery, reason: client.ReasonMissing, status: 401},
		{name: "wrong API key", cred: mocktest.APIKey("demo-key-wrong-1234"), call: entityQuery, reason: client.ReasonUnknown, status: 401, secret: "demo-key-wrong-1234"},
		{name: "revoked API key", cred: mocktest.RevokedKey, call: entityQuery, reason: client.ReasonRevoked, status: 401},
		{name: "empty API key", cred: mocktest.APIKey(""), call: entityQuery, reason: client.ReasonMissing, status: 0, wantInText: "empty credential"},
		{name: "bearer token nobody issued", cred: mocktest.Bearer("tok-nobody-issued-42"), call: listCredentials, reason: client.ReasonUnknown, status: 401, secret: "tok-nobody-issued-42"},
		{name: "wrong client secret", cred: mocktest.OAuth("demo-integrator", "wrong-secret-9876"), call: listCredentials,
			reason: client.ReasonUnknown, status: 401, code: "invalid_client", authErr: new(*auth.TokenError), secret: "wrong-secret-9876", wantInText: "demo-integrator"},
		{name: "unknown client id", cred: mocktest.OAuth("no-such-client", "secret-5555"), call: listCredentials,
			reason: client.ReasonUnknown, status: 401, code: "invalid_client", authErr: new(*auth.TokenError), secret: "secret-5555"},
		{name: "scope the client may not have", cred: mocktest.ReportingOAuth.WithScopes("user_management"), call: rows,
			reason: client.ReasonScopeNotAllowed, status: 400, code: "invalid_scope", authErr: new(*auth.TokenError), secret: "demo-reporting-secret", wantInText: "invalid_scope"},
		{name: "wrong password", cred: mocktest.Login("alice@demo.tenantkit.dev", "wrong-password-77"), call: entityQuery,
			reason: client.ReasonUnknown, status: 401, authErr: new(*auth.LoginError), secret: "wrong-password-77", wantInText: "alice@demo.tenantkit.dev"},
		{name: "unknown user", cred: mocktest.Login("nobody@demo.tenantkit.dev", "demo-password"), call: entityQuery,
			reason: client.ReasonUnknown, status: 401, authErr: new(*auth.LoginError), secret: "demo-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call(srv.Client(tt.cred, client.WithMaxRetries(0)))
			var ue *client.UnauthenticatedError
			require.ErrorAs(t, err, &ue, "got %T: %v", err, err)
			assert.Equal(t, tt.reason, ue.Reason)
			assert.Equal(t, tt.status, ue.StatusCode)
			if tt.code != "" {
				assert.Equal(t, tt.code, ue.Code)
			}
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			switch target := tt.authErr.(type) {
			case **auth.TokenError:
				require.ErrorAs(t, err, target)
				assert.Equal(t, tt.code, (*target).Code, "the token error's details are kept")
				assert.Same(t, *target, ue.Err)
			case **auth.LoginError:
				require.ErrorAs(t, err, target)
				assert.Equal(t, tt.status, (*target).StatusCode)
				assert.Same(t, *target, ue.Err)
			case nil:
				if tt.status != 0 {
					assert.Nil(t, ue.Err, "a 401 from the operation itself")
				}
			}
			if tt.secret != "" {
				assert.NotContains(t, err.Error(), tt.secret)
			}
			if tt.wantInText != "" {
				assert.Contains(t, err.Error(), tt.wantInText)
			}
		})
	}
}

// A provider with an empty secret fails before any request, as an
// *UnauthenticatedError wrapping auth.ErrNoCredential, and is not retried.
func TestEmptyCredentialIsUnauthenticated(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(listing))
	c := newClient(t, s, client.WithAuth(auth.Bearer("")))
	_, err := c.Credentials.List(t.Context(), nil)
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, auth.ErrNoCredential)
	assert.Equal(t, client.ReasonMissing, ue.Reason)
	assert.Equal(t, "tenantkit: credentials listCredentials: auth: auth.Bearer: empty credential", err.Error())
	assert.Empty(t, s.requests())
}

// A token endpoint that is down is not a credential mistake: the call fails
// with an *OperationError that still wraps the *auth.TokenError.
func TestTokenEndpointFailureIsNotUnauthenticated(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		respond(503, ctJSON, `{"error":"temporarily_unavailable"}`)(w, r)
	})
	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{TokenURL: auth.CredentialsTokenURL(s.URL), ClientID: "id", ClientSecret: "secret"})
	require.NoError(t, err)
	c := newClient(t, s, client.WithAuth(cc), client.WithMaxRetries(0))
	_, err = c.Credentials.List(context.Background(), nil)
	var ue *client.UnauthenticatedError
	assert.False(t, errors.As(err, &ue), "got %v", err)
	var oe *client.OperationError
	require.ErrorAs(t, err, &oe)
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 503, te.StatusCode)
}
