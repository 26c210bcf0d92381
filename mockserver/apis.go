package mockserver

import "github.com/tenantkit/tenantkit/openapi"

// apiBinding is what one API brings besides its spec (openapi/) and its
// fixture data: its handlers, one per operationId, and its surface (error
// body, extra headers). The request path, the decision and
// the reports need nothing else of an API: adding one is its spec, its
// fixture data and a line here.
type apiBinding struct {
	api      openapi.API
	Surface  *Surface
	handlers func(*Server) map[string]Handler
}

// apis are the APIs the mock serves, the admin API last.
var apis = []apiBinding{
	{openapi.Data, surfaceData, (*Server).dataHandlers},
	{openapi.Credentials, surfaceCredentials, (*Server).credentialsHandlers},
	{openapi.Relationship, surfaceRelationship, (*Server).relationshipHandlers},
	{openapi.Admin, surfaceAdmin, (*Server).adminHandlers},
}
