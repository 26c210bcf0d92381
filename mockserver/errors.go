package mockserver

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/credentialsapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/relationshipapi"
)

// errKind classifies a failure independently of the surface that reports it.
type errKind int

const (
	kindBadRequest errKind = iota
	kindUnauthenticated
	kindScope
	kindProxy
	kindPermission
	kindObject
	kindNotFound
	kindMethodNotAllowed
	kindInternal
	// kindOAuth is a token endpoint failure, reported as RFC 6749 JSON.
	kindOAuth
	// kindRateLimited is a 429: the rate limit, or an injected fault.
	kindRateLimited
	// kindUnavailable is a 503 (an injected fault).
	kindUnavailable
	// kindMisdirected is a 421: a Host the server does not answer for.
	kindMisdirected
	// kindForbiddenOrigin is a 403 for an admin request from another
	// origin or site.
	kindForbiddenOrigin
	// kindUnsupportedMedia is a 415: an admin write that is not JSON.
	kindUnsupportedMedia
)

// apiError is a failure on its way to the client, in whatever shape the
// surface uses.
type apiError struct {
	status  int
	kind    errKind
	msg     string
	field   string   // bad input: the field at fault
	missing []string // scopes (all needed) or permissions (any one)
	code    string   // wire.Code* for authorization failures
	oauth   string   // RFC 6749 error code for kindOAuth
}

func (e *apiError) Error() string { return e.msg }

func badRequest(field, format string, args ...any) *apiError {
	msg := fmt.Sprintf(format, args...)
	if field != "" && !strings.HasPrefix(msg, field+":") {
		msg = field + ": " + msg
	}
	return &apiError{status: http.StatusBadRequest, kind: kindBadRequest, field: field, msg: msg}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, kind: kindNotFound, msg: fmt.Sprintf(format, args...)}
}

func unauthenticated(code, msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, kind: kindUnauthenticated, code: code, msg: msg}
}

func oauthError(status int, oauth, msg string) *apiError {
	return &apiError{status: status, kind: kindOAuth, oauth: oauth, msg: msg}
}

// surface names the error format of a family of endpoints.
type surface int

const (
	surfaceData surface = iota
	surfaceCredentials
	surfaceRelationship
	surfaceAdmin
	surfacePlain
)

// surfaceForPath picks the error shape for a path no route matched.
func surfaceForPath(p string) surface {
	switch {
	case strings.HasPrefix(p, "/V2.0/"):
		return surfaceData
	case strings.HasPrefix(p, "/api/v2/"), p == "/oauth/token":
		return surfaceCredentials
	case strings.HasPrefix(p, "/api/rest/"):
		return surfaceRelationship
	case strings.HasPrefix(p, adminPrefix):
		return surfaceAdmin
	}
	return surfacePlain
}

// dataErrorCode maps a failure to the data API's errorCode.
func dataErrorCode(e *apiError) string {
	switch e.kind {
	case kindUnauthenticated:
		if e.code == wire.CodeExpiredCredential {
			return "SessionTimeout"
		}
		return "Unauthorized"
	case kindScope, kindProxy, kindPermission:
		return "MissingPermissions"
	case kindObject:
		return "EntityTypeNotAccessible"
	case kindNotFound:
		return "EntityNotFound"
	case kindInternal:
		return "InternalError"
	case kindRateLimited:
		return "RequestLimitExceeded"
	case kindUnavailable:
		return "ServiceUnavailable"
	}
	return "InvalidArgument"
}

// genesysCode maps a failure to the credentials API's ErrorBody code.
func genesysCode(e *apiError) string {
	switch e.kind {
	case kindUnauthenticated:
		switch e.code {
		case wire.CodeMissingCredential:
			return "authentication.required"
		case wire.CodeExpiredCredential:
			return "credentials.expired"
		}
		return "bad.credentials"
	case kindScope:
		return "missing.scopes"
	case kindPermission:
		return "missing.any.permissions"
	case kindProxy, kindObject:
		return "not.authorized"
	case kindNotFound:
		return "not.found"
	case kindMethodNotAllowed:
		return "method.not.allowed"
	case kindInternal:
		return "internal.server.error"
	case kindRateLimited:
		return "too.many.requests"
	case kindUnavailable:
		return "service.unavailable"
	case kindMisdirected:
		return "misdirected.request"
	}
	return "bad.request"
}

// problemCode maps a failure to the relationship API's problem errorCode.
func problemCode(e *apiError) string {
	switch e.kind {
	case kindUnauthenticated:
		if e.code == wire.CodeExpiredCredential {
			return "token_expired"
		}
		return "unauthorized"
	case kindScope:
		return "missing_scopes"
	case kindProxy:
		return "proxy_not_allowed"
	case kindPermission:
		return "missing_permissions"
	case kindObject:
		return "entry_type_not_accessible"
	case kindNotFound:
		return "not_found"
	case kindMethodNotAllowed:
		return "method_not_allowed"
	case kindInternal:
		return "internal_error"
	case kindRateLimited:
		return "too_many_requests"
	case kindUnavailable:
		return "service_unavailable"
	case kindMisdirected:
		return "misdirected_request"
	}
	return "invalid_request"
}

