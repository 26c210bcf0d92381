package client

import (
	"net/http"

	"github.com/tenantkit/tenantkit/internal/wire"
)

// Outcome is what the mock decided for a request.
type Outcome string

// Outcomes of a Decision.
const (
	OutcomeAllow Outcome = "allow"
	OutcomeDeny  Outcome = "deny"
	// OutcomeAuditDeny: the request would have been denied, and was allowed
	// because the tenant runs with enforcement: audit.
	OutcomeAuditDeny Outcome = "audit-deny"
)

// Step is a step of the mock's authorization pipeline (or of its resilience
// layer, which runs first).
type Step string

// Steps of a Decision, in the order the mock runs them.
const (
	StepRateLimit    Step = "rate_limit" // the tenant's rate limit refused the request
	StepFault        Step = "fault"      // an injected fault hit the request
	StepAuthenticate Step = "authenticate"
	StepScope        Step = "scope"
	StepProxy        Step = "proxy"
	StepPermission   Step = "permission"
	StepObject       Step = "object"
	StepRow          Step = "row"
	// StepValidate: the request was refused as malformed (400).
	StepValidate Step = "validate"
)

// DecisionCode names why a step failed. The codes are stable.
type DecisionCode string

// Codes of a Decision.
const (
	CodeMissingCredential   DecisionCode = "missing_credential"
	CodeMalformedCredential DecisionCode = "malformed_credential"
	CodeUnknownCredential   DecisionCode = "unknown_credential"
	CodeExpiredCredential   DecisionCode = "expired_credential"
	CodeRevokedCredential   DecisionCode = "revoked_credential"
	// CodeWrongTokenAPI: the bearer token was issued by another API's token
	// endpoint; each API accepts only tokens from its own (a 401).
	CodeWrongTokenAPI       DecisionCode = "wrong_token_api"
	CodeMissingScopes       DecisionCode = "missing_scopes"
	CodeProxyNotAllowed     DecisionCode = "proxy_not_allowed"
	CodeMissingPermissions  DecisionCode = "missing_permissions"
	CodeObjectNotAccessible DecisionCode = "object_not_accessible"
	CodeRowHidden           DecisionCode = "row_hidden"
	// CodeRowNotEditable: the effective user sees the row but holds no
	// edit right on it (an API loaded with a policy that says edit: rows).
	CodeRowNotEditable DecisionCode = "row_not_editable"
	// CodeRowNotFound: no row with that id is visible to the effective
	// user; the header gives it for hidden and missing rows alike, and only
	// a request sent with Explain learns CodeRowHidden.
	CodeRowNotFound DecisionCode = "row_not_found"
	// CodeInvalidRequest: the request is malformed (a 400).
	CodeInvalidRequest DecisionCode = "invalid_request"
	CodeRateLimited    DecisionCode = "rate_limited"
	CodeInjectedFault  DecisionCode = "injected_fault"
)

// Caller is the credential a request came through. ID never holds a secret:
// it is an API key's name, an OAuth client id or a session's user.
type Caller struct {
	Kind string `json:"kind"` // api_key, oauth_client or session
	ID   string `json:"id"`
	User int64  `json:"user"` // the credential's own user
}

// Decision is the tenantkit mock's explanation of its authorization decision
// for one request (the X-Tenantkit-Decision header). Real vendors do not send
// it.
type Decision struct {
	// Operation is the operationId the mock matched.
	Operation string `json:"operation"`
	// Outcome is OutcomeAllow, OutcomeDeny or OutcomeAuditDeny; "" when the
	// server sent no decision.
	Outcome Outcome `json:"outcome"`
	// Step and Code are set when a step failed (or, under audit, would have).
	Step Step         `json:"step,omitempty"`
	Code DecisionCode `json:"code,omitempty"`
	// Missing lists what the failed step needed: scopes (all of them), or
	// permissions (any one of them would do).
	Missing []string `json:"missing,omitempty"`
	// EntityType is the entity or entry type the request touched.
	EntityType string `json:"entityType,omitempty"`
	// EffectiveUser is the user whose rights applied: the AS-USER principal
	// when proxying, otherwise the caller's user.
	EffectiveUser int64 `json:"effectiveUser,omitempty"`
	// Principal is the AS-USER value, when one was sent.
	Principal int64 `json:"principal,omitempty"`
	// Caller is the credential the request came through.
	Caller *Caller `json:"caller,omitempty"`
	// Reason is one human sentence; Fix suggests what would allow the request.
	Reason string `json:"reason,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// String describes the decision in one line: the outcome, and for a failed
// step the step, its code, the reason and the suggested fix.
func (d Decision) String() string { return d.wire().String() }

func (d Decision) wire() wire.Decision {
	w := wire.Decision{
		Operation: d.Operation, Outcome: string(d.Outcome), Step: string(d.Step), Code: string(d.Code),
		Missing: d.Missing, EntityType: d.EntityType, EffectiveUser: d.EffectiveUser, Principal: d.Principal,
		Reason: d.Reason, Fix: d.Fix,
	}
	if d.Caller != nil {
		w.Caller = &wire.Caller{Kind: d.Caller.Kind, ID: d.Caller.ID, User: d.Caller.User}
	}
	return w
}

// parseDecision reads the mock's decision header; ok is false when there is
// none.
func parseDecision(h string) (Decision, bool) {
	w, ok := wire.ParseDecision(h)
	if !ok {
		return Decision{}, false
	}
	d := Decision{
		Operation: w.Operation, Outcome: Outcome(w.Outcome), Step: Step(w.Step), Code: DecisionCode(w.Code),
		Missing: w.Missing, EntityType: w.EntityType, EffectiveUser: w.EffectiveUser, Principal: w.Principal,
		Reason: w.Reason, Fix: w.Fix,
	}
	if w.Caller != nil {
		d.Caller = &Caller{Kind: w.Caller.Kind, ID: w.Caller.ID, User: w.Caller.User}
	}
	return d, true
}

// DecisionHeader is the header in which the tenantkit mock explains its
// decision on every answer; ExplainHeader, sent with any value, asks it to
// explain allowed requests too. A plain *http.Client reads the decision
// with DecisionOf: for an API the mock loads from a spec and a policy,
// which has no typed client here.
const (
	DecisionHeader = wire.DecisionHeader
	ExplainHeader  = wire.ExplainHeader
)

// DecisionOf reads the mock's decision from a response of any HTTP client:
//
//	req.Header.Set(client.ExplainHeader, "1") // explain allowed requests too
//	resp, err := http.DefaultClient.Do(req)
//	...
//	if d, ok := client.DecisionOf(resp); ok && d.Outcome == client.OutcomeDeny {
//		log.Printf("refused at %s: %s (fix: %s)", d.Step, d.Reason, d.Fix)
//	}
//
// ok is false when the response has none (a real vendor's).
func DecisionOf(resp *http.Response) (Decision, bool) {
	if resp == nil {
		return Decision{}, false
	}
	return parseDecision(resp.Header.Get(wire.DecisionHeader))
}
