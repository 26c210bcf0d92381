package mocktest_test

// End-to-end tests: the real SDK (client, auth) against the in-process mock
// on loopback, every response validated against the specs.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

var start = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// header returns a request editor that sets one header.
func header(name, value string) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set(name, value)
		return nil
	}
}

func projectIDs(t *testing.T, c *client.Client) []string {
	t.Helper()
	var ids []string
	for e, err := range c.Data.EntityQueryAll(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project", Fields: &[]string{"Name"}, Paging: &dataapi.Paging{Limit: ptr(5)}}) {
		require.NoError(t, err)
		ids = append(ids, e.Id)
	}
	return ids
}

func ptr[T any](v T) *T { return &v }

func requireUnauthenticated(t *testing.T, err error, reason string) {
	t.Helper()
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, http.StatusUnauthorized, ue.StatusCode)
	assert.Equal(t, reason, ue.Reason, "error: %v", err)
	require.NotNil(t, ue.Decision, "the mock explains every decision")
	assert.Equal(t, client.StepAuthenticate, ue.Decision.Step)
}

// Each API tells the 401 kinds apart, and the SDK reports each as an
// *UnauthenticatedError with its reason.
func TestUnauthenticatedKindsPerAPI(t *testing.T) {
	t.Parallel()
	clock := mocktest.NewClock(start)
	srv := mocktest.Start(t, mocktest.WithClock(clock))
	ctx := t.Context()

	// Credentials that expire: a data-API session and a bearer token, each
	// sent as a fixed value so nothing renews them.
	login, err := srv.Client(mocktest.Credential{}).Data.Login(ctx, dataapi.LoginRequest{UserName: "bob@demo.tenantkit.dev", Password: "demo-password"})
	require.NoError(t, err)
	tok := issueToken(t, srv, auth.CredentialsTokenURL(srv.URL))
	relTok := issueToken(t, srv, auth.RelationshipTokenURL(srv.URL))
	clock.Advance(25 * time.Hour) // past the session (8 h) and token (86399 s, 900 s) lifetimes
	expiredSession := srv.Client(mocktest.Credential{}, client.WithRequestEditor(header("Authorization", "Session "+login.SessionId)))
	expiredToken := srv.Client(mocktest.Bearer(tok))
	expiredRelToken := srv.Client(mocktest.Bearer(relTok))

	dataCall := func(c *client.Client) error {
		_, err := c.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Project"})
		return err
	}
	credsCall := func(c *client.Client) error { _, err := c.Credentials.Types(ctx); return err }
	rowsCall := func(c *client.Client) error { _, err := c.Relationship.Rows(ctx, "Deals", nil); return err }

	cases := []struct {
		api    string
		call   func(*client.Client) error
		client *client.Client
		reason string
	}{
		{"data", dataCall, srv.Client(mocktest.Credential{}), client.ReasonMissing},
		{"data", dataCall, srv.Client(mocktest.Bearer("abc")), client.ReasonMalformed},
		{"data", dataCall, srv.Client(mocktest.APIKey("no-such-key")), client.ReasonUnknown},
		{"data", dataCall, expiredSession, client.ReasonExpired},
		{"data", dataCall, srv.Client(mocktest.RevokedKey), client.ReasonRevoked},
		{"credentials", credsCall, srv.Client(mocktest.Credential{}), client.ReasonMissing},
		{"credentials", credsCall, srv.Client(mocktest.ServiceKey), client.ReasonMalformed},
		{"credentials", credsCall, srv.Client(mocktest.Bearer("t1.not-issued")), client.ReasonUnknown},
		{"credentials", credsCall, expiredToken, client.ReasonExpired},
		{"relationship", rowsCall, srv.Client(mocktest.Credential{}), client.ReasonMissing},
		{"relationship", rowsCall, srv.Client(mocktest.ServiceKey), client.ReasonMalformed},
		{"relationship", rowsCall, srv.Client(mocktest.Bearer("t1.not-issued")), client.ReasonUnknown},
		{"relationship", rowsCall, expiredRelToken, client.ReasonExpired},
	}
	for _, tc := range cases {
		t.Run(tc.api+"/"+tc.reason, func(t *testing.T) {
			requireUnauthenticated(t, tc.call(tc.client), tc.reason)
		})
	}
}

