package client

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// OperationError is returned when an operation fails without an error
// response: the request could not be sent, the context ended, or a 2xx
// response could not be decoded. Unwrap gives the cause (context.Canceled,
// a *url.Error, a JSON error...).
type OperationError struct {
	API       API
	Operation string
	Err       error
}

// Error returns one line naming the operation and the cause, with URLs'
// query strings and anything that looks like a credential removed.
func (e *OperationError) Error() string {
	return "tenantkit: " + string(e.API) + " " + e.Operation + ": " + redact(e.Err.Error())
}

// Unwrap returns the cause.
func (e *OperationError) Unwrap() error { return e.Err }

// APIError is a non-2xx response. Every typed error below embeds one, and
// errors.As(err, &apiErr) reaches it from any of them.
type APIError struct {
	API        API
	Operation  string // operationId, e.g. "deleteCredential"
	StatusCode int
	// Code is the vendor's error code: Genesys code ("missing.any.permissions"),
	// Clarizen errorCode ("EntityNotFound"), problem errorCode
	// ("missing_scopes") or OAuth error ("invalid_client").
	Code string
	// Message is the vendor's human-readable message, secrets redacted.
	Message string
	// RequestID correlates the call with server logs: Genesys contextId or
	// ININ-Correlation-Id, Clarizen referenceId, problem traceId.
	RequestID string
	// Body is the raw response body (at most 1 MiB). It is never part of
	// Error(); it may contain anything the server echoed.
	Body []byte
	// Header is the response header.
	Header http.Header
	// Decision is the mock's explanation, nil when the server sent none.
	Decision *Decision
}

// Error returns one line: the operation, the status, the vendor code and
// message, e.g. "tenantkit: credentials deleteCredential: 403
// missing.any.permissions: missing permission integrations:integration:delete".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("tenantkit: ")
	b.WriteString(string(e.API))
	b.WriteByte(' ')
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	msg := redact(e.Message)
	if msg == "" && e.Decision != nil {
		msg = redact(e.Decision.Reason)
	}
	switch {
	case e.Code != "" && msg != "":
		b.WriteString(" " + redact(e.Code) + ": " + msg)
	case e.Code != "":
		b.WriteString(" " + redact(e.Code))
	case msg != "":
		b.WriteString(" " + msg)
	default:
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteString(" " + t)
		}
	}
	return b.String()
}

// Reasons an *UnauthenticatedError gives for a rejected credential.
const (
	ReasonMissing   = "missing"
	ReasonMalformed = "malformed"
	ReasonUnknown   = "unknown"
	ReasonExpired   = "expired"
	ReasonRevoked   = "revoked"
	// ReasonWrongAPI: the bearer token was issued by another API's token
	// endpoint; each API accepts only tokens from its own.
	ReasonWrongAPI = "wrong_api"
	// ReasonScopeNotAllowed: the token endpoint refused a scope the client
	// may not have (OAuth invalid_scope).
	ReasonScopeNotAllowed = "scope_not_allowed"
)

// UnauthenticatedError is a credential that was missing or not accepted:
// a 401 from the operation, or a refusal before the operation was sent.
//
// The second kind has Err set to the auth package's error, which errors.As
// reaches too:
//   - *auth.TokenError: the token endpoint refused the client id or secret
//     (invalid_client, 401) or a scope (invalid_scope, 400); StatusCode,
//     Code and Message are the token endpoint's.
//   - *auth.LoginError: the data API refused the user name or password;
//     StatusCode, Code, Message and RequestID are the login's.
//   - an error wrapping auth.ErrNoCredential: the provider was given an
//     empty secret; StatusCode is 0, as no request was sent.
//
// A token endpoint or login that fails with 429 or a 5xx is not a refusal:
// that is an *OperationError wrapping the auth error.
type UnauthenticatedError struct {
	*APIError
	// Reason is one of ReasonMissing, ReasonMalformed, ReasonUnknown,
	// ReasonExpired, ReasonRevoked, ReasonWrongAPI or ReasonScopeNotAllowed; "" when the
	// server did not say.
	Reason string
	// Err is the auth package's error when the credential was refused
	// before the operation was sent; nil for a 401 from the operation.
	Err error
}

