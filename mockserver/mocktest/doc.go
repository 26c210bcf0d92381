// Package mocktest starts a tenantkit mock server inside a test, the way
// net/http/httptest starts an HTTP server: each Start gives the test its own
// mock on a loopback listener with a fresh tenant (the embedded demo tenant
// unless a fixture is given), ready SDK clients for any credential of that
// tenant, and cleanup through t.Cleanup. Servers share nothing, so tests
// using them may call t.Parallel; starting one costs a few milliseconds
// (about 5 ms on 2 cores: go test -run '^$' -bench Start ./mockserver/mocktest/).
//
//	func TestExport(t *testing.T) {
//		t.Parallel()
//		srv := mocktest.Start(t)
//		c := srv.Client(mocktest.ServiceKey)
//		for project, err := range c.Data.EntityQueryAll(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"}) {
//			...
//		}
//		srv.Audit(tenant.AuditFilter{Outcome: "deny"}) // what the mock refused, and why
//	}
//
// # Responses are checked against the specs
//
// Every response the test's clients receive is validated against its
// operation in the OpenAPI specs (status documented, headers and body
// matching), and every vendor response must carry the mock's decision
// header; a mismatch fails the test. WithoutResponseValidation turns this
// off.
//
// # Credentials
//
// A Credential says how a client authenticates: APIKey, Login (a data-API
// session), OAuth (client credentials, optionally narrowed with
// Credential.WithScopes) or Bearer. The demo tenant's credentials are
// predeclared (ServiceKey, IntegratorOAuth, ...); they are public test
// values. OAuth tokens of one tenant are accepted by both the credentials
// and the relationship API, so one OAuth client serves both; the data API
// takes an API key or a session.
//
// # Rate limits, faults and expiry
//
// WithRateLimit and WithFaults (or SetRateLimit and SetFaults during a test)
// make the mock answer 429, 500 and 503, add latency, drop connections and
// truncate bodies, repeatably from a seed; ExpireTokens and ExpireSessions
// end credentials mid-run. Together they prove that a client retries what
// it may, never repeats a write it must not, and renews credentials without
// its caller noticing.
package mocktest
