package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// loadedMock is a mock serving loaded APIs on a loopback listener.
type loadedMock struct {
	t   *testing.T
	srv *mockserver.Server
	url string
}

func startLoaded(t *testing.T, opts ...mockserver.Option) *loadedMock {
	t.Helper()
	srv, err := mockserver.New(opts...)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &loadedMock{t: t, srv: srv, url: ts.URL}
}

// answer is one response: status, decoded JSON body and decision header.
type answer struct {
	status   int
	body     map[string]any
	list     []any
	raw      string
	decision wire.Decision
}

func (m *loadedMock) do(method, path, auth string, body any) answer {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(m.t, err)
		rd = bytes.NewReader(b)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = m.url + path
	}
	req, err := http.NewRequest(method, target, rd)
	require.NoError(m.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(m.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(m.t, err)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	_ = json.Unmarshal(raw, &a.list)
	if h := resp.Header.Get(wire.DecisionHeader); h != "" {
		require.NoError(m.t, json.Unmarshal([]byte(h), &a.decision))
	}
	return a
}

// token gets a client-credentials token from a token endpoint: client id
// and secret <id>-secret, as the shipped fixtures spell them.
func (m *loadedMock) token(path, client string) string {
	m.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequest(http.MethodPost, m.url+path, strings.NewReader(form.Encode()))
	require.NoError(m.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, client+"-secret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(m.t, err)
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.Equal(m.t, http.StatusOK, resp.StatusCode)
	require.NoError(m.t, json.NewDecoder(resp.Body).Decode(&tok))
	return "Bearer " + tok.AccessToken
}

// rowIDs lists the id field of each item of a list.
func rowIDs(items any) []string {
	var out []string
	list, _ := items.([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		switch v := m["id"].(type) {
		case string:
			out = append(out, v)
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	return out
}

const (
	wkToken       = "/iam/v1/oauth2/token"
	wkConsolidate = "a1f0c3e2b4d6480f9e1a2b3c4d5e6f70" // owned by 5001, shared with WK Finance, editable by 5004
	wkBoardPack   = "b2e1d4f3c5a7491a8f2b3c4d5e6f7081" // shared with WK Finance, editable by nobody else
	wkPayroll     = "c3d2e5a4b6f84a2b9a3c4d5e6f708192" // shared with nobody
	wkTax         = "d4c3f6b5a7e94b3c8b4d5e6f708192a3" // owned by 5002, editable by WK Finance
)

// A grant holding graph:read alone is refused graph:write operations with
// a 403 in the Workiva error body naming the missing scope; its reads work.
func TestWorkivaScopeIsNamedInTheVendorErrorBody(t *testing.T) {
	m := startLoaded(t, mockserver.WithShippedAPI("workiva"))
	reader := m.token(wkToken, "wk-graph-reader")

	a := m.do(http.MethodGet, "/graph/records?$filter=type%20eq%20'Issue'", reader, nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.NotEmpty(t, a.body["data"])

	a = m.do(http.MethodPost, "/graph/edits", reader, map[string]any{"data": []any{}})
	require.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Equal(t, "403Forbidden", a.body["code"])
	assert.Equal(t, "Missing required oauth scopes: graph:write", a.body["message"])
	assert.Equal(t, "https://developers.workiva.com", a.body["documentationUrl"])
	assert.Equal(t, wire.StepScope, a.decision.Step)
	assert.Equal(t, []string{"graph:write"}, a.decision.Missing)

	// A token of the Workiva API is no credential of the built-in APIs.
	a = m.do(http.MethodGet, "/api/v2/integrations/credentials", reader, nil)
	assert.Equal(t, http.StatusUnauthorized, a.status, a.raw)
}

// Both layers refuse: a grant holding file:write whose user lacks the
// edit permission, and a user who may edit spreadsheets but not this one.
func TestWorkivaGrantAndUserLayersBothRefuse(t *testing.T) {
	m := startLoaded(t, mockserver.WithShippedAPI("workiva"))
	patch := []any{map[string]any{"op": "replace", "path": "/name", "value": "Renamed"}}

	finance := m.token(wkToken, "wk-finance-reader") // file:write, user 5002 without workiva:spreadsheets:edit
	a := m.do(http.MethodPatch, "/spreadsheets/"+wkConsolidate, finance, patch)
	require.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Equal(t, wire.StepPermission, a.decision.Step)
	assert.Equal(t, wire.CodeMissingPermissions, a.decision.Code)
	assert.Equal(t, "403Forbidden", a.body["code"])

	editor := m.token(wkToken, "wk-sheets-writer") // user 5004 holds workiva:spreadsheets:edit
	a = m.do(http.MethodPatch, "/spreadsheets/"+wkBoardPack, editor, patch)
	require.Equal(t, http.StatusForbidden, a.status, a.raw)
	assert.Equal(t, wire.StepPermission, a.decision.Step)
	assert.Equal(t, wire.CodeRowNotEditable, a.decision.Code)
	assert.Contains(t, a.decision.Reason, "/spreadsheets/"+wkBoardPack)

	a = m.do(http.MethodPatch, "/spreadsheets/"+wkPayroll, editor, patch)
	assert.Equal(t, http.StatusNotFound, a.status, "a spreadsheet not shared with the user is not found: %s", a.raw)

	a = m.do(http.MethodPatch, "/spreadsheets/"+wkConsolidate, editor, patch)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Equal(t, "Renamed", a.body["name"])
	a = m.do(http.MethodGet, "/spreadsheets/"+wkConsolidate, editor, nil)
	assert.Equal(t, "Renamed", a.body["name"], "the patch is stored")

	// A patch the row cannot take is a 400 naming the operation, and
	// changes nothing.
	a = m.do(http.MethodPatch, "/spreadsheets/"+wkConsolidate, editor,
		[]any{map[string]any{"op": "replace", "path": "/name", "value": "Again"}, map[string]any{"op": "remove", "path": "/nothing"}})
	require.Equal(t, http.StatusBadRequest, a.status, a.raw)
	assert.Contains(t, a.body["message"], "patch[1]")
	a = m.do(http.MethodGet, "/spreadsheets/"+wkConsolidate, editor, nil)
	assert.Equal(t, "Renamed", a.body["name"])
}

// Lists hold only the rows shared with the grant's user, page after page
// ($maxpagesize, @nextLink).
func TestWorkivaListsHoldOnlySharedRows(t *testing.T) {
	m := startLoaded(t, mockserver.WithShippedAPI("workiva"))
	editor := m.token(wkToken, "wk-sheets-writer") // user 5004, group WK Finance

	a := m.do(http.MethodGet, "/spreadsheets", editor, nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	all := rowIDs(a.body["data"])
	assert.ElementsMatch(t, []string{wkConsolidate, wkBoardPack, wkTax}, all)
	assert.NotContains(t, a.body, "@nextLink", "one page holds every row")

	var paged []string
	next := "/spreadsheets?$maxpagesize=1"
	for pages := 0; next != "" && pages < 10; pages++ {
		a = m.do(http.MethodGet, next, editor, nil)
		require.Equal(t, http.StatusOK, a.status, a.raw)
		got := rowIDs(a.body["data"])
		require.Len(t, got, 1)
		paged = append(paged, got...)
		next, _ = a.body["@nextLink"].(string)
	}
	assert.Equal(t, all, paged, "the pages hold the same rows, in order")

	a = m.do(http.MethodGet, "/spreadsheets?$next=not-a-cursor", editor, nil)
	assert.Equal(t, http.StatusBadRequest, a.status, a.raw)
	a = m.do(http.MethodGet, "/spreadsheets?$maxpagesize=1001", editor, nil)
	assert.Equal(t, http.StatusBadRequest, a.status, "the spec's maximum page size: %s", a.raw)

	a = m.do(http.MethodGet, "/spreadsheets/"+wkPayroll, editor, nil)
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, "404NotFound", a.body["code"])
}

// After a run, the least-privilege report names the scopes a grant used,
// and the suggested manifest is the minimal scope set.
func TestWorkivaLeastPrivilegeNamesTheScopesUsed(t *testing.T) {
	m := startLoaded(t, mockserver.WithShippedAPI("workiva"))
	full := m.token(wkToken, "wk-integration") // may be issued graph:read graph:write file:read file:write
	for _, p := range []string{"/graph/records?$filter=x", "/graph/types", "/spreadsheets"} {
		require.Equal(t, http.StatusOK, m.do(http.MethodGet, p, full, nil).status, p)
	}
	rep, err := m.srv.LeastPrivilege("default")
	require.NoError(t, err)
	var found bool
	for _, c := range rep.Credentials {
		if c.ID != "wk-integration" {
			continue
		}
		found = true
		assert.ElementsMatch(t, []string{"graph:read", "file:read"}, c.Scopes.Used)
		assert.ElementsMatch(t, []string{"graph:write", "file:write"}, c.Scopes.Unused)
	}
	require.True(t, found)
	man := rep.Manifest("wk-integration")
	require.Len(t, man.Credentials, 1)
	assert.ElementsMatch(t, []string{"graph:read", "file:read"}, man.Credentials[0].Scopes)
	assert.ElementsMatch(t, []string{"graph_records", "graph_types", "spreadsheets"}, man.Credentials[0].EntityTypes)
}

// workivaScript is a run of requests over every kind of Workiva operation:
// reads, lists, a refused scope, refused and allowed writes.
func workivaScript(m *loadedMock) []answer {
	var out []answer
	for _, client := range []string{"wk-graph-reader", "wk-sheets-writer", "wk-finance-reader", "wk-integration", "wk-no-access"} {
		tok := m.token(wkToken, client)
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/graph/types", nil},
			{http.MethodGet, "/graph/types/Issue", nil},
			{http.MethodGet, "/graph/records?$filter=x&$maxpagesize=1", nil},
			{http.MethodPost, "/graph/edits", map[string]any{"data": []any{}}},
			{http.MethodGet, "/spreadsheets", nil},
			{http.MethodGet, "/spreadsheets/" + wkPayroll, nil},
			{http.MethodPatch, "/spreadsheets/" + wkBoardPack, []any{map[string]any{"op": "replace", "path": "/name", "value": "x"}}},
			{http.MethodPatch, "/spreadsheets/" + wkTax, []any{map[string]any{"op": "replace", "path": "/name", "value": "y"}}},
			{http.MethodGet, "/spreadsheets/" + wkConsolidate + "/sheets", nil},
			{http.MethodGet, "/files", nil},
		} {
			a := m.do(req.method, req.path, tok, req.body)
			a.decision.Caller = nil                      // tokens differ; the client is in the decision's reason
			a.raw = strings.ReplaceAll(a.raw, m.url, "") // the servers' addresses differ
			out = append(out, a)
		}
	}
	return out
}

// The Workiva-shaped spec stripped of every x- extension, with a policy
// that states what the extensions said, behaves exactly as the shipped
// spec does.
func TestSpecWithoutExtensionsAndAPolicyBehavesTheSame(t *testing.T) {
	shipped, err := mockserver.ShippedAPI("workiva")
	require.NoError(t, err)
	plain := shipped
	plain.Spec, plain.SpecName = mustRead(t, "testdata/apis/workiva-plain.openapi.yaml"), "workiva-plain.openapi.yaml"
	plain.Policy, plain.PolicyName = mustRead(t, "testdata/apis/workiva-plain.policy.yaml"), "workiva-plain.policy.yaml"
	require.False(t, regexp.MustCompile(`(?m)^\s*-?\s*x-[a-z-]+:`).Match(plain.Spec), "the plain spec has no extensions")

	want := workivaScript(startLoaded(t, mockserver.WithAPI(shipped)))
	got := workivaScript(startLoaded(t, mockserver.WithAPI(plain)))
	require.Len(t, got, len(want))
	var refused int
	for i := range want {
		w, g := want[i], got[i]
		assert.Equal(t, w.status, g.status, "request %d", i)
		assert.Equal(t, w.decision, g.decision, "request %d", i)
		assert.JSONEq(t, w.raw, g.raw, "request %d", i)
		if w.status == http.StatusForbidden {
			refused++
		}
	}
	assert.Greater(t, refused, 5, "the script meets refusals at several steps")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// The admin API serves a loaded API's spec as given, and the landing
// document lists it.
func TestAdminServesLoadedSpecs(t *testing.T) {
	m := startLoaded(t, mockserver.WithShippedAPI("flow"))
	shipped, err := mockserver.ShippedAPI("flow")
	require.NoError(t, err)
	resp, err := http.Get(m.url + "/_mock/specs/flow.yaml")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, string(shipped.Spec), string(b))
	a := m.do(http.MethodGet, "/_mock/", "", nil)
	assert.Contains(t, a.raw, `"/_mock/specs/flow.yaml"`)
}

// An API whose spec has no tenantkit extension, keyed by a header of its
// own (X-API-Key), with its permissions, owner field, paging and error
// body in a policy.
func TestHeaderKeyAPIWithoutExtensions(t *testing.T) {
	src, err := mockserver.APIFromFiles("tickets", "testdata/apis/tickets.openapi.yaml", "testdata/apis/tickets.policy.yaml")
	require.NoError(t, err)
	vocab, err := mockserver.Vocabulary(src)
	require.NoError(t, err)
	f, err := tenant.ParseWith("tickets-fixture", []byte(`
groups: [{name: support}]
roles:
  - {name: Agent, permissions: ["tickets:*"], entityTypes: [tickets]}
  - {name: Watcher, permissions: ["tickets:read"], entityTypes: [tickets]}
users:
  - {id: 1, name: Ana, email: ana@t.example, groups: [support], roles: [Agent]}
  - {id: 2, name: Wes, email: wes@t.example, roles: [Watcher]}
apiKeys:
  - {name: ana, key: key-ana, user: 1, api: tickets}
  - {name: wes, key: key-wes, user: 2, api: tickets}
proxyAssignments:
  - {proxyUserId: 1, userIds: [2]}
resources:
  - {type: tickets, owner: 1, fields: {title: Printer on fire}}
  - {type: tickets, owner: 1, sharedWithUsers: [2], fields: {title: Shared with Wes}}
  - {type: tickets, owner: 1, fields: {title: Ana's third}}
`), vocab)
	require.NoError(t, err)
	m := startLoaded(t, mockserver.WithAPI(src), mockserver.WithFixture(f))
	var asUser string
	do := func(method, path, key string, body any) answer {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, m.url+path, rd)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		if asUser != "" {
			req.Header.Set("AS-USER", asUser)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		a := answer{status: resp.StatusCode, raw: string(raw)}
		_ = json.Unmarshal(raw, &a.body)
		_ = json.Unmarshal([]byte(resp.Header.Get(wire.DecisionHeader)), &a.decision)
		return a
	}

	a := do(http.MethodGet, "/tickets", "", nil)
	require.Equal(t, http.StatusUnauthorized, a.status)
	assert.Equal(t, map[string]any{"status": float64(401), "message": "the request carries no credential"}, a.body["error"])
	assert.Equal(t, "send X-API-Key: <key>", a.decision.Fix)
	a = do(http.MethodGet, "/status", "", nil)
	assert.Equal(t, http.StatusOK, a.status, "a public example operation")
	assert.Equal(t, "ok", a.body["status"])

	// Ana's three tickets, two per page (the spec's default page size).
	a = do(http.MethodGet, "/tickets", "key-ana", nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Len(t, a.body["tickets"], 2)
	next, _ := a.body["next_page"].(string)
	require.NotEmpty(t, next)
	u, err := url.Parse(next)
	require.NoError(t, err)
	a = do(http.MethodGet, u.RequestURI(), "key-ana", nil)
	assert.Len(t, a.body["tickets"], 1)
	a = do(http.MethodGet, "/tickets?page_size=6", "key-ana", nil)
	assert.Equal(t, http.StatusBadRequest, a.status, "over the spec's maximum page size: %s", a.raw)
	assert.NotContains(t, a.body, "next_page")

	// Wes sees the one ticket shared with him, may not write, and a
	// ticket he cannot see is a 404.
	a = do(http.MethodGet, "/tickets", "key-wes", nil)
	require.Len(t, a.body["tickets"], 1)
	shared := a.body["tickets"].([]any)[0].(map[string]any)
	assert.Equal(t, "Shared with Wes", shared["title"])
	assert.EqualValues(t, 1, shared["reporter"], "the owner is in the policy's owner field")
	a = do(http.MethodPost, "/tickets", "key-wes", map[string]any{"title": "mine"})
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, []string{"tickets:write"}, a.decision.Missing)

	// Ana creates one: a UUID id, she is its reporter whatever the body says.
	a = do(http.MethodPost, "/tickets", "key-ana", map[string]any{"title": "New", "reporter": 2})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	id, _ := a.body["id"].(string)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
	assert.EqualValues(t, 1, a.body["reporter"])
	a = do(http.MethodGet, "/tickets/"+id, "key-wes", nil)
	assert.Equal(t, http.StatusNotFound, a.status)
	a = do(http.MethodPost, "/tickets", "key-ana", map[string]any{"title": ""})
	assert.Equal(t, http.StatusBadRequest, a.status, "the spec's schema refuses it: %s", a.raw)
	a = do(http.MethodDelete, "/tickets/"+id, "key-ana", nil)
	assert.Equal(t, http.StatusNoContent, a.status)
	a = do(http.MethodGet, "/tickets/"+id, "key-ana", nil)
	assert.Equal(t, http.StatusNotFound, a.status)
	a = do(http.MethodGet, "/tickets/not-a-uuid", "key-ana", nil)
	assert.Equal(t, http.StatusNotFound, a.status, "an id no row has (string formats are not checked): %s", a.raw)

	// A key the tenant does not have.
	a = do(http.MethodGet, "/tickets", "demo-key-service", nil)
	assert.Equal(t, http.StatusUnauthorized, a.status)

	// AS-USER where the policy declares it: Ana acts as Wes and sees what
	// Wes sees; Wes holds no assignment for Ana.
	asUser = "2"
	a = do(http.MethodGet, "/tickets", "key-ana", nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	assert.Len(t, a.body["tickets"], 1)
	assert.EqualValues(t, 2, a.decision.EffectiveUser)
	assert.EqualValues(t, 2, a.decision.Principal)
	asUser = "1"
	a = do(http.MethodGet, "/tickets", "key-wes", nil)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, wire.StepProxy, a.decision.Step)
	assert.Contains(t, a.decision.Fix, "the fixture's proxyAssignments")
	a = do(http.MethodGet, "/tickets/"+rowIDs([]any{shared})[0], "key-wes", nil)
	assert.Equal(t, http.StatusOK, a.status, "AS-USER means nothing where it is not declared")
}

// Under enforcement: audit a loaded API's refusals are recorded and the
// request goes on; with apiDataAccess: bypass its enforced lists hold
// every row, and the audit log names the API.
func TestLoadedAPIsFollowTheTenantsSettings(t *testing.T) {
	m := startLoaded(t, mockserver.WithShippedAPI("workiva"))
	tn := m.srv.DefaultTenant()
	reader := m.token(wkToken, "wk-graph-reader")
	_, err := tn.UpdateSettings(func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	require.NoError(t, err)
	a := m.do(http.MethodGet, "/spreadsheets", reader, nil)
	require.Equal(t, http.StatusOK, a.status, "audit lets the missing scope through: %s", a.raw)
	assert.Equal(t, wire.OutcomeAuditDeny, a.decision.Outcome)
	assert.Equal(t, wire.StepScope, a.decision.Step)
	assert.Empty(t, a.body["data"], "user 5003 sees no spreadsheet: rows still apply")

	_, err = tn.UpdateSettings(func(s *tenant.Settings) {
		s.Enforcement, s.APIDataAccess = tenant.EnforcementEnforce, tenant.DataAccessBypass
	})
	require.NoError(t, err)
	editor := m.token(wkToken, "wk-sheets-writer")
	a = m.do(http.MethodGet, "/spreadsheets", editor, nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Len(t, a.body["data"], 4, "apiDataAccess: bypass: every spreadsheet, the restricted one too")

	var found bool
	for _, e := range tn.Audit(tenant.AuditFilter{}) {
		if e.API == "workiva" && e.Operation == "getSpreadsheets" && e.Outcome == wire.OutcomeAuditDeny {
			found = true
			assert.Equal(t, "/spreadsheets", e.Target)
			assert.EqualValues(t, 5003, e.EffectiveUser)
		}
	}
	assert.True(t, found, "the audit log names the loaded API and its operation")
}

// The admin API loads an API while the mock runs: it is served from the
// next request on, every tenant has its resource types, and requests to
// the other APIs keep being answered meanwhile. A broken one is a 400
// naming file, line and field; a name taken is a 409.
func TestAdminLoadsAnAPIWhileServing(t *testing.T) {
	m := startLoaded(t)
	spec := string(mustRead(t, "testdata/apis/tickets.openapi.yaml"))
	policy := string(mustRead(t, "testdata/apis/tickets.policy.yaml"))

	stop := make(chan struct{})
	done := make(chan int)
	go func() { // a client of the built-in data API, all along
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			a := m.do(http.MethodPost, "/V2.0/services/data/entityQuery", "ApiKey demo-key-service", map[string]any{"typeName": "Project", "fields": []string{"Name"}})
			if a.status != http.StatusOK {
				t.Errorf("data API answered %d during the load", a.status)
				return
			}
			n++
		}
	}()

	broken := strings.Replace(policy, "paging: {style: link", "paging: {style: pages", 1)
	a := m.do(http.MethodPost, "/_mock/apis", "", map[string]any{"name": "tickets", "spec": spec, "policy": broken})
	require.Equal(t, http.StatusBadRequest, a.status, a.raw)
	assert.Contains(t, a.body["message"], `tickets policy (request body):11: paging.style: "pages" is not one of link, offset, none`)

	a = m.do(http.MethodPost, "/_mock/apis", "", map[string]any{"name": "tickets", "spec": spec, "policy": policy})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	assert.Equal(t, []any{"tickets"}, a.body["resourceTypes"])
	assert.Equal(t, "X-API-Key", a.body["apiKeyHeader"])
	close(stop)
	assert.Positive(t, <-done)

	a = m.do(http.MethodPost, "/_mock/apis", "", map[string]any{"name": "tickets", "spec": spec, "policy": policy})
	assert.Equal(t, http.StatusConflict, a.status, a.raw)
	a = m.do(http.MethodPost, "/_mock/apis", "", map[string]any{"name": "tickets2", "spec": spec, "policy": policy})
	assert.Equal(t, http.StatusConflict, a.status, "the same paths: %s", a.raw)
	a = m.do(http.MethodGet, "/_mock/apis", "", nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Len(t, a.body["apis"], 1)

	// Served now: a key-less request is the API's own 401, and a tenant
	// made afterwards with the API's rows reads them.
	a = m.do(http.MethodGet, "/tickets", "", nil)
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Equal(t, "listTickets", a.decision.Operation)
	_, has := m.srv.DefaultTenant().ResourceTypeOf("tickets")
	assert.True(t, has, "the default tenant has the new type")
	a = m.do(http.MethodPost, "/_mock/tenants", "", map[string]any{
		"tenant":    map[string]any{"id": "helpdesk"},
		"roles":     []any{map[string]any{"name": "Agent", "permissions": []string{"tickets:*"}, "entityTypes": []string{"tickets"}}},
		"users":     []any{map[string]any{"id": 1, "name": "Ana", "email": "ana@h.example", "roles": []string{"Agent"}}},
		"apiKeys":   []any{map[string]any{"name": "ana", "key": "hd-key", "user": 1, "api": "tickets"}},
		"resources": []any{map[string]any{"type": "tickets", "owner": 1, "fields": map[string]any{"title": "Seeded"}}},
	})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	req, err := http.NewRequest(http.MethodGet, m.url+"/tickets", nil)
	require.NoError(t, err)
	req.Header.Set("X-API-Key", "hd-key@helpdesk")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var page map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", page)
	assert.Equal(t, "Seeded", page["tickets"].([]any)[0].(map[string]any)["title"])
}