// issueToken gets a token for demo-integrator from a token endpoint, as a
// caller outside the SDK would.
func issueToken(t *testing.T, srv *mocktest.Server, tokenURL string) string {
	t.Helper()
	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL: tokenURL, ClientID: "demo-integrator", ClientSecret: "demo-integrator-secret",
		HTTPClient: srv.HTTPClient(),
	})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	require.NoError(t, cc.Apply(req))
	v := req.Header.Get("Authorization")
	require.Regexp(t, `^Bearer \S+$`, v)
	return v[len("Bearer "):]
}

// Each vendor API is its own authorization server: a token from the
// credentials API's token endpoint (POST /oauth/token) is a 401 on the
// relationship API, and one from the relationship API's on the credentials
// API, with a reason that names where the token came from and which token
// endpoint to use. Before, any issued token was accepted by both APIs.
func TestTokenFromAnotherAPIIsRefused(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	credsTok := issueToken(t, srv, auth.CredentialsTokenURL(srv.URL))
	relTok := issueToken(t, srv, auth.RelationshipTokenURL(srv.URL))

	// Each token works on its own API.
	_, err := srv.Client(mocktest.Bearer(credsTok)).Credentials.Types(ctx)
	require.NoError(t, err)
	_, err = srv.Client(mocktest.Bearer(relTok)).Relationship.Rows(ctx, "Deals", nil)
	require.NoError(t, err)

	_, err = srv.Client(mocktest.Bearer(credsTok)).Relationship.Rows(ctx, "Deals", nil)
	requireUnauthenticated(t, err, client.ReasonWrongAPI)
	var ue *client.UnauthenticatedError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, client.CodeWrongTokenAPI, ue.Decision.Code)
	assert.Equal(t, "unauthorized", ue.Code)
	assert.Contains(t, ue.Decision.Reason, "issued by the credentials API's token endpoint (POST /oauth/token)")
	assert.Equal(t, "request a token from POST /api/rest/v1/oauth/token", ue.Decision.Fix)

	_, err = srv.Client(mocktest.Bearer(relTok)).Credentials.Types(ctx)
	requireUnauthenticated(t, err, client.ReasonWrongAPI)
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "bad.credentials", ue.Code)
	assert.Contains(t, ue.Decision.Reason, "issued by the relationship API's token endpoint (POST /api/rest/v1/oauth/token)")
	assert.Equal(t, "request a token from POST /oauth/token", ue.Decision.Fix)

	// An OAuth client given one token source per API (as srv.Client does)
	// calls both.
	c := srv.Client(mocktest.IntegratorOAuth)
	_, err = c.Credentials.Types(ctx)
	require.NoError(t, err)
	_, err = c.Relationship.Rows(ctx, "Deals", nil)
	require.NoError(t, err)
}

// An OAuth client whose token expired on the server renews it and repeats
// the call: the caller does not notice. A session that timed out logs in
// again the same way.
func TestExpiredCredentialsAreRenewedTransparently(t *testing.T) {
	t.Parallel()
	clock := mocktest.NewClock(start)
	srv := mocktest.Start(t, mocktest.WithClock(clock))
	ctx := t.Context()
	oauth := srv.Client(mocktest.IntegratorOAuth)
	session := srv.Client(mocktest.BobLogin)

	_, err := oauth.Credentials.Types(ctx)
	require.NoError(t, err)
	_, err = session.Data.GetSessionInfo(ctx)
	require.NoError(t, err)
	clock.Advance(25 * time.Hour)

	types, err := oauth.Credentials.Types(ctx)
	require.NoError(t, err)
	assert.Len(t, types, 3)
	info, err := session.Data.GetSessionInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/User/1002", info.UserId)

	expired := srv.Audit(tenant.AuditFilter{Outcome: wire.OutcomeDeny})
	codes := make([]string, 0, len(expired))
	for _, e := range expired {
		codes = append(codes, e.Code)
	}
	assert.Equal(t, []string{wire.CodeExpiredCredential, wire.CodeExpiredCredential}, codes,
		"each renewal follows exactly one rejected request")
}

