// Package data is the data API's room (Clarizen shape, /V2.0/services/...):
// its handlers, one per operationId (Handlers; bulkExecute's is Bulk, which
// the server binds to its request path for sub-requests), its error shape (Surface),
// what the handlers read of its spec (Prepare) and their per-tenant page
// cache (State).
//
// Like every handler package it may import the request path
// (internal/pipeline), the decision (login judges a password), the tenant,
// the generated models, internal/render, internal/query and internal/wire; never another API's handlers, the
// resilience layer or the server (mockserver), which binds it (apis.go).
package data
