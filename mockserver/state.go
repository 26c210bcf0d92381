package mockserver

import (
	"github.com/tenantkit/tenantkit/mockserver/internal/handlers/credentials"
	"github.com/tenantkit/tenantkit/mockserver/internal/handlers/data"
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
	resilience  resilience.State
	data        data.State
	credentials credentials.State
}

// newTenantState is the tenants' tenant.Config.Extension.
func newTenantState() any { return new(tenantState) }

// stateFor returns the state of t's current generation. A tenant built
// without this server's Extension gets a state of its own, for one
// request.
func (s *Server) stateFor(t *tenant.Tenant) *tenantState { return stateOf(t) }

func stateOf(t *tenant.Tenant) *tenantState {
	if st, ok := t.Extension().(*tenantState); ok {
		return st
	}
	return &tenantState{}
}

// dataState and credentialsState are the handlers' parts of a tenant's
// state.
func dataState(t *tenant.Tenant) *data.State { return &stateOf(t).data }

func credentialsState(t *tenant.Tenant) *credentials.State { return &stateOf(t).credentials }
