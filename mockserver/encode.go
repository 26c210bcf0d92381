package mockserver

import (
	"github.com/tenantkit/tenantkit/mockserver/internal/render"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// EncodeEntityPage runs spec on t and encodes the page as entityQuery
// answers it, with every field of the type (package internal/render). It
// exists to measure the engine and its encoder without HTTP.
func EncodeEntityPage(t *tenant.Tenant, spec tenant.QuerySpec) ([]byte, error) {
	return render.EncodeEntityPage(t, spec)
}
