package auth

import (
	"context"
	"net/http"
)

// Provider adds a credential to one request attempt.
type Provider interface {
	// Apply sets the credential on req (normally its Authorization header).
	// It is called on every attempt; a provider that must fetch its
	// credential uses req.Context(). Errors are returned to the caller
	// unchanged, so they should say what failed, and must never contain
	// the secret.
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
