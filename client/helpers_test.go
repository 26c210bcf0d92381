package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
)

// seen is one request as the test server received it.
type seen struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	At     time.Time
}

// server is an httptest server on loopback that records every request and
// answers with the handler given for the nth request (the last handler
// repeats).
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

// newServer starts a server whose handler sees the 1-based request number.
func newServer(t *testing.T, h func(n int, w http.ResponseWriter, r *http.Request)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, At: time.Now()})
		n := len(s.reqs)
		s.mu.Unlock()
		h(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// sequence answers request n with responses[n-1], repeating the last one.
func sequence(responses ...func(w http.ResponseWriter, r *http.Request)) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		responses[min(n, len(responses))-1](w, r)
	}
}

// requests returns what the server has received so far.
func (s *server) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// respond returns a handler writing status, content type, extra headers
// (name, value pairs) and body.
func respond(status int, contentType, body string, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// jsonOK answers 200 with v as JSON.
func jsonOK(v any) func(http.ResponseWriter, *http.Request) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return respond(http.StatusOK, "application/json", string(b))
}

// newClient returns a client for s that does not wait between attempts
// (its sleeper returns at once), plus opts.
func newClient(t *testing.T, s *server, opts ...client.Option) *client.Client {
	t.Helper()
	c, _ := newClientSleeper(t, s, opts...)
	return c
}

// newClientSleeper is newClient, also returning the sleeper that records
// the waits the client asked for.
func newClientSleeper(t *testing.T, s *server, opts ...client.Option) (*client.Client, *sleeper) {
	t.Helper()
	sl := &sleeper{}
	opts = append([]client.Option{client.WithSleeper(sl.sleep)}, opts...)
	c, err := client.New(s.URL, opts...)
	require.NoError(t, err)
	return c, sl
}

// sleeper stands in for the client's back-off sleep: it records each wait
// and returns at once, or runs during before returning.
type sleeper struct {
	mu     sync.Mutex
	waits  []time.Duration
	during func(ctx context.Context) // optional, e.g. cancel the call
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	during := s.during
	s.mu.Unlock()
	if during != nil {
		during(ctx)
	}
	return ctx.Err()
}

func (s *sleeper) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// countingProvider is an auth.Provider that counts Apply calls.
type countingProvider struct {
	mu    sync.Mutex
	calls int
}

func (p *countingProvider) Apply(req *http.Request) error {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	req.Header.Set("Authorization", "Bearer tok-counting-123")
	return nil
}

func (p *countingProvider) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}
