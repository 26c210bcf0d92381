package mockserver

import (
	"fmt"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// Question asks the decision function what a request would get, without
// sending one: nothing is recorded in the audit log or usage, and no token
// or session is issued.
type Question struct {
	Operation string // a vendor operationId: "entityQuery", "getRows", ...
	// API names the operation's API, for an API loaded from a spec and a
	// policy whose operationIds may be another API's too ("": the first
	// API that has the operation).
	API string
	// The credential, one of: an API key (its value), or an OAuth client id
	// (judged by a token of the operation's own API holding Scopes, or every
	// scope the client may be issued when Scopes is nil).
	APIKey string
	Client string
	Scopes []string
	// AsUser is an AS-USER principal (0: none); it counts only on
	// operations that declare the header.
	AsUser int64
	// EntityType is the entity type the request names, on operations that
	// take one.
	EntityType string
}

// Answer is the decision for a Question.
type Answer struct {
	// Allowed: the request would be served (under enforcement: audit,
	// also when a step would have refused it; Step then names it).
	Allowed bool
	Outcome string
	// Step, Code and Missing name the first step that fails, if one does.
	Step, Code string
	Missing    []string
	// EffectiveUser is the user whose rights apply.
	EffectiveUser int64
	// Scopes is the scope set of the operation the token satisfies.
	Scopes []string
}

// Decide answers q for tenant t with the decision function every request
// is decided by. An unknown operation, API key or client is an error.
func (s *Server) Decide(t *tenant.Tenant, q Question) (Answer, error) {
	if t == nil {
		return Answer{}, fmt.Errorf("mockserver: a question needs a tenant")
	}
	rt := s.env.Specs().Route(q.Operation)
	if q.API != "" {
		rt = nil
		if sp := s.env.Specs().API(openapi.API(q.API)); sp != nil {
			rt = sp.Routes[q.Operation]
		}
	}
	if rt == nil {
		return Answer{}, fmt.Errorf("mockserver: no vendor operation %q", q.Operation)
	}
	var cred decide.Credential
	switch {
	case q.APIKey != "":
		k, ok := t.APIKey(q.APIKey)
		if !ok {
			return Answer{}, fmt.Errorf("mockserver: tenant %s has no API key %q", t.ID(), q.APIKey)
		}
		cred = decide.APIKey(k)
	case q.Client != "":
		c, ok := t.OAuthClient(q.Client)
		if !ok {
			return Answer{}, fmt.Errorf("mockserver: tenant %s has no OAuth client %q", t.ID(), q.Client)
		}
		cred = decide.ClientToken(c, rt.Op.API)
		if q.Scopes != nil {
			cred.Scopes = q.Scopes
		}
	default:
		return Answer{}, fmt.Errorf("mockserver: a question names an API key or an OAuth client")
	}
	f := decide.Facts{EntityType: q.EntityType}
	if q.AsUser != 0 {
		f.AsUser = fmt.Sprint(q.AsUser)
	}
	sub := decide.Subject{Policy: t, Cred: cred, Now: s.env.Clock(), Audit: t.Settings().Enforcement == tenant.EnforcementAudit}
	v := decide.Decide(&rt.Rule, &sub, f)
	a := Answer{Allowed: v.Allowed(), Outcome: v.Outcome, EffectiveUser: v.Effective, Scopes: v.UsedScopes}
	if v.Outcome != wire.OutcomeAllow && v.Failure != nil {
		a.Step, a.Code, a.Missing = v.Failure.Step, v.Failure.Code, v.Failure.Missing
	}
	return a, nil
}
