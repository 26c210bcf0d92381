package mockserver

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// AsUserHeader names the principal a request acts for, on the operations
// whose spec declares it (openapi.Operation.AsUser); elsewhere it is ignored.
const AsUserHeader = openapi.AsUserHeader

// asUserCanonical is AsUserHeader as net/http keys it, so reading it does
// not allocate.
const asUserCanonical = "As-User"

// denial is a failed pipeline step.
type denial struct {
	step, code string
	missing    []string
	reason     string
	fix        string
	err        *apiError
}

// authorize runs the pipeline's steps, in order, for one operation; the
// first failure wins. What the operation requires is read from its spec
// (rc.route.op). Authentication failures (step 1) and malformed AS-USER
// values (on operations that declare AS-USER) are always enforced. Under
// `enforcement: audit` a failure of steps 2, 4 or 5 is recorded (outcome
// audit-deny) and the request goes on;
// so is a refused proxy (step 3), but the caller's user stays the effective
// user, so audit mode never turns a refused AS-USER into the principal's
// view. Row-level sharing (step 6) is never relaxed.
func (s *Server) authorize(rc *reqCtx) error {
	if d := s.authenticate(rc); d != nil {
		rc.deny(d, wire.OutcomeDeny)
		return d.err
	}
	audit := rc.tenant.Settings().Enforcement == tenant.EnforcementAudit
	for _, step := range authorizationSteps {
		d := step(s, rc)
		if d == nil {
			continue
		}
		rc.denials = append(rc.denials, tenant.StepDenial{Step: d.step, Code: d.code, Missing: d.missing})
		if d.err.kind == kindBadRequest || !audit {
			rc.deny(d, wire.OutcomeDeny)
			return d.err
		}
		if rc.decision.Outcome != wire.OutcomeAuditDeny { // keep the first failure
			rc.deny(d, wire.OutcomeAuditDeny)
		}
	}
	if rc.decision.Outcome == "" {
		rc.decision.Outcome = wire.OutcomeAllow
	}
	return nil
}

// authorizationSteps are the pipeline's steps 2 to 5, in order (method
// expressions, so running them allocates nothing).
var authorizationSteps = [...]func(*Server, *reqCtx) *denial{
	(*Server).checkScopes, (*Server).checkProxy, (*Server).checkPermissions, (*Server).checkObject,
}

// deny writes a failed step into the decision.
func (rc *reqCtx) deny(d *denial, outcome string) {
	rc.decision.Outcome = outcome
	rc.decision.Step = d.step
	rc.decision.Code = d.code
	rc.decision.Missing = d.missing
	rc.decision.Reason = d.reason
	rc.decision.Fix = d.fix
	if outcome == wire.OutcomeAuditDeny {
		rc.decision.Reason = "allowed by enforcement: audit, but would be denied: " + d.reason
	}
}

// setCaller records who is calling, in the request and its decision.
func (rc *reqCtx) setCaller(t *tenant.Tenant, c wire.Caller) {
	rc.tenant = t
	rc.callerVal = c
	rc.caller = &rc.callerVal
	rc.callerUser = c.User
	rc.effective = c.User
	rc.decision.Caller = &rc.callerVal
	rc.decision.EffectiveUser = c.User
}

var schemeNames = map[string]credentialKind{"apikey": credAPIKey, "session": credSession, "bearer": credBearer}

func credentialHint(kinds []credentialKind, sp *apiSpec) string {
	var parts []string
	for _, k := range kinds {
		switch k {
		case credAPIKey:
			parts = append(parts, "Authorization: ApiKey <key>")
		case credSession:
			parts = append(parts, "Authorization: Session <sessionId> (from POST /V2.0/services/authentication/login)")
		case credBearer:
			parts = append(parts, "Authorization: Bearer <token> (from POST "+tokenURL(sp)+")")
		}
	}
	return strings.Join(parts, " or ")
}

// tokenURL reads the client-credentials token URL of a spec's OAuth scheme.
func tokenURL(sp *apiSpec) string {
	for _, ref := range sp.doc.Components.SecuritySchemes {
		if ref.Value != nil && ref.Value.Flows != nil && ref.Value.Flows.ClientCredentials != nil {
			return ref.Value.Flows.ClientCredentials.TokenURL
		}
	}
	return "the token endpoint"
}

// tokenURLOf is the token URL of one vendor API's spec.
func (s *Server) tokenURLOf(api openapi.API) string {
	for _, sp := range s.specs.vendor {
		if sp.api == api {
			return tokenURL(sp)
		}
	}
	return "the token endpoint"
}

