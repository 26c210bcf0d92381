package mockserver

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/internal/wire"
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

// genesysErrorBody is the credentials API's error body, its fields in the
// order encoding/json writes a map's keys (the body was a map).
type genesysErrorBody struct {
	Code              string               `json:"code"`
	ContextID         string               `json:"contextId"`
	Details           []genesysErrorDetail `json:"details"`
	Message           string               `json:"message"`
	MessageParams     map[string]string    `json:"messageParams,omitempty"`
	MessageWithParams string               `json:"messageWithParams,omitempty"`
	Status            int                  `json:"status"`
}

type genesysErrorDetail struct {
	ErrorCode string `json:"errorCode"`
	FieldName string `json:"fieldName"`
}

// writeError renders e in the shape of surface s.
func (rc *reqCtx) writeError(s surface, e *apiError) {
	if e.kind == kindOAuth {
		body := map[string]string{"error": e.oauth, "error_description": e.msg}
		if s == surfaceCredentials {
			body["description"] = e.msg // Genesys repeats it
		}
		rc.writeJSON(e.status, "application/json", body)
		return
	}
	switch s {
	case surfaceData:
		rc.writeJSON(e.status, "application/json", map[string]string{
			"errorCode": dataErrorCode(e), "message": e.msg, "referenceId": rc.correlationID,
		})
	case surfaceCredentials:
		body := genesysErrorBody{
			Message: e.msg, Code: genesysCode(e), Status: e.status, ContextID: rc.correlationID, Details: []genesysErrorDetail{},
		}
		switch e.kind {
		case kindPermission:
			body.MessageParams = map[string]string{"permissions": strings.Join(e.missing, ", ")}
			body.MessageWithParams = "Unable to perform the requested action. You are missing the following permission(s): [{permissions}]"
		case kindScope:
			body.MessageParams = map[string]string{"scopes": strings.Join(e.missing, " ")}
			body.MessageWithParams = "Missing required oauth scopes: {scopes}"
		}
		if e.field != "" {
			body.Details = []genesysErrorDetail{{ErrorCode: "invalid.value", FieldName: e.field}}
		}
		rc.writeJSON(e.status, "application/json", &body)
	case surfaceRelationship:
		typ := "https://tools.ietf.org/html/rfc9110#section-15." + problemSection(e.status)
		if e.status == http.StatusTooManyRequests {
			typ = "https://tools.ietf.org/html/rfc6585#section-4"
		}
		body := map[string]any{
			"type":      typ,
			"title":     http.StatusText(e.status),
			"status":    e.status,
			"detail":    e.msg,
			"traceId":   rc.correlationID,
			"errorCode": problemCode(e),
		}
		if e.field != "" {
			body["errors"] = map[string][]string{e.field: {e.msg}}
		}
		rc.writeJSON(e.status, "application/problem+json", body)
	default:
		code := map[errKind]string{kindNotFound: "not_found", kindMethodNotAllowed: "method_not_allowed", kindInternal: "internal_error",
			kindMisdirected: "misdirected_request", kindForbiddenOrigin: "forbidden_origin", kindUnsupportedMedia: "unsupported_media_type"}[e.kind]
		if code == "" {
			code = "bad_request"
		}
		rc.writeJSON(e.status, "application/json", map[string]string{"error": code, "message": e.msg})
	}
}

func problemSection(status int) string {
	switch status {
	case 400:
		return "5.1"
	case 401:
		return "5.2"
	case 403:
		return "5.4"
	case 404:
		return "5.5"
	case 405:
		return "5.6"
	case 421:
		return "5.20"
	case 413:
		return "5.14"
	case 503:
		return "6.4"
	}
	return "6.1"
}
