package client_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

var (
	genesys503 = respond(503, ctJSON, `{"message":"Service unavailable","code":"service.unavailable","status":503}`)
	listing    = jsonOK(credentialsapi.CredentialInfoListing{Entities: []credentialsapi.CredentialInfo{{Id: "c1", Name: "one"}}})
	created    = jsonOK(credentialsapi.CredentialInfo{Id: "c9", Name: "new"})
	newCred    = credentialsapi.Credential{Name: ptr("new"), Type: credentialsapi.CredentialType{Name: ptr("basic")}}
	rowsOK     = jsonOK(relationshipapi.RowsResponse{Rows: []relationshipapi.Row{{EntryId: 1}}})
	problem503 = respond(503, ctProblem, `{"title":"Service Unavailable","status":503,"errorCode":"service_unavailable"}`)
)

func TestRetry_GetSucceedsAfterTwo503(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(genesys503, genesys503, listing))
	c := newClient(t, s)
	page, err := c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, "c1", page.Entities[0].Id)
	assert.Len(t, s.requests(), 3)
}

func TestRetry_WriteIsNotReplayedAfter5xx(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(genesys503, created))
	c := newClient(t, s)
	_, err := c.Credentials.Create(t.Context(), newCred)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.StatusCode)
	assert.Equal(t, "service.unavailable", ae.Code)
	require.Len(t, s.requests(), 1, "a POST create is sent exactly once")
	assert.Equal(t, http.MethodPost, s.requests()[0].Method)
}

func TestRetry_WriteIsNotReplayedAfterNetworkError(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			hijackAndClose(w)
			return
		}
		created(w, r)
	})
	c := newClient(t, s)
	_, err := c.Credentials.Create(t.Context(), newCred)
	var oe *client.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Len(t, s.requests(), 1)
}

func TestRetry_ReadIsReplayedAfterNetworkError(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			hijackAndClose(w)
			return
		}
		listing(w, r)
	})
	c := newClient(t, s)
	_, err := c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Len(t, s.requests(), 2)
}

func TestRetry_ReadOnlyPostIsReplayed(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(
		respond(503, ctJSON, `{"errorCode":"InternalError","message":"try later"}`),
		jsonOK(dataapi.EntityQueryResult{Entities: []dataapi.Entity{{Id: "/Project/1"}}}),
	))
	c := newClient(t, s)
	res, err := c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
	require.NoError(t, err)
	assert.Equal(t, "/Project/1", res.Entities[0].Id)
	reqs := s.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].Body, reqs[1].Body, "the body is replayed intact")
	assert.JSONEq(t, `{"typeName":"Project"}`, string(reqs[1].Body))
}

func TestRetry_WriteOptIn(t *testing.T) {
	t.Parallel()
	t.Run("ReplaySafe", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(genesys503, created))
		c := newClient(t, s)
		info, err := c.Credentials.Create(t.Context(), newCred, client.ReplaySafe())
		require.NoError(t, err)
		assert.Equal(t, "c9", info.Id)
		assert.Len(t, s.requests(), 2)
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(genesys503, genesys503, created))
		c := newClient(t, s)
		_, err := c.Credentials.Create(t.Context(), newCred, client.IdempotencyKey("create-new-1"))
		require.NoError(t, err)
		reqs := s.requests()
		require.Len(t, reqs, 3)
		for _, r := range reqs {
			assert.Equal(t, "create-new-1", r.Header.Get("Idempotency-Key"))
		}
	})
	t.Run("any editor setting Idempotency-Key", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(problem503, jsonOK(relationshipapi.ProxyAssignment{Users: []relationshipapi.ProxyAssignmentUser{}})))
		c := newClient(t, s)
		_, err := c.Relationship.CreateProxyAssignments(t.Context(), nil, relationshipapi.ProxyAssignmentCreate{ProxyUserId: 1, Users: []int64{2}},
			client.EditRequest(func(_ context.Context, r *http.Request) error { r.Header.Set("Idempotency-Key", "k1"); return nil }))
		require.NoError(t, err)
		assert.Len(t, s.requests(), 2)
	})
	t.Run("invalid key fails before sending", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(created))
		c := newClient(t, s)
		_, err := c.Credentials.Create(t.Context(), newCred, client.IdempotencyKey(" "))
		var oe *client.OperationError
		require.ErrorAs(t, err, &oe)
		assert.Empty(t, s.requests())
	})
}