// presented is the credential a request's Authorization header names,
// looked up in its tenant but not judged: whether the operation accepts it,
// revocation and expiry are step 1's business (authenticate); the
// resilience layer only needs to know whose budget a request spends.
type presented struct {
	scheme string         // the scheme as sent ("" when there is no header)
	kind   credentialKind // credNone for an unknown scheme or an empty value
	value  string
	tenant *tenant.Tenant // the tenant the value names; nil when none
	found  bool           // the credential exists in that tenant
	caller wire.Caller    // when found
	key    tenant.APIKey
	sess   tenant.Session
	token  tenant.Token
}

// presentedCredential reads and looks up the request's credential. An API
// key names its tenant by its suffix (none: the default tenant); session ids
// and tokens by their "<tenantID>." prefix.
func (s *Server) presentedCredential(r *http.Request) presented {
	var p presented
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return p
	}
	p.scheme = h
	if i := strings.IndexFunc(h, unicode.IsSpace); i >= 0 {
		p.scheme, p.value = h[:i], strings.TrimSpace(h[i:])
	}
	kind, known := schemeNames[strings.ToLower(p.scheme)]
	if !known || p.value == "" {
		return p
	}
	p.kind = kind
	switch kind {
	case credAPIKey:
		p.tenant = s.tenantForIdentifier(p.value)
		if p.key, p.found = p.tenant.APIKey(p.value); p.found {
			p.caller = wire.Caller{Kind: callerAPIKey, ID: p.key.Name, User: p.key.User}
		}
	case credSession:
		if t, ok := s.tenantForSecret(p.value); ok {
			p.tenant = t
			if p.sess, p.found = t.Session(p.value); p.found {
				p.caller = wire.Caller{Kind: callerSession, ID: "session", User: p.sess.User}
			}
		}
	case credBearer:
		if t, ok := s.tenantForSecret(p.value); ok {
			p.tenant = t
			if p.token, p.found = t.Token(p.value); p.found {
				p.caller = wire.Caller{Kind: callerClient, ID: p.token.ClientID, User: p.token.User}
			}
		}
	}
	return p
}

// authenticate is step 1: the credential must be one the operation
// accepts, known to its tenant, not revoked and not expired; a bearer token
// must have been issued by the token endpoint of the operation's own API
// (the vendors are separate authorization servers).
func (s *Server) authenticate(rc *reqCtx) *denial {
	rt := rc.route
	hint := rt.hint
	fail := func(code, reason, fix string) *denial {
		return &denial{step: wire.StepAuthenticate, code: code, reason: reason, fix: fix, err: unauthenticated(code, reason)}
	}
	p := s.presentedCredential(rc.r)
	switch {
	case p.scheme == "":
		return fail(wire.CodeMissingCredential, "the request carries no credential", "send "+hint)
	case p.kind == credNone || !slices.Contains(rt.creds, p.kind):
		// Only a recognised scheme is named: anything else may be the
		// secret itself, sent without a scheme.
		form := "without a recognised scheme (ApiKey, Session or Bearer) and a value"
		if p.kind != credNone {
			form = fmt.Sprintf("of the form %q", p.scheme+" ...")
		}
		return fail(wire.CodeMalformedCredential, fmt.Sprintf("%s does not accept an Authorization header %s", rt.op.ID, form), "send "+hint)
	case !p.found:
		switch p.kind {
		case credAPIKey:
			return fail(wire.CodeUnknownCredential, "the API key is not known", "send a key of this tenant: "+hint)
		case credSession:
			return fail(wire.CodeUnknownCredential, "the session is not known (never issued, or logged out)", "log in again (POST /V2.0/services/authentication/login)")
		default:
			return fail(wire.CodeUnknownCredential, "the bearer token is not known", "request a token from POST "+tokenURL(rt.spec))
		}
	}
	rc.setCaller(p.tenant, p.caller)
	now := s.clock()
	switch p.kind {
	case credAPIKey:
		if p.key.Revoked {
			return fail(wire.CodeRevokedCredential, fmt.Sprintf("API key %s has been revoked", p.key.Name), "use a key that is not revoked")
		}
	case credSession:
		rc.sessionID = p.value
		if !now.Before(p.sess.ExpiresAt) {
			return fail(wire.CodeExpiredCredential, "the session has expired", "log in again (POST /V2.0/services/authentication/login)")
		}
	case credBearer:
		if p.token.API != string(rt.op.API) {
			from := s.tokenURLOf(openapi.API(p.token.API))
			return fail(wire.CodeWrongTokenAPI,
				fmt.Sprintf("the token was issued by the %s API's token endpoint (POST %s); %s API operations accept only tokens from their own, POST %s",
					p.token.API, from, rt.op.API, tokenURL(rt.spec)),
				"request a token from POST "+tokenURL(rt.spec))
		}
		rc.scopes = p.token.Scopes
		if !now.Before(p.token.ExpiresAt) {
			return fail(wire.CodeExpiredCredential, "the bearer token has expired", "request a new token from POST "+tokenURL(rt.spec))
		}
	}
	return nil
}

