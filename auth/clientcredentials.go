package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"
)

// TokenStyle says how a token request presents the client id and secret.
type TokenStyle int

const (
	// StyleBasic sends the client id and secret in an HTTP Basic
	// Authorization header, as the credentials API (Genesys Cloud) expects.
	// A scope is sent only when Scopes is set. It is the zero value.
	StyleBasic TokenStyle = iota
	// StyleForm sends client_id and client_secret as form fields, as the
	// relationship API (DealCloud) expects; set Scopes (for example "data")
	// to send its scope field.
	StyleForm
)

// String returns "basic" or "form".
func (s TokenStyle) String() string {
	switch s {
	case StyleBasic:
		return "basic"
	case StyleForm:
		return "form"
	}
	return fmt.Sprintf("TokenStyle(%d)", int(s))
}

// DefaultRefreshBefore is how long before its expiry a cached token is
// replaced when ClientCredentialsConfig.RefreshBefore is zero.
const DefaultRefreshBefore = 60 * time.Second

// CredentialsTokenURL returns the credentials API's token endpoint under
// base: base + "/oauth/token". (Genesys Cloud serves it on its login host,
// https://login.<region>; the tenantkit mock serves it on the API's own
// host.)
func CredentialsTokenURL(base string) string {
	return strings.TrimRight(base, "/") + "/oauth/token"
}

// RelationshipTokenURL returns the relationship API's token endpoint under
// base: base + "/api/rest/v1/oauth/token".
func RelationshipTokenURL(base string) string {
	return strings.TrimRight(base, "/") + "/api/rest/v1/oauth/token"
}

// ClientCredentialsConfig configures NewClientCredentials.
type ClientCredentialsConfig struct {
	// TokenURL is the token endpoint, for example CredentialsTokenURL(base)
	// or RelationshipTokenURL(base). Required.
	TokenURL string
	// ClientID and ClientSecret identify the OAuth client. Required.
	ClientID     string
	ClientSecret string
	// Scopes are requested space-separated in the scope field; none means
	// no scope field.
	Scopes []string
	// Style says where the client id and secret go; the zero value is
	// StyleBasic.
	Style TokenStyle
	// HTTPClient sends token requests (default http.DefaultClient). It must
	// not send through a Transport that uses this provider.
	HTTPClient *http.Client
	// RefreshBefore is how long before its expiry a cached token is
	// replaced (default DefaultRefreshBefore), but never more than half of
	// the token's lifetime, so a short-lived token is still reused.
	RefreshBefore time.Duration
}

// ClientCredentials is a Provider that sends "Authorization: Bearer <token>"
// with a token from the OAuth 2.0 client-credentials grant
// (golang.org/x/oauth2/clientcredentials).
//
// The token is fetched on first use with the request's context, cached, and
// fetched anew RefreshBefore its expiry. If that early refresh fails while the
// cached token is still valid, the cached token is used. ClientCredentials is
// also a Renewer: after a 401 to a request that carried the current token it
// fetches a new token once, and the Transport repeats the request. It is safe
// for concurrent use; concurrent requests share one token fetch.
//
// Printing a ClientCredentials shows the client id and token URL, never the
// secret or the token.
//
// The cache is not oauth2.ReuseTokenSource: an oauth2.TokenSource takes no
// per-request context (a cancelled request could not stop its token fetch),
// its early expiry is one fixed duration (a token shorter-lived than
// RefreshBefore would be fetched on every request), it cannot keep a
// still-valid token when an early refresh fails, and it reads the real clock
// (its refresh timing could not be tested without waiting).
type ClientCredentials struct {
	conf          *clientcredentials.Config // behind a pointer: it holds the secret
	hc            *http.Client
	refreshBefore time.Duration
	now           func() time.Time // replaced in tests

	// Behind pointers, like the secret: fmt reads a struct's fields by
	// reflection, and these change under concurrent use.
	fetch *singleflight.Group
	tok   *renewable[cachedToken] // the cached token
}

type cachedToken struct {
	access    string
	expiry    time.Time // zero: the token does not expire
	refreshAt time.Time // when to fetch a replacement; zero: never
}

// fresh reports whether the token can be used at now without a refresh.
func (t *cachedToken) fresh(now time.Time) bool {
	return t != nil && (t.refreshAt.IsZero() || now.Before(t.refreshAt))
}

// valid reports whether the token has not expired at now.
func (t *cachedToken) valid(now time.Time) bool {
	return t != nil && (t.expiry.IsZero() || now.Before(t.expiry))
}

// NewClientCredentials returns a client-credentials Provider. It makes no
// request; the first token is fetched on first use (or by Token).
//
// It fails if TokenURL is not an absolute http(s) URL (or has user info), if ClientID is empty,
// if ClientSecret is empty (an error wrapping ErrNoCredential), if Style is
// unknown or if RefreshBefore is negative.
func NewClientCredentials(cfg ClientCredentialsConfig) (*ClientCredentials, error) {
	u, err := url.Parse(cfg.TokenURL)
	if cfg.TokenURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("auth: client credentials: TokenURL must be an absolute http(s) URL")
	}
	if u.User != nil {
		return nil, errors.New("auth: client credentials: TokenURL must not contain user info (pass the client id and secret in the config)")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("auth: client credentials: empty ClientID")
	}
	if cfg.ClientSecret == "" {
		return nil, fmt.Errorf("auth: client credentials for client %q: empty ClientSecret: %w", cfg.ClientID, ErrNoCredential)
	}
	var style oauth2.AuthStyle
	switch cfg.Style {
	case StyleBasic:
		style = oauth2.AuthStyleInHeader
	case StyleForm:
		style = oauth2.AuthStyleInParams
	default:
		return nil, fmt.Errorf("auth: client credentials: unknown %v", cfg.Style)
	}
	if cfg.RefreshBefore < 0 {
		return nil, errors.New("auth: client credentials: negative RefreshBefore")
	}
	if cfg.RefreshBefore == 0 {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	return &ClientCredentials{
		fetch: new(singleflight.Group),
		tok:   &renewable[cachedToken]{scheme: "Bearer ", cred: func(t *cachedToken) string { return t.access }},
		conf: &clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     cfg.TokenURL,
			Scopes:       append([]string(nil), cfg.Scopes...),
			AuthStyle:    style,
		},
		hc:            cfg.HTTPClient,
		refreshBefore: cfg.RefreshBefore,
		now:           time.Now,
	}, nil
}

