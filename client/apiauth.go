package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tenantkit/tenantkit/auth"
)

// WithAuthFor authorizes the calls of one API with p instead of the
// WithAuth provider. Each vendor API is its own OAuth authorization server:
// a token from the credentials API's token endpoint is refused (401) by the
// relationship API and the other way round, so a client that calls both
// with OAuth needs one token source per API, for example
//
//	client.WithAuth(credentialsCC), client.WithAuthFor(client.RelationshipAPI, relationshipCC)
//
// where each auth.ClientCredentials uses its API's token URL
// (auth.CredentialsTokenURL, auth.RelationshipTokenURL). Calls of APIs
// without a WithAuthFor provider use the WithAuth one.
func WithAuthFor(api API, p auth.Provider) Option {
	return func(s *settings) error {
		if p == nil {
			return fmt.Errorf("WithAuthFor(%s): nil provider", api)
		}
		switch api {
		case DataAPI, CredentialsAPI, RelationshipAPI:
		default:
			return fmt.Errorf("WithAuthFor: unknown API %q", api)
		}
		if s.apiProviders == nil {
			s.apiProviders = map[API]auth.Provider{}
		}
		s.apiProviders[api] = p
		return nil
	}
}

// apiProvider applies the provider of the API of the call a request
// belongs to, or the default one.
type apiProvider struct {
	def   auth.Provider
	byAPI map[API]auth.Provider
}

func (a *apiProvider) pick(ctx context.Context) auth.Provider {
	if c := callFrom(ctx); c != nil {
		if p, ok := a.byAPI[c.op.API]; ok {
			return p
		}
	}
	return a.def
}

func (a *apiProvider) Apply(req *http.Request) error {
	p := a.pick(req.Context())
	if p == nil {
		return nil // sent unauthenticated, as without WithAuth
	}
	return p.Apply(req)
}

func (a *apiProvider) Renew(ctx context.Context, rejected *http.Response) (bool, error) {
	if r, ok := a.pick(ctx).(auth.Renewer); ok {
		return r.Renew(ctx, rejected)
	}
	return false, nil
}
