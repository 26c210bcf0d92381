package client_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/openapi"
)

func TestNew_RejectsBadInput(t *testing.T) {
	t.Parallel()
	const base = "http://127.0.0.1:8080"
	tests := []struct {
		name string
		url  string
		opts []client.Option
	}{
		{name: "empty URL", url: ""},
		{name: "no scheme", url: "127.0.0.1:8080"},
		{name: "ftp scheme", url: "ftp://example.com"},
		{name: "no host", url: "http://"},
		{name: "user info", url: "http://user:pw@example.com"},
		{name: "query", url: "http://example.com/?token=x"},
		{name: "nil option", url: base, opts: []client.Option{nil}},
		{name: "nil http client", url: base, opts: []client.Option{client.WithHTTPClient(nil)}},
		{name: "nil provider", url: base, opts: []client.Option{client.WithAuth(nil)}},
		{name: "AS-USER 0", url: base, opts: []client.Option{client.WithAsUser(0)}},
		{name: "negative retries", url: base, opts: []client.Option{client.WithMaxRetries(-1)}},
		{name: "zero min wait", url: base, opts: []client.Option{client.WithRetryWait(0, time.Second)}},
		{name: "max below min", url: base, opts: []client.Option{client.WithRetryWait(time.Second, time.Millisecond)}},
		{name: "zero retry-after cap", url: base, opts: []client.Option{client.WithMaxRetryAfter(0)}},
		{name: "invalid policy", url: base, opts: []client.Option{client.WithRetry(client.RetryPolicy{})}},
		{name: "nil logger", url: base, opts: []client.Option{client.WithLogger(nil)}},
		{name: "empty user agent", url: base, opts: []client.Option{client.WithUserAgent(" ")}},
		{name: "nil editor", url: base, opts: []client.Option{client.WithRequestEditor(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := client.New(tt.url, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), "tenantkit: ")
			assert.NotContains(t, err.Error(), "pw@")
		})
	}
}

func TestNew_Defaults(t *testing.T) {
	t.Parallel()
	c, err := client.New("http://127.0.0.1:8080/")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080", c.BaseURL())
	assert.Equal(t, client.DefaultRetryPolicy(), c.RetryPolicy())

	p := client.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Second, MaxRetryAfter: time.Minute}
	c, err = client.New("http://127.0.0.1:8080", client.WithRetry(p))
	require.NoError(t, err)
	assert.Equal(t, p, c.RetryPolicy())
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestWithHTTPClient_CopiedNotMutated(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(jsonOK(dataapi.SessionInfo{UserId: "/User/1"})))
	var used atomic.Int32
	rt := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		used.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
	hc := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	c := newClient(t, s, client.WithHTTPClient(hc))
	_, err := c.Data.GetSessionInfo(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int32(1), used.Load(), "the caller's transport sends the request")
	_, isFunc := hc.Transport.(roundTripperFunc)
	assert.True(t, isFunc, "the caller's client still has its own transport")
	assert.Equal(t, 5*time.Second, hc.Timeout)
}

func TestNew_ServerLocationSuffixIsDroppedForData(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(jsonOK(dataapi.SessionInfo{UserId: "/User/1"})))
	c, err := client.New(s.URL + "/V2.0/services")
	require.NoError(t, err)
	info, err := c.Data.GetSessionInfo(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "/User/1", info.UserId)
	assert.Equal(t, "/V2.0/services/authentication/getSessionInfo", s.requests()[0].Path)
}