// Apply implements Provider: it sets "Authorization: Bearer <token>",
// fetching a token with req's context when none is cached or the cached one
// is due for refresh.
func (c *ClientCredentials) Apply(req *http.Request) error {
	tok, err := c.Token(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// Token returns the current access token, fetching one if none is cached or
// the cached one is due for refresh. It is for callers that need the token
// itself; requests sent through a Transport get it automatically.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	old := c.tok.load()
	if old.fresh(c.now()) {
		return old.access, nil
	}
	tok, err := fetchOnce(c.fetch, ctx, func(ctx context.Context) (*cachedToken, error) {
		cur := c.tok.load() // a fetch that finished just before this one started
		if cur.fresh(c.now()) {
			return cur, nil
		}
		return c.fetchToken(ctx)
	})
	if err != nil {
		if old.valid(c.now()) {
			return old.access, nil // the early refresh failed; the old token still works
		}
		return "", err
	}
	return tok.access, nil
}

// Renew implements Renewer. After a 401 to a request that carried the current
// token it fetches a new one and reports whether it differs from the
// rejected one; if another request has already replaced that token it
// reports true without fetching. It reports false for a 401 to a request
// that carried no bearer token.
func (c *ClientCredentials) Renew(ctx context.Context, rejected *http.Response) (bool, error) {
	return c.tok.renew(ctx, rejected, c.Token)
}

func (c *ClientCredentials) fetchToken(ctx context.Context) (*cachedToken, error) {
	if c.hc != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, c.hc)
	}
	start := c.now()
	t, err := c.conf.Token(ctx)
	if err != nil {
		return nil, c.tokenError(err)
	}
	ct := &cachedToken{access: t.AccessToken}
	if life, ok := tokenLifetime(t); ok {
		ct.expiry = start.Add(life)
		ct.refreshAt = ct.expiry.Add(-min(c.refreshBefore, life/2))
	}
	c.tok.store(ct)
	return ct, nil
}

// maxTokenLifetime bounds the lifetime a token response may claim.
const maxTokenLifetime = 10 * 365 * 24 * time.Hour

// tokenLifetime returns how long t is valid from when it was received, from
// the response's expires_in (a number, or a string as some servers send).
// ok is false for a token that does not expire.
func tokenLifetime(t *oauth2.Token) (life time.Duration, ok bool) {
	var secs float64
	switch v := t.Extra("expires_in").(type) {
	case float64:
		secs = v
	case string:
		secs, _ = strconv.ParseFloat(v, 64)
	}
	if secs > 0 {
		// Ten years is forever for a cache, and time.Duration overflows
		// near 292.
		return time.Duration(min(secs, maxTokenLifetime.Seconds()) * float64(time.Second)), true
	}
	if !t.Expiry.IsZero() { // oauth2 computed it with the real clock
		return max(time.Until(t.Expiry), 0), true
	}
	return 0, false
}

// tokenError turns an oauth2 error into one that names the client and the
// OAuth error but cannot contain the secret or a token: the response body
// that oauth2.RetrieveError prints is left out.
func (c *ClientCredentials) tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{
			TokenURL:    c.conf.TokenURL,
			ClientID:    c.conf.ClientID,
			Code:        re.ErrorCode,
			Description: re.ErrorDescription,
		}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		return te
	}
	return fmt.Errorf("auth: token for client %q from %s: %w", c.conf.ClientID, c.conf.TokenURL, err)
}

// String describes the provider by client id and token URL; it never shows
// the secret or the token.
func (c *ClientCredentials) String() string {
	return fmt.Sprintf("auth.ClientCredentials(client_id=%q, token_url=%s)", c.conf.ClientID, c.conf.TokenURL)
}

// GoString is used by the %#v verb; it is the same as String.
func (c *ClientCredentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the secret or the token.
func (c *ClientCredentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", "client_credentials"),
		slog.String("client_id", c.conf.ClientID),
		slog.String("token_url", c.conf.TokenURL),
	)
}

// TokenError is returned when a token endpoint refuses a client-credentials
// request. Its message names the client, the HTTP status and the OAuth error
// (RFC 6749: invalid_client, invalid_scope, ...), never the secret.
type TokenError struct {
	// TokenURL is the endpoint that was asked.
	TokenURL string
	// ClientID is the client that asked.
	ClientID string
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the OAuth "error" field, such as "invalid_client".
	Code string
	// Description is the OAuth "error_description" field.
	Description string
}

// Error implements error.
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "auth: token for client %q from %s: HTTP %d", e.ClientID, e.TokenURL, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	return b.String()
}