// demo-reporting holds scope data only: reading proxy assignments needs
// user_management, and the *ScopeError names it.
func TestScopeDeniedNamesTheMissingScope(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	_, err := srv.Client(mocktest.ReportingOAuth).Relationship.ProxyAssignments(t.Context(), nil)
	var se *client.ScopeError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"user_management"}, se.Missing)
	assert.Equal(t, http.StatusForbidden, se.StatusCode)
	assert.Contains(t, err.Error(), "Missing required oauth scopes: user_management")
	assert.Equal(t, "grant scope user_management to client demo-reporting", se.Decision.Fix)

	// The same client narrowed at the token endpoint fails the same way on
	// the credentials API, which needs integrations:readonly or integrations.
	_, err = srv.Client(mocktest.IntegratorOAuth.WithScopes("data")).Credentials.Types(t.Context())
	require.ErrorAs(t, err, &se)
	assert.Contains(t, [][]string{{"integrations:readonly"}, {"integrations"}}, se.Missing)
}

// The Admin-Lite service account may view, add and edit credentials but not
// delete them: the *PermissionError names integrations:integration:delete,
// and nothing is deleted.
func TestPermissionDeniedNamesThePermission(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.IntegratorOAuth)
	const id = "5f1c3a2e-8b4d-4c1e-9a7f-1d2e3f4a5b01"
	err := c.Credentials.Delete(t.Context(), id)
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"integrations:integration:delete"}, pe.Missing)
	assert.Equal(t, "missing.any.permissions", pe.Code)

	_, err = c.Credentials.Get(t.Context(), id)
	require.NoError(t, err, "the credential is still there")

	// The data API reports the same step in its own shape.
	_, err = srv.Client(mocktest.BobKey).Data.CreateObject(t.Context(), "Project", dataapi.EntityValues{"Name": "x"})
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"data:entity:add"}, pe.Missing)
}

// User 2001 holds proxy assignments for 1002 and 6045 only: AS-USER 1001
// is refused with a *ProxyError naming the principal on the relationship
// API, whose operations declare AS-USER.
func TestProxyDenied(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	oauth := srv.Client(mocktest.IntegratorOAuth)
	_, err := oauth.Relationship.Rows(t.Context(), "Deals", nil, client.AsUser(mocktest.AliceID))
	var pe *client.ProxyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, mocktest.AliceID, pe.Principal)
	assert.Equal(t, client.StepProxy, pe.Decision.Step)
	assert.Equal(t, mocktest.ServiceID, pe.Decision.Caller.User)
}

// The data and credentials APIs do not declare AS-USER, and the vendors
// ignore the header there: the SDK still sends it when asked (client-wide or
// per call), and the call runs as the credential's own user, with its own
// answer, whatever the principal. Before, the mock refused a proxy the
// caller lacked (a *ProxyError) and switched users on one it held.
func TestAsUserHasNoEffectWhereNotDeclared(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	for _, op := range client.Operations() {
		want := op.API == client.RelationshipAPI && op.ID != "getToken"
		assert.Equal(t, want, op.AsUser, "%s.%s declares AS-USER", op.API, op.ID)
	}

	// sent records the AS-USER header of each request the SDK sends.
	var sent []string
	rec := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r.Header.Get("AS-USER"))
		return srv.HTTPClient().Transport.RoundTrip(r)
	})}
	deals := dataapi.EntityQueryRequest{TypeName: "Deals", Fields: &[]string{"Name"}}
	plain, err := srv.Client(mocktest.ServiceKey).Data.EntityQuery(ctx, deals)
	require.NoError(t, err)
	for _, principal := range []int64{mocktest.CarolID, mocktest.AliceID, 424242} {
		var d client.Decision
		sent = nil
		got, err := srv.Client(mocktest.ServiceKey, client.WithAsUser(principal), client.WithHTTPClient(rec)).Data.EntityQuery(ctx, deals, client.Explain(&d))
		require.NoError(t, err, "data AS-USER %d", principal)
		assert.Equal(t, []string{strconv.FormatInt(principal, 10)}, sent, "the SDK sends the header")
		assert.Equal(t, plain.Entities, got.Entities, "data AS-USER %d", principal)
		assert.Equal(t, mocktest.ServiceID, d.EffectiveUser)
		assert.Zero(t, d.Principal)

		sent = nil
		_, err = srv.Client(mocktest.IntegratorOAuth, client.WithHTTPClient(rec)).Credentials.Types(ctx, client.AsUser(principal), client.Explain(&d))
		assert.Contains(t, sent, strconv.FormatInt(principal, 10), "the SDK sends the header")
		require.NoError(t, err, "credentials AS-USER %d", principal)
		assert.Equal(t, mocktest.ServiceID, d.EffectiveUser)
		assert.Zero(t, d.Principal)
	}
	// Bob holds no proxy assignment at all: not refused either.
	_, err = srv.Client(mocktest.BobKey, client.WithAsUser(mocktest.CarolID)).Data.EntityQuery(ctx, deals)
	require.NoError(t, err)

	rep := srv.Report()
	for _, id := range []struct{ kind, id string }{{"api_key", "service"}, {"api_key", "bob"}, {"oauth_client", "demo-integrator"}} {
		c, ok := rep.Credential(id.kind, id.id)
		require.True(t, ok, "%s %s", id.kind, id.id)
		assert.Empty(t, c.Principals, "%s %s acted as nobody", id.kind, id.id)
		assert.Zero(t, c.Denied, "%s %s", id.kind, id.id)
	}
}

