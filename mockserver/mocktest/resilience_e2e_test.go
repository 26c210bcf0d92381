package mocktest_test

// The SDK under fire: the real client and auth packages against the
// in-process mock with rate limits, injected faults and expiring
// credentials, every response validated against the specs.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Users and credentials of recordsFixture.
const (
	readerID  int64 = 1 // sees records shared with Readers (i % 3 != 0)
	serviceID int64 = 2 // sees records shared with Ops (i % 5 == 0); may act as the reader
)

var (
	readerKey    = mocktest.APIKey("reader-key")
	serviceKey   = mocktest.APIKey("service-key")
	readerLogin  = mocktest.Login("reader@example.com", "reader-password")
	serviceOAuth = mocktest.OAuth("svc-client", "svc-secret")
)

// recordsFixture is a tenant with n Record entities (entry type 4001) owned
// by a third user and shared by group.
func recordsFixture(t *testing.T, n int) *tenant.Fixture {
	t.Helper()
	var b strings.Builder
	b.WriteString(`tenant: {name: Records}
groups: [{name: Readers}, {name: Ops}]
roles:
  - {name: Reader, permissions: [], entityTypes: [Record]}
  - name: Integrator
    permissions: [integrations:integration:view, integrations:integration:add, integrations:integration:edit,
      data:entity:add, data:entity:edit, user_management:proxy:add]
    entityTypes: [Record]
users:
  - {id: 1, name: Reader, email: reader@example.com, password: reader-password, groups: [Readers], roles: [Reader]}
  - {id: 2, name: Service, email: service@example.com, groups: [Ops], roles: [Integrator]}
  - {id: 3, name: Owner, email: owner@example.com}
apiKeys:
  - {name: reader, key: reader-key, user: 1}
  - {name: service, key: service-key, user: 2}
oauthClients:
  - {clientId: svc-client, secret: svc-secret, user: 2, scopes: [integrations, data, user_management]}
proxyAssignments:
  - {proxyUserId: 2, userIds: [1]}
entityTypes:
  - {name: Record, entryTypeId: 4001, fields: {Name: string, Seq: number}}
credentialTypes:
  - name: userDefined
    fields: [{name: endpoint, required: true}, {name: token, secret: true}]
entities:
`)
	for i := 1; i <= n; i++ {
		var groups []string
		if i%3 != 0 {
			groups = append(groups, "Readers")
		}
		if i%5 == 0 {
			groups = append(groups, "Ops")
		}
		fmt.Fprintf(&b, "  - {type: Record, id: %d, owner: 3, sharedWithGroups: [%s], fields: {Name: Record %04d, Seq: %d}}\n",
			i, strings.Join(groups, ", "), i, i)
	}
	f, err := tenant.Parse("records.yaml", []byte(b.String()))
	require.NoError(t, err)
	return f
}

// visibleToReader lists the record ids the reader may see.
func visibleToReader(n int) []int64 {
	var out []int64
	for i := 1; i <= n; i++ {
		if i%3 != 0 {
			out = append(out, int64(i))
		}
	}
	return out
}

// mixedFaults is a plan under which a fraction p of the matching requests
// fail: 500, 503, 429, dropped connections and truncated bodies, none of
// them after a write.
func mixedFaults(seed int64, p float64, ops ...string) tenant.Faults {
	return tenant.MixedFaults(seed, p, 0, ops...)
}

// fastRetries retries often and quickly, and obeys Retry-After up to a cap.
func fastRetries(maxRetryAfter time.Duration) client.Option {
	return client.WithRetry(client.RetryPolicy{MaxRetries: 12, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetryAfter: maxRetryAfter})
}

// attempt is one HTTP attempt seen under the SDK's retry loop.
type attempt struct {
	start, end time.Time
	method     string
	path       string
	status     int // 0: no response
	retryAfter string
}

// attemptLog records every attempt a client makes.
type attemptLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	list []attempt
}

func (l *attemptLog) RoundTrip(req *http.Request) (*http.Response, error) {
	a := attempt{start: time.Now(), method: req.Method, path: req.URL.Path}
	resp, err := l.base.RoundTrip(req)
	a.end = time.Now()
	if err == nil {
		a.status = resp.StatusCode
		a.retryAfter = resp.Header.Get("Retry-After")
	}
	l.mu.Lock()
	l.list = append(l.list, a)
	l.mu.Unlock()
	return resp, err
}

func (l *attemptLog) attempts() []attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