// checkScopes is step 2: an OAuth token must hold every scope of one of the
// operation's scope sets. API keys and sessions are not scope-limited.
func (s *Server) checkScopes(rc *reqCtx) *denial {
	sets := rc.route.op.Scopes
	if rc.caller.Kind != callerClient || len(sets) == 0 {
		return nil
	}
	var best []string
	for i, set := range sets {
		var missing []string
		for _, sc := range set {
			if !slices.Contains(rc.scopes, sc) {
				missing = append(missing, sc)
			}
		}
		if len(missing) == 0 {
			rc.usedScopes = set
			return nil
		}
		if i == 0 || len(missing) < len(best) {
			best = missing
		}
	}
	list := strings.Join(best, " ")
	msg := "Missing required oauth scopes: " + list
	noun := "scope"
	if len(best) > 1 {
		noun = "scopes"
	}
	return &denial{
		step: wire.StepScope, code: wire.CodeMissingScopes, missing: best,
		reason: fmt.Sprintf("the token of client %s holds scopes [%s]; %s needs %s", rc.caller.ID,
			strings.Join(rc.scopes, " "), rc.route.op.ID, openapi.ScopeText(sets)),
		fix: fmt.Sprintf("grant %s %s to client %s", noun, list, rc.caller.ID),
		err: &apiError{status: http.StatusForbidden, kind: kindScope, msg: msg, missing: best, code: wire.CodeMissingScopes},
	}
}

// checkProxy is step 3, on operations whose spec declares the AS-USER
// header: with AS-USER, the caller's user must hold a proxy assignment for
// the principal, who then becomes the effective user. On any other
// operation the header is ignored entirely, as the vendors ignore it: it
// changes neither the effective user nor the decision, audit or usage. An id
// that names no user is refused exactly like a user without an assignment
// (same status, body and decision), so AS-USER cannot enumerate user ids;
// only the audit log says which it was. A refused proxy never changes the
// effective user: under enforcement: audit the request goes on with the
// caller's own rights and rows.
func (s *Server) checkProxy(rc *reqCtx) *denial {
	if !rc.route.op.AsUser {
		return nil
	}
	v := strings.TrimSpace(rc.r.Header.Get(asUserCanonical))
	if v == "" {
		return nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		e := badRequest(AsUserHeader, "%q is not a user id (a positive whole number)", v)
		return &denial{step: wire.StepProxy, code: wire.CodeInvalidRequest, reason: e.msg,
			fix: "send AS-USER with the numeric id of a user of this tenant", err: e}
	}
	rc.principal = id
	rc.decision.Principal = id
	_, exists := rc.tenant.User(id)
	if exists && rc.tenant.CanProxy(rc.callerUser, id) {
		rc.effective = id
		rc.decision.EffectiveUser = id
		return nil
	}
	if !exists {
		rc.auditDetail = fmt.Sprintf(" (user %d is not a user of this tenant)", id)
	}
	msg := fmt.Sprintf("user %d holds no proxy assignment to act as user %d", rc.callerUser, id)
	return &denial{
		step: wire.StepProxy, code: wire.CodeProxyNotAllowed, reason: msg,
		fix: fmt.Sprintf("add a proxy assignment {proxyUserId: %d, userIds: [%d]} (POST /api/rest/v1/management/user/proxy)", rc.callerUser, id),
		err: &apiError{status: http.StatusForbidden, kind: kindProxy, msg: msg, code: wire.CodeProxyNotAllowed},
	}
}

