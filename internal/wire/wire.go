// Package wire holds the contract between the mock server and the SDK that is
// not part of any vendor format: the mock-only decision header and the stable
// codes of the authorization pipeline's steps.
package wire

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// DecisionHeader carries a Decision, as one line of JSON, on every response
// of a vendor operation served by the mock.
const DecisionHeader = "X-Tenantkit-Decision"

// ExplainHeader, sent by a client with any value, asks the mock to fill the
// Decision's Reason for an allowed request too.
const ExplainHeader = "X-Tenantkit-Explain"

// Steps of the authorization pipeline, in order.
const (
	StepAuthenticate = "authenticate"
	StepScope        = "scope"
	StepProxy        = "proxy"
	StepPermission   = "permission"
	StepObject       = "object"
	StepRow          = "row"
)

// StepValidate: the request was refused as malformed (400) by request
// validation against the spec or by the handler, after the pipeline's
// steps or before them. A refused request never reads as allowed.
const StepValidate = "validate"

// Steps of the mock's resilience layer, which runs before the pipeline: a
// request refused by the tenant's rate limit, or hit by an injected fault.
const (
	StepRateLimit = "rate_limit"
	StepFault     = "fault"
)

// Outcomes.
const (
	OutcomeAllow = "allow"
	OutcomeDeny  = "deny"
	// OutcomeAuditDeny: the request would have been denied, and was allowed
	// because the tenant runs with enforcement: audit.
	OutcomeAuditDeny = "audit-deny"
)

// Codes name why a step failed. They are stable.
const (
	CodeMissingCredential   = "missing_credential"
	CodeMalformedCredential = "malformed_credential"
	CodeUnknownCredential   = "unknown_credential"
	CodeExpiredCredential   = "expired_credential"
	CodeRevokedCredential   = "revoked_credential"
	// CodeWrongTokenAPI: a bearer token issued by another API's token
	// endpoint (a 401: each API is its own authorization server).
	CodeWrongTokenAPI       = "wrong_token_api"
	CodeMissingScopes       = "missing_scopes"
	CodeProxyNotAllowed     = "proxy_not_allowed"
	CodeMissingPermissions  = "missing_permissions"
	CodeObjectNotAccessible = "object_not_accessible"
	CodeRowHidden           = "row_hidden"
	// CodeRowNotEditable: the effective user sees the row but holds no
	// edit right on it (a loaded API's operation with edit: rows).
	CodeRowNotEditable = "row_not_editable"
	// CodeRowNotFound: no row with that id is visible to the effective user.
	// The decision header gives it for every single-row 404, hidden or
	// missing alike; only X-Tenantkit-Explain tells row_hidden apart.
	CodeRowNotFound = "row_not_found"
	// CodeInvalidRequest: the request is malformed (a 400), at the validate
	// step or, for a malformed AS-USER value, at the proxy step.
	CodeInvalidRequest = "invalid_request"
	CodeRateLimited    = "rate_limited"
	CodeInjectedFault  = "injected_fault"
)

// Caller is the credential a request came through. ID never holds a secret:
// it is an API key's name, an OAuth client id or a session's user.
type Caller struct {
	Kind string `json:"kind"` // api_key, oauth_client or session
	ID   string `json:"id"`
	User int64  `json:"user"` // the credential's own user
}

// Decision explains what the mock decided for one request.
type Decision struct {
	Operation string `json:"operation"`
	Outcome   string `json:"outcome"`
	// Step and Code are set when a step failed (or, under audit, would have).
	Step string `json:"step,omitempty"`
	Code string `json:"code,omitempty"`
	// Missing lists what the failed step needed: scopes (all of them), or
	// permissions (any one of them would do).
	Missing    []string `json:"missing,omitempty"`
	EntityType string   `json:"entityType,omitempty"`
	// EffectiveUser is the user whose rights applied: the AS-USER principal
	// when proxying, otherwise the caller's user.
	EffectiveUser int64   `json:"effectiveUser,omitempty"`
	Principal     int64   `json:"principal,omitempty"` // the AS-USER value, when sent
	Caller        *Caller `json:"caller,omitempty"`
	// Reason is one human sentence; Fix suggests what would allow the request.
	Reason string `json:"reason,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Encode renders d for the header.
func (d Decision) Encode() string {
	var buf [512]byte
	return string(d.AppendJSON(buf[:0]))
}

// AppendJSON appends d as encoding/json marshals it (the same bytes,
// TestDecisionAppendJSON checks that), without reflection: the mock writes
// it on every response.
func (d Decision) AppendJSON(b []byte) []byte {
	b = append(b, `{"operation":`...)
	b = AppendString(b, d.Operation)
	b = append(b, `,"outcome":`...)
	b = AppendString(b, d.Outcome)
	b = appendOptString(b, `,"step":`, d.Step)
	b = appendOptString(b, `,"code":`, d.Code)
	if len(d.Missing) > 0 {
		b = append(b, `,"missing":[`...)
		for i, m := range d.Missing {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, m)
		}
		b = append(b, ']')
	}
	b = appendOptString(b, `,"entityType":`, d.EntityType)
	if d.EffectiveUser != 0 {
		b = strconv.AppendInt(append(b, `,"effectiveUser":`...), d.EffectiveUser, 10)
	}
	if d.Principal != 0 {
		b = strconv.AppendInt(append(b, `,"principal":`...), d.Principal, 10)
	}
	if c := d.Caller; c != nil {
		b = append(b, `,"caller":{"kind":`...)
		b = AppendString(b, c.Kind)
		b = append(b, `,"id":`...)
		b = AppendString(b, c.ID)
		b = strconv.AppendInt(append(b, `,"user":`...), c.User, 10)
		b = append(b, '}')
	}
	b = appendOptString(b, `,"reason":`, d.Reason)
	b = appendOptString(b, `,"fix":`, d.Fix)
	return append(b, '}')
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return AppendString(append(b, key...), s)
}

// AppendString appends s as a JSON string, byte for byte as encoding/json
// writes it (HTML characters, U+2028 and U+2029 escaped, invalid UTF-8
// replaced), without its reflection and allocation: printable ASCII is
// copied in runs.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	// Most strings need no escape at all: one pass, one copy.
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && plainASCII[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control characters, < > &
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// plainASCII says which ASCII bytes a JSON string holds as they are: one
// look-up per byte instead of six comparisons.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// ParseDecision reads a header value; ok is false when it is absent or not a Decision.
func ParseDecision(v string) (d Decision, ok bool) {
	if v == "" {
		return d, false
	}
	if err := json.Unmarshal([]byte(v), &d); err != nil || d.Outcome == "" {
		return Decision{}, false
	}
	return d, true
}

// String describes the decision in one line: the outcome, and for a
// failed step the step, its code, the reason and the suggested fix.
func (d Decision) String() string {
	s := d.Outcome
	if d.Step != "" {
		s += " at " + d.Step
		if d.Code != "" {
			s += " (" + d.Code + ")"
		}
	}
	if d.Reason != "" {
		s += ": " + d.Reason
	}
	if d.Fix != "" {
		s += "; fix: " + d.Fix
	}
	return s
}
