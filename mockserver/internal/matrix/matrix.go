// Package matrix enumerates the permission matrix of a tenant: every vendor
// operation (from the specs in openapi) × every credential of a fixture ×,
// for operations whose spec declares an AS-USER header, no principal, each
// principal the caller may act for and one it may not.
//
// Cells is the seam: the same cells are sent over HTTP to the real server
// (matrix_test.go, against the golden docs/permission-matrix.md) and can be
// given to a pure decision function once one exists. Expect derives each
// cell's outcome from the spec and the fixture alone, independently of the
// mock's code, so the golden file cannot silently encode a bug.
package matrix

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// AsUserHeader is the proxy header an operation's spec may declare.
const AsUserHeader = "AS-USER"

// Credential kinds, as wire.Caller names them.
const (
	KindAPIKey  = "api_key"
	KindSession = "session"
	KindOAuth   = "oauth_client"
)

// Credential is one credential of the fixture.
type Credential struct {
	Name string // column label: "key:bob", "session:alice", "client:demo-admin"
	Kind string // KindAPIKey, KindSession or KindOAuth
	User int64  // the credential's own user

	Key              string   // API key value
	Login, Password  string   // session: the data API login
	ClientID, Secret string   // OAuth client
	Scopes           []string // OAuth: the client's scopes (tokens are requested without a scope)
	Revoked          bool     // API key
}

// Cell is one request of the matrix.
type Cell struct {
	Op         openapi.Operation
	EntityType string // the type the request names, when the operation declares x-entity-type
	Cred       Credential
	// AsUser is the AS-USER principal sent; 0 for none. Only set for
	// operations whose spec declares the header.
	AsUser int64
	// TokenAPI is the API whose token endpoint issues the bearer token of an
	// OAuth credential: the operation's own API, or for an API without a
	// token endpoint (data) the first vendor API that has one.
	TokenAPI openapi.API

	Method      string
	Path        string // with path parameters filled in, and the query string
	Body        []byte
	ContentType string
	// Public: the operation takes no Authorization header; the credential
	// is in the body (login, getServerDefinition) or the token form.
	Public bool
}

// Name names the cell uniquely: "data getObject[Deals] key:bob", with
// " as:1002" when AS-USER is sent.
func (c Cell) Name() string {
	s := string(c.Op.API) + " " + c.Op.ID
	if c.EntityType != "" {
		s += "[" + c.EntityType + "]"
	}
	s += " " + c.Cred.Name
	if c.AsUser != 0 {
		s += fmt.Sprintf(" as:%d", c.AsUser)
	}
	return s
}

// Result is what a cell's request gets: the HTTP status and the decision
// header's outcome, step and code.
type Result struct {
	Status  int
	Outcome string
	Step    string
	Code    string
}

func (r Result) String() string {
	return fmt.Sprintf("%d %s %s %s", r.Status, r.Outcome, dash(r.Step), dash(r.Code))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Request builds the cell's HTTP request against baseURL. authorization is
// the Authorization header value (ignored for public cells): "ApiKey <key>",
// "Session <id>" or "Bearer <token>".
func (c Cell) Request(baseURL, authorization string) (*http.Request, error) {
	var body *bytes.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequest(c.Method, baseURL+c.Path, body)
	} else {
		req, err = http.NewRequest(c.Method, baseURL+c.Path, nil)
	}
	if err != nil {
		return nil, err
	}
	if c.ContentType != "" {
		req.Header.Set("Content-Type", c.ContentType)
	}
	if !c.Public && authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if c.AsUser != 0 {
		req.Header.Set(AsUserHeader, fmt.Sprint(c.AsUser))
	}
	return req, nil
}

// Credentials lists the fixture's credentials in a stable order: API keys,
// data API logins (users with a password), OAuth clients.
func Credentials(f *tenant.Fixture) []Credential {
	var out []Credential
	for _, k := range f.APIKeys {
		out = append(out, Credential{Name: "key:" + k.Name, Kind: KindAPIKey, User: k.User, Key: k.Key, Revoked: k.Revoked})
	}
	for _, u := range f.Users {
		if u.Password == "" {
			continue
		}
		short, _, _ := strings.Cut(u.Email, "@")
		out = append(out, Credential{Name: "session:" + short, Kind: KindSession, User: u.ID, Login: u.Email, Password: u.Password})
	}
	for _, c := range f.OAuthClients {
		out = append(out, Credential{Name: "client:" + c.ClientID, Kind: KindOAuth, User: c.User,
			ClientID: c.ClientID, Secret: c.Secret, Scopes: slices.Clone(c.Scopes)})
	}
	return out
}

