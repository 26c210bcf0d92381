package token

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// Handler serves a client-credentials token endpoint, writing the token
// response with write, the API's own (see Handle). The client
// authenticates with HTTP Basic or client_id/client_secret form fields; an
// optional space-separated scope narrows the token; tokens live the
// tenant's tokenLifetime, or the default the endpoint's spec states.
// Request bodies are never logged.
func Handler(write pipeline.TokenWriter) pipeline.Handler {
	return func(rc *pipeline.Request) error { return handle(rc, write) }
}

func handle(rc *pipeline.Request, write pipeline.TokenWriter) error {
	r := rc.R
	deny := func(step, code, reason string, e *pipeline.Error) error {
		rc.Decision.Outcome, rc.Decision.Step, rc.Decision.Code, rc.Decision.Reason = wire.OutcomeDeny, step, code, reason
		return e
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return deny("", "", "the token request is not a form",
			pipeline.OAuthError(http.StatusBadRequest, "invalid_request", "send the token request as application/x-www-form-urlencoded"))
	}
	form := rc.TokenForm()
	if rc.FormErr != nil {
		return deny("", "", "the token request form is malformed",
			pipeline.OAuthError(http.StatusBadRequest, "invalid_request", "the form body is malformed"))
	}
	switch g := form.Get("grant_type"); g {
	case "":
		return deny("", "", "grant_type is missing", pipeline.OAuthError(http.StatusBadRequest, "invalid_request", "grant_type is required"))
	case "client_credentials":
	default:
		return deny("", "", fmt.Sprintf("grant_type %q is not supported", g),
			pipeline.OAuthError(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported; use client_credentials", g)))
	}
	sub := rc.Subject()
	t := rc.Tenant
	clientID := sub.Cred.Caller.ID // "" unless a known client
	known := clientID != ""
	decideToken := func() error {
		err := rc.Apply(decide.Decide(&rc.Route.Rule, rc.Subject(), decide.Facts{Scopes: rc.Route.Rule.RequestedScopes(form.Get("scope"))}))
		if err == nil {
			return nil
		}
		f := rc.Verdict.Failure
		if f.Status == http.StatusUnauthorized {
			return pipeline.OAuthError(f.Status, "invalid_client", f.Message)
		}
		return pipeline.OAuthError(f.Status, "invalid_scope", f.Message)
	}
	if sub.Cred.Scheme == "" { // no client id: refused before the form is validated
		return decideToken()
	}
	if err := rc.Validate(); err != nil {
		var ae *pipeline.Error
		if errors.As(err, &ae) {
			return pipeline.OAuthError(http.StatusBadRequest, "invalid_request", ae.Msg)
		}
		return err
	}
	if known { // only a known client is named in the audit log: an unknown id may be a mistyped secret
		rc.Target = clientID
	}
	if err := decideToken(); err != nil {
		return err
	}
	lifetime := rc.Settings.TokenLifetime
	if lifetime == 0 {
		lifetime = rc.Route.TokenLifetime
	}
	tok, err := t.IssueTokenTo(string(rc.Route.Op.API), clientID, rc.Route.Rule.RequestedScopes(form.Get("scope")), lifetime)
	if err != nil { // the decision allowed it: only a concurrent change of the client fails here
		return err
	}
	rc.Write = true
	rc.W.Header().Set("Cache-Control", "no-store")
	// Each API's spec has its own TokenResponse, which its package writes.
	write(rc, pipeline.IssuedToken{AccessToken: tok.Value, Scope: strings.Join(tok.Scopes, " "), ExpiresIn: int(lifetime / time.Second)})
	return nil
}