// failed counts attempts without a successful response.
func (l *attemptLog) failed() (failed, total int) {
	for _, a := range l.attempts() {
		total++
		if a.status == 0 || a.status >= 400 {
			failed++
		}
	}
	return failed, total
}

// logged returns a client option that sends through a new attempt log.
func logged(srv *mocktest.Server) (*attemptLog, client.Option) {
	l := &attemptLog{base: srv.HTTPClient().Transport}
	return l, client.WithHTTPClient(&http.Client{Transport: l})
}

func faultCounts(srv *mocktest.Server) map[string]int {
	out := map[string]int{}
	for _, e := range srv.Audit(tenant.AuditFilter{}) {
		if e.Fault != "" {
			out[e.Fault]++
		}
	}
	return out
}

// An export of every visible row, with a fifth of all requests failing
// (token requests included), yields exactly the visible rows, once each,
// with the right values: through the data API's entity query and through
// the relationship API's rows acting as the reader (AS-USER).
func TestExportUnderFaultsYieldsEveryVisibleRowOnce(t *testing.T) {
	t.Parallel()
	const n = 600
	want := visibleToReader(n)
	srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, n)), mocktest.WithFaults(mixedFaults(20, 0.2)))
	ctx := t.Context()

	t.Run("entity query", func(t *testing.T) {
		log, via := logged(srv)
		c := srv.Client(readerKey, fastRetries(time.Second), via)
		seen := map[int64]int{}
		req := dataapi.EntityQueryRequest{TypeName: "Record", Fields: &[]string{"Name", "Seq"}, Paging: &dataapi.Paging{Limit: ptr(5)}}
		for e, err := range c.Data.EntityQueryAll(ctx, req) {
			require.NoError(t, err)
			var id int64
			_, err := fmt.Sscanf(e.Id, "/Record/%d", &id)
			require.NoError(t, err, e.Id)
			seen[id]++
			assert.Equal(t, fmt.Sprintf("Record %04d", id), e.AdditionalProperties["Name"])
			assert.Equal(t, float64(id), e.AdditionalProperties["Seq"])
		}
		requireOnceEach(t, want, seen)
		failed, total := log.failed()
		t.Logf("entity query: %d of %d attempts failed", failed, total)
		assert.InDelta(t, 0.2, float64(failed)/float64(total), 0.1, "about a fifth of the requests fail")
	})

	t.Run("rows as the reader", func(t *testing.T) {
		log, via := logged(srv)
		c := srv.Client(serviceOAuth, fastRetries(time.Second), via, client.WithAsUser(readerID))
		seen := map[int64]int{}
		for r, err := range c.Relationship.RowsAll(ctx, "Record", &relationshipapi.GetRowsParams{Limit: ptr(5)}) {
			require.NoError(t, err)
			seen[r.EntryId]++
			assert.Equal(t, fmt.Sprintf("Record %04d", r.EntryId), r.AdditionalProperties["Name"])
		}
		requireOnceEach(t, want, seen)
		failed, total := log.failed()
		t.Logf("rows: %d of %d attempts failed", failed, total)
		assert.InDelta(t, 0.2, float64(failed)/float64(total), 0.1)
	})

	// Every kind of fault was met, and recorded.
	counts := faultCounts(srv)
	for _, k := range []tenant.FaultKind{tenant.Fault500, tenant.Fault503, tenant.Fault429, tenant.FaultDrop, tenant.FaultTruncate} {
		assert.Positive(t, counts[string(k)], "fault %s in the audit log (%v)", k, counts)
	}
}

func requireOnceEach(t *testing.T, want []int64, seen map[int64]int) {
	t.Helper()
	for id, k := range seen {
		require.Equal(t, 1, k, "row %d yielded %d times", id, k)
	}
	got := make([]int64, 0, len(seen))
	for id := range seen {
		got = append(got, id)
	}
	slices.Sort(got)
	require.Equal(t, want, got, "exactly the visible rows")
}

