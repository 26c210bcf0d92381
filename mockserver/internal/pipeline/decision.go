package pipeline

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
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

// Authorize asks the decision function (package decide) about the
// request, for the subject resolved once (subject) and the facts the
// request states where its spec says they are (the AS-USER header where
// the operation declares it, the entity type where x-entity-type puts it),
// and records the verdict: decision header, audit and usage all read it.
// A refused request returns its error in the surface's shape.
func (rc *Request) Authorize() error {
	sub := rc.Subject()
	var f decide.Facts
	if rc.Route.Op.AsUser {
		f.AsUser = strings.TrimSpace(HeaderValue(rc.R.Header, asUserCanonical))
	}
	if rc.Route.Op.EntityType != nil {
		f.EntityType = rc.entityTypeName()
	}
	return rc.Apply(decide.Decide(&rc.Route.Rule, sub, f))
}

// Apply records a verdict of the decision function in rc, and returns the
// error of the step that refused the request, if one did.
func (rc *Request) Apply(v decide.Decision) error {
	rc.Verdict = v
	rc.Decision = rc.Verdict.Wire(rc.Route.Op.ID)
	if v.Enforced {
		return denialError(v.Failure)
	}
	return nil
}

// Caller is who is calling, nil until the decision identified a
// credential.
func (rc *Request) Caller() *wire.Caller {
	if rc.Verdict.Caller.Kind == "" {
		return nil
	}
	return &rc.Verdict.Caller
}

// SetEntityType records the canonical entity type a handler resolved, in
// the decision (and so the header, audit log and usage).
func (rc *Request) SetEntityType(name string) {
	rc.Verdict.EntityType = name
	rc.Decision.EntityType = name
}

// denialError is a refused step's error, for the surface to write.
func denialError(d *decide.Denial) *Error {
	switch {
	case d.Status == http.StatusUnauthorized && d.Step != wire.StepProxy: // a refused proxy keeps its kind (x-denied-status: 401)
		return Unauthenticated(d.Code, d.Message)
	case d.Status == http.StatusBadRequest:
		return BadRequest(d.Field, "%s", d.Message)
	}
	e := &Error{Status: d.Status, Msg: d.Message, Code: d.Code}
	switch d.Step {
	case wire.StepScope:
		e.Kind, e.Missing = KindScope, d.Missing
	case wire.StepProxy:
		e.Kind = KindProxy
	case wire.StepPermission:
		e.Kind, e.Missing = KindPermission, d.Missing
	default:
		e.Kind = KindObject
	}
	return e
}

// Subject resolves the request's credential once, into the subject the
// resilience layer (whose budget a request spends) and the decision
// function both read: the scheme as sent, the credential as its tenant
// knows it (not judged: whether the operation accepts it, revocation and
// expiry are the decision's), the tenant, the settings that apply and the
// time. An API key names its tenant by its suffix (none: the default
// tenant); session ids and tokens by their "<tenantID>." prefix.
//
// Token requests carry their client's credentials (HTTP Basic, or
// client_id and client_secret form fields) and logins a user name and
// password in their bodies: those are resolved here too, so the client or
// user is found once.
func (rc *Request) Subject() *decide.Subject {
	if rc.resolved {
		return &rc.subject
	}
	rc.resolved = true
	sub := &rc.subject
	sub.Now = rc.env.Clock()
	switch {
	case rc.Route.Token:
		rc.resolveClient()
		return sub
	case len(rc.Route.Rule.Accepts) == 0:
		rc.resolvePassword()
		return sub
	}
	if kh := rc.Route.Rule.KeyHeader; kh != "" {
		// An API key in a header of its own: the header's value is the key.
		if v := strings.TrimSpace(rc.R.Header.Get(kh)); v != "" {
			t := rc.env.Tenants.ForIdentifier(v)
			if k, ok := t.APIKey(v); ok {
				sub.Cred = decide.APIKey(k)
			}
			sub.Cred.Kind, sub.Cred.Scheme = decide.KindAPIKey, kh
			rc.SetTenant(t)
			return sub
		}
	}
	h := strings.TrimSpace(HeaderValue(rc.R.Header, "Authorization"))
	if h == "" {
		return sub
	}
	c := &sub.Cred
	c.Scheme = h
	var value string
	if i := strings.IndexFunc(h, unicode.IsSpace); i >= 0 {
		c.Scheme, value = h[:i], strings.TrimSpace(h[i:])
	}
	kind, known := rc.Route.Rule.Schemes.Kind(c.Scheme)
	if !known && value != "" {
		// A word of another API names the kind of credential refused;
		// it is not looked up.
		c.Kind, _ = rc.Route.Rule.Known.Kind(c.Scheme)
	}
	if !known || value == "" {
		return sub
	}
	scheme := c.Scheme
	var t *tenant.Tenant
	switch kind {
	case decide.KindAPIKey:
		t = rc.env.Tenants.ForIdentifier(value)
		if k, ok := t.APIKey(value); ok {
			*c = decide.APIKey(k)
		}
	case decide.KindSession:
		if st, ok := rc.env.Tenants.ForSecret(value); ok {
			t = st
			if sess, ok := t.UseSession(value); ok {
				*c = decide.Session(sess)
				rc.SessionID = value
			}
		}
	case decide.KindBearer:
		if tt, ok := rc.env.Tenants.ForSecret(value); ok {
			t = tt
			if tok, ok := t.Token(value); ok {
				*c = decide.Token(tok)
			}
		}
	}
	c.Kind, c.Scheme = kind, scheme
	rc.SetTenant(t)
	return sub
}

