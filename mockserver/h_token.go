package mockserver

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// basicClient reads a token request's HTTP Basic client credentials. RFC
// 6749 (section 2.3.1) has clients form-encode the id and secret first, as
// golang.org/x/oauth2 does ("demo-integrator%40t2"); curl -u sends them
// as they are. The credentials are used as sent when they name a client
// with that secret, else decoded when that form does.
func (s *Server) basicClient(r *http.Request) (id, secret string, ok bool) {
	id, secret, ok = r.BasicAuth()
	if !ok || !strings.ContainsAny(id+secret, "%+") {
		return id, secret, ok
	}
	if c, known := s.tenantForIdentifier(id).OAuthClient(id); known && c.Secret == secret {
		return id, secret, ok
	}
	did, err1 := url.QueryUnescape(id)
	dsecret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return id, secret, ok
	}
	if _, known := s.tenantForIdentifier(did).OAuthClient(did); !known {
		return id, secret, ok
	}
	return did, dsecret, ok
}

// tokenHandler serves a client-credentials token endpoint. The client
// authenticates with HTTP Basic or client_id/client_secret form fields; an
// optional space-separated scope narrows the token. Request bodies are never
// logged.
func (s *Server) tokenHandler(defaultLifetime time.Duration) handlerFunc {
	return func(rc *reqCtx) error {
		r := rc.r
		deny := func(step, code, reason string, e *apiError) error {
			rc.decision.Outcome, rc.decision.Step, rc.decision.Code, rc.decision.Reason = wire.OutcomeDeny, step, code, reason
			return e
		}
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/x-www-form-urlencoded" {
			return deny("", "", "the token request is not a form",
				oauthError(http.StatusBadRequest, "invalid_request", "send the token request as application/x-www-form-urlencoded"))
		}
		form, err := url.ParseQuery(string(rc.body))
		if err != nil {
			return deny("", "", "the token request form is malformed",
				oauthError(http.StatusBadRequest, "invalid_request", "the form body is malformed"))
		}
		switch g := form.Get("grant_type"); g {
		case "":
			return deny("", "", "grant_type is missing", oauthError(http.StatusBadRequest, "invalid_request", "grant_type is required"))
		case "client_credentials":
		default:
			return deny("", "", fmt.Sprintf("grant_type %q is not supported", g),
				oauthError(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported; use client_credentials", g)))
		}
		clientID, secret, basic := s.basicClient(r)
		if !basic {
			clientID, secret = form.Get("client_id"), form.Get("client_secret")
		}
		if clientID == "" {
			return deny(wire.StepAuthenticate, wire.CodeMissingCredential, "the token request carries no client credentials",
				oauthError(http.StatusUnauthorized, "invalid_client", "client authentication is required (HTTP Basic, or client_id and client_secret)"))
		}
		if err := s.validate(rc); err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				return oauthError(http.StatusBadRequest, "invalid_request", ae.msg)
			}
			return err
		}
		t := s.tenantForIdentifier(clientID)
		rc.tenant = t
		// Only a known client is named in the audit log and gets usage: an
		// unknown id may be a mistyped secret.
		if c, ok := t.OAuthClient(clientID); ok {
			rc.target = clientID
			rc.setCaller(t, wire.Caller{Kind: callerClient, ID: clientID, User: c.User})
		}
		lifetime := t.Settings().TokenLifetime
		if lifetime == 0 {
			lifetime = defaultLifetime
		}
		tok, err := t.IssueToken(string(rc.route.op.API), clientID, secret, strings.Fields(form.Get("scope")), lifetime)
		var se *tenant.ScopeError
		switch {
		case errors.Is(err, tenant.ErrInvalidClient):
			return deny(wire.StepAuthenticate, wire.CodeUnknownCredential, "unknown client id or wrong client secret",
				oauthError(http.StatusUnauthorized, "invalid_client", "client authentication failed"))
		case errors.As(err, &se):
			rc.decision.Missing = se.NotAllowed
			rc.decision.Fix = fmt.Sprintf("allow scope %s for client %s, or request only its scopes", strings.Join(se.NotAllowed, " "), clientID)
			return deny(wire.StepScope, wire.CodeMissingScopes, fmt.Sprintf("client %s may not request %s", clientID, strings.Join(se.NotAllowed, " ")),
				oauthError(http.StatusBadRequest, "invalid_scope", se.Error()))
		case err != nil:
			return err
		}
		rc.write = true
		rc.w.Header().Set("Cache-Control", "no-store")
		rc.writeJSON(http.StatusOK, "application/json", map[string]any{
			"access_token": tok.Value,
			"token_type":   "bearer",
			"expires_in":   int(lifetime / time.Second),
			"scope":        strings.Join(tok.Scopes, " "),
		})
		return nil
	}
}
