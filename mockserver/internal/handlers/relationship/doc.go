// Package relationship is the relationship API's room (DealCloud shape,
// /api/rest/...): its handlers, one per operationId (Handlers: proxy
// assignments, rows, and the Schema API in schema.go), what they read of
// its spec (Prepare) and its problem+json error shape (Surface). Its token
// endpoint is the shared one (package token).
//
// Like every handler package it may import the request path
// (internal/pipeline), the tenant, the generated models, internal/render,
// internal/query and internal/wire; never another API's handlers, the
// resilience layer or the server (mockserver), which binds it (apis.go).
package relationship
