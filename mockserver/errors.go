package mockserver

import (
	"fmt"
	"net/http"
	"strings"
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

// surface is what an API's wire format says beyond its spec's operations:
// how it writes an error (its error body, from the models generated from its
// spec), and the headers and wording it adds. Which paths are its, for
// failures before a request is routed, its spec says (specs.surfaceFor). Each API's surface lives with its
// handlers (apis.go lists them); the request path only calls through it.
type surface struct {
	name string
	// writeError writes e in the API's error body.
	writeError func(rc *reqCtx, e *apiError)
	// rateLimitMessage words a 429 of the rate limit; nil: a plain sentence.
	rateLimitMessage func(requests, windowSecs int) string
	// correlationHeader names the header that carries the request's
	// correlation id on every answer ("" for none).
	correlationHeader string
	// rateLimitHeaders: answers carry the rate limit's count, allowance and
	// reset (inin-ratelimit-*), when a limit is on.
	rateLimitHeaders bool
}

// surfacePlain is the shape of answers outside every spec: the health
// check and paths under no API's prefix. No spec declares its body, so it
// has no generated model; it is the admin API's shape.
var surfacePlain = &surface{name: "plain", writeError: func(rc *reqCtx, e *apiError) {
	rc.writeJSON(e.status, "application/json", map[string]string{"error": plainCode(e), "message": e.msg})
}}

// surfaceFor picks the error shape for a path no route matched yet: the
// surface of the API whose spec has a path with the same first two
// segments (pathPrefix), else the plain one.
func (sp *specs) surfaceFor(p string) *surface {
	for _, a := range sp.all {
		for _, prefix := range a.prefixes {
			if p == prefix || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/") {
				return a.surface
			}
		}
	}
	return surfacePlain
}

// pathPrefix is the first two segments of a spec's path ("/api/v2" of
// "/api/v2/integrations/credentials", "/oauth/token", "/_mock/").
func pathPrefix(path string) string {
	n := 0
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			if n++; n == 2 {
				return path[:i]
			}
		}
	}
	return path
}

// writeError renders e in the shape of surface s.
func (rc *reqCtx) writeError(s *surface, e *apiError) { s.writeError(rc, e) }

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
