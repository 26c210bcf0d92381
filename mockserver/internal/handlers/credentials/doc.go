// Package credentials is the credentials API's room (Genesys shape,
// /api/v2/integrations/credentials...): its handlers, one per operationId
// (Handlers), its error shape and headers (Surface) and their per-tenant
// cache of the encoded credential types (State). Its token endpoint is the
// shared one (package token).
//
// Like every handler package it may import the request path
// (internal/pipeline), the tenant, the generated models and internal/wire;
// never another API's handlers, the resilience layer or the server
// (mockserver), which binds it (apis.go).
package credentials
