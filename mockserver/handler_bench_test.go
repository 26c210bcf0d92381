package mockserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver"
)

// discardWriter is a ResponseWriter that keeps nothing but its header map,
// so that a benchmark of ServeHTTP measures the mock's own work: no
// network, no net/http server.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkServeHTTP measures the mock's handler alone on the requests the
// load program sends (an authorized read, a request without a credential,
// one whose token lacks the scope), with the request log discarded:
//
//	go test -run '^$' -bench ServeHTTP -benchmem ./mockserver/
func BenchmarkServeHTTP(b *testing.B) {
	srv, err := mockserver.New()
	if err != nil {
		b.Fatal(err)
	}
	token := func(id, secret string) string {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/oauth/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || rec.Code != http.StatusOK {
			b.Fatalf("token for %s: %d %s", id, rec.Code, rec.Body)
		}
		return tok.AccessToken
	}
	integrator := token("demo-integrator", "demo-integrator-secret")
	reporting := token("demo-reporting", "demo-reporting-secret")
	const types = "http://127.0.0.1/api/v2/integrations/credentials/types"
	cases := []struct {
		name, auth string
		status     int
	}{
		{"types", "Bearer " + integrator, http.StatusOK},
		{"401", "", http.StatusUnauthorized},
		{"403scope", "Bearer " + reporting, http.StatusForbidden},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			r, _ := http.NewRequest(http.MethodGet, types, nil)
			r.RemoteAddr = "127.0.0.1:40000"
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status = 0
				srv.ServeHTTP(w, r)
				if w.status != tc.status {
					b.Fatalf("status %d, want %d", w.status, tc.status)
				}
			}
		})
	}
}
