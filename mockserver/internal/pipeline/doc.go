// Package pipeline is the mock's request path: the room every vendor and
// admin request walks through between the server and a handler. It holds
// the request (Request: routing, body, the subject resolved once, the
// verdict, the response writers, audit and usage), the error type and
// each API's error shape (Error, Surface), the glue to the decision
// (Authorize, hidden and missing rows, the decision header), routing and
// each operation's rules read from the specs (Specs, Route), validation
// and bounds, and the helpers the per-API handlers share.
//
// It may import the decision (internal/decide), the tenant, the specs and
// the shared wire types; never the resilience layer, a handler package or
// the server (mockserver), which compose it (see mockserver/layout_test.go).
package pipeline
