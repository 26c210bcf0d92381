package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
)

func TestTransportAsUser(t *testing.T) {
	t.Parallel()
	srv, drain := newEchoServer(t)
	tests := []struct {
		name     string
		clientAs int64  // Transport.AsUser
		header   string // AS-USER already on the request
		want     string // "" means no header
	}{
		{"none", 0, "", ""},
		{"client-wide", 42, "", "42"},
		{"request header beats client-wide", 42, "5", "5"},
		{"request header without client-wide", 0, "5", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the cases share srv's record.
			ctx := t.Context()
			hc := &http.Client{Transport: &auth.Transport{Provider: auth.Bearer("tok"), AsUser: tt.clientAs}}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			if tt.header != "" {
				req.Header.Set(auth.AsUserHeader, tt.header)
			}
			resp, err := hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()

			got := drain()
			require.Len(t, got, 1)
			assert.Equal(t, tt.want != "", got[0].HasAsUser)
			assert.Equal(t, tt.want, got[0].AsUser)
			assert.Equal(t, "Bearer tok", got[0].Authorization)
			assert.Equal(t, tt.header, req.Header.Get(auth.AsUserHeader), "the caller's request is not modified")
		})
	}
}

// renewingProvider is a Provider and Renewer whose credential is "cred-<n>".
type renewingProvider struct {
	mu      sync.Mutex
	n       int
	renews  atomic.Int32
	failure error
}

func (p *renewingProvider) Apply(req *http.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	req.Header.Set("Authorization", "Bearer cred-"+string(rune('0'+p.n)))
	return nil
}

func (p *renewingProvider) Renew(context.Context, *http.Response) (bool, error) {
	p.renews.Add(1)
	if p.failure != nil {
		return false, p.failure
	}
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
	return true, nil
}

// rejectingServer answers 401 to every credential in reject, 200 otherwise,
// and records each request's credential and body.
type rejectingServer struct {
	*httptest.Server
	mu     sync.Mutex
	reject map[string]bool
	seen   []seen
}

func newRejectingServer(t *testing.T, reject ...string) *rejectingServer {
	t.Helper()
	s := &rejectingServer{reject: map[string]bool{}}
	for _, r := range reject {
		s.reject[r] = true
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		authz := r.Header.Get("Authorization")
		s.mu.Lock()
		s.seen = append(s.seen, seen{Authorization: authz, Body: string(b)})
		rejected := s.reject[authz]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if rejected {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Invalid login credentials.","code":"bad.credentials","status":401}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *rejectingServer) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.seen...)
}

func TestTransportReplaysBodyAfterRenew(t *testing.T) {
	t.Parallel()
	srv := newRejectingServer(t, "Bearer cred-0")
	p := &renewingProvider{}
	hc := &http.Client{Transport: &auth.Transport{Provider: p}}

	const body = `{"typeName":"Project","fields":["Name"]}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/data/entityQuery", strings.NewReader(body))
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	assert.Equal(t, int32(1), p.renews.Load())
	got := srv.requests()
	require.Len(t, got, 2)
	assert.Equal(t, seen{Authorization: "Bearer cred-0", Body: body}, got[0])
	assert.Equal(t, seen{Authorization: "Bearer cred-1", Body: body}, got[1], "the repeat carries the new credential and the whole body")
}

func TestTransportRenewsOnlyOnce(t *testing.T) {
	t.Parallel()
	srv := newRejectingServer(t, "Bearer cred-0", "Bearer cred-1", "Bearer cred-2")
	p := &renewingProvider{}
	hc := &http.Client{Transport: &auth.Transport{Provider: p}}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(b), "bad.credentials", "the caller gets the second 401's body")
	assert.Equal(t, int32(1), p.renews.Load())
	assert.Len(t, srv.requests(), 2)
}

func TestTransportWithoutRenewerReturns401(t *testing.T) {
	t.Parallel()
	srv := newRejectingServer(t, "Bearer static")
	hc := &http.Client{Transport: &auth.Transport{Provider: auth.Bearer("static")}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Len(t, srv.requests(), 1)
}

func TestTransportRenewError(t *testing.T) {
	t.Parallel()
	srv := newRejectingServer(t, "Bearer cred-0")
	boom := errors.New("auth: token endpoint down")
	hc := &http.Client{Transport: &auth.Transport{Provider: &renewingProvider{failure: boom}}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	_, err = hc.Do(req) //nolint:bodyclose // no response on error
	require.ErrorIs(t, err, boom)
	assert.Len(t, srv.requests(), 1)
}

// onceReader is a body without GetBody: it cannot be sent twice.
type onceReader struct{ io.Reader }

func TestTransportDoesNotRepeatUnreplayableBody(t *testing.T) {
	t.Parallel()
	srv := newRejectingServer(t, "Bearer cred-0")
	p := &renewingProvider{}
	hc := &http.Client{Transport: &auth.Transport{Provider: p}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, onceReader{strings.NewReader("x=1")})
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, int32(1), p.renews.Load(), "renewed for the next request")
	assert.Len(t, srv.requests(), 1, "but not repeated with a half-read body")

	// The next request uses the renewed credential.
	do(t, t.Context(), hc, http.MethodGet, srv.URL, "", http.StatusOK)
}

// A GetBody that fails after a renewal is reported, not hidden behind the
// first 401.
func TestTransportReportsGetBodyError(t *testing.T) {
	t.Parallel()
	srv := newRejectingServer(t, "Bearer cred-0")
	p := &renewingProvider{}
	hc := &http.Client{Transport: &auth.Transport{Provider: p}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader("x=1"))
	require.NoError(t, err)
	boom := errors.New("body source closed")
	req.GetBody = func() (io.ReadCloser, error) { return nil, boom }
	_, err = hc.Do(req) //nolint:bodyclose // no response on error
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "cannot be sent again")
	assert.Equal(t, int32(1), p.renews.Load())
	assert.Len(t, srv.requests(), 1)
}
