package matrix_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/matrix"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// decider asks the decision function about cells: each cell's operation
// read from its spec, its credential as the demo tenant knows it (a key,
// a fresh session, a token from the cell's token API, or the client's or
// user's body credentials for token requests and logins) and the facts it
// sends (AS-USER, entity type).
type decider struct {
	t     *tenant.Tenant
	rules map[string]decide.Operation // by API and operationId
	now   time.Time
}

func newDecider(t *testing.T) *decider {
	t.Helper()
	ten, err := tenant.New(tenant.Demo(), tenant.Config{ID: "matrix"})
	if err != nil {
		t.Fatal(err)
	}
	d := &decider{t: ten, rules: map[string]decide.Operation{}, now: time.Now()}
	for _, api := range openapi.VendorAPIs {
		doc, err := openapi.Load(api)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := openapi.Operations(api, doc)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ops {
			rule, _, err := decide.NewOperation(doc, &ops[i], nil)
			if err != nil {
				t.Fatal(err)
			}
			d.rules[string(api)+" "+ops[i].ID] = rule
		}
	}
	return d
}

func (d *decider) credential(t *testing.T, c matrix.Cell) decide.Credential {
	t.Helper()
	cr := c.Cred
	switch {
	case c.Public && cr.Kind == matrix.KindOAuth:
		cl, known := d.t.OAuthClient(cr.ClientID)
		return decide.Client(cl, true, known, d.t.ClientSecretMatches(cr.ClientID, cr.Secret))
	case c.Public:
		return decide.Password(d.t.CheckPassword(cr.Login, cr.Password))
	case cr.Kind == matrix.KindAPIKey:
		k, ok := d.t.APIKey(cr.Key)
		if !ok {
			t.Fatalf("%s: no key %s", c.Name(), cr.Key)
		}
		return decide.APIKey(k)
	case cr.Kind == matrix.KindSession:
		u, ok := d.t.CheckPassword(cr.Login, cr.Password)
		if !ok {
			t.Fatalf("%s: login %s refused", c.Name(), cr.Login)
		}
		s, err := d.t.NewSession(u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return decide.Session(s)
	}
	tok, err := d.t.IssueToken(string(c.TokenAPI), cr.ClientID, cr.Secret, nil, time.Hour)
	if err != nil {
		t.Fatalf("%s: token: %v", c.Name(), err)
	}
	return decide.Token(tok)
}

// decide is the decision function's result for a cell. Row-level sharing
// is not the decision's (the query engine applies it), so a cell the
// golden file answers 404 at the row step is allowed here.
func (d *decider) decide(t *testing.T, c matrix.Cell) matrix.Result {
	rule, ok := d.rules[string(c.Op.API)+" "+c.Op.ID]
	if !ok {
		t.Fatalf("%s: no rule", c.Name())
	}
	f := decide.Facts{EntityType: c.EntityType}
	if c.AsUser != 0 {
		f.AsUser = strconv.FormatInt(c.AsUser, 10)
	}
	v := decide.Decide(&rule, &decide.Subject{Policy: d.t, Cred: d.credential(t, c), Now: d.now}, f)
	r := matrix.Result{Outcome: v.Outcome}
	if v.Failure != nil {
		r.Step, r.Code = v.Failure.Step, v.Failure.Code
		r.Status = v.Failure.Status
	}
	// relationQuery's handler asks the same object rule of the relation's
	// type (the matrix's cells read the type's first relation).
	if v.Failure == nil && c.Op.ID == "relationQuery" {
		if rels := d.t.Relations(c.EntityType); len(rels) > 0 {
			if den := decide.Object(d.t, v.Effective, rels[0].Type); den != nil {
				r = matrix.Result{Outcome: wire.OutcomeDeny, Step: den.Step, Code: den.Code, Status: den.Status}
			}
		}
	}
	return r
}

// TestDecisionFunctionAgreesWithTheMatrix asks the pure decision function
// about every cell of the golden permission matrix, the same cells
// TestPermissionMatrix sends over HTTP: both must agree with
// docs/permission-matrix.md, so the HTTP path adds nothing to, and takes
// nothing from, the decision.
func TestDecisionFunctionAgreesWithTheMatrix(t *testing.T) {
	m, want := demoMatrix(t)
	d := newDecider(t)
	steps := map[string]int{}
	for name, r := range want {
		if r.Step == wire.StepRow { // the query engine's, after an allow
			want[name] = matrix.Result{Outcome: wire.OutcomeAllow}
		}
	}
	diff := matrix.Diff(m.Cells, want, func(c matrix.Cell) matrix.Result {
		r := d.decide(t, c)
		steps[r.Step]++
		return r
	}, true)
	for _, line := range diff {
		t.Error(line)
	}
	// Every step of the decision is reached by some cell.
	for _, s := range []string{"", wire.StepAuthenticate, wire.StepScope, wire.StepProxy, wire.StepPermission, wire.StepObject} {
		if steps[s] == 0 {
			t.Errorf("no cell ends at step %q", s)
		}
	}
}

// TestVisibilityDiffAgreesWithTheMatrix reads, for every credential read
// the visibility diff judges (entity queries by API keys, entry rows by
// OAuth clients, without AS-USER), the diff's verdict and compares it with
// the golden matrix: a credential the diff says reads a type is allowed
// there, one it says is refused is refused at the same step and code.
func TestVisibilityDiffAgreesWithTheMatrix(t *testing.T) {
	m, want := demoMatrix(t)
	srv := mocktest.Start(t)
	checked, denied := 0, 0
	for _, c := range m.Cells {
		read := c.Op.ID == "entityQuery" && c.Cred.Kind == matrix.KindAPIKey && !c.Cred.Revoked ||
			c.Op.ID == "getRows" && c.Cred.Kind == matrix.KindOAuth && c.TokenAPI == c.Op.API
		if !read || c.AsUser != 0 {
			continue
		}
		id := c.Cred.ClientID
		if c.Cred.Kind == matrix.KindAPIKey {
			id = keyName(t, srv.Tenant(), c.Cred.Key)
		}
		diff := srv.Visibility(c.Cred.User, c.EntityType)
		var view *mockserver.CredentialView
		for i := range diff.Credentials {
			if diff.Credentials[i].ID == id && diff.Credentials[i].Operation == c.Op.ID {
				view = &diff.Credentials[i]
			}
		}
		if view == nil {
			t.Errorf("%s: the visibility diff of user %d and %s does not judge %s", c.Name(), c.Cred.User, c.EntityType, id)
			continue
		}
		checked++
		if view.Denied != nil {
			denied++
		}
		w := want[c.Name()]
		switch {
		case view.Denied == nil && w.Outcome != wire.OutcomeAllow && w.Step != wire.StepRow:
			t.Errorf("%s: the visibility diff reads rows; the matrix says %v", c.Name(), w)
		case view.Denied != nil && (view.Denied.Step != w.Step || view.Denied.Code != w.Code):
			t.Errorf("%s: the visibility diff refuses at %s/%s; the matrix says %v", c.Name(), view.Denied.Step, view.Denied.Code, w)
		}
	}
	if denied == 0 || denied == checked {
		t.Fatalf("of %d reads the visibility diff judges, %d are refused: the matrix must hold both", checked, denied)
	}
	t.Logf("%d reads, %d refused", checked, denied)
}

func keyName(t *testing.T, ten *tenant.Tenant, key string) string {
	t.Helper()
	k, ok := ten.APIKey(key)
	if !ok {
		t.Fatalf("no API key %s", key)
	}
	return k.Name
}

// TestServerDecideAgreesWithTheMatrix asks Server.Decide, the exported
// face of the decision function that the start banner picks its example
// credentials with, about every cell it can express (API keys, and OAuth
// clients judged by a token of the operation's own API) and compares the
// answer with the golden matrix.
func TestServerDecideAgreesWithTheMatrix(t *testing.T) {
	m, want := demoMatrix(t)
	srv := mocktest.Start(t)
	asked := 0
	askedOf := map[openapi.API]int{}
	for _, c := range m.Cells {
		q := mockserver.Question{Operation: c.Op.ID, AsUser: c.AsUser, EntityType: c.EntityType}
		switch {
		case c.Public:
			continue
		case c.Cred.Kind == matrix.KindAPIKey:
			q.APIKey = c.Cred.Key
		case c.Cred.Kind == matrix.KindOAuth && c.TokenAPI == c.Op.API:
			q.Client = c.Cred.ClientID
		default:
			continue
		}
		asked++
		askedOf[c.Op.API]++
		a, err := srv.Mock.Decide(srv.Tenant(), q)
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		w := want[c.Name()]
		if w.Step == wire.StepRow { // the query engine's, after an allow
			w = matrix.Result{Outcome: wire.OutcomeAllow}
		}
		if c.Op.ID == "relationQuery" && w.Step == wire.StepObject && a.Outcome == wire.OutcomeAllow {
			// The related type's object access is the handler's (the
			// relation is in the body), after the decision allowed the
			// entity's type.
			w = matrix.Result{Outcome: wire.OutcomeAllow}
		}
		if got := (matrix.Result{Outcome: a.Outcome, Step: a.Step, Code: a.Code}); got != (matrix.Result{Outcome: w.Outcome, Step: w.Step, Code: w.Code}) {
			t.Errorf("%s: Server.Decide answers %v; the matrix says %v", c.Name(), got, w)
		}
		if a.Allowed != (w.Outcome == wire.OutcomeAllow) {
			t.Errorf("%s: Allowed is %v for outcome %s", c.Name(), a.Allowed, w.Outcome)
		}
	}
	// Sessions, and the data API's OAuth cells (tokens of another API's
	// endpoint), are not questions Server.Decide takes; every other cell
	// is asked, and every vendor API has some.
	for _, api := range openapi.VendorAPIs {
		if askedOf[api] == 0 {
			t.Errorf("asked no cell of the %s API", api)
		}
	}
	t.Logf("asked %d of %d cells", asked, len(m.Cells))
}

// demoMatrix is the demo tenant's matrix and its golden results.
func demoMatrix(t *testing.T) (*matrix.Matrix, map[string]matrix.Result) {
	t.Helper()
	m, err := matrix.Cells(tenant.Demo())
	if err != nil {
		t.Fatal(err)
	}
	want, err := matrix.ReadGolden(goldenDoc)
	if err != nil {
		t.Fatal(err)
	}
	return m, want
}