// writeCalls are the writes of each API, each call making one new change.
func writeCalls(srv *mocktest.Server, opts ...client.Option) []struct {
	name string
	call func(ctx context.Context, i int, opts ...client.CallOption) error
} {
	data := srv.Client(serviceKey, opts...)
	creds := srv.Client(serviceOAuth, opts...)
	return []struct {
		name string
		call func(ctx context.Context, i int, opts ...client.CallOption) error
	}{
		{"createCredential", func(ctx context.Context, i int, ed ...client.CallOption) error {
			_, err := creds.Credentials.Create(ctx, credentialsapi.Credential{
				Name: ptr(fmt.Sprintf("cred-%d", i)), Type: credentialsapi.CredentialType{Name: ptr("userDefined")},
				CredentialFields: &map[string]string{"endpoint": "https://example.com/hook"},
			}, ed...)
			return err
		}},
		{"createProxyAssignments", func(ctx context.Context, i int, ed ...client.CallOption) error {
			users := []int64{1}
			if i%2 == 1 {
				users = []int64{1, 3}
			}
			_, err := creds.Relationship.CreateProxyAssignments(ctx, nil, relationshipapi.ProxyAssignmentCreate{ProxyUserId: serviceID, Users: users}, ed...)
			return err
		}},
		{"createObject", func(ctx context.Context, i int, ed ...client.CallOption) error {
			_, err := data.Data.CreateObject(ctx, "Record", dataapi.EntityValues{"Name": fmt.Sprintf("new-%d", i), "Seq": 10000 + i}, ed...)
			return err
		}},
		{"updateObject", func(ctx context.Context, i int, ed ...client.CallOption) error {
			id := fmt.Sprint(5 * (1 + i%20)) // records the service account sees
			return data.Data.UpdateObject(ctx, "Record", id, dataapi.EntityValues{"Name": fmt.Sprintf("updated-%d", i)}, ed...)
		}},
	}
}

// writesPerformed counts the writes the tenant performed (replays excluded).
func writesPerformed(srv *mocktest.Server, op string) int {
	n := 0
	for _, e := range srv.Audit(tenant.AuditFilter{Operation: op}) {
		if e.Write && !e.Replayed {
			n++
		}
	}
	return n
}

// Writes under fire: without an Idempotency-Key, no write is ever
// performed twice for one call (429s are retried, because the server did
// not act; 5xx and dropped connections are not). With a key, every call
// succeeds and each is performed exactly once, even when the first attempt
// was performed and its answer lost.
func TestWritesAreNeverDuplicated(t *testing.T) {
	t.Parallel()
	writeOps := []string{"createCredential", "createProxyAssignments", "createObject", "updateObject"}
	plan := func(seed int64) tenant.Faults {
		f := tenant.Faults{Seed: seed, Rules: []tenant.FaultRule{
			{Operations: writeOps, Kind: tenant.Fault429, Probability: 0.15},
			{Operations: writeOps, Kind: tenant.Fault500, Probability: 0.1},
			{Operations: writeOps, Kind: tenant.Fault503, Probability: 0.1},
			{Operations: writeOps, Kind: tenant.FaultDrop, Probability: 0.1},
			{Operations: writeOps, Kind: tenant.Fault500, Probability: 0.15, AfterWrite: true},
			{Operations: writeOps, Kind: tenant.FaultDrop, Probability: 0.1, AfterWrite: true},
		}}
		return f
	}
	const calls = 30

	t.Run("without a key", func(t *testing.T) {
		t.Parallel()
		srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 100)), mocktest.WithFaults(plan(3)))
		ctx := t.Context()
		for _, w := range writeCalls(srv, fastRetries(time.Second)) {
			var ok, refused, lost int
			for i := range calls {
				before := writesPerformed(srv, w.name)
				err := w.call(ctx, i)
				delta := writesPerformed(srv, w.name) - before
				require.LessOrEqual(t, delta, 1, "%s call %d was performed %d times", w.name, i, delta)
				switch {
				case err == nil:
					require.Equal(t, 1, delta, "%s call %d succeeded", w.name, i)
					ok++
				case delta == 1:
					lost++ // performed, answer lost: the caller is told, not repeated
				default:
					refused++
				}
			}
			t.Logf("%s: %d succeeded, %d failed before the write, %d failed after it", w.name, ok, refused, lost)
			assert.Positive(t, ok, w.name)
			assert.Positive(t, refused+lost, w.name)
		}
		assert.Positive(t, faultCounts(srv)["429"], "429s were met and retried")
	})

	t.Run("with an Idempotency-Key", func(t *testing.T) {
		t.Parallel()
		srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 100)), mocktest.WithFaults(plan(4)))
		ctx := t.Context()
		for _, w := range writeCalls(srv, fastRetries(time.Second)) {
			for i := range calls {
				before := writesPerformed(srv, w.name)
				err := w.call(ctx, i, client.IdempotencyKey(fmt.Sprintf("%s-%d", w.name, i)))
				require.NoError(t, err, "%s call %d", w.name, i)
				require.Equal(t, 1, writesPerformed(srv, w.name)-before, "%s call %d performed exactly once", w.name, i)
			}
		}
		counts := faultCounts(srv)
		assert.Positive(t, counts["500"]+counts["drop"], "answers were lost after writes (%v)", counts)
		replays := 0
		for _, e := range srv.Audit(tenant.AuditFilter{}) {
			if e.Replayed {
				replays++
			}
		}
		assert.Positive(t, replays, "lost answers were replayed from the key, not performed again")

		// Every created credential is there exactly once.
		srv.SetFaults(tenant.Faults{})
		names := map[string]int{}
		//lint:ignore SA1019 the deprecated page listing keeps working and is checked here
		for c, err := range srv.Client(serviceOAuth).Credentials.ListAll(ctx, nil) {
			require.NoError(t, err)
			names[c.Name]++
		}
		for i := range calls {
			assert.Equal(t, 1, names[fmt.Sprintf("cred-%d", i)], "cred-%d", i)
		}
	})
}