// Operations returns every vendor operation with its spec document.
func Operations() ([]openapi.Operation, map[openapi.API]*openapi3.T, error) {
	docs := map[openapi.API]*openapi3.T{}
	var ops []openapi.Operation
	for _, api := range openapi.VendorAPIs {
		doc, err := openapi.Load(api)
		if err != nil {
			return nil, nil, err
		}
		docs[api] = doc
		o, err := openapi.Operations(api, doc)
		if err != nil {
			return nil, nil, err
		}
		ops = append(ops, o...)
	}
	return ops, docs, nil
}

// DeclaresAsUser reports whether the operation's spec declares an AS-USER
// header parameter (on the operation or its path).
func DeclaresAsUser(doc *openapi3.T, op openapi.Operation) bool {
	item := doc.Paths.Find(op.Path)
	if item == nil {
		return false
	}
	params := slices.Clone(item.Parameters)
	if o := item.GetOperation(op.Method); o != nil {
		params = append(params, o.Parameters...)
	}
	for _, p := range params {
		if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && strings.EqualFold(p.Value.Name, AsUserHeader) {
			return true
		}
	}
	return false
}

// tokenEndpoint is the path of a spec's client-credentials token URL, "" if none.
func tokenEndpoint(doc *openapi3.T) string {
	for _, ref := range doc.Components.SecuritySchemes {
		if ref.Value != nil && ref.Value.Flows != nil && ref.Value.Flows.ClientCredentials != nil {
			return ref.Value.Flows.ClientCredentials.TokenURL
		}
	}
	return ""
}

// Matrix is the enumeration: the operations, the credentials and the cells.
type Matrix struct {
	Fixture     *tenant.Fixture
	Operations  []openapi.Operation
	Credentials []Credential
	Cells       []Cell
	docs        map[openapi.API]*openapi3.T
}

// TokenPath returns the token endpoint path of api's spec ("" if none).
func (m *Matrix) TokenPath(api openapi.API) string { return tokenEndpoint(m.docs[api]) }

// Cells enumerates the matrix of fixture f (tenant.Demo() for the demo tenant).
func Cells(f *tenant.Fixture) (*Matrix, error) {
	ops, docs, err := Operations()
	if err != nil {
		return nil, err
	}
	m := &Matrix{Fixture: f, Operations: ops, Credentials: Credentials(f), docs: docs}
	firstTokenAPI := openapi.API("")
	for _, api := range openapi.VendorAPIs {
		if tokenEndpoint(docs[api]) != "" {
			firstTokenAPI = api
			break
		}
	}
	for _, op := range ops {
		doc := docs[op.API]
		tokenAPI := op.API
		if tokenEndpoint(doc) == "" {
			tokenAPI = firstTokenAPI
		}
		types := []string{""}
		if op.EntityType != nil {
			types = types[:0]
			for _, et := range f.EntityTypes {
				// relationQuery reads a relation: only types that have one.
				if op.ID == "relationQuery" && len(f.Relations()[et.Name]) == 0 {
					continue
				}
				types = append(types, et.Name)
			}
		}
		isToken := tokenEndpoint(doc) == op.Path
		public := isToken || len(op.Schemes) == 0
		for _, et := range types {
			for _, cred := range m.Credentials {
				if public { // the credential travels in the body
					if (isToken && cred.Kind != KindOAuth) || (!isToken && cred.Kind != KindSession) {
						continue
					}
				}
				principals := []int64{0}
				// AS-USER variants only where the header is declared and
				// the operation takes the credential (else step 1 decides).
				if DeclaresAsUser(doc, op) && m.accepts(op, cred, tokenAPI) {
					principals = append(principals, Principals(f, cred.User)...)
				}
				for _, p := range principals {
					c := Cell{Op: op, EntityType: et, Cred: cred, AsUser: p, TokenAPI: tokenAPI, Public: public}
					if err := fill(&c, f, isToken); err != nil {
						return nil, err
					}
					m.Cells = append(m.Cells, c)
				}
			}
		}
	}
	return m, nil
}

