package matrix_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/tenantkit/tenantkit/internal/golden"
	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/matrix"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// goldenDoc is the matrix as users read it; the test regenerates it with
// UPDATE_GOLDEN=1.
const goldenDoc = "../../../docs/permission-matrix.md"

// authorization obtains the cell's credential from the server: the API key
// itself, a data API session, or a token from the cell's token endpoint.
func authorization(t *testing.T, m *matrix.Matrix, srv *mocktest.Server, c matrix.Cell) string {
	t.Helper()
	hc := srv.HTTPClient()
	switch c.Cred.Kind {
	case matrix.KindAPIKey:
		return "ApiKey " + c.Cred.Key
	case matrix.KindSession:
		body, _ := json.Marshal(map[string]string{"userName": c.Cred.Login, "password": c.Cred.Password})
		resp, err := hc.Post(srv.URL+"/V2.0/services/authentication/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ SessionID string }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.SessionID == "" {
			t.Fatalf("login %s: status %d, %v", c.Cred.Login, resp.StatusCode, err)
		}
		return "Session " + out.SessionID
	case matrix.KindOAuth:
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.Cred.ClientID}, "client_secret": {c.Cred.Secret}}
		resp, err := hc.PostForm(srv.URL+m.TokenPath(c.TokenAPI), form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.AccessToken == "" {
			t.Fatalf("token for %s from %s: status %d, %v", c.Cred.ClientID, c.TokenAPI, resp.StatusCode, err)
		}
		return "Bearer " + out.AccessToken
	}
	t.Fatalf("unknown credential kind %q", c.Cred.Kind)
	return ""
}

// send runs one cell against a fresh demo tenant, so writes never reach
// another cell.
func send(t *testing.T, m *matrix.Matrix, c matrix.Cell) matrix.Result {
	t.Helper()
	srv := mocktest.Start(t)
	authz := ""
	if !c.Public {
		authz = authorization(t, m, srv, c)
	}
	req, err := c.Request(srv.URL, authz)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d, ok := wire.ParseDecision(resp.Header.Get(wire.DecisionHeader))
	if !ok {
		t.Fatalf("%s: no %s header (status %d)", c.Name(), wire.DecisionHeader, resp.StatusCode)
	}
	return matrix.Result{Status: resp.StatusCode, Outcome: d.Outcome, Step: d.Step, Code: d.Code}
}

// TestPermissionMatrix sends every cell of the demo tenant's matrix to the
// real server and checks the answer against the golden document (naming
// each cell that differs) and against Expect, the outcome derived from the
// specs and the fixture alone.
func TestPermissionMatrix(t *testing.T) {
	m, err := matrix.Cells(tenant.Demo())
	if err != nil {
		t.Fatal(err)
	}
	results := make([]matrix.Result, len(m.Cells))
	t.Run("cells", func(t *testing.T) {
		for i, c := range m.Cells {
			t.Run(c.Name(), func(t *testing.T) {
				t.Parallel()
				results[i] = send(t, m, c)
				if want := m.Expect(c); results[i] != want {
					t.Errorf("%s: the mock answers %v; the specs and the fixture say %v", c.Name(), results[i], want)
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	got := m.Markdown(results)
	if os.Getenv("UPDATE_GOLDEN") == "" {
		want, err := matrix.ReadGolden(goldenDoc)
		if err != nil {
			t.Fatalf("golden: %v (run with UPDATE_GOLDEN=1 to create it)", err)
		}
		for i, c := range m.Cells {
			w, ok := want[c.Name()]
			switch {
			case !ok:
				t.Errorf("cell %s (%v) is not in %s", c.Name(), results[i], goldenDoc)
			case w != results[i]:
				t.Errorf("cell %s: the mock answers %v, %s says %v", c.Name(), results[i], goldenDoc, w)
			}
			delete(want, c.Name())
		}
		for _, name := range matrix.SortedNames(want) {
			t.Errorf("cell %s is in %s but no longer in the matrix", name, goldenDoc)
		}
	}
	if !t.Failed() { // the whole document: its prose and order too
		golden.Check(t, got, goldenDoc)
	}
}

// TestCellsAreTheSeam keeps the enumeration usable without a server: every
// cell builds a request, names are unique, and the size is what the demo
// tenant implies.
func TestCellsAreTheSeam(t *testing.T) {
	m, err := matrix.Cells(tenant.Demo())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range m.Cells {
		if seen[c.Name()] {
			t.Errorf("two cells named %s", c.Name())
		}
		seen[c.Name()] = true
		if _, err := c.Request("http://127.0.0.1:1", "ApiKey x"); err != nil {
			t.Errorf("%s: %v", c.Name(), err)
		}
	}
	if len(m.Credentials) != 10 {
		t.Errorf("demo credentials: %d, want 10 (3 keys, 3 logins, 4 clients)", len(m.Credentials))
	}
	// The matrix reaches every step of the pipeline, so a change to the
	// fixture or the specs that stops exercising one is noticed.
	steps := map[string]bool{}
	expected := map[string]matrix.Result{}
	for _, c := range m.Cells {
		r := m.Expect(c)
		steps[r.Step+"/"+r.Outcome] = true
		expected[c.Name()] = r
	}
	for _, s := range []string{"/allow", "authenticate/deny", "scope/deny", "proxy/deny", "permission/deny", "object/deny", "row/deny"} {
		if !steps[s] {
			t.Errorf("no cell of the matrix ends at %s", s)
		}
	}
	// The seam: Diff against Expect of Expect itself is empty, and names a
	// cell that differs.
	if d := matrix.Diff(m.Cells, expected, m.Expect, false); len(d) != 0 {
		t.Errorf("Diff of Expect against itself: %v", d)
	}
	allow := func(matrix.Cell) matrix.Result { return matrix.Result{Outcome: wire.OutcomeAllow} }
	if d := matrix.Diff(m.Cells[:1], map[string]matrix.Result{m.Cells[0].Name(): {Outcome: wire.OutcomeDeny}}, allow, true); len(d) != 1 {
		t.Errorf("Diff names %v, want the one differing cell", d)
	}
}