// Retry-After is obeyed, measured between the 429 (or 503) and the next
// attempt, and capped: a longer one ends the call at once with a
// *RateLimitError carrying the server's wait.
func TestRetryAfterIsObeyedAndCapped(t *testing.T) {
	t.Parallel()
	query := dataapi.EntityQueryRequest{TypeName: "Record", Paging: &dataapi.Paging{Limit: ptr(5)}}

	t.Run("fault 429 and 503", func(t *testing.T) {
		t.Parallel()
		srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 20)), mocktest.WithFaults(tenant.Faults{Rules: []tenant.FaultRule{
			{Operations: []string{"entityQuery"}, Kind: tenant.Fault429, Probability: 1, RetryAfter: time.Second, Times: 1},
			{Operations: []string{"entityQuery"}, Kind: tenant.Fault503, Probability: 1, RetryAfter: time.Second, Times: 1},
		}}))
		log, via := logged(srv)
		c := srv.Client(readerKey, via) // the default policy: Retry-After up to 60 s
		_, err := c.Data.EntityQuery(t.Context(), query)
		require.NoError(t, err)
		requireWaitedRetryAfter(t, log.attempts(), []int{429, 503, 200})
	})

	t.Run("rate limit", func(t *testing.T) {
		t.Parallel()
		srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 20)), mocktest.WithRateLimit(2, time.Second))
		log, via := logged(srv)
		c := srv.Client(readerKey, via)
		for range 3 {
			_, err := c.Data.EntityQuery(t.Context(), query)
			require.NoError(t, err)
		}
		requireWaitedRetryAfter(t, log.attempts(), []int{200, 200, 429, 200})
		e := srv.Audit(tenant.AuditFilter{Outcome: wire.OutcomeDeny})
		require.Len(t, e, 1)
		assert.Equal(t, wire.StepRateLimit, e[0].Step)
	})

	t.Run("capped", func(t *testing.T) {
		t.Parallel()
		srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 20)), mocktest.WithFaults(tenant.Faults{Rules: []tenant.FaultRule{
			{Operations: []string{"entityQuery"}, Kind: tenant.Fault429, Probability: 1, RetryAfter: 10 * time.Minute},
		}}))
		log, via := logged(srv)
		c := srv.Client(readerKey, via, client.WithMaxRetryAfter(2*time.Second))
		start := time.Now()
		_, err := c.Data.EntityQuery(t.Context(), query)
		elapsed := time.Since(start)
		var rl *client.RateLimitError
		require.ErrorAs(t, err, &rl)
		assert.Equal(t, 10*time.Minute, rl.RetryAfter)
		assert.Equal(t, "RequestLimitExceeded", rl.Code)
		assert.Len(t, log.attempts(), 1, "no retry past the cap")
		assert.Less(t, elapsed, time.Minute, "far less than the uncapped wait")
	})
}

// requireWaitedRetryAfter checks the statuses of the attempts and that each
// attempt after a response with Retry-After started at least that long
// after the response arrived.
func requireWaitedRetryAfter(t *testing.T, attempts []attempt, statuses []int) {
	t.Helper()
	got := make([]int, len(attempts))
	for i, a := range attempts {
		got[i] = a.status
	}
	require.Equal(t, statuses, got)
	waited := 0
	for i, a := range attempts[:len(attempts)-1] {
		if a.retryAfter == "" {
			continue
		}
		var secs int
		_, err := fmt.Sscan(a.retryAfter, &secs)
		require.NoError(t, err)
		gap := attempts[i+1].start.Sub(a.end)
		assert.GreaterOrEqual(t, gap, time.Duration(secs)*time.Second-10*time.Millisecond, "attempt %d waited %s for Retry-After %s", i+2, gap, a.retryAfter)
		assert.Less(t, gap, 30*time.Second)
		waited++
	}
	assert.Positive(t, waited, "some response asked to wait")
}