func TestRetry_429IsRetriedForWrites(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(429, ctJSON, `{"message":"slow down","code":"too.many.requests","status":429}`, "Retry-After", "0"), created))
	c := newClient(t, s)
	_, err := c.Credentials.Create(t.Context(), newCred)
	require.NoError(t, err)
	assert.Len(t, s.requests(), 2, "the server did not act on a 429")
}

func TestRetry_501IsNotRetried(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(501, ctJSON, `{"message":"nope","code":"not.implemented","status":501}`), listing))
	c := newClient(t, s)
	_, err := c.Credentials.List(t.Context(), nil)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 501, ae.StatusCode)
	assert.Len(t, s.requests(), 1)
}

func TestRetry_ClarizenEntityNotFoundIsNotRetried(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(500, ctJSON, `{"errorCode":"EntityNotFound","message":"no such entity"}`)))
	c := newClient(t, s)
	_, err := c.Data.GetObject(t.Context(), "Project", "7", nil)
	var nf *client.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Len(t, s.requests(), 1)
	assert.JSONEq(t, `{"errorCode":"EntityNotFound","message":"no such entity"}`, string(nf.Body), "the body read by the retry check is kept")
}

func TestRetry_RetryAfterSecondsIsHonoured(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(429, ctJSON, `{"message":"slow down","code":"too.many.requests","status":429}`, "Retry-After", "1"), listing))
	c, sl := newClientSleeper(t, s)
	_, err := c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Len(t, s.requests(), 2)
	assert.Equal(t, []time.Duration{time.Second}, sl.recorded(), "waited the server's Retry-After")
}

// Without Retry-After the wait doubles from MinWait, with jitter (50-100%
// of the doubled value, never below MinWait), capped at MaxWait.
func TestRetry_BackoffDoublesUpToMaxWait(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(genesys503, genesys503, genesys503, genesys503, listing))
	c, sl := newClientSleeper(t, s, client.WithMaxRetries(4), client.WithRetryWait(time.Second, 3*time.Second))
	_, err := c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	waits := sl.recorded()
	require.Len(t, waits, 4)
	bounds := [][2]time.Duration{{time.Second, time.Second}, {time.Second, 2 * time.Second}, {1500 * time.Millisecond, 3 * time.Second}, {1500 * time.Millisecond, 3 * time.Second}}
	for i, w := range waits {
		assert.GreaterOrEqual(t, w, bounds[i][0], "wait %d", i)
		assert.LessOrEqual(t, w, bounds[i][1], "wait %d", i)
	}
}

func TestRetry_RetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	t.Run("in the past: retried at once", func(t *testing.T) {
		t.Parallel()
		past := now.Add(-time.Minute).Format(http.TimeFormat)
		s := newServer(t, sequence(respond(429, ctProblem, `{"title":"Too Many Requests","status":429}`, "Retry-After", past), rowsOK))
		c, sl := newClientSleeper(t, s, client.WithClock(clock))
		_, err := c.Relationship.Rows(t.Context(), "Deals", nil)
		require.NoError(t, err)
		assert.Len(t, s.requests(), 2)
		assert.Equal(t, []time.Duration{0}, sl.recorded())
	})
	t.Run("in the future: waited for", func(t *testing.T) {
		t.Parallel()
		soon := now.Add(20 * time.Second).Format(http.TimeFormat)
		s := newServer(t, sequence(respond(429, ctProblem, `{"title":"Too Many Requests","status":429}`, "Retry-After", soon), rowsOK))
		c, sl := newClientSleeper(t, s, client.WithClock(clock))
		_, err := c.Relationship.Rows(t.Context(), "Deals", nil)
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{20 * time.Second}, sl.recorded())
	})
	t.Run("beyond the cap: returned with RetryAfter", func(t *testing.T) {
		t.Parallel()
		later := now.Add(2 * time.Hour).Format(http.TimeFormat)
		// The generated parser expects an integer Retry-After and fails on
		// the date: the typed error must not depend on it.
		s := newServer(t, sequence(respond(429, ctJSON, `{"message":"quota","code":"too.many.requests","status":429}`, "Retry-After", later)))
		c := newClient(t, s, client.WithClock(clock))
		_, err := c.Credentials.List(t.Context(), nil)
		var rl *client.RateLimitError
		require.ErrorAs(t, err, &rl)
		assert.Equal(t, 2*time.Hour, rl.RetryAfter)
		assert.Len(t, s.requests(), 1)
	})
}

