// Package auth provides credentials for the tenantkit clients: API keys,
// data-API sessions, static bearer tokens and OAuth client credentials, plus
// the AS-USER principal for proxied calls.
//
// A Provider is applied by the client's transport on every attempt of a
// request, retries included, so a token refreshed during a back-off is used by
// the next attempt. Providers that can renew their credential also implement
// Renewer; the client then renews once when the server rejects the credential
// and repeats the request once.
package auth

import (
	"context"
	"net/http"
)

// Provider adds a credential to one request attempt.
type Provider interface {
	// Apply sets the credential on req (normally its Authorization header).
	// It is called on every attempt with the attempt's context.
	Apply(req *http.Request) error
}

// Renewer is implemented by providers whose credential can be renewed: a
// session that logs in again, an OAuth token fetched anew.
type Renewer interface {
	// Renew is called after a 401. rejected is the response, whose body may
	// be read (the caller keeps a copy). Renew reports whether a new
	// credential was obtained and the request should be repeated once.
	Renew(ctx context.Context, rejected *http.Response) (bool, error)
}