// A context deadline stops an export promptly, in injected latency or in
// a Retry-After wait, with an error that says how far it got.
func TestDeadlineStopsExportPromptly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		after int // rows read before the fault plan starts
		rule  tenant.FaultRule
	}{
		{"slow pages", 0, tenant.FaultRule{Operations: []string{"entityQuery"}, Kind: tenant.FaultLatency, Probability: 1, Latency: 100 * time.Millisecond}},
		{"a long Retry-After", 8, tenant.FaultRule{Operations: []string{"entityQuery"}, Kind: tenant.Fault503, Probability: 1, RetryAfter: 30 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 200)))
			plan := tenant.Faults{Seed: 5, Rules: []tenant.FaultRule{tc.rule}}
			if tc.after == 0 {
				srv.SetFaults(plan)
			}
			c := srv.Client(readerKey)
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			rows := 0
			var failure error
			for _, err := range c.Data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Record", Paging: &dataapi.Paging{Limit: ptr(4)}}) {
				if err != nil {
					failure = err
					break
				}
				rows++
				if rows == tc.after {
					srv.SetFaults(plan)
				}
			}
			elapsed := time.Since(start)
			require.Error(t, failure)
			assert.ErrorIs(t, failure, context.DeadlineExceeded)
			var ie *client.IncompleteError
			require.ErrorAs(t, failure, &ie, "%v", failure)
			assert.Equal(t, rows, ie.Items)
			assert.Positive(t, ie.Items)
			assert.Equal(t, fmt.Sprintf("paging.from=%d", rows), ie.Next)
			assert.Contains(t, failure.Error(), fmt.Sprintf("after %d items in %d pages", rows, ie.Pages))
			assert.Less(t, elapsed, 10*time.Second, "stopped promptly, not after the server's wait")
			t.Logf("%s: %v after %s", tc.name, failure, elapsed.Round(time.Millisecond))
		})
	}
}

// An expired session or token, in the middle of an export or before a
// write, is renewed by the SDK without the caller noticing.
func TestExpiryOnDemandIsRenewedTransparently(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 60)))
	ctx := t.Context()
	expired := func(op string) int {
		n := 0
		for _, e := range srv.Audit(tenant.AuditFilter{Operation: op, Outcome: wire.OutcomeDeny}) {
			if e.Code == wire.CodeExpiredCredential {
				n++
			}
		}
		return n
	}

	t.Run("data API session timeout", func(t *testing.T) {
		c := srv.Client(readerLogin)
		n := 0
		for _, err := range c.Data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Record", Paging: &dataapi.Paging{Limit: ptr(10)}}) {
			require.NoError(t, err)
			n++
			if n%10 == 5 && n < 30 { // in pages 1-3 of 4
				require.Equal(t, 1, srv.ExpireSessions())
			}
		}
		assert.Len(t, visibleToReader(60), n)
		assert.Equal(t, 3, expired("entityQuery"), "each expiry was met once, then renewed")
		assert.Len(t, srv.Audit(tenant.AuditFilter{Operation: "login"}), 4)
	})

	t.Run("OAuth token expiring mid-run", func(t *testing.T) {
		c := srv.Client(serviceOAuth, client.WithAsUser(readerID))
		n := 0
		for _, err := range c.Relationship.RowsAll(ctx, "Record", &relationshipapi.GetRowsParams{Limit: ptr(10)}) {
			require.NoError(t, err)
			n++
			if n%10 == 5 && n < 30 {
				assert.Equal(t, 1, srv.ExpireTokens())
			}
		}
		assert.Len(t, visibleToReader(60), n)
		assert.Equal(t, 3, expired("getRows"))

		// A write after the token expired: renewed and performed once.
		w := srv.Client(serviceOAuth)
		_, err := w.Credentials.Types(ctx)
		require.NoError(t, err)
		srv.ExpireTokens()
		before := writesPerformed(srv, "createCredential")
		_, err = w.Credentials.Create(ctx, credentialsapi.Credential{Name: ptr("after expiry"), Type: credentialsapi.CredentialType{Name: ptr("userDefined")},
			CredentialFields: &map[string]string{"endpoint": "https://example.com"}})
		require.NoError(t, err)
		assert.Equal(t, 1, writesPerformed(srv, "createCredential")-before)
		assert.Equal(t, 1, expired("createCredential"))
	})
}