// Principals returns the AS-USER values tried for a caller: each user the
// caller may act for, in id order, then the lowest-id other user it may not.
func Principals(f *tenant.Fixture, caller int64) []int64 {
	allowed := proxyTargets(f, caller)
	out := slices.Clone(allowed)
	ids := make([]int64, 0, len(f.Users))
	for _, u := range f.Users {
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if id != caller && !slices.Contains(allowed, id) {
			out = append(out, id)
			break
		}
	}
	return out
}

func proxyTargets(f *tenant.Fixture, caller int64) []int64 {
	var out []int64
	for _, pa := range f.ProxyAssignments {
		if pa.ProxyUserID == caller {
			out = append(out, pa.UserIDs...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fill sets the cell's method, path, query and a body valid for the spec.
func fill(c *Cell, f *tenant.Fixture, isToken bool) error {
	op := c.Op
	c.Method = op.Method
	path := op.Path
	eff := effectiveUser(f, c)
	q := url.Values{}
	jsonBody := func(s string) { c.Body, c.ContentType = []byte(s), "application/json" }
	switch {
	case isToken:
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.Cred.ClientID}, "client_secret": {c.Cred.Secret}}
		c.Body, c.ContentType = []byte(form.Encode()), "application/x-www-form-urlencoded"
	case op.ID == "login" || op.ID == "getServerDefinition":
		jsonBody(fmt.Sprintf(`{"userName":%q,"password":%q}`, c.Cred.Login, c.Cred.Password))
	case op.ID == "entityQuery":
		jsonBody(fmt.Sprintf(`{"typeName":%q,"fields":["Name"]}`, c.EntityType))
	case op.ID == "entityQueryGet":
		q.Set("typeName", c.EntityType)
	case op.ID == "query":
		jsonBody(fmt.Sprintf(`{"q":"SELECT Name FROM %s"}`, c.EntityType))
	case op.ID == "countQuery":
		jsonBody(fmt.Sprintf(`{"query":{"_type":"entityQuery","typeName":%q}}`, c.EntityType))
	case op.ID == "aggregateQuery":
		jsonBody(fmt.Sprintf(`{"typeName":%q,"aggregations":[{"function":"Count","fieldName":"id"}]}`, c.EntityType))
	case op.ID == "relationQuery":
		// The type's first relation, of a row the effective user sees.
		jsonBody(fmt.Sprintf(`{"entityId":"/%s/%d","relationName":%q,"fields":["Name"]}`,
			c.EntityType, rowFor(f, c.EntityType, eff), firstRelation(f, c.EntityType).Name))
	case op.ID == "describeEntities":
		// A type the effective user may read: describing a type it may not
		// read is the 400 of an unknown type, not a step of the decision.
		q.Set("typeNames", readableType(f, eff))
	case op.ID == "retrieveMultiple":
		if len(f.EntityTypes) > 0 {
			jsonBody(fmt.Sprintf(`{"ids":["/%s/1"]}`, f.EntityTypes[0].Name))
		}
	case op.ID == "bulkExecute":
		// One sub-request every credential of the API may make: the cell
		// judges the bulk call itself; each sub-request is judged as its
		// own operation.
		jsonBody(`{"requests":[{"url":"/authentication/getSessionInfo","method":"GET"}]}`)
	case op.ID == "createObject", op.ID == "updateObject":
		jsonBody(`{"Name":"permission matrix"}`)
	case op.ID == "createCredential", op.ID == "updateCredential":
		jsonBody(`{"name":"permission matrix","type":{"name":"userDefined"},"credentialFields":{"endpoint":"https://matrix.example"}}`)
	case op.ID == "createProxyAssignments":
		jsonBody(`{"proxyUserId":1001,"users":[6045]}`)
	case op.ID == "queryRows":
		jsonBody(`{"limit":10}`)
	case op.ID == "createRows", op.ID == "upsertRows":
		jsonBody(`[{"EntryId":-1,"Name":"permission matrix"}]`)
	case op.ID == "updateRows":
		jsonBody(fmt.Sprintf(`[{"EntryId":%d,"Name":"permission matrix"}]`, rowFor(f, c.EntityType, eff)))
	case op.ID == "deleteRows":
		jsonBody(fmt.Sprintf(`[%d]`, rowFor(f, c.EntityType, eff)))
	case op.ID == "getUsersByID":
		jsonBody(fmt.Sprintf("[%d]", eff))
	}
	for _, name := range []string{"typeName", "entryType"} {
		path = strings.ReplaceAll(path, "{"+name+"}", c.EntityType)
	}
	if strings.Contains(path, "{id}") {
		path = strings.ReplaceAll(path, "{id}", fmt.Sprint(rowFor(f, c.EntityType, eff)))
	}
	if strings.Contains(path, "{credentialId}") {
		if len(f.Credentials) == 0 {
			return fmt.Errorf("matrix: %s needs a credential in the fixture", op.ID)
		}
		path = strings.ReplaceAll(path, "{credentialId}", f.Credentials[0].ID)
	}
	if strings.Contains(path, "{") {
		return fmt.Errorf("matrix: no value for a path parameter of %s %s", op.ID, path)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	c.Path = path
	return nil
}

// namesRowInBody reports whether fill gives the operation a body naming
// one existing row (rowFor): the relationship API's batch updates and
// deletes, a one-row batch whose row the user cannot see being a 404.
func namesRowInBody(op openapi.Operation) bool {
	return op.ID == "updateRows" || op.ID == "deleteRows" || op.ID == "relationQuery"
}

// firstRelation is the relation of typeName that fill asks relationQuery
// for: the first by name.
func firstRelation(f *tenant.Fixture, typeName string) tenant.Relation {
	if rels := f.Relations()[typeName]; len(rels) > 0 {
		return rels[0]
	}
	return tenant.Relation{}
}

// effectiveUser is the user whose rights apply to the cell: the AS-USER
// principal when the caller may act for it, otherwise the caller's user.
func effectiveUser(f *tenant.Fixture, c *Cell) int64 {
	if c.AsUser != 0 && slices.Contains(proxyTargets(f, c.Cred.User), c.AsUser) {
		return c.AsUser
	}
	return c.Cred.User
}

// rowFor picks, for single-row operations, the lowest-id row of typeName
// the user sees under row-level sharing, so that the cell shows steps 1 to
// 5; when the user sees none, the type's lowest-id row (a 404 at the row step).
func rowFor(f *tenant.Fixture, typeName string, user int64) int64 {
	var ids []int64
	for _, e := range f.Entities {
		if strings.EqualFold(e.Type, typeName) {
			ids = append(ids, e.ID)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if sees(f, typeName, id, user) {
			return id
		}
	}
	if len(ids) == 0 {
		return 1
	}
	return ids[0]
}

// sees is row-level sharing over the fixture: the owner, a user holding a
// role with permission "*", and users the row is shared with directly or
// through a group see it (apiDataAccess: enforce).
func sees(f *tenant.Fixture, typeName string, id, user int64) bool {
	u, ok := userOf(f, user)
	if !ok {
		return false
	}
	for _, r := range rolesOf(f, u) {
		if slices.Contains(r.Permissions, "*") {
			return true
		}
	}
	for _, e := range f.Entities {
		if !strings.EqualFold(e.Type, typeName) || e.ID != id {
			continue
		}
		if e.Owner == user || slices.Contains(e.SharedWithUsers, user) {
			return true
		}
		for _, g := range u.Groups {
			if slices.Contains(e.SharedWithGroups, g) {
				return true
			}
		}
	}
	return false
}

// readableType is the first entity type of the fixture a role of user lists
// (the first type when none does).
func readableType(f *tenant.Fixture, user int64) string {
	if len(f.EntityTypes) == 0 {
		return ""
	}
	u, _ := userOf(f, user)
	for _, et := range f.EntityTypes {
		for _, r := range rolesOf(f, u) {
			for _, t := range r.EntityTypes {
				if t == "*" || strings.EqualFold(t, et.Name) {
					return et.Name
				}
			}
		}
	}
	return f.EntityTypes[0].Name
}

func userOf(f *tenant.Fixture, id int64) (tenant.UserFixture, bool) {
	for _, u := range f.Users {
		if u.ID == id {
			return u, true
		}
	}
	return tenant.UserFixture{}, false
}

func rolesOf(f *tenant.Fixture, u tenant.UserFixture) []tenant.RoleFixture {
	var out []tenant.RoleFixture
	for _, r := range f.Roles {
		if slices.Contains(u.Roles, r.Name) {
			out = append(out, r)
		}
	}
	return out
}

// grants is an independent reading of a permission pattern: "*" grants
// everything; otherwise colon-separated segments match exactly, a "*"
// segment matches one segment, and a final "*" segment matches the rest.
func grants(pattern, perm string) bool {
	if pattern == "*" {
		return perm != ""
	}
	ps, qs := strings.Split(pattern, ":"), strings.Split(perm, ":")
	for i, p := range ps {
		if p == "*" && i == len(ps)-1 {
			return i < len(qs)
		}
		if i >= len(qs) || (p != "*" && p != qs[i]) {
			return false
		}
	}
	return len(ps) == len(qs)
}

// accepts reports whether one of the operation's security schemes takes
// the credential: an OAuth2 scheme a bearer token issued by the same API,
// an apiKey scheme documented as "ApiKey <...>" or "Session <...>" an API
// key or a session.
func (m *Matrix) accepts(op openapi.Operation, cred Credential, tokenAPI openapi.API) bool {
	for _, name := range op.Schemes {
		ref := m.docs[op.API].Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		s := ref.Value
		switch {
		case cred.Kind == KindOAuth && s.Type == "oauth2" && tokenAPI == op.API,
			cred.Kind == KindAPIKey && s.Type == "apiKey" && strings.Contains(s.Description, "ApiKey <"),
			cred.Kind == KindSession && s.Type == "apiKey" && strings.Contains(s.Description, "Session <"):
			return true
		}
	}
	return false
}

// Expect derives a cell's result from the operation's spec and the fixture
// alone: the pipeline's steps in order (authenticate, scope, proxy,
// permission, object) and, for single-row operations, row-level sharing.
// It does not call the mock's code.
func (m *Matrix) Expect(c Cell) Result {
	f, op := m.Fixture, c.Op
	if c.Public {
		return Result{Status: http.StatusOK, Outcome: wire.OutcomeAllow}
	}
	deny := func(status int, step, code string) Result {
		return Result{Status: status, Outcome: wire.OutcomeDeny, Step: step, Code: code}
	}
	// 1. authenticate: the operation's schemes accept the credential's kind.
	accepted := m.accepts(c.Op, c.Cred, c.TokenAPI)
	if !accepted {
		return deny(http.StatusUnauthorized, wire.StepAuthenticate, wire.CodeMalformedCredential)
	}
	if c.Cred.Revoked {
		return deny(http.StatusUnauthorized, wire.StepAuthenticate, wire.CodeRevokedCredential)
	}
	// 2. scopes: an OAuth token holds every scope of one of the sets.
	if c.Cred.Kind == KindOAuth && len(op.Scopes) > 0 {
		ok := false
		for _, set := range op.Scopes {
			all := true
			for _, s := range set {
				all = all && slices.Contains(c.Cred.Scopes, s)
			}
			ok = ok || all
		}
		if !ok {
			return deny(http.StatusForbidden, wire.StepScope, wire.CodeMissingScopes)
		}
	}
	// 3. proxy: an assignment from the caller's user to the principal.
	if c.AsUser != 0 && !slices.Contains(proxyTargets(f, c.Cred.User), c.AsUser) {
		return deny(cmp.Or(op.ProxyDenied, http.StatusForbidden), wire.StepProxy, wire.CodeProxyNotAllowed)
	}
	eff := effectiveUser(f, &c)
	u, _ := userOf(f, eff)
	roles := rolesOf(f, u)
	// 4. permissions: one of the operation's, granted by a role.
	if len(op.Permissions) > 0 {
		ok := false
		for _, r := range roles {
			for _, pat := range r.Permissions {
				for _, p := range op.Permissions {
					ok = ok || grants(pat, p)
				}
			}
		}
		if !ok {
			return deny(http.StatusForbidden, wire.StepPermission, wire.CodeMissingPermissions)
		}
	}
	// 5. object access: a role lists the entity type.
	if c.EntityType != "" {
		ok := false
		for _, r := range roles {
			for _, t := range r.EntityTypes {
				ok = ok || t == "*" || strings.EqualFold(t, c.EntityType)
			}
		}
		if !ok {
			return deny(http.StatusForbidden, wire.StepObject, wire.CodeObjectNotAccessible)
		}
	}
	// relationQuery reads the relation's type too, under the same rule.
	if op.ID == "relationQuery" {
		related, ok := firstRelation(f, c.EntityType).Type, false
		for _, r := range roles {
			for _, t := range r.EntityTypes {
				ok = ok || t == "*" || strings.EqualFold(t, related)
			}
		}
		if !ok {
			return deny(http.StatusForbidden, wire.StepObject, wire.CodeObjectNotAccessible)
		}
	}
	// 6. row-level sharing, for operations on one row (in the path, or the
	// one row of a batch write's body).
	if (strings.Contains(op.Path, "{id}") || namesRowInBody(op)) && !sees(f, c.EntityType, rowFor(f, c.EntityType, eff), eff) {
		return deny(http.StatusNotFound, wire.StepRow, wire.CodeRowNotFound)
	}
	status := http.StatusOK
	if op.ID == "deleteCredential" {
		status = http.StatusNoContent
	}
	return Result{Status: status, Outcome: wire.OutcomeAllow}
}

// Markdown renders the matrix and its results (one per cell, in order) as
// the document docs/permission-matrix.md.
func (m *Matrix) Markdown(results []Result) string {
	var b strings.Builder
	b.WriteString("# Permission matrix of the demo tenant\n\n")
	b.WriteString("Generated by `UPDATE_GOLDEN=1 go test ./mockserver/internal/matrix/`; do not edit by hand.\n\n")
	b.WriteString("Every vendor operation (from the specs in `openapi/`) × every credential of the demo tenant\n")
	b.WriteString("(`mockserver/tenant/demo.yaml`) × for operations whose spec declares an `AS-USER` header, with a\n")
	b.WriteString("credential they accept: no principal, each principal the caller may act for, and one it may not\n")
	b.WriteString("(the lowest-id other user). Each row is one request to\n")
	b.WriteString("a fresh demo tenant, and what came back: the HTTP status and the `X-Tenantkit-Decision` header's\n")
	b.WriteString("outcome, step and code. The test checks every row against the mock over HTTP and against an\n")
	b.WriteString("independent reading of the specs and the fixture.\n\n")
	b.WriteString("Credentials: `key:<name>` sends `Authorization: ApiKey <key>`; `session:<user>` logs in to the\n")
	b.WriteString("data API first and sends `Authorization: Session <id>`; `client:<id>` sends `Authorization: Bearer\n")
	b.WriteString("<token>` with a token from the operation's own API's token endpoint (requested without `scope`, so\n")
	b.WriteString("it holds all of the client's scopes); the data API has no token endpoint, so its `client:` rows\n")
	b.WriteString("send a token of the credentials API. Public operations (login, getServerDefinition, the token\n")
	b.WriteString("endpoints) take the credential in their body and are listed only for credentials of that kind.\n")
	b.WriteString("Entity-typed operations are listed for each entity type; single-row operations use the first row\n")
	b.WriteString("of that type the effective user sees, or when it sees none the type's first row (404 at step `row`).\n\n")
	sizes := map[openapi.API]int{}
	for _, c := range m.Cells {
		sizes[c.Op.API]++
	}
	fmt.Fprintf(&b, "%d operations × %d credentials: %d cells (", len(m.Operations), len(m.Credentials), len(m.Cells))
	for i, api := range openapi.VendorAPIs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", api, sizes[api])
	}
	b.WriteString(").\n")
	m.writeGrid(&b, results)
	last := openapi.API("")
	for i, c := range m.Cells {
		if c.Op.API != last {
			last = c.Op.API
			fmt.Fprintf(&b, "\n## %s API\n\n", c.Op.API)
			b.WriteString("| operation | entity type | credential | AS-USER | HTTP | outcome | step | code |\n")
			b.WriteString("|---|---|---|---|---|---|---|---|\n")
		}
		r := results[i]
		as := "-"
		if c.AsUser != 0 {
			as = fmt.Sprint(c.AsUser)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %s | %s |\n",
			c.Op.ID, dash(c.EntityType), c.Cred.Name, as, r.Status, r.Outcome, dash(r.Step), dash(r.Code))
	}
	return b.String()
}

// writeGrid writes the overview: one row per operation (and entity type),
// one column per credential, each cell the outcome without AS-USER: `allow`,
// or the step that refused the request; `n/a` where the credential is not
// presented to the operation (public operations take theirs in the body).
func (m *Matrix) writeGrid(b *strings.Builder, results []Result) {
	b.WriteString("\n## Overview (without AS-USER)\n\n")
	b.WriteString("Each cell: `allow`, or the step that refused the request; `n/a` where the credential is not\n")
	b.WriteString("presented to the operation. The full rows, with AS-USER, status and code, follow.\n\n")
	b.WriteString("| operation |")
	for _, c := range m.Credentials {
		fmt.Fprintf(b, " %s |", c.Name)
	}
	b.WriteString("\n|---|")
	for range m.Credentials {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	type rowKey struct{ api, op, et string }
	var order []rowKey
	cells := map[rowKey]map[string]string{}
	for i, c := range m.Cells {
		if c.AsUser != 0 {
			continue
		}
		k := rowKey{string(c.Op.API), c.Op.ID, c.EntityType}
		if cells[k] == nil {
			cells[k] = map[string]string{}
			order = append(order, k)
		}
		v := results[i].Outcome
		if results[i].Step != "" {
			v = results[i].Step
		}
		cells[k][c.Cred.Name] = v
	}
	for _, k := range order {
		name := k.api + " " + k.op
		if k.et != "" {
			name += " " + k.et
		}
		fmt.Fprintf(b, "| %s |", name)
		for _, c := range m.Credentials {
			v, ok := cells[k][c.Name]
			if !ok {
				v = "n/a"
			}
			fmt.Fprintf(b, " %s |", v)
		}
		b.WriteString("\n")
	}
}

// ParseMarkdown reads the cells' results back from a document written by
// Markdown, keyed by Cell.Name.
func ParseMarkdown(doc string) map[string]Result {
	out := map[string]Result{}
	api := ""
	for _, line := range strings.Split(doc, "\n") {
		if a, ok := strings.CutPrefix(line, "## "); ok {
			api, _, _ = strings.Cut(a, " ")
			continue
		}
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| operation ") {
			continue
		}
		f := strings.Split(strings.Trim(line, "| "), " | ")
		if len(f) != 8 {
			continue
		}
		name := api + " " + f[0]
		if f[1] != "-" {
			name += "[" + f[1] + "]"
		}
		name += " " + f[2]
		if f[3] != "-" {
			name += " as:" + f[3]
		}
		var st int
		fmt.Sscan(f[4], &st)
		undash := func(s string) string {
			if s == "-" {
				return ""
			}
			return s
		}
		out[name] = Result{Status: st, Outcome: f[5], Step: undash(f[6]), Code: undash(f[7])}
	}
	return out
}

// ReadGolden reads the results of a document written by Markdown (the
// golden docs/permission-matrix.md), keyed by Cell.Name.
func ReadGolden(path string) (map[string]Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMarkdown(string(b)), nil
}

// Diff compares a decision function's results with want (from Expect or
// ReadGolden), cell by cell, and names each cell that differs. Set
// ignoreStatus for a decision function that gives no HTTP status.
//
// This is the seam for the pure decision function: once it exists, a test
// turns each cell into its (operation, subject, request facts), calls it,
// and asserts Diff(m.Cells, golden, decide, true) is empty.
func Diff(cells []Cell, want map[string]Result, decide func(Cell) Result, ignoreStatus bool) []string {
	var out []string
	for _, c := range cells {
		w, ok := want[c.Name()]
		if !ok {
			out = append(out, c.Name()+": no expected result")
			continue
		}
		got := decide(c)
		if ignoreStatus {
			got.Status, w.Status = 0, 0
		}
		if got != w {
			out = append(out, fmt.Sprintf("%s: got %v, want %v", c.Name(), got, w))
		}
	}
	return out
}

// SortedNames returns the keys of a result map, sorted.
func SortedNames(m map[string]Result) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
