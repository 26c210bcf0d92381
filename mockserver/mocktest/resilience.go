package mocktest

import (
	"time"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// WithRateLimit starts the tenant with a per-credential request budget:
// each API key, OAuth client and logged-in user may make requests requests
// per window (1m when zero); the next is answered 429 with Retry-After.
// Windows follow the server's clock (see WithClock).
func WithRateLimit(requests int, window time.Duration) Option {
	return func(c *config) { c.rateLimit = &tenant.RateLimit{Requests: requests, Window: window} }
}

// WithFaults starts the tenant with a fault-injection plan, for example 20%
// of every request failing with 503, repeatably:
//
//	mocktest.WithFaults(tenant.Faults{Seed: 1, Rules: []tenant.FaultRule{
//		{Kind: tenant.Fault503, Probability: 0.2},
//	}})
//
// Faults fire before the request has any effect, except truncate and rules
// with AfterWrite (see tenant.FaultRule).
func WithFaults(f tenant.Faults) Option {
	return func(c *config) { c.faults = &f }
}

// SetFaults replaces the tenant's fault plan; tenant.Faults{} turns faults
// off. The plan's random sequence starts again. An invalid plan fails the
// test.
func (s *Server) SetFaults(f tenant.Faults) {
	s.t.Helper()
	if err := s.Tenant().SetFaults(f); err != nil {
		s.t.Fatalf("mocktest: %v", err)
	}
}

// SetRateLimit changes the tenant's per-credential budget; 0 requests
// turns the limit off.
func (s *Server) SetRateLimit(requests int, window time.Duration) {
	s.t.Helper()
	s.UpdateSettings(func(st *tenant.Settings) { st.RateLimit = tenant.RateLimit{Requests: requests, Window: window} })
}

// ExpireTokens makes every OAuth token issued so far expire now, as an
// OAuth token expiring mid-run would: the next request with one is answered
// 401 and the client must fetch a new token. It returns how many expired.
func (s *Server) ExpireTokens() int {
	n, _ := s.ExpireCredentials(tenant.ExpireFilter{TokensOnly: true})
	return n
}

// ExpireSessions makes every data-API session expire now, as the data API's
// session timeout would: the next request with one is answered 401
// SessionTimeout and the client must log in again. It returns how many
// expired.
func (s *Server) ExpireSessions() int {
	_, n := s.ExpireCredentials(tenant.ExpireFilter{SessionsOnly: true})
	return n
}

// ExpireCredentials expires the tokens and sessions f selects (the zero
// filter: all of them) and returns how many of each. A filter naming an
// unknown client or user fails the test.
func (s *Server) ExpireCredentials(f tenant.ExpireFilter) (tokens, sessions int) {
	s.t.Helper()
	tokens, sessions, err := s.Tenant().ExpireCredentials(f)
	if err != nil {
		s.t.Fatalf("mocktest: expire: %v", err)
	}
	return tokens, sessions
}