// Bob's Viewer role may read Project and Deals through the API, not Task.
func TestObjectTypeDenied(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	_, err := srv.Client(mocktest.BobKey).Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Task"})
	var oe *client.ObjectAccessError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "Task", oe.EntityType)

	_, err = srv.Client(mocktest.ReadonlyOAuth).Relationship.Rows(t.Context(), "Task", nil)
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "Task", oe.EntityType)
}

// A row the user may not see is not found, never forbidden: the service
// account reading an Executive project gets a *NotFoundError, exactly as
// for a project that does not exist, decision included; client.Explain
// tells them apart.
func TestHiddenRowIsNotFound(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.ServiceKey)
	_, err := c.Data.GetObject(t.Context(), "Project", "9", nil)
	var nf *client.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, client.CodeRowNotFound, nf.Decision.Code)
	hidden := *nf.Decision

	_, err = c.Data.GetObject(t.Context(), "Project", "999", nil)
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, client.CodeRowNotFound, nf.Decision.Code)
	hidden.Reason = strings.ReplaceAll(hidden.Reason, "/Project/9", "/Project/999")
	assert.Equal(t, hidden, *nf.Decision, "a hidden row reads as a missing one")

	var d client.Decision
	_, err = c.Data.GetObject(t.Context(), "Project", "9", nil, client.Explain(&d))
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, client.CodeRowHidden, d.Code)
	assert.Equal(t, client.CodeRowHidden, nf.Decision.Code)

	e, err := c.Data.GetObject(t.Context(), "Project", "5", nil)
	require.NoError(t, err)
	assert.Equal(t, "/Project/5", e.Id)

	// Updates and deletes of a hidden row are not found too, and change nothing.
	err = c.Data.UpdateObject(t.Context(), "Project", "9", dataapi.EntityValues{"State": "Cancelled"})
	require.ErrorAs(t, err, &nf)
	e, err = srv.Client(mocktest.AliceLogin).Data.GetObject(t.Context(), "Project", "9", nil)
	require.NoError(t, err)
	state, _ := e.Get("State")
	assert.Equal(t, "Active", state)
}

// The Admin-Lite service account's API key sees the 4 projects shared with
// Integrations-Test under apiDataAccess: enforce, and all 12 under bypass.
func TestServiceKeySeesWhatTheUISeesUnlessBypassed(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.ServiceKey)
	assert.Equal(t, []string{"/Project/5", "/Project/6", "/Project/7", "/Project/8"}, projectIDs(t, c))

	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	ids := projectIDs(t, c)
	assert.Len(t, ids, 12)
	assert.True(t, slices.Contains(ids, "/Project/9"), "bypass shows Executive projects: %v", ids)
}

