// Package decide is the mock's one decision function: given what an
// operation's spec requires, who is calling (a resolved, immutable Subject)
// and the facts of the request, Decide returns the decision, with no
// *http.Request in sight and no side effects. The request path
// (mockserver's pipeline), the token endpoints and login, the types a
// handler discovers (dotted paths), the visibility diff, the permission
// matrix and the start banner's examples all ask it, so they cannot
// disagree.
//
// The steps, in order; the first failure wins:
//
//  1. authenticate: the credential is one the operation accepts, known,
//     not revoked, not expired, and a bearer token was issued by the token
//     endpoint of the operation's own API;
//  2. scope: an OAuth token holds every scope of one of the operation's
//     scope sets (at a token endpoint: the client may request every scope
//     it asks for);
//  3. proxy: on operations whose spec declares AS-USER, the caller's user
//     holds a proxy assignment for the principal, who becomes the
//     effective user;
//  4. permission: the effective user's roles grant one of the operation's
//     permissions;
//  5. object: the effective user's roles let it read the operation's
//     entity type through the API.
//
// Step 6, row-level sharing, is the tenant's query engine's.
//
// Under enforcement: audit a failure of steps 2 to 5 is recorded (outcome
// audit-deny) and the request goes on; a refused proxy leaves the caller's
// user effective. Authentication failures, a malformed AS-USER value and
// the failures of token and login requests are always enforced.
package decide

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// Kind is how a credential authenticates.
type Kind uint8

const (
	KindNone         Kind = iota // no credential, an unknown scheme or an empty value
	KindAPIKey                   // Authorization: ApiKey <key>
	KindSession                  // Authorization: Session <id>
	KindBearer                   // Authorization: Bearer <token> (OAuth 2)
	KindClientSecret             // a token request's client id and secret
	KindPassword                 // a login's user name and password
)

// Caller kinds, as decisions and the audit log name them.
const (
	CallerAPIKey  = "api_key"
	CallerSession = "session"
	CallerClient  = "oauth_client"
)

// CallerName names a caller for people: "API key service (user 2001)",
// "OAuth client demo-reporting (user 2001)", "sessions of user 1002".
func CallerName(kind, id string, user int64) string {
	if kind == CallerSession {
		return "sessions of user " + strconv.FormatInt(user, 10)
	}
	return KindName(kind) + " " + id + " (user " + strconv.FormatInt(user, 10) + ")"
}