// Error is the *APIError's message, or for a refusal before the operation
// was sent, the auth error's message after the operation's name.
func (e *UnauthenticatedError) Error() string {
	if e.Err == nil {
		return e.APIError.Error()
	}
	return "tenantkit: " + string(e.API) + " " + e.Operation + ": " + redact(e.Err.Error())
}

// Unwrap returns the *APIError and, when set, Err.
func (e *UnauthenticatedError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.APIError}
	}
	return []error{e.APIError, e.Err}
}

// ScopeError is a 403 because the OAuth token lacks scopes the operation
// needs.
type ScopeError struct {
	*APIError
	// Missing lists the scopes the token lacks of the scope set it came
	// closest to (every one of them is needed for that set). An operation
	// may accept one of several sets ("integrations:readonly" or
	// "integrations"); Alternatives lists them all.
	Missing []string
	// Alternatives are the operation's scope sets, from its spec: a token
	// holding every scope of any one of them is enough.
	Alternatives [][]string
}

// Unwrap returns the *APIError.
func (e *ScopeError) Unwrap() error { return e.APIError }

// PermissionError is a 403 because the effective user's roles grant none of
// the operation's permissions.
type PermissionError struct {
	*APIError
	// Missing lists the permissions any one of which would allow the call.
	Missing []string
}

// Unwrap returns the *APIError.
func (e *PermissionError) Unwrap() error { return e.APIError }

// ProxyError is a refusal because the caller may not act as the AS-USER
// principal: 403, or 401 where the API answers so (the relationship API).
type ProxyError struct {
	*APIError
	// Principal is the user the call tried to act as (0 if unknown).
	Principal int64
}

// Unwrap returns the *APIError.
func (e *ProxyError) Unwrap() error { return e.APIError }

// ObjectAccessError is a 403 because the effective user may not use that
// entity type through the API.
type ObjectAccessError struct {
	*APIError
	// EntityType is the entity or entry type refused ("" if unknown).
	EntityType string
}

// Unwrap returns the *APIError.
func (e *ObjectAccessError) Unwrap() error { return e.APIError }

// NotFoundError is a 404, or a Clarizen EntityNotFound whatever its status
// (the vendor sends it with 500). Rows the caller may not see are reported
// as not found too.
type NotFoundError struct {
	*APIError
}

// Unwrap returns the *APIError.
func (e *NotFoundError) Unwrap() error { return e.APIError }

// RateLimitError is a 429 that the client did not (or no longer) retry.
type RateLimitError struct {
	*APIError
	// RetryAfter is the wait the server asked for (0 if it did not say).
	RetryAfter time.Duration
}

// Unwrap returns the *APIError.
func (e *RateLimitError) Unwrap() error { return e.APIError }

// Error adds the requested wait to the *APIError message.
func (e *RateLimitError) Error() string {
	if e.RetryAfter <= 0 {
		return e.APIError.Error()
	}
	return fmt.Sprintf("%s (retry after %s)", e.APIError.Error(), e.RetryAfter)
}

// ValidationError is a 400 (or 422): the request was malformed.
type ValidationError struct {
	*APIError
	// Fields lists per-field problems when the server names them: Genesys
	// details, problem+json errors, or, for the data API, whose error body
	// has no field list, the field its message starts with ("limit: ...").
	Fields []FieldError
}

// Unwrap returns the *APIError.
func (e *ValidationError) Unwrap() error { return e.APIError }

// FieldError is one field's problem in a *ValidationError.
type FieldError struct {
	Field   string
	Code    string
	Message string
}

// Compile-time checks that every type is an error.
var (
	_ error = (*OperationError)(nil)
	_ error = (*APIError)(nil)
	_ error = (*UnauthenticatedError)(nil)
	_ error = (*ScopeError)(nil)
	_ error = (*PermissionError)(nil)
	_ error = (*ProxyError)(nil)
	_ error = (*ObjectAccessError)(nil)
	_ error = (*NotFoundError)(nil)
	_ error = (*RateLimitError)(nil)
	_ error = (*ValidationError)(nil)
	_ error = (*IncompleteError)(nil)
)
