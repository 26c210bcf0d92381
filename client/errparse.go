package client

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/internal/wire"
)

// vendorError is what the client reads from any vendor error body.
type vendorError struct {
	code, message, requestID string
	params                   map[string]string // Genesys messageParams
	fields                   []FieldError
}

// errorSchema names the error body an operation declares in its spec.
type errorSchema int

const (
	schemaClarizen errorSchema = iota // data API: dataapi.Error
	schemaGenesys                     // credentials API: credentialsapi.ErrorBody
	schemaProblem                     // relationship API: relationshipapi.Problem (RFC 7807)
	schemaOAuth                       // token endpoints: OAuth {error, error_description}
)

// errorSchemaOf returns the error schema op declares: each API has one,
// and the token endpoints answer with OAuth errors.
func errorSchemaOf(op Operation) errorSchema {
	switch {
	case op.ID == "getToken":
		return schemaOAuth
	case op.API == CredentialsAPI:
		return schemaGenesys
	case op.API == RelationshipAPI:
		return schemaProblem
	}
	return schemaClarizen
}

// parseVendorError decodes an error body as the error schema op declares
// (Genesys ErrorBody {message, code, status, messageParams, contextId,
// details}, Clarizen {errorCode, message, referenceId}, RFC 7807 problem
// {type, title, status, detail, traceId, errorCode, errors} or OAuth
// {error, error_description}). A body that is not that schema (a proxy's
// HTML page, another server's JSON) yields an empty vendorError, and the
// error is typed by its status alone.
func parseVendorError(op Operation, body []byte) vendorError {
	var v vendorError
	switch errorSchemaOf(op) {
	case schemaClarizen:
		var e dataapi.Error
		if json.Unmarshal(body, &e) != nil || (e.ErrorCode == "" && e.Message == "") {
			return vendorError{}
		}
		v.code, v.message, v.requestID = e.ErrorCode, e.Message, deref(e.ReferenceId)
		// The data API's error body has no field list; its messages name
		// the field they are about first ("where._type: ...").
		if m := fieldMessageRE.FindStringSubmatch(e.Message); m != nil {
			v.fields = []FieldError{{Field: m[1], Message: redact(m[2])}}
		}
	case schemaGenesys:
		var e credentialsapi.ErrorBody
		if json.Unmarshal(body, &e) != nil || (e.Code == "" && e.Message == "") {
			return vendorError{}
		}
		v.code, v.message, v.requestID = e.Code, e.Message, deref(e.ContextId)
		if e.MessageParams != nil {
			v.params = *e.MessageParams
		}
		if e.Details != nil {
			for _, d := range *e.Details {
				if deref(d.FieldName) == "" && deref(d.ErrorCode) == "" {
					continue
				}
				v.fields = append(v.fields, FieldError{Field: deref(d.FieldName), Code: deref(d.ErrorCode)})
			}
		}
	case schemaProblem:
		var e relationshipapi.Problem
		if json.Unmarshal(body, &e) != nil || (e.Message == "" && e.Title == "" && e.Detail == nil && e.ErrorCode == nil) {
			return vendorError{}
		}
		v.code, v.message, v.requestID = deref(e.ErrorCode), firstNonEmpty(e.Message, deref(e.Detail), e.Title), deref(e.TraceId)
		if e.Errors != nil {
			for _, fe := range *e.Errors {
				v.fields = append(v.fields, FieldError{Field: deref(fe.Field), Code: deref(fe.ErrorCode), Message: redact(fe.Message)})
			}
		}
	case schemaOAuth:
		var e credentialsapi.OAuthError
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			return vendorError{}
		}
		v.code, v.message = e.Error, firstNonEmpty(deref(e.ErrorDescription), deref(e.Description))
	}
	return v
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Vendor codes, by kind of failure.
var (
	scopeCodes      = []string{"missing.scopes", "missing_scopes", "insufficient_scope", wire.CodeMissingScopes}
	proxyCodes      = []string{"proxy_not_allowed", "ProxyNotAllowed", "proxy.not.allowed"}
	permissionCodes = []string{"missing.any.permissions", "missing.permissions", "MissingPermissions", "missing_permissions"}
	objectCodes     = []string{"EntityTypeNotAccessible", "entry_type_not_accessible", "entity_type_not_accessible", wire.CodeObjectNotAccessible}
	notFoundCodes   = []string{"EntityNotFound", "not.found", "not_found", "NotFound", wire.CodeRowHidden, wire.CodeRowNotFound}
)

