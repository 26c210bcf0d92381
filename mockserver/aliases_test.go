package mockserver_test

import "github.com/tenantkit/tenantkit/mockserver/tenant"

type (
	tenantSettings = tenant.Settings
	auditFilter    = tenant.AuditFilter
)