func TestUserAgentAndEditors(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(jsonOK(dataapi.SessionInfo{UserId: "/User/1"})))
	var order []string
	c := newClient(t, s,
		client.WithUserAgent("sync-job/2.1"),
		client.WithRequestEditor(func(_ context.Context, r *http.Request) error {
			order = append(order, "client")
			r.Header.Set("X-Trace", "client")
			return nil
		}))
	_, err := c.Data.GetSessionInfo(t.Context(), client.EditRequest(func(_ context.Context, r *http.Request) error {
		order = append(order, "call")
		r.Header.Set("X-Call", "yes")
		return nil
	}))
	require.NoError(t, err)
	h := s.requests()[0].Header
	assert.Equal(t, "sync-job/2.1", h.Get("User-Agent"))
	assert.Equal(t, "client", h.Get("X-Trace"))
	assert.Equal(t, "yes", h.Get("X-Call"))
	assert.Equal(t, []string{"client", "call"}, order)

	s2 := newServer(t, sequence(jsonOK(dataapi.SessionInfo{UserId: "/User/1"})))
	c2 := newClient(t, s2)
	_, err = c2.Data.GetSessionInfo(t.Context(), nil) // a nil editor is skipped
	require.NoError(t, err)
	assert.Equal(t, client.DefaultUserAgent, s2.requests()[0].Header.Get("User-Agent"))
}

func TestOperationsAreInTheTable(t *testing.T) {
	t.Parallel()
	// Every method names its operation; a name missing from the table
	// would fail every call with "operation is not in the operation table".
	s := newServer(t, sequence(respond(200, ctJSON, `{}`)))
	c := newClient(t, s, client.WithMaxRetries(0))
	ctx := t.Context()
	calls := map[string]func() error{
		"Data.GetServerDefinition": func() error { _, err := c.Data.GetServerDefinition(ctx, dataapi.ServerDefinitionRequest{}); return err },
		"Data.Login":               func() error { _, err := c.Data.Login(ctx, dataapi.LoginRequest{}); return err },
		"Data.Logout":              func() error { return c.Data.Logout(ctx) },
		"Data.EntityQueryGet": func() error {
			_, err := c.Data.EntityQueryGet(ctx, dataapi.EntityQueryGetParams{TypeName: "P"})
			return err
		},
		"Data.Query":         func() error { _, err := c.Data.Query(ctx, dataapi.QueryRequest{Q: "x"}); return err },
		"Data.UpdateObject":  func() error { return c.Data.UpdateObject(ctx, "P", "1", nil) },
		"Data.DeleteObject":  func() error { return c.Data.DeleteObject(ctx, "P", "1") },
		"Credentials.Types":  func() error { _, err := c.Credentials.Types(ctx); return err },
		"Credentials.Update": func() error { _, err := c.Credentials.Update(ctx, "1", newCred); return err },
		"Relationship.ProxyAssignments": func() error {
			_, err := c.Relationship.ProxyAssignments(ctx, nil)
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			assert.NotContains(t, err.Error(), "operation table", name)
		}
	}
}

// The SDK's operation table is the specs' own: the same operations with
// the same scopes and permissions, and callers get a copy.
func TestOperationsTableMatchesTheSpecs(t *testing.T) {
	t.Parallel()
	ops := client.Operations()
	var want int
	for _, api := range openapi.VendorAPIs {
		doc, err := openapi.Load(api)
		require.NoError(t, err)
		specOps, err := openapi.Operations(api, doc)
		require.NoError(t, err)
		want += len(specOps)
		for _, so := range specOps {
			op, ok := client.LookupOperation(client.API(api), so.ID)
			require.True(t, ok, "%s %s", api, so.ID)
			assert.Equal(t, so.Method, op.Method, so.ID)
			assert.Equal(t, so.Path, op.Path, so.ID)
			assert.Equal(t, so.Permissions, op.Permissions, so.ID)
			if len(so.Scopes) > 0 {
				assert.Equal(t, so.Scopes, op.Scopes, so.ID)
			}
		}
	}
	assert.Len(t, ops, want)
	ops[0].Method = "CHANGED"
	again, _ := client.LookupOperation(ops[0].API, ops[0].ID)
	assert.NotEqual(t, "CHANGED", again.Method, "Operations returns a copy")
}
