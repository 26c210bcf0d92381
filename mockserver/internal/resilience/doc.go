// Package resilience is the mock's resilience layer, a cross-cutting room
// beside the request path: the per-credential rate limit, the tenant's
// seeded fault plan, the idempotency store for writes with an
// Idempotency-Key, each tenant's State of them, and the server-wide
// in-flight bound. The server runs it for every vendor request after
// routing and before the pipeline decides (Identify, Run), handing it the
// operation to run (Operation).
//
// It may import the request path (internal/pipeline), the decision and the
// tenant; never a handler package or the server (mockserver).
package resilience
