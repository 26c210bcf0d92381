package auth

import (
	"fmt"
	"log/slog"
	"net/http"
)

// APIKey returns a provider that sends key as "Authorization: ApiKey <key>",
// the data API's key scheme. An empty key makes Apply fail with an error
// wrapping ErrNoCredential.
//
// The key is never printed: fmt and log/slog show "auth.APIKey(****)".
func APIKey(key string) *StaticCredential {
	return &StaticCredential{scheme: "ApiKey", name: "auth.APIKey", secret: newSecret(key)}
}

// Bearer returns a provider that sends a fixed token as
// "Authorization: Bearer <token>". An empty token makes Apply fail with an
// error wrapping ErrNoCredential. For OAuth client credentials that expire,
// use NewClientCredentials.
//
// The token is never printed: fmt and log/slog show "auth.Bearer(****)".
func Bearer(token string) *StaticCredential {
	return &StaticCredential{scheme: "Bearer", name: "auth.Bearer", secret: newSecret(token)}
}

// StaticCredential is a Provider that sends a fixed secret in the
// Authorization header: an API key (APIKey) or a bearer token (Bearer). It
// is not a Renewer: a 401 is returned to the caller.
type StaticCredential struct {
	scheme string // "ApiKey", "Bearer"
	name   string // for String
	secret *secret
}

// Apply implements Provider.
func (p *StaticCredential) Apply(req *http.Request) error {
	if p.secret.value == "" {
		return fmt.Errorf("auth: %s: %w", p.name, ErrNoCredential)
	}
	req.Header.Set("Authorization", p.scheme+" "+p.secret.value)
	return nil
}

// String describes the provider without its secret.
func (p *StaticCredential) String() string {
	if p.secret.value == "" {
		return p.name + "(empty)"
	}
	return p.name + "(****)"
}

// GoString is used by the %#v verb; it hides the secret too.
func (p *StaticCredential) GoString() string { return p.String() }

// LogValue implements slog.LogValuer; it hides the secret.
func (p *StaticCredential) LogValue() slog.Value { return slog.StringValue(p.String()) }

// secret holds a credential (a key, password, session id). Providers keep
// every secret behind a pointer: fmt prints unexported fields by reflection,
// without calling their String methods, but prints a nested pointer as an
// address, so even fmt.Sprintf("%s", structHoldingAProvider) cannot show it.
type secret struct{ value string }

func newSecret(v string) *secret { return &secret{value: v} }
