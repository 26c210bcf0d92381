// Package mockserver is tenantkit's mock tenant server: one http.Handler
// serving the data API (Clarizen shape, /V2.0/services/...), the
// credentials API (Genesys shape, /api/v2/integrations/credentials... and
// /oauth/token), the relationship API (DealCloud shape, /api/rest/...) and
// the admin API (/_mock/...), for any number of in-memory tenants.
//
//	srv, err := mockserver.New()          // the embedded demo tenant
//	ts := httptest.NewServer(srv)         // or http.ListenAndServe(addr, srv)
//
// # Tenants
//
// The default tenant is built from WithFixture (tenant.Demo() when not
// given) and keeps its fixture's credential identifiers verbatim. Tenants
// added later (CreateTenant, or POST /_mock/tenants) get the suffix
// "@<tenantID>" on every API key value, OAuth client id and login user name
// (demo-key-bob@t2), so parallel tenants never collide; secrets and
// passwords are unchanged. A credential identifies its tenant: an
// identifier by its suffix (none = the default tenant), a token or session
// id by its "<tenantID>." prefix.
//
// # The request path and the decision
//
// A vendor request takes one path (ServeHTTP in serve.go composes it):
// route it against the specs (a spec with x-case-insensitive-paths, the
// relationship API's, matches its literal path segments ignoring case); bound it (in-flight limits, body size, JSON
// depth); resolve its credential once into an immutable subject
// (pipeline.Request.Subject: tenant, credential as the tenant knows it,
// settings, time), which the resilience layer reads to find whose budget
// it spends; ask the decision function; validate it against the spec; run
// its handler; write the response, the decision header, the audit entry
// and the credential's usage in one place (package internal/pipeline).
//
// The decision function is package internal/decide: Decide(operation,
// subject, facts) → decision, pure (no *http.Request, no side effects),
// with the operation's rules read from its spec (decide.NewOperation). It
// is the only place that decides: the pipeline, the token endpoints and
// login, the types a handler discovers (dotted paths), the visibility diff,
// Server.Decide (which the start banner picks its examples with) and the
// permission matrix's tests (internal/matrix) all call it.
//
// Its steps, in order; the first failure wins:
//
//  1. authenticate: 401, telling missing, malformed, unknown, expired and
//     revoked credentials apart, and a bearer token issued by another
//     API's token endpoint (wrong_token_api; tenant.Token.API);
//  2. scopes: 403 naming the missing scopes of the closest scope set
//     ("Missing required oauth scopes: user_management"); API keys and
//     sessions are not scope-limited;
//  3. AS-USER proxy, only on operations whose spec declares the AS-USER
//     header parameter (openapi.Operation.AsUser: the relationship API's
//     proxy, row and schema operations): 400 for a value that is not a user id,
//     401 without a proxy assignment where the parameter's x-denied-status
//     says so (the relationship API, as the vendor documents; else 403); an
//     id that names no user gets the
//     same 403 (status, body and decision), so AS-USER cannot enumerate
//     users, and only the audit log tells the two apart; on success the
//     principal becomes the effective user. Elsewhere the header is ignored
//     entirely, as the vendors ignore it: it changes neither the effective
//     user nor the answer, decision, audit log, usage or idempotency;
//  4. permissions: 403 naming them (any of x-permissions);
//  5. object-type access: 403 when the effective user's roles may not read
//     the entity type (named where x-entity-type says) through the API.
//     Operations that list or describe types or read rows of several
//     (listEntities, describeEntities, describeMetadata, retrieveMultiple)
//     ask the same rule per type (pipeline.Request.TypeReadable) and leave
//     out a type the user may not read exactly like one that does not
//     exist (enforcement: audit reads it and records the denial);
//  6. row-level sharing, in the handlers: lists hold visible rows only (and
//     totals and hasMore agree); a hidden row is 404, never 403, and reads
//     on the wire exactly like a row that does not exist: same status,
//     body and decision header (deny at step row, code row_not_found).
//     Only a request sent with X-Tenantkit-Explain, the audit log and the
//     admin API say which (code row_hidden, with a reason and a fix).
//     `apiDataAccess: bypass` opens API reads only: updates and deletes of
//     a row hidden from the effective user stay 404.
//
// A reference never shows what the effective user could not read: it keeps
// its Name only when the user may read the referenced type through the API
// (step 5) and sees the referenced row (step 6); otherwise it is written as
// its id alone ({"id":"/Project/10"}, {"id":10} in rows) on every rendering
// path, exactly like a reference to a row that does not exist. Dotted paths
// into a type the user may not read are a 403; dotted fields of a hidden
// row are null. User references always show the name. A written reference
// to a row the user may not read is refused exactly like one to a row that
// does not exist.
//
// What an operation requires is read from the specs (openapi.Operations);
// handlers only do the data work. Requests are then validated against the
// spec with kin-openapi (data API bodies may use PascalCase keys). Failures
// are written in the surface's own error body, and every vendor response
// carries the X-Tenantkit-Decision header (wire.Decision). The header and
// X-Tenantkit-Explain are diagnostics of the mock that no real vendor
// sends; even so they reveal nothing the response may not: not that a
// hidden row exists, nor that an AS-USER id names a user.
//
// Under `enforcement: audit` exactly this is relaxed: a failure of steps
// 2, 4 or 5 is recorded as audit-deny and the request goes on; a refused
// proxy (step 3) is recorded as audit-deny and the request goes on as the
// caller's own user (its permissions, entity types and rows), never as the
// principal. Authentication failures (401), AS-USER values that are not a
// user id (400, where AS-USER is declared) and row-level sharing (step 6)
// always apply.
//
// # Bulk sub-requests
//
// The data API's bulk/execute (handler data.Bulk, composed with runSub in
// serve.go) runs each sub-request on the same path as a top-level request,
// after the resilience layer (which the outer call alone passes: one unit
// of the rate limit, one draw of the fault plan): pipeline.Request.Sub
// makes it a request of its own with the outer call's credential and
// AS-USER header, the subject resolved once for the outer call and its
// work context (a cancelled call stops before its next sub-request); it
// is routed against the data API's spec, then decided, validated, handled,
// audited and counted in usage as its own operation (runOperation), and
// its answer, the status and body the operation would answer alone, is
// kept in memory for its sub-response. A sub-request the credential may
// not make is refused in its sub-response with that operation's status and
// error body; the others still run. Operations marked x-bulk: false
// (logout, bulk/execute) and those that take no credential (login) are a
// 400 inside a bulk call.
//
// Every vendor request is recorded in its tenant's audit log (the default
// tenant's when the credential names none): operation, target, outcome,
// effective user and the caller it came through. Logs (log/slog) carry one
// line per request and never a credential, secret or body.
//
// # Least privilege and visibility
//
// Every request also adds to its credential's usage (tenant.UsageEvent): the
// operation, the scope set the token satisfied, the permission that allowed
// it, the entity type, the AS-USER principal, and every failed step, those
// enforcement: audit let through included. LeastPrivilege turns it into a
// Report (granted, used, unused and missing scopes, permissions and entity
// types per API key, OAuth client and session; what requests AS-USER a
// principal used and lacked is the principal's, per principal under
// AsUser, never the credential user's), which Report.Check compares
// with a declared grant (Manifest) and Report.Manifest turns into the grant
// a run needed. Visibility compares the rows row-level sharing shows a user
// (the UI) with what each of the user's API credentials reads, judging each
// credential with the decision function. The reports are package report;
// this package names the same types.
//
// # Rate limits, faults and idempotency
//
// A separate layer (package internal/resilience) runs for every vendor
// request after routing and before the pipeline, per tenant; its
// state lives with the tenant (tenant.Config.Extension) and a reset of the
// tenant starts it afresh:
//
//   - rate limit (tenant.Settings.RateLimit): each API key, OAuth client and
//     logged-in user may make N requests per window; the next is answered
//     429 with Retry-After (the rest of the window, on the server's clock)
//     in the API's error shape, and credentials API responses carry
//     inin-ratelimit-count/allowed/reset. Token requests and logins are not
//     counted.
//   - vendor limits (tenant.Settings.VendorRateLimits, off by default): the
//     vendors' documented limits the specs declare (x-rate-limit, such as
//     the relationship API's Schema APIs, 5 calls per second, per
//     credential; the data API's call quota, 25 calls per second for the
//     whole organization, per: organization); 429 with an integer
//     Retry-After.
//   - faults (tenant.Faults): rules matching operation ids fire with a
//     probability drawn from a sequence seeded by the plan, so a run
//     repeats. 500, 503 and 429 are answered in the API's error shape and
//     drop closes the connection, all before the request has any effect;
//     latency delays the request; truncate serves it, advertises the full
//     Content-Length and sends half the body; AfterWrite makes 500, 503 and
//     drop fire after the handler ran (the write happened, its answer is
//     lost; a refused request keeps its refusal).
//
// These answers carry the decision header (step rate_limit or fault, code
// rate_limited or injected_fault) and are audited (AuditEntry.Fault). Writes
// that carry an Idempotency-Key are performed once per caller and key; a
// repeat of the same request gets the first answer with
// Idempotent-Replayed: true, and a different request with the same key is a
// 400 (internal/resilience/idempotency.go).
//
// # Where things are
//
// Each room is a package, and dependencies point one way: the server
// imports every room; the handlers and the resilience layer import the
// request path; the request path imports the decision; none imports a
// room beside or above it (layout_test.go holds them to it).
//
//   - the server, this package: Server and its options, the tenants
//     (server.go) and each tenant's state (state.go), ServeHTTP (serve.go:
//     health, host checks, admin or vendor, and the composition of the
//     in-flight bound, the resilience layer and the pipeline into one
//     vendor request), apis.go (each API's binding: its handlers, surface
//     and what its handlers read of its spec, the one line a new API adds
//     besides its spec and fixture), Decide and Question, the reports
//     facade, the admin API (admin.go, landing.go) and same-origin checks
//     (origin.go);
//   - the request path, internal/pipeline: the request (Request: routing,
//     body, subject, verdict, response writers, audit and usage), the
//     error type and each API's error shape (Surface), the decision glue
//     (Authorize, hidden and missing rows, the decision header), routing
//     and each operation's rules (specs.go), validation and bounds
//     (validate.go, bounds.go), and helpers the handlers share;
//   - the decision: internal/decide;
//   - the per-API handlers, typed by the models generated from the specs
//     into internal/api: internal/handlers/data (with its page cache,
//     encoded pages valid while the tenant's version holds),
//     internal/handlers/credentials and internal/handlers/relationship,
//     each with its surface, and internal/handlers/token, the shared
//     client-credentials endpoint; internal/render writes entities (the
//     streaming entity-page encoder, references as the user may see them)
//     for the data and relationship APIs;
//   - cross-cutting: the resilience layer (internal/resilience: rate
//     limit, faults, idempotency, the in-flight bound), reports (package
//     report), hostile-request bounds (internal/pipeline/bounds.go,
//     internal/resilience/inflight.go, origin.go);
//   - the console, package console: pages at /_mock/ui/ rendered from the
//     tenant store and the reports, a live stream of audit entries
//     (tenant.Watch, which never holds up a request), controls that call
//     the admin API from the page; it imports nothing of the request path;
//   - the tenant: package tenant (model, fixtures, query engine).
//
// # Admin API
//
// openapi/admin.yaml describes /_mock/ (client: package adminapi): create
// tenants from fixtures, reset them, read and change settings (the rate
// limit included), read and replace fault plans, expire tokens and sessions
// on demand, read audit logs, least-privilege reports and visibility diffs
// (as JSON or text), and /_mock/healthz. It is unauthenticated by design:
// the mock is a local development and test tool; never expose it on a
// shared network.
//
// # Same origin only
//
// No web page may use the mock (origin.go): every request but /healthz
// must name a Host the server answers for (loopback addresses, localhost,
// names under .localhost, and WithAllowedHosts), else 421, which stops
// DNS rebinding; an admin request with a foreign or "null" Origin, and an
// admin write a browser marks Sec-Fetch-Site cross-site or same-site, is
// 403; an admin write is JSON (or a type its request body declares), or
// has no body and no Content-Type, else 415. Requests built with
// httptest.NewRequest name example.com: set their Host, or allow it.
//
// # Health probe
//
// GET or HEAD /healthz (HealthPath) answers 200 {"status":"ok","tenants":n}
// for container and orchestrator probes. It belongs to no spec: it is not
// routed as a vendor or admin operation, carries no decision header, is not
// audited, and is logged at debug level only.
package mockserver