// SetTenant records the tenant a credential names, and its settings.
func (rc *Request) SetTenant(t *tenant.Tenant) {
	if t == nil {
		return
	}
	rc.Tenant = t
	rc.subject.Policy = t
	rc.Settings = t.Settings()
	rc.subject.Audit = rc.Settings.Enforcement == tenant.EnforcementAudit
}

// resolveClient resolves a token request's client: HTTP Basic, else the
// client_id and client_secret form fields. A request without a client id
// names the default tenant.
func (rc *Request) resolveClient() {
	id, secret, basic := rc.env.basicClient(rc.R)
	if !basic {
		form := rc.TokenForm()
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	t := rc.env.Tenants.ForIdentifier(id)
	c, known := t.OAuthClient(id)
	rc.subject.Cred = decide.Client(c, id != "", known, known && t.ClientSecretMatches(id, secret))
	rc.SetTenant(t)
}

// TokenForm is a token request's form body, parsed once; empty when the
// body is not one.
func (rc *Request) TokenForm() url.Values {
	if rc.form == nil {
		rc.form, rc.FormErr = url.ParseQuery(string(rc.Body))
		if rc.form == nil {
			rc.form = url.Values{}
		}
	}
	return rc.form
}

// resolvePassword resolves the user name and password of a public data
// API operation (login, getServerDefinition).
func (rc *Request) resolvePassword() {
	m, _ := rc.BodyJSON.(map[string]any)
	name, _ := m["userName"].(string)
	password, _ := m["password"].(string)
	t := rc.env.Tenants.ForIdentifier(name)
	u, ok := t.CheckPassword(name, password)
	rc.subject.Cred = decide.Password(u, ok)
	rc.SetTenant(t)
}

// AuthorizeRelatedType applies step 5 to an entity type a request reads
// besides the one its operation names: the type behind a reference whose
// fields a dotted path selects (Project.Budget, read from a Task). Handlers
// call it once they know the types; like the pipeline, enforcement: audit
// records the denial and lets the request go on.
func (rc *Request) AuthorizeRelatedType(typeName string) error {
	d := decide.Object(rc.Tenant, rc.Verdict.Effective, typeName)
	if d == nil {
		return nil
	}
	return rc.Deny(d)
}

// AuthorizePermission applies step 4 to permissions the request needs
// besides its operation's x-permissions (what its body asks for: an upsert
// that creates rows needs the create permission too): the effective user's
// roles must grant one of perms. Like AuthorizeRelatedType, enforcement:
// audit records the denial and lets the request go on.
func (rc *Request) AuthorizePermission(perms []string) error {
	granted, d := decide.Permission(rc.Tenant, rc.Verdict.Effective, rc.Route.Op.ID, perms)
	if d == nil {
		if granted != "" {
			rc.Verdict.MorePermissions = append(rc.Verdict.MorePermissions, granted)
		}
		return nil
	}
	return rc.Deny(d)
}

// Deny records a denial a handler found (a related type, a permission its
// body needs, a row it may not edit) in the request's verdict and decision
// header; under enforcement: audit the request goes on (nil).
func (rc *Request) Deny(d *decide.Denial) error {
	relaxed := rc.Verdict.Record(d, rc.subject.Audit) // keeps the first failure
	rc.Decision = rc.Verdict.Wire(rc.Route.Op.ID)
	if relaxed {
		return nil
	}
	return denialError(d)
}

// TypeReadable reports whether the effective user may read an entity type
// (canonical name) through the API, by step 5's rule (decide.Object), for
// the operations that list or describe types, or read rows of several:
// a type it may not read is left out of their answers, exactly like a type
// that does not exist, and nothing of it is recorded where the caller could
// read it. Under enforcement: audit the type is readable and the denial is
// recorded (audit-deny), as AuthorizeRelatedType records it.
func (rc *Request) TypeReadable(typeName string) bool {
	d := decide.Object(rc.Tenant, rc.Verdict.Effective, typeName)
	if d == nil {
		return true
	}
	if !rc.subject.Audit {
		return false
	}
	rc.Verdict.Record(d, true) // keeps the first failure
	rc.Decision = rc.Verdict.Wire(rc.Route.Op.ID)
	return true
}

// entityTypeName reads the entity type where the spec's x-entity-type says
// it is: a path or query parameter, a body field, or the FROM of CZQL text.
func (rc *Request) entityTypeName() string {
	ref := rc.Route.Op.EntityType
	if ref == nil {
		return ""
	}
	switch ref.In {
	case "fixed": // the operation touches one type, whatever the request says
		return ref.Name
	case "path":
		return rc.Params[ref.Name]
	case "query":
		return rc.R.URL.Query().Get(ref.Name)
	case "body", "czql":
		// Exactly the key the handler reads: ReadBody has already turned
		// PascalCase keys into camelCase, and a second key that differs only
		// in case must not name a different type for this check. A dotted
		// name ("query.typeName") is a member of a nested object.
		m, _ := rc.BodyJSON.(map[string]any)
		name := ref.Name
		for {
			outer, rest, nested := strings.Cut(name, ".")
			if !nested {
				break
			}
			m, _ = m[outer].(map[string]any)
			name = rest
		}
		v, _ := m[name].(string)
		if ref.In == "czql" {
			v, _ = query.FromType(v)
		} else if rest, ok := strings.CutPrefix(v, "/"); ok {
			// An entity id, /Type/n (relationQuery's entityId), names its type.
			v, _, _ = strings.Cut(rest, "/")
		}
		return v
	}
	return ""
}

// RowMiss is a single-row request answered 404: the row is hidden from
// the effective user, or does not exist.
type RowMiss struct {
	ref    string // /Type/id
	hidden bool
}

// HideRow turns a row the effective user may not see into a 404, and
// records the row step in the decision (audit log, usage, admin API). The
// response reads exactly like MissingRow's (see headerDecision).
func (rc *Request) HideRow(ref tenant.Ref) *Error { return rc.HideRowNamed(ref.String()) }

// HideRowNamed is HideRow for a row named /Type/id (a loaded API's
// resource row, whose id need not be a number).
func (rc *Request) HideRowNamed(ref string) *Error {
	rc.row = &RowMiss{ref: ref, hidden: true}
	rc.Decision.Outcome = wire.OutcomeDeny
	rc.Decision.Step = wire.StepRow
	rc.Decision.Code = wire.CodeRowHidden
	rc.Decision.Reason = fmt.Sprintf("%s is not visible to user %d (not owned by or shared with the user)", ref, rc.Verdict.Effective)
	rc.Decision.Fix = fmt.Sprintf("share %s with user %d or one of its groups, or set apiDataAccess: bypass", ref, rc.Verdict.Effective)
	return rowNotFound(ref)
}

// MissingRow is the 404 of a row that does not exist. The pipeline allowed
// the request, so the decision stays allow; only the header reads like a
// hidden row's.
func (rc *Request) MissingRow(ref tenant.Ref) *Error { return rc.MissingRowNamed(ref.String()) }

// MissingRowNamed is MissingRow for a row named /Type/id.
func (rc *Request) MissingRowNamed(ref string) *Error {
	rc.row = &RowMiss{ref: ref}
	return rowNotFound(ref)
}

func rowNotFound(ref string) *Error { return NotFound("entity %s was not found", ref) }

// headerDecision is the decision as the X-Tenantkit-Decision header gives
// it. A single row that is hidden from the effective user and one that
// does not exist read the same: deny at the row step, code row_not_found,
// and a reason that allows both; a real vendor tells them apart nowhere,
// and neither does the mock's header. A request sent with
// X-Tenantkit-Explain (a diagnostic of the mock) learns which: row_hidden
// with the reason and fix, or that the row does not exist. The audit log
// and the admin API always keep the detail.
func (rc *Request) headerDecision() wire.Decision {
	d := rc.invalidDecision()
	if rc.row == nil || rc.Explain && rc.row.hidden {
		return d
	}
	d.Outcome, d.Step, d.Code, d.Missing = wire.OutcomeDeny, wire.StepRow, wire.CodeRowNotFound, nil
	if rc.Explain {
		d.Reason = fmt.Sprintf("%s does not exist", rc.row.ref)
		d.Fix = "check the id"
		return d
	}
	d.Reason = fmt.Sprintf("no row %s is visible to user %d: it does not exist, or row-level sharing hides it from the user", rc.row.ref, rc.Verdict.Effective)
	d.Fix = "check the id; send " + wire.ExplainHeader + ": 1 (a diagnostic of the mock) or read the audit log to tell which"
	return d
}

// invalidDecision is the decision, or for a request refused as malformed
// after the pipeline allowed it, a deny at the validate step.
func (rc *Request) invalidDecision() wire.Decision {
	d := rc.Decision
	if rc.invalid != nil {
		d.Outcome, d.Step, d.Code, d.Missing = wire.OutcomeDeny, wire.StepValidate, wire.CodeInvalidRequest, nil
		d.Reason = rc.invalid.Msg
		d.Fix = "correct the request as the message says; the spec is " + SpecsPrefix + string(rc.Route.Op.API) + ".yaml"
	}
	return d
}

// allowReason explains an allowed request (sent with X-Tenantkit-Explain).
func (rc *Request) allowReason() string {
	if rc.Tenant == nil { // refused before a credential was looked at
		return "allowed"
	}
	return decide.AllowReason(&rc.Route.Rule, &rc.subject, &rc.Verdict, rc.Tenant, rc.Route.IsWrite(),
		rc.Settings.APIDataAccess == tenant.DataAccessBypass)
}

// basicClient reads a token request's HTTP Basic client credentials. RFC
// 6749 (section 2.3.1) has clients form-encode the id and secret first, as
// golang.org/x/oauth2 does ("demo-integrator%40t2"); curl -u sends them
// as they are. The credentials are used as sent when they name a client
// with that secret, else decoded when that form does.
func (env *Env) basicClient(r *http.Request) (id, secret string, ok bool) {
	id, secret, ok = r.BasicAuth()
	if !ok || !strings.ContainsAny(id+secret, "%+") {
		return id, secret, ok
	}
	if env.Tenants.ForIdentifier(id).ClientSecretMatches(id, secret) {
		return id, secret, ok
	}
	did, err1 := url.QueryUnescape(id)
	dsecret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return id, secret, ok
	}
	if _, known := env.Tenants.ForIdentifier(did).OAuthClient(did); !known {
		return id, secret, ok
	}
	return did, dsecret, ok
}

// Unresolve forgets the request's subject and decision, so that the next
// Authorize resolves and judges it anew (the authorization benchmark).
func (rc *Request) Unresolve() {
	rc.Decision, rc.resolved = wire.Decision{}, false
}
