package pipeline

import (
	"fmt"
	"net/http"
	"strings"
)

// AdminPrefix is where the admin API's paths start.
const AdminPrefix = "/_mock/"

// SpecsPrefix is where the admin API serves the specs.
const SpecsPrefix = AdminPrefix + "specs/"

// errKind classifies a failure independently of the surface that reports it.
type ErrKind int

const (
	KindBadRequest ErrKind = iota
	KindUnauthenticated
	KindScope
	KindProxy
	KindPermission
	KindObject
	KindNotFound
	KindMethodNotAllowed
	KindInternal
	// kindOAuth is a token endpoint failure, reported as RFC 6749 JSON.
	KindOAuth
	// kindRateLimited is a 429: the rate limit, or an injected fault.
	KindRateLimited
	// kindUnavailable is a 503 (an injected fault).
	KindUnavailable
	// kindMisdirected is a 421: a Host the server does not answer for.
	KindMisdirected
	// kindForbiddenOrigin is a 403 for an admin request from another
	// origin or site.
	KindForbiddenOrigin
	// kindUnsupportedMedia is a 415: an admin write that is not JSON.
	KindUnsupportedMedia
	// KindConflict is a 409: the request conflicts with the tenant's state
	// (a second active API key where the API allows one).
	KindConflict
)

// Error is a failure on its way to the client, in whatever shape the
// surface uses.
type Error struct {
	Status  int
	Kind    ErrKind
	Msg     string
	Field   string   // bad input: the field at fault
	Missing []string // scopes (all needed) or permissions (any one)
	Code    string   // wire.Code* for authorization failures
	OAuth   string   // RFC 6749 error code for kindOAuth
}

func (e *Error) Error() string { return e.Msg }

func BadRequest(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" && !strings.HasPrefix(msg, field+":") {
		msg = field + ": " + msg
	}
	return &Error{Status: http.StatusBadRequest, Kind: KindBadRequest, Field: field, Msg: msg}
}

func NotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Kind: KindNotFound, Msg: fmt.Sprintf(format, args...)}
}

func Unauthenticated(code, msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Kind: KindUnauthenticated, Code: code, Msg: msg}
}

func OAuthError(status int, oauth, msg string) *Error {
	return &Error{Status: status, Kind: KindOAuth, OAuth: oauth, Msg: msg}
}

// surface is what an API's wire format says beyond its spec's operations:
// how it writes an error (its error body, from the models generated from its
// spec), and the headers and wording it adds. Which paths are its, for
// failures before a request is routed, its spec says (Specs.SurfaceFor). Each API's surface lives with its
// handlers (apis.go lists them); the request path only calls through it.
type Surface struct {
	Name string
	// WriteError writes e in the API's error body.
	WriteError func(rc *Request, e *Error)
	// rateLimitMessage words a 429 of the rate limit; nil: a plain sentence.
	RateLimitMessage func(requests, windowSecs int) string
	// correlationHeader names the header that carries the request's
	// correlation id on every answer ("" for none).
	CorrelationHeader string
	// rateLimitHeaders: answers carry the rate limit's count, allowance and
	// reset (inin-ratelimit-*), when a limit is on.
	RateLimitHeaders bool
}

// SurfacePlain is the shape of answers outside every spec: the health
// check and paths under no API's prefix. No spec declares its body, so it
// has no generated model; it is the admin API's shape.
var SurfacePlain = &Surface{Name: "plain", WriteError: func(rc *Request, e *Error) {
	rc.WriteJSON(e.Status, "application/json", map[string]string{"error": PlainCode(e), "message": e.Msg})
}}

// SurfaceFor picks the error shape for a path no route matched yet: the
// surface of the API whose spec has a path with the same first two
// segments (pathPrefix), else the plain one. Every request asks, so it
// compares in place rather than building prefix+"/".
func (sp *Specs) SurfaceFor(p string) *Surface {
	for _, a := range sp.all {
		for _, prefix := range a.prefixes {
			if base := strings.TrimSuffix(prefix, "/"); p == prefix || len(p) > len(base) && p[len(base)] == '/' && p[:len(base)] == base {
				return a.Surface
			}
		}
	}
	return SurfacePlain
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

// WriteError renders e in the shape of surface s.
func (rc *Request) WriteError(s *Surface, e *Error) { s.WriteError(rc, e) }

// plainCode maps a failure to the admin API's (and the plain surface's)
// error code.
func PlainCode(e *Error) string {
	switch e.Kind {
	case KindNotFound:
		return "not_found"
	case KindMethodNotAllowed:
		return "method_not_allowed"
	case KindInternal:
		return "internal_error"
	case KindMisdirected:
		return "misdirected_request"
	case KindForbiddenOrigin:
		return "forbidden_origin"
	case KindUnsupportedMedia:
		return "unsupported_media_type"
	}
	return "bad_request"
}
