package mockserver_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/mockserver"
)

// handlerBound is how long one fuzzed request may take: generous, so that
// a loaded CI machine does not fail it, yet far below what an unbounded
// input costs (seconds to hours).
const handlerBound = 5 * time.Second

// fuzzServer serves the demo tenant and the shipped loaded APIs, so that
// the generic handlers are fuzzed with the built-in ones.
var fuzzServer = sync.OnceValues(func() (*mockserver.Server, error) {
	return mockserver.New(mockserver.WithShippedAPI("workiva"), mockserver.WithShippedAPI("flow"))
})

// fuzzToken is a bearer token of a demo tenant client (its secret is
// "<client>-secret"), for seeds that get past authentication.
func fuzzToken(t testing.TB, srv *mockserver.Server, path, client, scope string) string {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {client + "-secret"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Host = "127.0.0.1" // httptest names example.com, a host the mock does not answer for
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := decodeJSON(w.Result(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token from %s: %d %s", path, w.Code, w.Body)
	}
	return tok.AccessToken
}

// FuzzHandler sends any method, path, headers and body to the whole
// handler serving the demo tenant. It fails on a 5xx, a panic (the handler
// answers one with a 500), or a request slower than handlerBound. Headers
// are "Name: value" lines. Writes to the admin API are skipped: they may
// turn on injected faults, whose 5xx are on purpose.
func FuzzHandler(f *testing.F) {
	srv, err := fuzzServer()
	if err != nil {
		f.Fatal(err)
	}
	genesys := fuzzToken(f, srv, "/oauth/token", "demo-admin", "")
	dealcloud := fuzzToken(f, srv, "/api/rest/v1/oauth/token", "demo-integrator", "data user_management")
	key := "Authorization: ApiKey demo-key-service\nContent-Type: application/json"
	bob := "Authorization: ApiKey demo-key-bob\nContent-Type: application/json"
	gen := "Authorization: Bearer " + genesys + "\nContent-Type: application/json"
	dc := "Authorization: Bearer " + dealcloud + "\nContent-Type: application/json"
	wk := "Authorization: Bearer " + fuzzToken(f, srv, "/iam/v1/oauth2/token", "wk-integration", "") + "\nContent-Type: application/json"
	flow := "Authorization: Bearer flow-demo-key-dana\nContent-Type: application/json"
	for _, s := range []struct{ method, path, headers, body string }{
		{"POST", "/V2.0/services/data/entityQuery", key, `{"typeName":"Project","fields":["Name","Owner.Name"],"where":{"_type":"and","and":[{"_type":"compare","leftExpression":{"fieldName":"Name"},"operator":"Like","rightExpression":{"value":"%a%"}},{"_type":"not","not":{"_type":"compare","leftExpression":{"fieldName":"Budget"},"operator":"GreaterThan","rightExpression":{"value":10}}}]},"orders":[{"fieldName":"Name","order":"Descending"}],"paging":{"from":0,"limit":5}}`},
		{"POST", "/V2.0/services/data/entityQuery", bob, `{"TypeName":"Task","typeName":"Project"}`},
		{"POST", "/V2.0/services/data/entityQuery", key, `{"typeName":"Project","where":{"_type":"not","not":{"_type":"not","not":{"_type":"not","not":{"_type":"compare","leftExpression":{"fieldName":"Name"},"operator":"Equal","rightExpression":{"value":"x"}}}}}}`},
		{"GET", "/V2.0/services/data/entityQuery?typeName=Project&where=Name%20LIKE%20%27%25x%25%27&orders=Name%20DESC&limit=3", key, ""},
		{"POST", "/V2.0/services/data/query", key, `{"q":"SELECT Name, Budget FROM Project WHERE NOT (Budget > :b OR Name IN ('a','b')) ORDER BY Budget DESC LIMIT 5 OFFSET 1","parameters":{"b":100}}`},
		{"PUT", "/V2.0/services/data/objects/Project", key, `{"Name":"fuzz","Budget":1}`},
		{"POST", "/V2.0/services/data/objects/Project/1", key, `{"Budget":2}`},
		{"GET", "/V2.0/services/data/objects/Project/2?fields=Name", key, ""},
		{"POST", "/V2.0/services/authentication/login", "Content-Type: application/json", `{"userName":"alice@demo.tenantkit.dev","password":"demo-password"}`},
		{"GET", "/api/v2/integrations/credentials?pageSize=2&pageNumber=1", gen, ""},
		{"POST", "/api/v2/integrations/credentials", gen, `{"name":"n","type":{"name":"basicAuth"},"credentialFields":{"userName":"u","password":"p"}}`},
		{"GET", "/api/v2/integrations/credentials/types", gen, ""},
		{"POST", "/api/rest/v4/data/entrydata/rows/query/Deals", dc + "\nAS-USER: 6045", `{"query":"{Stage: \"Won\"}","limit":5}`},
		{"GET", "/api/rest/v1/management/user/proxy", dc, ""},
		{"POST", "/oauth/token", "Content-Type: application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=demo-admin&client_secret=demo-admin-secret"},
		{"PATCH", "/spreadsheets/a1f0c3e2b4d6480f9e1a2b3c4d5e6f70", wk, `[{"op":"add","path":"/customFields/x","value":[1,{"a":null}]},{"op":"move","from":"/name","path":"/lock"}]`},
		{"GET", "/graph/records?$filter=x&$maxpagesize=1&$next=bzox", wk, ""},
		{"POST", "/files", wk, `{"name":"f","kind":"Document"}`},
		{"GET", "/v3/customer/core/commits/?limit=2&offset=3", flow, ""},
		{"POST", "/ui/settings/api_keys/", flow, `{"user_id":6006,"name":"k"}`},
		{"DELETE", "/ui/settings/api_keys/1/", flow, ""},
		{"GET", "/_mock/tenants", "", ""},
		{"GET", "/healthz", "", ""},
		{"DELETE", "/V2.0/services/data/entityQuery", key, "[[[[[[[[["},
	} {
		f.Add(s.method, s.path, s.headers, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path, headers string, body []byte) {
		if strings.HasPrefix(path, "/_mock") && method != http.MethodGet && method != http.MethodHead {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1:8080"+path, bytes.NewReader(body))
		if err != nil || req.URL.Host != "127.0.0.1:8080" {
			return // not a request net/http would hand to a handler
		}
		req.RequestURI = req.URL.RequestURI()
		req.RemoteAddr = "127.0.0.1:40000"
		for _, line := range strings.Split(headers, "\n") {
			name, value, ok := strings.Cut(line, ":")
			if !ok || !validHeader(name, value) {
				continue
			}
			req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
		w := httptest.NewRecorder()
		start := time.Now()
		srv.ServeHTTP(w, req)
		if d := time.Since(start); d > handlerBound {
			t.Fatalf("%s %s took %s (bound %s)", method, path, d, handlerBound)
		}
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
	})
}

// validHeader: what net/http accepts on the wire (a token name, a value
// without control characters).
func validHeader(name, value string) bool {
	name = strings.TrimSpace(name)
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	for _, c := range []byte(value) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
