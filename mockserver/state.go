package mockserver

import (
	"sync/atomic"

	"github.com/tenantkit/tenantkit/mockserver/internal/resilience"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// tenantState is what the server keeps per tenant besides the tenant's
// own data: the resilience layer's state and the handlers' caches. It lives
// with its tenant (tenant.Config.Extension): the tenant builds a new one
// with every reset, so a reset tenant's budgets, fault plan position,
// idempotency records and caches start as a new tenant's, and it goes when
// the tenant is deleted.
type tenantState struct {
	resilience resilience.State
	// credTypes is the encoded listCredentialTypes body of one generation
	// of the tenant.
	credTypes atomic.Pointer[encodedBody]
	// pages are the encoded answers of the tenant's recent queries.
	pages pageCache
}

// newTenantState is the tenants' tenant.Config.Extension.
func newTenantState() any { return new(tenantState) }

// stateFor returns the state of t's current generation. A tenant built
// without this server's Extension gets a state of its own, for one
// request.
func (s *Server) stateFor(t *tenant.Tenant) *tenantState {
	if st, ok := t.Extension().(*tenantState); ok {
		return st
	}
	return &tenantState{}
}
