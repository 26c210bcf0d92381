package client_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tenantkit/tenantkit/internal/wire"
)

// fakeVendor is a tiny stand-in for the three vendor APIs, used by the
// examples: fixed data, the vendors' paging, their token endpoints and one
// scope denial. (Integration tests use the mockserver package instead.)
func fakeVendor() *httptest.Server {
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, ct string, v any) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	token := func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if _, secret, _ := r.BasicAuth(); secret == "wrong-secret" || r.PostForm.Get("client_secret") == "wrong-secret" {
			writeJSON(w, 401, "application/json", map[string]string{"error": "invalid_client", "error_description": "Invalid client credentials"})
			return
		}
		scope := r.PostForm.Get("scope")
		writeJSON(w, 200, "application/json", map[string]any{
			"access_token": "tok-" + strings.ReplaceAll(scope, " ", "+"), "token_type": "bearer", "expires_in": 900,
		})
	}
	mux.HandleFunc("POST /oauth/token", token)
	mux.HandleFunc("POST /api/rest/v1/oauth/token", token)

	mux.HandleFunc("POST /V2.0/services/data/entityQuery", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "ApiKey demo-key" {
			writeJSON(w, 401, "application/json", map[string]string{"errorCode": "Unauthorized", "message": "Invalid API key"})
			return
		}
		var req struct {
			Paging struct{ From int } `json:"paging"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		pages := [][]map[string]any{
			{{"id": "/Project/1", "Name": "Apollo"}, {"id": "/Project/2", "Name": "Gemini"}},
			{{"id": "/Project/3", "Name": "Mercury"}},
		}
		page := min(req.Paging.From/2, 1)
		writeJSON(w, 200, "application/json", map[string]any{
			"entities": pages[page],
			"paging":   map[string]any{"from": req.Paging.From + len(pages[page]), "limit": 2, "hasMore": page == 0},
		})
	})

	mux.HandleFunc("GET /api/v2/integrations/credentials", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			writeJSON(w, 401, "application/json", map[string]any{"message": "No authentication bearer token specified", "code": "authentication.required", "status": 401})
			return
		}
		w.Header().Set("ININ-Correlation-Id", "9b2d41c7")
		w.Header().Set("inin-ratelimit-count", "3")
		w.Header().Set("inin-ratelimit-allowed", "300")
		w.Header().Set("inin-ratelimit-reset", "57")
		page, entities := 1, []map[string]any{{"id": "c1", "name": "salesforce"}, {"id": "c2", "name": "jira"}}
		if r.URL.Query().Get("pageNumber") == "2" {
			page, entities = 2, []map[string]any{{"id": "c3", "name": "slack"}}
		}
		writeJSON(w, 200, "application/json", map[string]any{"entities": entities, "pageNumber": page, "pageSize": 2, "pageCount": 2, "total": 3})
	})
	mux.HandleFunc("POST /api/v2/integrations/credentials", func(w http.ResponseWriter, r *http.Request) {
		// The token was issued for integrations:readonly only.
		w.Header().Set("ININ-Correlation-Id", "4f7e3c2a")
		w.Header().Set(wire.DecisionHeader, wire.Decision{
			Operation: "createCredential", Outcome: wire.OutcomeDeny, Step: wire.StepScope, Code: wire.CodeMissingScopes,
			Missing: []string{"integrations"}, Fix: "request the integrations scope for this client",
		}.Encode())
		writeJSON(w, 403, "application/json", map[string]any{
			"message": "Missing required oauth scopes: integrations", "code": "missing.scopes", "status": 403, "contextId": "4f7e3c2a",
		})
	})

	mux.HandleFunc("GET /api/rest/v4/data/entrydata/rows/{entryType}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("AS-USER") != "42" {
			writeJSON(w, 403, "application/problem+json", map[string]any{"title": "Forbidden", "status": 403, "errorCode": "missing_permissions"})
			return
		}
		rows := []map[string]any{}
		if r.URL.Query().Get("skip") == "0" {
			rows = []map[string]any{{"EntryId": 101, "DealName": "Project Falcon"}, {"EntryId": 102, "DealName": "Project Osprey"}}
		}
		writeJSON(w, 200, "application/json", map[string]any{"rows": rows})
	})
	return httptest.NewServer(mux)
}