// checkPermissions is step 4: the effective user's roles grant one of the
// operation's permissions.
func (s *Server) checkPermissions(rc *reqCtx) *denial {
	perms := rc.route.op.Permissions
	if len(perms) == 0 {
		return nil
	}
	if granted, ok := rc.tenant.FirstGrantedPermission(rc.effective, perms); ok {
		rc.permission = granted
		return nil
	}
	list := strings.Join(perms, ", ")
	msg := "Unable to perform the requested action. You are missing the following permission(s): [" + list + "]"
	fix := fmt.Sprintf("give user %d a role with %s", rc.effective, perms[0])
	if len(perms) > 1 {
		fix = fmt.Sprintf("give user %d a role with one of %s", rc.effective, list)
	}
	return &denial{
		step: wire.StepPermission, code: wire.CodeMissingPermissions, missing: slices.Clone(perms),
		reason: fmt.Sprintf("user %d holds none of the permissions %s needs: %s", rc.effective, rc.route.op.ID, list),
		fix:    fix,
		err:    &apiError{status: http.StatusForbidden, kind: kindPermission, msg: msg, missing: slices.Clone(perms), code: wire.CodeMissingPermissions},
	}
}

// checkObject is step 5: the effective user's roles let it read the
// operation's entity type through the API. An unknown type is left to the
// handler (400).
func (s *Server) checkObject(rc *reqCtx) *denial {
	name := rc.entityTypeName()
	if name == "" {
		return nil
	}
	typeName, ok := rc.tenant.TypeName(name)
	if !ok {
		return nil
	}
	rc.entityType = typeName
	rc.decision.EntityType = typeName
	return objectDenial(rc, typeName)
}

// objectDenial is step 5's rule for one entity type (canonical name): the
// effective user's roles must let it read the type through the API.
func objectDenial(rc *reqCtx, typeName string) *denial {
	if rc.tenant.CanReadType(rc.effective, typeName) {
		return nil
	}
	msg := fmt.Sprintf("user %d may not access entity type %s through the API", rc.effective, typeName)
	return &denial{
		step: wire.StepObject, code: wire.CodeObjectNotAccessible, missing: []string{typeName}, reason: msg,
		fix: fmt.Sprintf("give user %d a role whose entityTypes include %s", rc.effective, typeName),
		err: &apiError{status: http.StatusForbidden, kind: kindObject, msg: msg, code: wire.CodeObjectNotAccessible},
	}
}

// authorizeRelatedType applies step 5 to an entity type a request reads
// besides the one its operation names: the type behind a reference whose
// fields a dotted path selects (Project.Budget, read from a Task). Handlers
// call it once they know the types; like the pipeline, enforcement: audit
// records the denial and lets the request go on.
func (rc *reqCtx) authorizeRelatedType(typeName string) error {
	d := objectDenial(rc, typeName)
	if d == nil {
		return nil
	}
	rc.denials = append(rc.denials, tenant.StepDenial{Step: d.step, Code: d.code, Missing: d.missing})
	if rc.tenant.Settings().Enforcement == tenant.EnforcementAudit {
		if rc.decision.Outcome != wire.OutcomeAuditDeny {
			rc.deny(d, wire.OutcomeAuditDeny)
		}
		return nil
	}
	rc.deny(d, wire.OutcomeDeny)
	return d.err
}

// entityTypeName reads the entity type where the spec's x-entity-type says
// it is: a path or query parameter, a body field, or the FROM of CZQL text.
func (rc *reqCtx) entityTypeName() string {
	ref := rc.route.op.EntityType
	if ref == nil {
		return ""
	}
	switch ref.In {
	case "path":
		return rc.params[ref.Name]
	case "query":
		return rc.r.URL.Query().Get(ref.Name)
	case "body", "czql":
		// Exactly the key the handler reads: readBody has already turned
		// PascalCase keys into camelCase, and a second key that differs only
		// in case must not name a different type for this check.
		m, _ := rc.bodyJSON.(map[string]any)
		v, _ := m[ref.Name].(string)
		if ref.In == "czql" {
			v, _ = query.FromType(v)
		}
		return v
	}
	return ""
}

// rowMiss is a single-row request answered 404: the row is hidden from
// the effective user, or does not exist.
type rowMiss struct {
	ref    tenant.Ref
	hidden bool
}