// unauthenticatedReasons maps decision and vendor codes to a Reason.
var unauthenticatedReasons = map[string]string{
	wire.CodeMissingCredential:   ReasonMissing,
	wire.CodeMalformedCredential: ReasonMalformed,
	wire.CodeUnknownCredential:   ReasonUnknown,
	wire.CodeExpiredCredential:   ReasonExpired,
	wire.CodeRevokedCredential:   ReasonRevoked,
	wire.CodeWrongTokenAPI:       ReasonWrongAPI,
	"authentication.required":    ReasonMissing,
	"bad.credentials":            ReasonUnknown,
	"credentials.expired":        ReasonExpired,
	"SessionTimeout":             ReasonExpired,
	"token_expired":              ReasonExpired,
	"invalid_token":              ReasonUnknown,
	"invalid_client":             ReasonUnknown,
}

var (
	scopesMessageRE = regexp.MustCompile(`(?i)missing required oauth scopes?:\s*(.+)`)
	permissionRE    = regexp.MustCompile(`[A-Za-z][\w-]*:[\w*-]+:[\w*-]+`)
	bracketRE       = regexp.MustCompile(`\[([^\]]+)\]`)
	fieldMessageRE  = regexp.MustCompile(`^([A-Za-z_][\w-]*(?:\[\d+\])*(?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)*): (.+)$`)
	entityTypeRE    = regexp.MustCompile(`\b(?:[Ee]ntity|[Ee]ntry) type\s+(?:'([^']+)'|"([^"]+)"|([A-Z][A-Za-z0-9_]*))`)
)

// quotaExceeded reports the data API's call-quota refusal by its message,
// the vendor's documented wording "API calls quota exceeded" (clients of
// the vendor match the message: its documents state neither the status nor
// the errorCode).
func quotaExceeded(message string) bool {
	return strings.Contains(strings.ToLower(message), "api calls quota exceeded")
}

// newResponseError builds the typed error for a non-2xx response.
func newResponseError(op Operation, cp *captured, now time.Time) error {
	v := parseVendorError(op, cp.body)
	e := &APIError{
		API:        op.API,
		Operation:  op.ID,
		StatusCode: cp.status,
		Code:       v.code,
		Message:    redact(v.message),
		RequestID:  firstNonEmpty(v.requestID, requestIDHeader(cp.header)),
		Body:       cp.body,
		Header:     cp.header,
	}
	if d, ok := parseDecision(cp.header.Get(wire.DecisionHeader)); ok {
		e.Decision = &d
	}
	var step Step
	var dcode string
	if d := e.Decision; d != nil && d.Outcome == OutcomeDeny {
		step, dcode = d.Step, string(d.Code)
	}
	is := func(codes []string) bool { return slices.Contains(codes, v.code) || slices.Contains(codes, dcode) }

	switch {
	case step == StepProxy || cp.status == http.StatusUnauthorized && is(proxyCodes): // 401 or 403, as the API answers it
		return &ProxyError{APIError: e, Principal: principal(e.Decision, cp.asUser)}
	case cp.status == http.StatusUnauthorized || step == StepAuthenticate || op.API == DataAPI && v.code == "SessionTimeout":
		// The data API's vendor documents errorCode SessionTimeout, not
		// the status it comes with.
		reason := unauthenticatedReasons[dcode]
		if reason == "" {
			reason = unauthenticatedReasons[v.code]
		}
		return &UnauthenticatedError{APIError: e, Reason: reason}
	case cp.status == http.StatusTooManyRequests || op.API == DataAPI && quotaExceeded(v.message):
		d, _ := parseRetryAfter(cp.header, now)
		return &RateLimitError{APIError: e, RetryAfter: d}
	case step == StepScope || is(scopeCodes) || scopesMessageRE.MatchString(v.message):
		return &ScopeError{APIError: e, Missing: missingScopes(e.Decision, v), Alternatives: op.clone().Scopes}
	case step == StepProxy || is(proxyCodes):
		return &ProxyError{APIError: e, Principal: principal(e.Decision, cp.asUser)}
	case step == StepPermission || is(permissionCodes):
		return &PermissionError{APIError: e, Missing: missingPermissions(e.Decision, v)}
	case step == StepObject || is(objectCodes):
		return &ObjectAccessError{APIError: e, EntityType: entityType(op, cp, e.Decision, v)}
	case cp.status == http.StatusNotFound || is(notFoundCodes):
		return &NotFoundError{APIError: e}
	case cp.status == http.StatusBadRequest || cp.status == http.StatusUnprocessableEntity:
		return &ValidationError{APIError: e, Fields: v.fields}
	}
	return e
}

