package decide_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// policy is a tenant reduced to what the decision reads: users, proxy
// assignments, each user's permissions and readable types.
type policy struct {
	users map[int64][]string // permissions
	types map[int64][]string // readable entity types
	proxy map[int64][]int64
}

func (p policy) User(id int64) (tenant.User, bool) {
	_, ok := p.users[id]
	return tenant.User{ID: id}, ok
}
func (p policy) CanProxy(from, to int64) bool {
	return from == to || slices.Contains(p.proxy[from], to)
}
func (p policy) FirstGrantedPermission(user int64, perms []string) (string, bool) {
	for _, q := range perms {
		if slices.Contains(p.users[user], q) {
			return q, true
		}
	}
	return "", false
}
func (p policy) TypeName(name string) (string, bool) {
	for _, n := range []string{"Deals", "Project"} {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}
func (p policy) CanReadType(user int64, t string) bool { return slices.Contains(p.types[user], t) }

var pol = policy{
	users: map[int64][]string{1: {"rows:view"}, 2: {"rows:view"}, 3: {}},
	types: map[int64][]string{1: {"Project"}, 2: {"Deals"}},
	proxy: map[int64][]int64{1: {2}},
}

var getRows = decide.Operation{
	Operation: &openapi.Operation{API: openapi.Relationship, ID: "getRows", Scopes: [][]string{{"data"}},
		Permissions: []string{"rows:view"}, EntityType: &openapi.EntityTypeRef{In: "path", Name: "entryType"}, AsUser: true},
	Accepts: []decide.Kind{decide.KindBearer}, TokenURL: "/api/rest/v1/oauth/token",
}

func token(user int64, scopes ...string) decide.Credential {
	return decide.Token(tenant.Token{API: string(openapi.Relationship), ClientID: "c", User: user, Scopes: scopes,
		ExpiresAt: time.Unix(2000, 0)})
}

func decision(cred decide.Credential, audit bool, f decide.Facts) decide.Decision {
	return decide.Decide(&getRows, &decide.Subject{Policy: pol, Cred: cred, Audit: audit, Now: time.Unix(1000, 0)}, f)
}

func step(d decide.Decision) string {
	if d.Failure == nil {
		return d.Outcome
	}
	return d.Outcome + " " + d.Failure.Step + " " + d.Failure.Code
}

func TestStepsInOrder(t *testing.T) {
	cases := []struct {
		name string
		cred decide.Credential
		f    decide.Facts
		want string
		eff  int64
	}{
		{"allowed as the caller", token(2, "data"), decide.Facts{EntityType: "deals"}, "allow", 2},
		{"no credential", decide.Credential{}, decide.Facts{}, "deny authenticate missing_credential", 0},
		{"an API key where only bearer tokens go", decide.APIKey(tenant.APIKey{Name: "k", User: 1}), decide.Facts{}, "deny authenticate malformed_credential", 1},
		{"an unknown token", decide.Credential{Kind: decide.KindBearer, Scheme: "Bearer"}, decide.Facts{}, "deny authenticate unknown_credential", 0},
		{"an expired token", decide.Token(tenant.Token{API: "relationship", User: 2, Scopes: []string{"data"}, ExpiresAt: time.Unix(999, 0)}),
			decide.Facts{}, "deny authenticate expired_credential", 2},
		{"a token of another API", decide.Token(tenant.Token{API: "credentials", User: 2, Scopes: []string{"data"}, ExpiresAt: time.Unix(2000, 0)}),
			decide.Facts{}, "deny authenticate wrong_token_api", 2},
		{"a missing scope before everything else", token(3), decide.Facts{AsUser: "9", EntityType: "Deals"}, "deny scope missing_scopes", 3},
		{"acting as a principal", token(1, "data"), decide.Facts{AsUser: "2", EntityType: "Deals"}, "allow", 2},
		{"no proxy assignment", token(2, "data"), decide.Facts{AsUser: "1"}, "deny proxy proxy_not_allowed", 2},
		{"an AS-USER naming no user reads like no assignment", token(1, "data"), decide.Facts{AsUser: "77"}, "deny proxy proxy_not_allowed", 1},
		{"a malformed AS-USER", token(1, "data"), decide.Facts{AsUser: "x"}, "deny proxy invalid_request", 1},
		{"no permission", token(3, "data"), decide.Facts{}, "deny permission missing_permissions", 3},
		{"the principal's types, not the caller's", token(1, "data"), decide.Facts{AsUser: "2", EntityType: "Project"}, "deny object object_not_accessible", 2},
		{"an unknown type is the handler's 400", token(2, "data"), decide.Facts{EntityType: "Nope"}, "allow", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decision(tc.cred, false, tc.f)
			if got := step(d); got != tc.want {
				t.Errorf("got %q, want %q (%+v)", got, tc.want, d.Failure)
			}
			if d.Effective != tc.eff {
				t.Errorf("effective user %d, want %d", d.Effective, tc.eff)
			}
			if d.Allowed() != (d.Outcome != wire.OutcomeDeny) {
				t.Errorf("Allowed() %v for outcome %s", d.Allowed(), d.Outcome)
			}
		})
	}
}