// hideRow turns a row the effective user may not see into a 404, and
// records the row step in the decision (audit log, usage, admin API). The
// response reads exactly like missingRow's (see headerDecision).
func (rc *reqCtx) hideRow(ref tenant.Ref) *apiError {
	rc.row = &rowMiss{ref: ref, hidden: true}
	rc.decision.Outcome = wire.OutcomeDeny
	rc.decision.Step = wire.StepRow
	rc.decision.Code = wire.CodeRowHidden
	rc.decision.Reason = fmt.Sprintf("%s is not visible to user %d (not owned by or shared with the user)", ref, rc.effective)
	rc.decision.Fix = fmt.Sprintf("share %s with user %d or one of its groups, or set apiDataAccess: bypass", ref, rc.effective)
	return rowNotFound(ref)
}

// missingRow is the 404 of a row that does not exist. The pipeline allowed
// the request, so the decision stays allow; only the header reads like a
// hidden row's.
func (rc *reqCtx) missingRow(ref tenant.Ref) *apiError {
	rc.row = &rowMiss{ref: ref}
	return rowNotFound(ref)
}

func rowNotFound(ref tenant.Ref) *apiError { return notFound("entity %s was not found", ref) }

// headerDecision is the decision as the X-Tenantkit-Decision header gives
// it. A single row that is hidden from the effective user and one that
// does not exist read the same: deny at the row step, code row_not_found,
// and a reason that allows both; a real vendor tells them apart nowhere,
// and neither does the mock's header. A request sent with
// X-Tenantkit-Explain (a diagnostic of the mock) learns which: row_hidden
// with the reason and fix, or that the row does not exist. The audit log
// and the admin API always keep the detail.
func (rc *reqCtx) headerDecision() wire.Decision {
	d := rc.invalidDecision()
	if rc.row == nil || rc.explain && rc.row.hidden {
		return d
	}
	d.Outcome, d.Step, d.Code, d.Missing = wire.OutcomeDeny, wire.StepRow, wire.CodeRowNotFound, nil
	if rc.explain {
		d.Reason = fmt.Sprintf("%s does not exist", rc.row.ref)
		d.Fix = "check the id"
		return d
	}
	d.Reason = fmt.Sprintf("no row %s is visible to user %d: it does not exist, or row-level sharing hides it from the user", rc.row.ref, rc.effective)
	d.Fix = "check the id; send " + wire.ExplainHeader + ": 1 (a diagnostic of the mock) or read the audit log to tell which"
	return d
}

// invalidDecision is the decision, or for a request refused as malformed
// after the pipeline allowed it, a deny at the validate step.
func (rc *reqCtx) invalidDecision() wire.Decision {
	d := rc.decision
	if rc.invalid != nil {
		d.Outcome, d.Step, d.Code, d.Missing = wire.OutcomeDeny, wire.StepValidate, wire.CodeInvalidRequest, nil
		d.Reason = rc.invalid.msg
		d.Fix = "correct the request as the message says; the spec is " + specsPrefix + string(rc.route.op.API) + ".yaml"
	}
	return d
}

// allowReason explains an allowed request (sent with X-Tenantkit-Explain).
func (rc *reqCtx) allowReason() string {
	var b strings.Builder
	b.WriteString("allowed")
	if rc.tenant == nil { // refused before a credential was looked at
		return b.String()
	}
	if rc.caller != nil {
		fmt.Fprintf(&b, ": %s %s (user %d)", strings.ReplaceAll(rc.caller.Kind, "_", " "), rc.caller.ID, rc.caller.User)
		if rc.principal != 0 {
			fmt.Fprintf(&b, " acting as user %d", rc.principal)
		}
	}
	op := rc.route.op
	if len(op.Scopes) > 0 && rc.caller != nil && rc.caller.Kind == callerClient {
		fmt.Fprintf(&b, "; token scopes [%s] satisfy %s", strings.Join(rc.scopes, " "), openapi.ScopeText(op.Scopes))
	}
	if len(op.Permissions) > 0 {
		fmt.Fprintf(&b, "; user %d holds %s", rc.effective, strings.Join(rc.tenant.GrantedPermissions(rc.effective, op.Permissions), ", "))
	}
	if rc.entityType != "" {
		fmt.Fprintf(&b, "; entity type %s is readable through the API", rc.entityType)
		bypass := rc.tenant.Settings().APIDataAccess == tenant.DataAccessBypass
		switch {
		case bypass && !rc.route.isWrite():
			b.WriteString("; apiDataAccess is bypass, so reads ignore row-level sharing")
		case bypass:
			fmt.Fprintf(&b, "; apiDataAccess bypass opens reads only, so this write reaches only rows visible to user %d", rc.effective)
		default:
			fmt.Fprintf(&b, "; rows are limited to those visible to user %d", rc.effective)
		}
	}
	return b.String()
}