func missingScopes(d *Decision, v vendorError) []string {
	if d != nil && len(d.Missing) > 0 {
		return slices.Clone(d.Missing)
	}
	for k, p := range v.params {
		if strings.Contains(strings.ToLower(k), "scope") {
			return splitList(p)
		}
	}
	if m := scopesMessageRE.FindStringSubmatch(v.message); m != nil {
		return splitList(m[1])
	}
	return nil
}

func missingPermissions(d *Decision, v vendorError) []string {
	if d != nil && len(d.Missing) > 0 {
		return slices.Clone(d.Missing)
	}
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(v.params)) {
		for _, p := range permissionRE.FindAllString(v.params[k], -1) {
			add(p)
		}
	}
	for _, p := range permissionRE.FindAllString(v.message, -1) {
		add(p)
	}
	if len(out) == 0 {
		if m := bracketRE.FindStringSubmatch(v.message); m != nil {
			out = splitList(m[1])
		}
	}
	return out
}

func principal(d *Decision, asUser string) int64 {
	if d != nil && d.Principal > 0 {
		return d.Principal
	}
	id, _ := strconv.ParseInt(asUser, 10, 64)
	return id
}

// entityType finds the refused entity type: in the decision, the vendor
// message, or the request path when the operation names it there.
func entityType(op Operation, cp *captured, d *Decision, v vendorError) string {
	if d != nil && d.EntityType != "" {
		return d.EntityType
	}
	for _, k := range []string{"entityType", "entryType", "typeName", "entityName"} {
		if s := v.params[k]; s != "" {
			return s
		}
	}
	if op.EntityTypeIn == "path" {
		for _, name := range []string{"typeName", "entryType"} {
			if s, ok := pathParam(op.Path, cp.path, name); ok {
				return s
			}
		}
	}
	if m := entityTypeRE.FindStringSubmatch(v.message); m != nil {
		return firstNonEmpty(m[1:]...)
	}
	return ""
}

// pathParam matches a request path against an operation's path template and
// returns the value of {name}. The template is matched from the end, so a
// base URL with a path prefix does not matter.
func pathParam(template, path, name string) (string, bool) {
	t := strings.Split(strings.Trim(template, "/"), "/")
	p := strings.Split(strings.Trim(path, "/"), "/")
	if len(p) < len(t) {
		return "", false
	}
	p = p[len(p)-len(t):]
	for i, seg := range t {
		if seg == "{"+name+"}" {
			return p[i], true
		}
	}
	return "", false
}

// splitList splits "a, b c" or "[a,b]." into its items.
func splitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '[' || r == ']' || r == '"' || r == '\''
	})
	out := f[:0]
	for _, x := range f {
		if x = strings.TrimRight(x, ".;"); x != "" && !strings.EqualFold(x, "and") && !strings.EqualFold(x, "or") {
			out = append(out, x)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// credentialError turns the auth provider's definite refusal of its
// credential, before the operation could be sent, into an
// *UnauthenticatedError; nil for any other error.
func credentialError(op Operation, err error) *UnauthenticatedError {
	var (
		te *auth.TokenError
		le *auth.LoginError
		ue *url.Error
	)
	e := &APIError{API: op.API, Operation: op.ID}
	switch {
	case errors.As(err, &te) && refusedStatus(te.StatusCode):
		e.StatusCode, e.Code, e.Message = te.StatusCode, te.Code, redact(te.Description)
		reason := ReasonUnknown
		switch te.Code {
		case "invalid_scope":
			reason = ReasonScopeNotAllowed
		case "invalid_request":
			reason = ReasonMalformed
		}
		return &UnauthenticatedError{APIError: e, Reason: reason, Err: te}
	case errors.As(err, &le) && refusedStatus(le.StatusCode):
		e.StatusCode, e.Code, e.Message, e.RequestID = le.StatusCode, le.Code, redact(le.Message), le.ReferenceID
		reason := unauthenticatedReasons[le.Code]
		if reason == "" {
			reason = ReasonUnknown
		}
		return &UnauthenticatedError{APIError: e, Reason: reason, Err: le}
	case errors.Is(err, auth.ErrNoCredential):
		if errors.As(err, &ue) {
			err = ue.Err // the provider's own error, without the request URL
		}
		return &UnauthenticatedError{APIError: e, Reason: ReasonMissing, Err: err}
	}
	return nil
}

// refusedStatus reports whether a token endpoint's or login's status is a
// refusal that no retry can change: a 4xx other than 429.
func refusedStatus(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusTooManyRequests
}