// KindName names a caller kind for people: "API key", "OAuth client".
func KindName(kind string) string {
	switch kind {
	case CallerAPIKey:
		return "API key"
	case CallerClient:
		return "OAuth client"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// Operation is what one operation requires, read from its spec once.
type Operation struct {
	*openapi.Operation
	// Accepts lists the credential kinds its security schemes accept in the
	// Authorization header (none for token endpoints and logins, whose
	// credentials are in the body: KindClientSecret, KindPassword).
	Accepts []Kind
	// Hint says which credentials it accepts, for a 401's fix.
	Hint string
	// TokenURL is the token endpoint of its API ("" when it has none).
	TokenURL string
	// TokenURLOf names the token endpoint of another API, for a token of
	// the wrong API.
	TokenURLOf func(openapi.API) string
	// ScopeText is openapi.ScopeText of the operation's scopes, made once.
	ScopeText string
	// SessionURL is the operation that issues sessions ("POST <path>"),
	// from the session scheme's x-issued-by.
	SessionURL string
	// IgnoredScopes, at a token endpoint, are scopes a token request may
	// name that are left out of the token (its x-ignored-scopes: the
	// vendor's scopes of APIs the mock does not serve).
	IgnoredScopes []string
	// ProxyURL and ProxyAssignment say how a proxy assignment is granted,
	// from the AS-USER parameter's x-granted-by: the operation, and the
	// assignment it takes with {proxy} and {principal} for the user ids.
	ProxyURL, ProxyAssignment string
	// ProxyDenied is the status of a caller refused at the proxy step: the
	// AS-USER parameter's x-denied-status, else 403.
	ProxyDenied int
	// KeyHeader names the header an API key is sent in, when the spec's
	// apiKey scheme puts it in one of its own (X-API-Key: <key>); "" for
	// keys in the Authorization header.
	KeyHeader string
	// OwnKeys: the operation's API issues its own API keys (an API loaded
	// from a spec and a policy): only keys bound to it are accepted, and
	// they are accepted nowhere else.
	OwnKeys bool
	// Schemes are the Authorization words of the operation's spec: the
	// request path resolves a credential only by them. Known adds the
	// words of the server's other specs, so a refusal can name the kind
	// of credential a caller sent to an API that takes another.
	Schemes, Known Schemes
}

// RequestedScopes are the scopes a token request's space-separated scope
// asks for, without the operation's IgnoredScopes: what step 2 judges and
// the token is issued with. A request of ignored scopes alone keeps them
// (step 2 refuses them like any scope the client may not have), so it
// never reads as a request without scope, which gets every scope.
func (op *Operation) RequestedScopes(scope string) []string {
	fields := strings.Fields(scope)
	if len(op.IgnoredScopes) == 0 {
		return fields
	}
	var out []string
	for _, s := range fields {
		if !slices.Contains(op.IgnoredScopes, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return fields
	}
	return out
}

// scopeText is the operation's scope sets as a 403 names them.
func (op *Operation) scopeText() string {
	if op.ScopeText != "" {
		return op.ScopeText
	}
	return openapi.ScopeText(op.Scopes)
}

// keyAPIName names the API of a key: "data" for "".
func keyAPIName(api openapi.API) string {
	if api == "" {
		return string(openapi.Data)
	}
	return string(api)
}

// keyAPI is the API an API key must belong to: "" (the data API's keys)
// unless the operation's API has its own (OwnKeys).
func (op *Operation) keyAPI() openapi.API {
	if op.OwnKeys {
		return op.API
	}
	return ""
}

func (op *Operation) tokenURL() string {
	if op.TokenURL == "" {
		return "the token endpoint"
	}
	return op.TokenURL
}

// Credential is a presented credential as its tenant knows it: looked up,
// not judged (judging is step 1's).
type Credential struct {
	Kind   Kind
	Scheme string // the Authorization scheme as sent; "" when there was none
	Found  bool   // the tenant knows it (for a secret or password: and it matched)
	Caller wire.Caller
	// Name is an API key's name, for the revoked key's message.
	Name    string
	Revoked bool
	// Expires is when a session or token stops being valid; zero: never.
	Expires time.Time
	// Ended says why a session ends at Expires (tenant.Session.EndReason).
	Ended string
	// API is the API whose token endpoint issued a bearer token, or the
	// loaded API an API key belongs to ("" for a data API key).
	API openapi.API
	// Scopes are a bearer token's scopes, or what a client may request.
	Scopes []string
}

// APIKey is the credential of an API key of the tenant.
func APIKey(k tenant.APIKey) Credential {
	return Credential{Kind: KindAPIKey, Scheme: "ApiKey", Found: true, Name: k.Name, Revoked: k.Revoked, API: openapi.API(k.API),
		Caller: wire.Caller{Kind: CallerAPIKey, ID: k.Name, User: k.User}}
}

// Session is the credential of a data API session.
func Session(s tenant.Session) Credential {
	return Credential{Kind: KindSession, Scheme: "Session", Found: true, Expires: s.ExpiresAt, Ended: s.EndReason,
		Caller: wire.Caller{Kind: CallerSession, ID: "session", User: s.User}}
}

// Token is the credential of an issued bearer token.
func Token(t tenant.Token) Credential {
	return Credential{Kind: KindBearer, Scheme: "Bearer", Found: true, Expires: t.ExpiresAt, API: openapi.API(t.API),
		Scopes: t.Scopes, Caller: wire.Caller{Kind: CallerClient, ID: t.ClientID, User: t.User}}
}

// ClientToken is the credential of a token the client would be issued by
// api's token endpoint with every scope it may request: what the
// visibility diff and the banner judge a client by.
func ClientToken(c tenant.OAuthClient, api openapi.API) Credential {
	return Credential{Kind: KindBearer, Scheme: "Bearer", Found: true, API: api, Scopes: c.Scopes,
		Caller: wire.Caller{Kind: CallerClient, ID: c.ClientID, User: c.User}}
}

// Client is the credential of a token request: found when the secret is
// the client's. An unknown client is not named (its id may be a mistyped
// secret). A request without a client id has Client(none, false, false)
// with sent false.
func Client(c tenant.OAuthClient, sent, known, secretOK bool) Credential {
	cr := Credential{Kind: KindClientSecret, Found: known && secretOK}
	if sent {
		cr.Scheme = "client_secret"
	}
	if known {
		cr.Caller = wire.Caller{Kind: CallerClient, ID: c.ClientID, User: c.User}
		cr.Scopes = c.Scopes
	}
	return cr
}

// Password is the credential of a login: found when the user name and
// password match a user.
func Password(u tenant.User, ok bool) Credential {
	cr := Credential{Kind: KindPassword, Scheme: "password", Found: ok}
	if ok {
		cr.Caller = wire.Caller{Kind: CallerSession, ID: "session", User: u.ID}
	}
	return cr
}

// Policy is what the decision reads of a tenant: its users, proxy
// assignments, roles and API entity types. *tenant.Tenant implements it.
type Policy interface {
	User(id int64) (tenant.User, bool)
	CanProxy(proxy, principal int64) bool
	FirstGrantedPermission(user int64, perms []string) (string, bool)
	TypeName(name string) (string, bool)
	CanReadType(user int64, typeName string) bool
}

// Subject is who is calling: resolved once per request, never changed.
type Subject struct {
	Policy Policy // the tenant the credential names; nil when it names none
	Cred   Credential
	// Audit is the tenant's enforcement: audit setting.
	Audit bool
	Now   time.Time
}

// Facts are what the request says that the decision depends on.
type Facts struct {
	// AsUser is the AS-USER header as sent (trimmed); read only where the
	// operation declares it.
	AsUser string
	// EntityType is the entity type the request names where the spec's
	// x-entity-type says it is, as sent.
	EntityType string
	// Scopes are the scopes a token request asks for (none: all the
	// client's).
	Scopes []string
}

// Denial is a failed step: what the decision header, the audit log, usage
// and the error body say of it.
type Denial struct {
	tenant.StepDenial
	Reason string
	Fix    string
	// Message is the error body's message; Field the request field at
	// fault, for a 400.
	Message string
	Field   string
	// Status is the HTTP status: 401, 403, or 400 (a malformed AS-USER, a
	// token request's scope).
	Status int
}

// Decision is the verdict on one request.
type Decision struct {
	Outcome string // wire.OutcomeAllow, OutcomeDeny or OutcomeAuditDeny
	// Failure is the first failed step (the one that refused the request,
	// or under audit the first that would have); nil when none failed.
	Failure *Denial
	// Enforced is set when Failure refused the request.
	Enforced bool
	// Denials are every failed step, in order (audit goes on past one).
	Denials []tenant.StepDenial

	// Caller is who is calling; its Kind is "" when no credential was
	// identified.
	Caller    wire.Caller
	Effective int64 // whose rights applied
	Principal int64 // the AS-USER principal, when sent where declared
	// EntityType is the canonical entity type of the operation's request.
	EntityType string
	UsedScopes []string // the scope set the token satisfied
	Permission string   // the permission that allowed the request
	// MorePermissions are permissions a handler checked besides the
	// operation's (Permission), granted, in order.
	MorePermissions []string
	// AuditDetail is added to the audit entry's reason and never sent
	// (that an AS-USER id names no user).
	AuditDetail string
}

// Allowed reports whether the request goes on.
func (d *Decision) Allowed() bool { return !d.Enforced }

// Decide runs the steps for one request.
func Decide(op *Operation, sub *Subject, f Facts) Decision {
	var d Decision
	if sub.Cred.Caller.Kind != "" { // identified, though maybe not valid
		d.setCaller(sub.Cred.Caller)
	}
	if fail := authenticate(op, sub); fail != nil {
		d.enforce(fail)
		return d
	}
	// Steps 2 to 5, in order, called directly: through a table of
	// functions the decision would escape to the heap.
	for step := range 4 {
		var fail *Denial
		switch step {
		case 0:
			fail = checkScopes(op, sub, &f, &d)
		case 1:
			fail = checkProxy(op, sub, &f, &d)
		case 2:
			fail = checkPermissions(op, sub, &f, &d)
		case 3:
			fail = checkObject(op, sub, &f, &d)
		}
		// enforcement: audit relaxes a refusal of these steps (403, or the
		// 401 of a refused proxy where the spec says so), never malformed
		// input (400).
		if fail != nil && !d.Record(fail, sub.Audit && fail.Status != http.StatusBadRequest) {
			return d
		}
	}
	if d.Outcome == "" {
		d.Outcome = wire.OutcomeAllow
	}
	return d
}

// Record adds a failed step to the decision: under audit (relaxed) it is
// kept and the request goes on (true); otherwise it refuses the request
// (false).
func (d *Decision) Record(fail *Denial, relaxed bool) bool {
	d.Denials = append(d.Denials, fail.StepDenial)
	if !relaxed {
		d.enforce(fail)
		return false
	}
	if d.Outcome != wire.OutcomeAuditDeny { // keep the first failure
		d.Outcome, d.Failure = wire.OutcomeAuditDeny, fail
	}
	return true
}

func (d *Decision) enforce(fail *Denial) {
	d.Outcome, d.Failure, d.Enforced = wire.OutcomeDeny, fail, true
}

func (d *Decision) setCaller(c wire.Caller) {
	d.Caller = c
	d.Effective = c.User
}

// Wire is the decision as the decision header and the admin API give it,
// for operation opID. Its Caller points into d.
func (d *Decision) Wire(opID string) wire.Decision {
	w := wire.Decision{Operation: opID, Outcome: d.Outcome, EntityType: d.EntityType, EffectiveUser: d.Effective,
		Principal: d.Principal}
	if d.Caller.Kind != "" {
		w.Caller = &d.Caller
	}
	if f := d.Failure; f != nil {
		w.Step, w.Code, w.Missing, w.Reason, w.Fix = f.Step, f.Code, f.Missing, f.Reason, f.Fix
		if d.Outcome == wire.OutcomeAuditDeny {
			w.Reason = "allowed by enforcement: audit, but would be denied: " + f.Reason
		}
	}
	return w
}

func denial(step, code string, status int, missing []string, message, reason, fix string) *Denial {
	return &Denial{StepDenial: tenant.StepDenial{Step: step, Code: code, Missing: missing},
		Message: message, Reason: reason, Fix: fix, Status: status}
}

// authenticate is step 1.
func authenticate(op *Operation, sub *Subject) *Denial {
	c := &sub.Cred
	fail := func(code, reason, fix string) *Denial {
		return denial(wire.StepAuthenticate, code, 401, nil, reason, reason, fix)
	}
	switch c.Kind {
	case KindClientSecret:
		if c.Scheme == "" {
			return denial(wire.StepAuthenticate, wire.CodeMissingCredential, 401, nil,
				"client authentication is required (HTTP Basic, or client_id and client_secret)",
				"the token request carries no client credentials", "")
		}
		if !c.Found {
			return denial(wire.StepAuthenticate, wire.CodeUnknownCredential, 401, nil,
				"client authentication failed", "unknown client id or wrong client secret", "")
		}
		return nil
	case KindPassword:
		if !c.Found {
			return denial(wire.StepAuthenticate, wire.CodeUnknownCredential, 401, nil,
				"The user name or password is incorrect", "the user name or password is incorrect",
				"use a login user name (email) and password of the tenant")
		}
		return nil
	}
	switch {
	case c.Scheme == "":
		return fail(wire.CodeMissingCredential, "the request carries no credential", "send "+op.Hint)
	case c.Kind == KindNone || !slices.Contains(op.Accepts, c.Kind):
		// Only a recognised scheme is named: anything else may be the
		// secret itself, sent without a scheme.
		form := "without a recognised scheme (" + op.Known.Words() + ") and a value"
		if c.Kind != KindNone {
			form = fmt.Sprintf("of the form %q", c.Scheme+" ...")
		}
		return fail(wire.CodeMalformedCredential, fmt.Sprintf("%s does not accept an Authorization header %s", op.ID, form), "send "+op.Hint)
	case !c.Found:
		switch c.Kind {
		case KindAPIKey:
			return fail(wire.CodeUnknownCredential, "the API key is not known", "send a key of this tenant: "+op.Hint)
		case KindSession:
			return fail(wire.CodeUnknownCredential, "the session is not known (never issued, or logged out)", "log in again ("+op.SessionURL+")")
		default:
			return fail(wire.CodeUnknownCredential, "the bearer token is not known", "request a token from POST "+op.tokenURL())
		}
	}
	switch c.Kind {
	case KindAPIKey:
		if want := op.keyAPI(); c.API != want {
			// A key is an API's own: a loaded API's keys work there alone,
			// and the data API's keys nowhere else. The caller holds the
			// key, so naming its API tells it nothing new.
			return fail(wire.CodeUnknownCredential,
				fmt.Sprintf("API key %s belongs to the %s API; %s accepts only keys of the %s API", c.Name, keyAPIName(c.API), op.ID, keyAPIName(want)),
				"send a key of the "+keyAPIName(want)+" API: "+op.Hint)
		}
		if c.Revoked {
			return fail(wire.CodeRevokedCredential, fmt.Sprintf("API key %s has been revoked", c.Name), "use a key that is not revoked")
		}
	case KindSession:
		if !c.Expires.IsZero() && !sub.Now.Before(c.Expires) {
			why := "the session has expired"
			if c.Ended != "" {
				why += " (" + c.Ended + ")"
			}
			return fail(wire.CodeExpiredCredential, why, "log in again ("+op.SessionURL+")")
		}
	case KindBearer:
		if c.API != op.API {
			from := "the token endpoint"
			if op.TokenURLOf != nil {
				from = op.TokenURLOf(c.API)
			}
			return fail(wire.CodeWrongTokenAPI,
				fmt.Sprintf("the token was issued by the %s API's token endpoint (POST %s); %s API operations accept only tokens from their own, POST %s",
					c.API, from, op.API, op.tokenURL()),
				"request a token from POST "+op.tokenURL())
		}
		if !c.Expires.IsZero() && !sub.Now.Before(c.Expires) {
			return fail(wire.CodeExpiredCredential, "the bearer token has expired", "request a new token from POST "+op.tokenURL())
		}
	}
	return nil
}

// maxEchoedScopes and maxEchoed bound how much of what a caller sent an
// answer repeats: refused scopes, a malformed AS-USER value.
const (
	maxEchoedScopes = 8
	maxEchoed       = 64
)

// echo is a value a caller sent as an answer repeats it: cut to maxEchoed
// bytes (at a rune boundary), marked when cut.
func echo(s string) string {
	if len(s) <= maxEchoed {
		return s
	}
	cut := maxEchoed
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// checkScopes is step 2: an OAuth token must hold every scope of one of the
// operation's scope sets (API keys and sessions are not scope-limited); a
// token request may ask only for scopes its client may be issued.
func checkScopes(op *Operation, sub *Subject, f *Facts, d *Decision) *Denial {
	c := &sub.Cred
	if c.Kind == KindClientSecret {
		var notAllowed []string
		refused := 0
		for _, s := range f.Scopes {
			if slices.Contains(c.Scopes, s) || slices.Contains(notAllowed, s) {
				continue
			}
			// What a caller sent is echoed only in part: a few names, each
			// short, so a hostile scope list costs the answer nothing.
			if refused++; len(notAllowed) < maxEchoedScopes {
				notAllowed = append(notAllowed, echo(s))
			}
		}
		if refused == 0 {
			return nil
		}
		list := strings.Join(notAllowed, " ")
		if more := refused - len(notAllowed); more > 0 {
			list += " and " + strconv.Itoa(more) + " more"
		}
		return denial(wire.StepScope, wire.CodeMissingScopes, 400, notAllowed,
			"scope not allowed for this client: "+list,
			fmt.Sprintf("client %s may not request %s", c.Caller.ID, list),
			fmt.Sprintf("allow scope %s for client %s, or request only its scopes", list, c.Caller.ID))
	}
	sets := op.Scopes
	if c.Kind != KindBearer || len(sets) == 0 {
		return nil
	}
	// The set missing the fewest scopes (the first of equals) is named;
	// its list is made only for the denial.
	bestSet, bestMissing := 0, 0
	for i, set := range sets {
		missing := 0
		for _, sc := range set {
			if !slices.Contains(c.Scopes, sc) {
				missing++
			}
		}
		if missing == 0 {
			d.UsedScopes = set
			return nil
		}
		if i == 0 || missing < bestMissing {
			bestSet, bestMissing = i, missing
		}
	}
	best := make([]string, 0, bestMissing)
	for _, sc := range sets[bestSet] {
		if !slices.Contains(c.Scopes, sc) {
			best = append(best, sc)
		}
	}
	message, reason, fix := missingScopesTexts(op, c, best)
	return denial(wire.StepScope, wire.CodeMissingScopes, 403, best, message, reason, fix)
}

// missingScopesTexts writes a scope denial's message, reason and fix into
// one string, each a part of it: one allocation where joining and
// concatenating them took five, on the path every token without the
// operation's scopes takes.
func missingScopesTexts(op *Operation, c *Credential, missing []string) (message, reason, fix string) {
	noun := "scope "
	if len(missing) > 1 {
		noun = "scopes "
	}
	var b strings.Builder
	b.Grow(160 + 2*len(c.Caller.ID) + len(op.ID) + 8*len(c.Scopes) + 24*len(missing))
	b.WriteString("Missing required oauth scopes: ")
	writeJoined(&b, missing)
	m := b.Len()
	b.WriteString("the token of client ")
	b.WriteString(c.Caller.ID)
	b.WriteString(" holds scopes [")
	writeJoined(&b, c.Scopes)
	b.WriteString("]; ")
	b.WriteString(op.ID)
	b.WriteString(" needs ")
	b.WriteString(op.scopeText())
	r := b.Len()
	b.WriteString("grant ")
	b.WriteString(noun)
	writeJoined(&b, missing)
	b.WriteString(" to client ")
	b.WriteString(c.Caller.ID)
	s := b.String()
	return s[:m], s[m:r], s[r:]
}

// writeJoined writes strings.Join(list, " ") to b.
func writeJoined(b *strings.Builder, list []string) {
	for i, s := range list {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
}

// checkProxy is step 3, on operations whose spec declares the AS-USER
// header; elsewhere the header means nothing, as at the vendors. An id that
// names no user is refused exactly like a user without an assignment, so
// AS-USER cannot enumerate user ids; only AuditDetail says which it was.
func checkProxy(op *Operation, sub *Subject, f *Facts, d *Decision) *Denial {
	if !op.AsUser || f.AsUser == "" {
		return nil
	}
	id, err := strconv.ParseInt(f.AsUser, 10, 64)
	if err != nil || id <= 0 {
		msg := fmt.Sprintf("%s: %q is not a user id (a positive whole number)", openapi.AsUserHeader, echo(f.AsUser))
		dn := denial(wire.StepProxy, wire.CodeInvalidRequest, 400, nil, msg, msg,
			"send AS-USER with the numeric id of a user of this tenant")
		dn.Field = openapi.AsUserHeader
		return dn
	}
	d.Principal = id
	caller := sub.Cred.Caller.User
	_, exists := sub.Policy.User(id)
	if exists && sub.Policy.CanProxy(caller, id) {
		d.Effective = id
		return nil
	}
	if !exists {
		d.AuditDetail = fmt.Sprintf(" (user %d is not a user of this tenant)", id)
	}
	msg := fmt.Sprintf("user %d holds no proxy assignment to act as user %d", caller, id)
	return denial(wire.StepProxy, wire.CodeProxyNotAllowed, cmp.Or(op.ProxyDenied, http.StatusForbidden), nil, msg, msg,
		"add a proxy assignment "+strings.NewReplacer("{proxy}", strconv.FormatInt(caller, 10), "{principal}", strconv.FormatInt(id, 10)).Replace(op.ProxyAssignment)+" ("+op.ProxyURL+")")
}

// checkPermissions is step 4: the effective user's roles grant one of the
// operation's permissions.
func checkPermissions(op *Operation, sub *Subject, _ *Facts, d *Decision) *Denial {
	perms := op.Permissions
	if len(perms) == 0 {
		return nil
	}
	if granted, ok := sub.Policy.FirstGrantedPermission(d.Effective, perms); ok {
		d.Permission = granted
		return nil
	}
	return permissionDenial(op.ID, d.Effective, perms)
}

// Permission is step 4's rule for permissions an operation needs besides
// its x-permissions, for what one request asks (an upsert that creates
// rows): user's roles must grant one of perms. It returns the one granted,
// or the denial, which handlers add with Decision.Record, as for Object.
func Permission(p Policy, user int64, opID string, perms []string) (string, *Denial) {
	if len(perms) == 0 {
		return "", nil
	}
	if granted, ok := p.FirstGrantedPermission(user, perms); ok {
		return granted, nil
	}
	return "", permissionDenial(opID, user, perms)
}

// permissionDenial refuses opID for user, who holds none of perms.
func permissionDenial(opID string, effective int64, perms []string) *Denial {
	list := strings.Join(perms, ", ")
	user := strconv.FormatInt(effective, 10)
	fix := "give user " + user + " a role with " + perms[0]
	if len(perms) > 1 {
		fix = "give user " + user + " a role with one of " + list
	}
	return denial(wire.StepPermission, wire.CodeMissingPermissions, 403, slices.Clone(perms),
		"Unable to perform the requested action. You are missing the following permission(s): ["+list+"]",
		"user "+user+" holds none of the permissions "+opID+" needs: "+list, fix)
}

// NotEditable refuses a write to row (/Type/id) by user, who may see the
// row but holds no edit right on it: a permission-step denial naming the
// row, for the operations of loaded APIs whose policy says edit: rows.
func NotEditable(user int64, row string) *Denial {
	u := strconv.FormatInt(user, 10)
	msg := "user " + u + " has no edit permission on " + row
	return denial(wire.StepPermission, wire.CodeRowNotEditable, 403, []string{"edit " + row}, msg,
		msg+" (it is neither the owner nor among the users and groups the row is editable by)",
		"make "+row+" editable by user "+u+" or one of its groups (editableByUsers, editableByGroups)")
}

// checkObject is step 5 for the operation's entity type. An unknown type
// is left to the handler (400).
func checkObject(op *Operation, sub *Subject, f *Facts, d *Decision) *Denial {
	if f.EntityType == "" || op.EntityType == nil {
		return nil
	}
	typeName, ok := sub.Policy.TypeName(f.EntityType)
	if !ok {
		return nil
	}
	d.EntityType = typeName
	return Object(sub.Policy, d.Effective, typeName)
}

// Readable reports whether user may read entity type typeName through the
// API (step 5's rule, without a denial): what decides whether a reference
// to a row of that type shows more than its id. Users are always readable
// as references.
func Readable(p Policy, user int64, typeName string) bool {
	return typeName == tenant.UserType || p.CanReadType(user, typeName)
}

// Object is step 5's rule for one entity type (canonical name): user's
// roles must let it read the type through the API. Handlers ask it for the
// types a request reads besides its operation's (the type behind a dotted
// path) and add the answer with Decision.Record.
func Object(p Policy, user int64, typeName string) *Denial {
	if p.CanReadType(user, typeName) {
		return nil
	}
	msg := fmt.Sprintf("user %d may not access entity type %s through the API", user, typeName)
	return denial(wire.StepObject, wire.CodeObjectNotAccessible, 403, []string{typeName}, msg, msg,
		fmt.Sprintf("give user %d a role whose entityTypes include %s", user, typeName))
}

// Grants lists which of a set of permissions a user's roles grant.
// *tenant.Tenant implements it.
type Grants interface {
	GrantedPermissions(user int64, perms []string) []string
}

// AllowReason explains an allowed request for people (sent back when the
// request asks for an explanation): who called, as whom, which scopes and
// permissions satisfied the operation, and which rows it reaches. write
// and bypass say whether the request writes and whether the tenant's API
// reads bypass row-level sharing.
func AllowReason(op *Operation, sub *Subject, d *Decision, g Grants, write, bypass bool) string {
	var b strings.Builder
	b.WriteString("allowed")
	if c := d.Caller; c.Kind != "" {
		fmt.Fprintf(&b, ": %s %s (user %d)", strings.ReplaceAll(c.Kind, "_", " "), c.ID, c.User)
		if d.Principal != 0 {
			fmt.Fprintf(&b, " acting as user %d", d.Principal)
		}
		if len(op.Scopes) > 0 && c.Kind == CallerClient {
			fmt.Fprintf(&b, "; token scopes [%s] satisfy %s", strings.Join(sub.Cred.Scopes, " "), op.scopeText())
		}
	}
	if len(op.Permissions) > 0 {
		fmt.Fprintf(&b, "; user %d holds %s", d.Effective, strings.Join(g.GrantedPermissions(d.Effective, op.Permissions), ", "))
	}
	if d.EntityType != "" {
		fmt.Fprintf(&b, "; entity type %s is readable through the API", d.EntityType)
		switch {
		case op.Operation != nil && op.RowsBypass:
			b.WriteString("; the API reads these rows ignoring view rights by design (its policy: rows: bypass)")
		case bypass && !write:
			b.WriteString("; apiDataAccess is bypass, so reads ignore row-level sharing")
		case bypass:
			fmt.Fprintf(&b, "; apiDataAccess bypass opens reads only, so this write reaches only rows visible to user %d", d.Effective)
		default:
			fmt.Fprintf(&b, "; rows are limited to those visible to user %d", d.Effective)
		}
	}
	return b.String()
}