func TestRetry_RetryAfterCap(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(429, ctJSON, `{"message":"quota","code":"too.many.requests","status":429}`, "Retry-After", "3600"), listing))
	c, sl := newClientSleeper(t, s, client.WithMaxRetryAfter(2*time.Second))
	_, err := c.Credentials.List(t.Context(), nil)
	var rl *client.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, time.Hour, rl.RetryAfter)
	assert.Equal(t, 429, rl.StatusCode)
	assert.Len(t, s.requests(), 1)
	assert.Empty(t, sl.recorded(), "no wait at all")
}

func TestRetry_CancellationStopsTheWait(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(503, ctJSON, `{"message":"busy","code":"service.unavailable","status":503}`, "Retry-After", "60")))
	c, sl := newClientSleeper(t, s, client.WithMaxRetryAfter(5*time.Minute))
	ctx, cancel := context.WithCancel(t.Context())
	sl.during = func(context.Context) { cancel() } // cancelled during the 60s back-off
	_, err := c.Credentials.List(ctx, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	var oe *client.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, []time.Duration{time.Minute}, sl.recorded())
	assert.Len(t, s.requests(), 1, "no attempt after the cancelled wait")
}

func TestRetry_LastErrorBodyIsKept(t *testing.T) {
	t.Parallel()
	body := func(n int) string {
		return `{"message":"attempt ` + strconv.Itoa(n) + `","code":"service.unavailable","status":503,"contextId":"ctx-` + strconv.Itoa(n) + `"}`
	}
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		respond(503, ctJSON, body(n))(w, r)
	})
	c := newClient(t, s, client.WithMaxRetries(2))
	_, err := c.Credentials.Get(t.Context(), "c1")
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	require.Len(t, s.requests(), 3)
	assert.JSONEq(t, body(3), string(ae.Body))
	assert.Equal(t, "attempt 3", ae.Message)
	assert.Equal(t, "ctx-3", ae.RequestID)
	assert.Equal(t, "tenantkit: credentials getCredential: 503 service.unavailable: attempt 3", err.Error())
}

func TestRetry_AsUserOnEveryAttempt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		client []client.Option
		call   []client.CallOption
		params *relationshipapi.GetRowsParams
		want   string
	}{
		{name: "client-wide", client: []client.Option{client.WithAsUser(5)}, want: "5"},
		{name: "call option overrides client", client: []client.Option{client.WithAsUser(5)},
			call: []client.CallOption{client.AsUser(9)}, want: "9"},
		{name: "params override client", client: []client.Option{client.WithAsUser(5)},
			params: &relationshipapi.GetRowsParams{ASUSER: ptr[int64](11)}, want: "11"},
		{name: "call option overrides params", call: []client.CallOption{client.AsUser(9)},
			params: &relationshipapi.GetRowsParams{ASUSER: ptr[int64](11)}, want: "9"},
		{name: "call option 0 clears client-wide", client: []client.Option{client.WithAsUser(5)},
			call: []client.CallOption{client.AsUser(0)}, want: ""},
		{name: "call option 0 clears params", call: []client.CallOption{client.AsUser(0)},
			params: &relationshipapi.GetRowsParams{ASUSER: ptr[int64](11)}, want: ""},
		{name: "none", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, sequence(problem503, problem503, rowsOK))
			c := newClient(t, s, tt.client...)
			var params *relationshipapi.GetRowsParams
			if tt.params != nil {
				cp := *tt.params
				params = &cp
			}
			_, err := c.Relationship.Rows(t.Context(), "Deals", params, tt.call...)
			require.NoError(t, err)
			assert.Equal(t, tt.params, params, "the caller's params are not modified")
			reqs := s.requests()
			require.Len(t, reqs, 3)
			for i, r := range reqs {
				assert.Equal(t, tt.want, r.Header.Get("AS-USER"), "attempt %d", i+1)
			}
		})
	}
}

func TestRetry_ProviderAppliedPerAttempt(t *testing.T) {
	t.Parallel()
	p := &countingProvider{}
	s := newServer(t, sequence(genesys503, genesys503, listing))
	c := newClient(t, s, client.WithAuth(p))
	_, err := c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, 3, p.count())
	for _, r := range s.requests() {
		assert.Equal(t, "Bearer tok-counting-123", r.Header.Get("Authorization"))
	}
}

func TestRetry_LoggerOnlyWhenGiven(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newServer(t, sequence(genesys503, listing))
	c := newClient(t, s, client.WithLogger(logger))
	_, err := c.Credentials.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "retrying request")
}

func TestRetry_GivesUpAfterMaxRetries(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(genesys503))
	c := newClient(t, s, client.WithMaxRetries(4))
	_, err := c.Credentials.Types(t.Context())
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Len(t, s.requests(), 5)
}