// Under enforcement: audit steps 2 to 5 are recorded and the request goes
// on; a refused proxy leaves the caller's own user effective; the first
// failure is the one reported; authentication and a malformed AS-USER
// are still enforced.
func TestAudit(t *testing.T) {
	d := decision(token(2), true, decide.Facts{AsUser: "1", EntityType: "Project"})
	if d.Outcome != wire.OutcomeAuditDeny || !d.Allowed() {
		t.Fatalf("outcome %s, allowed %v", d.Outcome, d.Allowed())
	}
	if d.Failure.Step != wire.StepScope {
		t.Errorf("reported step %s, want the first failure (scope)", d.Failure.Step)
	}
	var steps []string
	for _, s := range d.Denials {
		steps = append(steps, s.Step)
	}
	if want := []string{"scope", "proxy", "object"}; !slices.Equal(steps, want) {
		t.Errorf("denials %v, want %v", steps, want)
	}
	if d.Effective != 2 {
		t.Errorf("a refused proxy made user %d effective under audit; want the caller's 2", d.Effective)
	}
	if w := d.Wire("getRows"); !strings.HasPrefix(w.Reason, "allowed by enforcement: audit, but would be denied: ") {
		t.Errorf("reason %q", w.Reason)
	}
	for _, c := range []struct {
		cred decide.Credential
		f    decide.Facts
		want string
	}{
		{decide.Credential{}, decide.Facts{}, "deny authenticate missing_credential"},
		{token(1, "data"), decide.Facts{AsUser: "-3"}, "deny proxy invalid_request"},
	} {
		if got := step(decision(c.cred, true, c.f)); got != c.want {
			t.Errorf("under audit: got %q, want %q", got, c.want)
		}
	}
}

// AS-USER on an operation that does not declare it changes nothing.
func TestAsUserOnlyWhereDeclared(t *testing.T) {
	op := getRows
	plain := *op.Operation
	plain.AsUser = false
	op.Operation = &plain
	d := decide.Decide(&op, &decide.Subject{Policy: pol, Cred: token(1, "data"), Now: time.Unix(1000, 0)},
		decide.Facts{AsUser: "2", EntityType: "Project"})
	if d.Outcome != wire.OutcomeAllow || d.Effective != 1 || d.Principal != 0 {
		t.Errorf("outcome %s, effective %d, principal %d; want allow as user 1, no principal", d.Outcome, d.Effective, d.Principal)
	}
}

// Token requests: the client must be known with its secret, and may ask
// only for scopes it may be issued; neither is relaxed under audit.
func TestTokenRequests(t *testing.T) {
	op := decide.Operation{Operation: &openapi.Operation{API: openapi.Relationship, ID: "getToken"}}
	cl := tenant.OAuthClient{ClientID: "c", User: 1, Scopes: []string{"data"}}
	for _, c := range []struct {
		cred   decide.Credential
		scopes []string
		want   string
	}{
		{decide.Client(cl, true, true, true), nil, "allow"},
		{decide.Client(cl, true, true, true), []string{"data"}, "allow"},
		{decide.Client(cl, true, true, true), []string{"data", "user_management"}, "deny scope missing_scopes"},
		{decide.Client(cl, true, true, false), nil, "deny authenticate unknown_credential"},
		{decide.Client(tenant.OAuthClient{}, true, false, false), nil, "deny authenticate unknown_credential"},
		{decide.Client(tenant.OAuthClient{}, false, false, false), nil, "deny authenticate missing_credential"},
	} {
		d := decide.Decide(&op, &decide.Subject{Policy: pol, Cred: c.cred, Audit: true}, decide.Facts{Scopes: c.scopes})
		if got := step(d); got != c.want {
			t.Errorf("%+v %v: got %q, want %q", c.cred, c.scopes, got, c.want)
		}
		if d.Failure != nil && d.Failure.Step == wire.StepScope && !slices.Equal(d.Failure.Missing, []string{"user_management"}) {
			t.Errorf("missing %v", d.Failure.Missing)
		}
	}
	// A known client is named even when its secret is wrong; an unknown
	// id never is (it may be a mistyped secret).
	if d := decide.Decide(&op, &decide.Subject{Policy: pol, Cred: decide.Client(cl, true, true, false)}, decide.Facts{}); d.Caller.ID != "c" {
		t.Errorf("caller %+v", d.Caller)
	}
	if d := decide.Decide(&op, &decide.Subject{Policy: pol, Cred: decide.Client(tenant.OAuthClient{ClientID: "x"}, true, false, false)}, decide.Facts{}); d.Caller.Kind != "" {
		t.Errorf("an unknown client is named: %+v", d.Caller)
	}
}

// A malformed AS-USER value is repeated only in part.
func TestMalformedAsUserIsEchoedInPart(t *testing.T) {
	d := decision(token(1, "data"), false, decide.Facts{AsUser: strings.Repeat("z", 10_000)})
	if d.Failure == nil || d.Failure.Code != wire.CodeInvalidRequest {
		t.Fatalf("failure %+v", d.Failure)
	}
	if len(d.Failure.Message) > 200 || !strings.Contains(d.Failure.Message, strings.Repeat("z", 64)+"…") {
		t.Errorf("message %.100q… (%d bytes)", d.Failure.Message, len(d.Failure.Message))
	}
}
