package mockserver_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/mockserver"
)

// benchRequest builds one request to replay.
type benchRequest struct {
	method, path, body string
	header             http.Header
}

// runThroughput replays req against base from parallel goroutines over
// loopback and reports requests per second.
func runThroughput(b *testing.B, client *http.Client, base string, req benchRequest) {
	b.Helper()
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var body io.Reader
			if req.body != "" {
				body = strings.NewReader(req.body)
			}
			r, err := http.NewRequest(req.method, base+req.path, body)
			if err != nil {
				b.Error(err)
				return
			}
			r.Header = req.header.Clone()
			resp, err := client.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkMock measures an authorized credentials-types read and an entity
// query page through the mock, next to a bare net/http handler answering
// the same bytes, all over loopback:
//
//	go test -run '^$' -bench . -benchtime 3s ./mockserver/
func BenchmarkMock(b *testing.B) {
	srv, err := mockserver.New()
	if err != nil {
		b.Fatal(err)
	}
	mock := httptest.NewServer(srv)
	defer mock.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-integrator"}, "client_secret": {"demo-integrator-secret"}}
	resp, err := client.PostForm(mock.URL+"/oauth/token", form)
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := decodeJSON(resp, &tok); err != nil {
		b.Fatal(err)
	}

	cases := []struct {
		name string
		req  benchRequest
	}{
		{"credentialTypes", benchRequest{method: http.MethodGet, path: "/api/v2/integrations/credentials/types",
			header: http.Header{"Authorization": {"Bearer " + tok.AccessToken}}}},
		{"entityQuery", benchRequest{method: http.MethodPost, path: "/V2.0/services/data/entityQuery",
			body:   `{"typeName":"Project","fields":["Name","State","Budget","Owner"],"paging":{"limit":10}}`,
			header: http.Header{"Authorization": {"ApiKey demo-key-service"}, "Content-Type": {"application/json"}}}},
	}
	for _, tc := range cases {
		// Capture the mock's answer, to serve the same bytes bare.
		r, _ := http.NewRequest(tc.req.method, mock.URL+tc.req.path, strings.NewReader(tc.req.body))
		r.Header = tc.req.header.Clone()
		resp, err := client.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		ctype := resp.Header.Get("Content-Type")
		bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", ctype)
			_, _ = w.Write(bytes.Clone(body))
		}))

		b.Run("mock/"+tc.name, func(b *testing.B) { runThroughput(b, client, mock.URL, tc.req) })
		b.Run("bare/"+tc.name, func(b *testing.B) { runThroughput(b, client, bare.URL, tc.req) })
		bare.Close()
	}
}
