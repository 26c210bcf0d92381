package resilience

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The resilience layer makes the mock misbehave on purpose, per tenant, so
// that retry logic is exercised rather than hoped for. It runs for every
// vendor request after routing and before the authorization pipeline, and
// leaves the pipeline and the handlers as they are:
//
//  1. rate limit (ratelimit.go): a per-credential budget per window; over
//     budget, 429 with Retry-After in the API's error shape; then, when the
//     tenant sets vendorRateLimits, the vendor's documented limit of the
//     operation (the spec's x-rate-limit), per credential and group;
//  2. faults (faults.go): the tenant's seeded fault plan may add latency,
//     answer 500/503/429, drop the connection, or, after the handler ran,
//     replace the answer with a failure or truncate its body.
//
// Refusals are answered in the API's own error shape, carry the decision
// header (step rate_limit or fault) and are recorded in the audit log.
// Writes may carry an Idempotency-Key, which the mock honours
// (idempotency.go): a repeated write with the same key and request is
// answered from the first one's response instead of being performed again.

// State is what the resilience layer keeps per tenant. It lives with its
// tenant (tenant.Config.Extension, in the server's per-tenant state): the
// tenant builds a new one with every reset, so a reset tenant's budgets,
// fault plan position and idempotency records start as a new tenant's, and
// it goes when the tenant is deleted.
type State struct {
	limiter limiter
	vendor  vendorLimiters
	faults  faultState
	idem    idempotencyStore
}

// IdempotencyRecords is how many answers the idempotency store keeps, and
// how long its eviction order is (tests hold the two bounded).
func (st *State) IdempotencyRecords() (records, order int) {
	st.idem.mu.Lock()
	defer st.idem.mu.Unlock()
	return len(st.idem.records), len(st.idem.order)
}

// Operation runs a request's operation once the layer lets it through:
// the pipeline, validation and the handler (the server composes it). st is
// the tenant's state, for the idempotency store (RunIdempotent).
type Operation func(rc *pipeline.Request, st *State) error

// Identity is who a request says it comes from, read before the pipeline
// authenticates it: enough to find the tenant and the credential's budget.
type Identity struct {
	tenant *tenant.Tenant
	// caller is the credential, nil when it is missing or unknown (the
	// pipeline will answer 401).
	caller *wire.Caller
}

// key names the credential's budget: "<kind>:<id>:<user>", so a user's
// sessions share one; "" without a credential. Built only when a rate limit
// is on.
func (id Identity) key() string {
	if id.caller == nil {
		return ""
	}
	c := id.caller
	return c.Kind + ":" + c.ID + ":" + strconv.FormatInt(c.User, 10)
}

// identify finds the tenant and credential of a request without judging
// them, from the subject resolved once for the decision too. Token
// requests are attributed to their client, logins and server definitions
// to the user name in their body.
func identify(rc *pipeline.Request) Identity {
	sub := rc.Subject()
	if rc.Tenant == nil { // the credential names no tenant: the default tenant's
		rc.SetTenant(rc.Env().Tenants.DefaultTenant())
	}
	if sub.Cred.Found && len(rc.Route.Rule.Accepts) > 0 {
		// The subject lives as long as the request, as the identity does.
		return Identity{tenant: rc.Tenant, caller: &sub.Cred.Caller}
	}
	return Identity{tenant: rc.Tenant}
}

// Identify finds the tenant and credential of a request (the default
// tenant when its credential names none) and records the tenant in rc,
// before the layer runs: the server then finds the tenant's state.
func Identify(rc *pipeline.Request) Identity {
	id := identify(rc)
	rc.Tenant = id.tenant
	return id
}

// Run runs the resilience layer in front of op, for a request Identify
// attributed to id, whose tenant's state st is: the rate limit, then the
// tenant's fault plan, then the operation (unless a fault answered first).
func Run(rc *pipeline.Request, id Identity, st *State, op Operation) {

	// 1. Rate limit. Token requests and logins are not counted (the data
	// API's vendor does not count logins toward its quota either).
	if lim := rc.Settings.RateLimit; lim.Enabled() && id.caller != nil && len(rc.Route.Rule.Accepts) > 0 {
		use := st.limiter.take(id.key(), lim, rc.Env().Clock())
		if rc.Surface.RateLimitHeaders {
			h := rc.W.Header()
			h.Set("inin-ratelimit-count", strconv.Itoa(use.count))
			h.Set("inin-ratelimit-allowed", strconv.Itoa(lim.Requests))
			h.Set("inin-ratelimit-reset", strconv.Itoa(use.resetSeconds()))
		}
		if !use.allowed {
			rateLimited(rc, id, lim, use)
			return
		}
	}

	// 1b. The vendor's documented limit of the operation (the spec's
	// x-rate-limit), when the tenant applies vendor limits: per credential,
	// or shared by the whole tenant (per: organization).
	if vl := rc.Route.Op.RateLimit; vl != nil && rc.Settings.VendorRateLimits && id.caller != nil && len(rc.Route.Rule.Accepts) > 0 {
		lim := tenant.RateLimit{Requests: vl.Requests, Window: vl.Window}
		key := id.key()
		if vl.PerOrganization { // one budget for every credential of the tenant
			key = "organization"
		}
		use := st.vendor.get(vl.Group).take(key, lim, rc.Env().Clock())
		if !use.allowed {
			vendorRateLimited(rc, id, vl, use)
			return
		}
	}

	// 2. Faults.
	plan := st.faults.draw(id.tenant, string(rc.Route.Op.API), rc.Route.Op.ID)
	if plan.latency > 0 {
		rc.Fault = string(tenant.FaultLatency)
		if !sleepCtx(rc.WorkContext(), plan.latency) {
			rc.Decision.Outcome = wire.OutcomeDeny
			rc.Decision.Reason = "the client went away during injected latency"
			return // the client is gone; nothing to answer
		}
	}
	if plan.rule == nil {
		runOperationOnce(rc, st, op)
		return
	}
	rule := *plan.rule
	rc.Fault = string(rule.Kind)
	if rule.Kind != tenant.FaultTruncate && !rule.AfterWrite {
		injectBefore(rc, id, rule)
		return
	}
	// The handler runs first, into a buffer; the fault then replaces or
	// truncates its answer.
	real := rc.W
	buf := newBufferedWriter(real.Header().Clone())
	func() {
		rc.W = &pipeline.Recorder{ResponseWriter: buf}
		defer func() { rc.W = real }() // a panic is answered on the real writer
		runOperationOnce(rc, st, op)
	}()
	injectAfter(rc, rule, buf)
}

// runOperationOnce runs the operation, honouring an Idempotency-Key.
func runOperationOnce(rc *pipeline.Request, st *State, op Operation) {
	if err := op(rc, st); err != nil {
		rc.Fail(err)
	}
}

// bufferedWriter collects a response so that a fault can decide what the
// client gets of it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedWriter(h http.Header) *bufferedWriter {
	return &bufferedWriter{header: h}
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// copyTo sends the buffered response to w unchanged.
func (b *bufferedWriter) copyTo(w http.ResponseWriter) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