// genesysError is a credentials API error body together with the values
// its optional (pointer) fields point to, so that writing one costs one
// allocation.
type genesysError struct {
	body    credentialsapi.ErrorBody
	details []credentialsapi.ErrorDetail
	detail  [1]credentialsapi.ErrorDetail
	params  map[string]string
}

// Shared values the generated models point to; they are only read.
var (
	codeInvalidValue      = "invalid.value"
	permissionsWithParams = "Unable to perform the requested action. You are missing the following permission(s): [{permissions}]"
	scopesWithParams      = "Missing required oauth scopes: {scopes}"
)

// problem is a relationship API problem body together with the values its
// optional fields point to (one allocation, like genesysError).
type problem struct {
	body   relationshipapi.Problem
	typ    string
	code   string
	errors map[string][]string
}

// writeError renders e in the shape of surface s: the models generated from
// the surface's spec, except for the data API (its error body) and the
// plain surface, which no spec describes.
func (rc *reqCtx) writeError(s surface, e *apiError) {
	if e.kind == kindOAuth { // only the credentials and relationship token endpoints fail so
		if s == surfaceCredentials {
			// Genesys repeats the description.
			rc.writeJSON(e.status, "application/json", &credentialsapi.OAuthError{Error: e.oauth, ErrorDescription: &e.msg, Description: &e.msg})
			return
		}
		rc.writeJSON(e.status, "application/json", &relationshipapi.OAuthError{Error: e.oauth, ErrorDescription: &e.msg})
		return
	}
	switch s {
	case surfaceData:
		rc.writeJSON(e.status, "application/json", &dataapi.Error{ErrorCode: dataErrorCode(e), Message: e.msg, ReferenceId: &rc.correlationID})
	case surfaceCredentials:
		g := &genesysError{}
		g.body = credentialsapi.ErrorBody{
			Message: e.msg, Code: genesysCode(e), Status: e.status, ContextId: &rc.correlationID, Details: &g.details,
		}
		g.details = g.detail[:0] // never nil: Genesys writes "details": []
		switch e.kind {
		case kindPermission:
			g.params = map[string]string{"permissions": strings.Join(e.missing, ", ")}
			g.body.MessageParams, g.body.MessageWithParams = &g.params, &permissionsWithParams
		case kindScope:
			g.params = map[string]string{"scopes": strings.Join(e.missing, " ")}
			g.body.MessageParams, g.body.MessageWithParams = &g.params, &scopesWithParams
		}
		if e.field != "" {
			g.detail[0] = credentialsapi.ErrorDetail{ErrorCode: &codeInvalidValue, FieldName: &e.field}
			g.details = g.detail[:1]
		}
		rc.writeJSON(e.status, "application/json", &g.body)
	case surfaceRelationship:
		p := &problem{typ: problemType(e.status), code: problemCode(e)}
		p.body = relationshipapi.Problem{
			Type: &p.typ, Title: http.StatusText(e.status), Status: e.status, Detail: &e.msg, TraceId: &rc.correlationID, ErrorCode: &p.code,
		}
		if e.field != "" {
			p.errors = map[string][]string{e.field: {e.msg}}
			p.body.Errors = &p.errors
		}
		rc.writeJSON(e.status, "application/problem+json", &p.body)
	case surfaceAdmin:
		rc.writeJSON(e.status, "application/json", &adminapi.Error{Error: plainCode(e), Message: e.msg})
	default:
		// Requests outside every spec (the health check, paths under no
		// API's prefix): no spec declares this body, so it has no generated
		// model. It is the admin API's shape.
		rc.writeJSON(e.status, "application/json", map[string]string{"error": plainCode(e), "message": e.msg})
	}
}

// plainCode maps a failure to the admin API's (and the plain surface's)
// error code.
func plainCode(e *apiError) string {
	switch e.kind {
	case kindNotFound:
		return "not_found"
	case kindMethodNotAllowed:
		return "method_not_allowed"
	case kindInternal:
		return "internal_error"
	case kindMisdirected:
		return "misdirected_request"
	case kindForbiddenOrigin:
		return "forbidden_origin"
	case kindUnsupportedMedia:
		return "unsupported_media_type"
	}
	return "bad_request"
}

// problemType is a problem's type: the RFC section of its status.
func problemType(status int) string {
	switch status {
	case 400:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.1"
	case 401:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.2"
	case 403:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.4"
	case 404:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.5"
	case 405:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.6"
	case 413:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.14"
	case 421:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.20"
	case 429:
		return "https://tools.ietf.org/html/rfc6585#section-4"
	case 503:
		return "https://tools.ietf.org/html/rfc9110#section-15.6.4"
	}
	return "https://tools.ietf.org/html/rfc9110#section-15.6.1"
}
