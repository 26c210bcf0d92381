package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

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
//     budget, 429 with Retry-After in the API's error shape;
//  2. faults (faults.go): the tenant's seeded fault plan may add latency,
//     answer 500/503/429, drop the connection, or, after the handler ran,
//     replace the answer with a failure or truncate its body.
//
// Refusals are answered in the API's own error shape, carry the decision
// header (step rate_limit or fault) and are recorded in the audit log.
// Writes may carry an Idempotency-Key, which the mock honours
// (idempotency.go): a repeated write with the same key and request is
// answered from the first one's response instead of being performed again.

// tenantState is what the resilience layer keeps per tenant. It lives with
// its tenant (tenant.Config.Extension): the tenant builds a new one with
// every reset, so a reset tenant's budgets, fault plan position and
// idempotency records start as a new tenant's, and it goes when the tenant
// is deleted.
type tenantState struct {
	limiter limiter
	faults  faultState
	idem    idempotencyStore
	// credTypes is the encoded listCredentialTypes body of one generation
	// of the tenant.
	credTypes atomic.Pointer[encodedBody]
	// pages are the encoded answers of the tenant's recent queries.
	pages pageCache
}

// newTenantState is the tenants' tenant.Config.Extension.
func newTenantState() any { return new(tenantState) }

// stateFor returns the layer's state of t's current generation. A tenant
// built without this server's Extension gets a state of its own, for one
// request.
func (s *Server) stateFor(t *tenant.Tenant) *tenantState {
	if st, ok := t.Extension().(*tenantState); ok {
		return st
	}
	return &tenantState{}
}

// identity is who a request says it comes from, read before the pipeline
// authenticates it: enough to find the tenant and the credential's budget.
type identity struct {
	tenant *tenant.Tenant
	// caller is the credential, nil when it is missing or unknown (the
	// pipeline will answer 401).
	caller *wire.Caller
}

// key names the credential's budget: "<kind>:<id>:<user>", so a user's
// sessions share one; "" without a credential. Built only when a rate limit
// is on.
func (id identity) key() string {
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
func (s *Server) identify(rc *pipeline.Request) identity {
	sub := rc.Subject()
	if rc.Tenant == nil { // the credential names no tenant: the default tenant's
		rc.SetTenant(s.DefaultTenant())
	}
	if sub.Cred.Found && len(rc.Route.Rule.Accepts) > 0 {
		c := sub.Cred.Caller
		return identity{tenant: rc.Tenant, caller: &c}
	}
	return identity{tenant: rc.Tenant}
}

// runResilient runs the resilience layer in front of runOperation: the rate
// limit, then the tenant's fault plan, then the operation (unless a fault
// answered first).
func (s *Server) runResilient(rc *pipeline.Request) {
	id := s.identify(rc)
	rc.Tenant = id.tenant
	st := s.stateFor(id.tenant)

	// 1. Rate limit. Token requests and logins are not counted (the data
	// API's vendor does not count logins toward its quota either).
	if lim := rc.Settings.RateLimit; lim.Enabled() && id.caller != nil && len(rc.Route.Rule.Accepts) > 0 {
		use := st.limiter.take(id.key(), lim, s.env.Clock())
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
		s.runOperationOnce(rc, st)
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
		s.runOperationOnce(rc, st)
	}()
	injectAfter(rc, rule, buf)
}

// runOperationOnce runs the operation, honouring an Idempotency-Key.
func (s *Server) runOperationOnce(rc *pipeline.Request, st *tenantState) {
	if err := s.runOperation(rc, st); err != nil {
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

// decodeJSON is a small helper for handlers of the layer's admin API.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	// The spec has validated the body: what is left is a value out of the
	// Go type's range. Name the field, not the Go type.
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: %s is out of range", te.Field, te.Value)
	}
	return err
}