// hijackAndClose drops the connection without a response.
func hijackAndClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// renewingProvider sends "Bearer t<n>" and renews to the next token.
type renewingProvider struct {
	mu      sync.Mutex
	token   int
	renewed int
}

func (p *renewingProvider) Apply(req *http.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	req.Header.Set("Authorization", "Bearer t"+strconv.Itoa(p.token))
	return nil
}

func (p *renewingProvider) Renew(context.Context, *http.Response) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.token++
	p.renewed++
	return true, nil
}

func TestAuth_RenewsOnceOn401AndReplaysTheBody(t *testing.T) {
	t.Parallel()
	p := &renewingProvider{}
	s := newServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t1" {
			respond(401, ctJSON, `{"errorCode":"SessionTimeout","message":"Session timed out"}`)(w, r)
			return
		}
		jsonOK(dataapi.EntityQueryResult{Entities: []dataapi.Entity{{Id: "/Project/1"}}})(w, r)
	})
	c := newClient(t, s, client.WithAuth(p))
	_, err := c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
	require.NoError(t, err)
	reqs := s.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].Body, reqs[1].Body)
	assert.Equal(t, 1, p.renewed)

	// A credential the server keeps refusing: one renewal, then the 401.
	p2 := &renewingProvider{token: 5}
	c2 := newClient(t, s, client.WithAuth(p2))
	_, err = c2.Data.GetSessionInfo(t.Context())
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, client.ReasonExpired, ue.Reason)
	assert.Equal(t, 1, p2.renewed)
}

func TestRetry_RefusedCredentialIsNotRetried(t *testing.T) {
	t.Parallel()
	t.Run("empty key", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, sequence(listing))
		c := newClient(t, s, client.WithAuth(auth.APIKey("")))
		_, err := c.Data.GetSessionInfo(t.Context())
		require.ErrorIs(t, err, auth.ErrNoCredential)
		var ue *client.UnauthenticatedError
		require.ErrorAs(t, err, &ue)
		assert.Empty(t, s.requests())
	})
	t.Run("token endpoint refuses the client", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/oauth/token" {
				respond(401, ctJSON, `{"error":"invalid_client","error_description":"unknown client"}`)(w, r)
				return
			}
			listing(w, r)
		})
		cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
			TokenURL: auth.CredentialsTokenURL(s.URL), ClientID: "id", ClientSecret: "s3cret-value-1",
		})
		require.NoError(t, err)
		c := newClient(t, s, client.WithAuth(cc))
		_, err = c.Credentials.List(t.Context(), nil)
		var te *auth.TokenError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "invalid_client", te.Code)
		var ue *client.UnauthenticatedError
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, 401, ue.StatusCode)
		assert.Equal(t, "unknown client", ue.Message)
		assert.Len(t, s.requests(), 1, "one token request, no API request, no retry")
		assert.NotContains(t, err.Error(), "s3cret-value-1")
	})
}

// truncate answers 200 with a Content-Length larger than the body it sends,
// then drops the connection.
func truncate(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", ctJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body[:len(body)/2]))
	_ = http.NewResponseController(w).Flush()
	hijackAndClose(w)
}

// A body cut short is a failed attempt: a read is repeated and succeeds.
func TestRetry_TruncatedBodyOfAReadIsRetried(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			truncate(w, `{"entities":[{"id":"/Project/1"}],"paging":{"from":1,"limit":100,"hasMore":false}}`)
			return
		}
		jsonOK(dataapi.EntityQueryResult{Entities: []dataapi.Entity{{Id: "/Project/1"}}})(w, r)
	})
	c := newClient(t, s)
	res, err := c.Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
	require.NoError(t, err)
	assert.Equal(t, "/Project/1", res.Entities[0].Id)
	assert.Len(t, s.requests(), 2)
}

// A write whose answer was cut short may have been performed: it is not
// repeated, and the caller learns the body could not be read.
func TestRetry_TruncatedBodyOfAWriteIsNotRetried(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		truncate(w, `{"id":"5f1c3a2e-8b4d-4c1e-9a7f-1d2e3f4a5b09","name":"new"}`)
	})
	c := newClient(t, s)
	_, err := c.Credentials.Create(t.Context(), newCred)
	var oe *client.OperationError
	require.ErrorAs(t, err, &oe)
	assert.ErrorContains(t, err, "read 200 response body: unexpected EOF")
	assert.Len(t, s.requests(), 1)
}