// AS-USER 6045 from the service account reads Carol's 3 deals exactly, and
// the audit log names 6045 as the effective user and 2001 as the caller.
func TestAsUserReadsThePrincipalsRows(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	c := srv.Client(mocktest.IntegratorOAuth, client.WithAsUser(mocktest.CarolID))
	var ids []int64
	for row, err := range c.Relationship.RowsAll(t.Context(), "Deals", &relationshipapi.GetRowsParams{Limit: ptr(2)}) {
		require.NoError(t, err)
		ids = append(ids, row.EntryId)
		region, _ := row.Get("Region") // a choice: {seqNumber, isAutoPdf, id, name, entryListId}
		assert.Equal(t, "EMEA", region.(map[string]any)["name"])
	}
	assert.Equal(t, []int64{1, 2, 3}, ids)

	entries := srv.Audit(tenant.AuditFilter{Operation: "getRows"})
	require.NotEmpty(t, entries)
	for _, e := range entries {
		assert.Equal(t, wire.OutcomeAllow, e.Outcome)
		assert.Equal(t, mocktest.CarolID, e.EffectiveUser)
		assert.Equal(t, mocktest.CarolID, e.Principal)
		require.NotNil(t, e.Caller)
		assert.Equal(t, mocktest.ServiceID, e.Caller.User)
		assert.Equal(t, "demo-integrator", e.Caller.ID)
	}
}

// Writes through the SDK change the tenant, and Reset restores it.
func TestWritesAndReset(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	c := srv.Client(mocktest.IntegratorOAuth)
	info, err := c.Credentials.Create(ctx, credentialsapi.Credential{
		Name: ptr("ERP"), Type: credentialsapi.CredentialType{Name: ptr("basicAuth")},
		CredentialFields: &map[string]string{"userName": "erp", "password": "s3cret"},
	})
	require.NoError(t, err)
	got, err := c.Credentials.Get(ctx, info.Id)
	require.NoError(t, err)
	assert.Equal(t, tenant.Redacted, (*got.CredentialFields)["password"], "secret fields are redacted on read")

	srv.Reset()
	_, err = c.Credentials.Get(ctx, info.Id)
	var nf *client.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Empty(t, srv.Audit(tenant.AuditFilter{Operation: "createCredential"}), "reset drops the audit log")
}

// Every test gets its own tenant: a write in one server is invisible to
// another started beside it.
func TestServersAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := mocktest.Start(t), mocktest.Start(t)
	_, err := a.Client(mocktest.ServiceKey).Data.CreateObject(t.Context(), "Project", dataapi.EntityValues{"Name": "only in a"})
	require.NoError(t, err)
	assert.Len(t, projectIDs(t, a.Client(mocktest.ServiceKey)), 5)
	assert.Len(t, projectIDs(t, b.Client(mocktest.ServiceKey)), 4)
}

// A fixture file that does not load fails the test with file, line and field.
func TestStartWithFixtureFile(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithFixtureFile("testdata/small.yaml"))
	c := srv.Client(mocktest.APIKey("small-key"))
	assert.Equal(t, []string{"/Project/1"}, projectIDs(t, c))

	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }() // fakeT.Fatalf stops like t.Fatalf
		mocktest.Start(ft, mocktest.WithFixtureFile("testdata/broken.yaml"))
	}()
	require.True(t, ft.failed)
	assert.Regexp(t, `broken\.yaml:\d+: users\[0\]\.roles\[0\]: unknown role "Admn"`, ft.msg)
}

// fakeT records a fatal failure instead of failing the real test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}

// A rate limit and a fault plan given to Start are part of the tenant's
// fixture: Reset restores them with everything else.
func TestResetKeepsStartOptions(t *testing.T) {
	t.Parallel()
	plan := tenant.Faults{Seed: 1, Rules: []tenant.FaultRule{{Operations: []string{"getSessionInfo"}, Kind: tenant.Fault503, Probability: 1}}}
	srv := mocktest.Start(t, mocktest.WithRateLimit(5, time.Minute), mocktest.WithFaults(plan))
	srv.Reset()
	assert.Equal(t, tenant.RateLimit{Requests: 5, Window: time.Minute}, srv.Settings().RateLimit)
	got, _ := srv.Tenant().Faults()
	assert.Equal(t, plan, got)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
