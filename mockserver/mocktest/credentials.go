package mocktest

import (
	"fmt"
	"slices"
	"strings"
)

type credKind int

const (
	credNone credKind = iota
	credAPIKey
	credLogin
	credOAuth
	credBearer
)

// Credential says how a client authenticates to the mock. The zero value
// sends no credential.
type Credential struct {
	kind     credKind
	id       string // API key, login name, client id or token
	secret   string // password or client secret
	scopes   []string
	narrowed bool
}

// APIKey authenticates with "Authorization: ApiKey <key>" (data API).
func APIKey(key string) Credential { return Credential{kind: credAPIKey, id: key} }

// Login authenticates to the data API with a session: the client logs in
// with userName (the user's email in fixtures) and password on first use.
func Login(userName, password string) Credential {
	return Credential{kind: credLogin, id: userName, secret: password}
}

// OAuth authenticates with OAuth client credentials: the client fetches a
// bearer token on first use and renews it when it expires. Without
// WithScopes the token carries every scope the client may have.
func OAuth(clientID, secret string) Credential {
	return Credential{kind: credOAuth, id: clientID, secret: secret}
}

// Bearer sends a fixed "Authorization: Bearer <token>".
func Bearer(token string) Credential { return Credential{kind: credBearer, id: token} }

// WithScopes returns the OAuth credential narrowed to scopes: the token is
// requested with a scope field, as the relationship API's clients do.
func (c Credential) WithScopes(scopes ...string) Credential {
	c.scopes = slices.Clone(scopes)
	c.narrowed = true
	return c
}

// String names the credential without its secret.
func (c Credential) String() string {
	switch c.kind {
	case credAPIKey:
		return "API key " + mask(c.id)
	case credLogin:
		return "login " + c.id
	case credOAuth:
		if c.narrowed {
			return fmt.Sprintf("OAuth client %s (scopes %q)", c.id, strings.Join(c.scopes, " "))
		}
		return "OAuth client " + c.id
	case credBearer:
		return "bearer token " + mask(c.id)
	}
	return "no credential"
}

func mask(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[:4] + "****"
}

// Credentials of the embedded demo tenant (tenant.Demo). They are public
// test values, printed by cmd/mock and listed in the README.
var (
	// AdminOAuth is Alice Admin (1001): every scope, role Admin.
	AdminOAuth = OAuth("demo-admin", "demo-admin-secret")
	// ReadonlyOAuth is Bob Analyst (1002): scopes integrations:readonly and data.
	ReadonlyOAuth = OAuth("demo-readonly", "demo-readonly-secret")
	// IntegratorOAuth is the API service account (2001, profile Admin
	// Lite): scopes integrations, data and user_management.
	IntegratorOAuth = OAuth("demo-integrator", "demo-integrator-secret")
	// ReportingOAuth is the API service account (2001) with scope data only.
	ReportingOAuth = OAuth("demo-reporting", "demo-reporting-secret")

	// BobKey is Bob Analyst's (1002) data-API key.
	BobKey = APIKey("demo-key-bob")
	// ServiceKey is the API service account's (2001) data-API key.
	ServiceKey = APIKey("demo-key-service")
	// RevokedKey is a revoked key of the API service account.
	RevokedKey = APIKey("demo-key-revoked")

	// AliceLogin, BobLogin and CarolLogin log in to the data API with the
	// demo password.
	AliceLogin = Login("alice@demo.tenantkit.dev", "demo-password")
	BobLogin   = Login("bob@demo.tenantkit.dev", "demo-password")
	CarolLogin = Login("carol@demo.tenantkit.dev", "demo-password")
)

// User ids of the demo tenant.
const (
	AliceID   int64 = 1001 // Alice Admin, group Everyone, role Admin
	BobID     int64 = 1002 // Bob Analyst, group Sales, role Viewer
	CarolID   int64 = 6045 // Carol Principal, group Deals-EMEA, role Deal team
	ServiceID int64 = 2001 // API Service Account, group Integrations-Test, role Integrator (Admin Lite)
)
