package resilience

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// faultState runs a tenant's fault plan: one pseudo-random sequence seeded
// from the plan, and how often each rule has fired. Both start afresh when
// the plan is replaced (its version changes) or the tenant is reset (the
// reset replaces the faultState, State), so the same requests in the
// same order meet the same faults.
type faultState struct {
	mu      sync.Mutex
	version uint64
	started bool
	rules   []tenant.FaultRule
	fired   []int
	rng     *rand.Rand
}

// faultPlan is what the plan decided for one request.
type faultPlan struct {
	latency time.Duration
	rule    *tenant.FaultRule // nil: no failure
}

// draw decides the faults of one request of operation op of api.
func (f *faultState) draw(t *tenant.Tenant, api, op string) faultPlan {
	ver := t.FaultsVersion()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.started || f.version != ver {
		plan, v := t.Faults()
		f.version, f.started = v, true
		f.rules = plan.Rules
		f.fired = make([]int, len(plan.Rules))
		f.rng = rand.New(rand.NewPCG(uint64(plan.Seed), 0x74656e616e746b74))
	}
	var out faultPlan
	for i := range f.rules {
		r := &f.rules[i]
		if !r.Matches(api, op) || (r.Times > 0 && f.fired[i] >= r.Times) {
			continue
		}
		if f.rng.Float64() >= r.Probability {
			continue
		}
		f.fired[i]++
		if r.Kind == tenant.FaultLatency {
			out.latency += r.Latency
			continue
		}
		rule := *r
		out.rule = &rule
		break
	}
	return out
}

// sleepCtx waits d, or until ctx ends (false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// faultDecision fills the decision of a request that met a failure fault.
func faultDecision(rc *pipeline.Request, id *Identity, rule tenant.FaultRule, performed bool) {
	if id != nil && id.caller != nil {
		rc.Decision.Caller = id.caller
		rc.Decision.EffectiveUser = id.caller.User
	}
	if !performed {
		rc.Decision.Outcome = wire.OutcomeDeny
	}
	if rc.Decision.Outcome == "" {
		rc.Decision.Outcome = wire.OutcomeAllow
	}
	rc.Decision.Step = wire.StepFault
	rc.Decision.Code = wire.CodeInjectedFault
	if performed {
		rc.Decision.Reason = fmt.Sprintf("injected fault %s after the request was performed: its answer was replaced", rule.Kind)
		rc.Decision.Fix = "this failure is deliberate (the tenant's fault plan); the request took effect, so repeat it only with the same Idempotency-Key"
	} else {
		rc.Decision.Reason = fmt.Sprintf("injected fault %s: the request was not performed", rule.Kind)
		rc.Decision.Fix = "this failure is deliberate (the tenant's fault plan); the request had no effect and may be repeated"
	}
}

// injectBefore answers a request with a fault instead of serving it.
func injectBefore(rc *pipeline.Request, id Identity, rule tenant.FaultRule) {
	faultDecision(rc, &id, rule, false)
	if rule.Kind == tenant.FaultDrop {
		drop(rc)
		return
	}
	writeFault(rc, rule)
}

// injectAfter delivers the buffered answer of a request that was served,
// damaged by the fault: replaced by a failure, cut short, or dropped.
func injectAfter(rc *pipeline.Request, rule tenant.FaultRule, buf *bufferedWriter) {
	if rule.Kind != tenant.FaultTruncate && (buf.status < 200 || buf.status > 299) {
		// Refused or failed: nothing took effect, so no answer is lost; the
		// client gets the refusal, and its decision, as they are.
		rc.Fault = ""
		for k, v := range buf.header {
			rc.W.Header()[k] = v
		}
		buf.copyTo(rc.W)
		return
	}
	switch {
	case rule.Kind == tenant.FaultTruncate && buf.body.Len() > 0:
		for k, v := range buf.header {
			rc.W.Header()[k] = v
		}
		body := buf.body.Bytes()
		rc.W.Header().Set("Content-Length", strconv.Itoa(len(body)))
		rc.W.WriteHeader(buf.status)
		_, _ = rc.W.Write(body[:len(body)/2])
		drop(rc)
	case rule.Kind == tenant.FaultTruncate, rule.Kind == tenant.FaultDrop:
		drop(rc)
	default: // 500 or 503 after the write
		faultDecision(rc, nil, rule, true)
		writeFault(rc, rule)
	}
}

// writeFault writes a 500, 503 or 429 fault in the API's error shape.
func writeFault(rc *pipeline.Request, rule tenant.FaultRule) {
	h := rc.W.Header()
	switch rule.Kind {
	case tenant.Fault429:
		h.Set("Retry-After", strconv.Itoa(ceilSeconds(rule.RetryAfter, 0)))
		rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusTooManyRequests, Kind: pipeline.KindRateLimited,
			Msg: "Too many requests (injected fault)"})
	case tenant.Fault503:
		if rule.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(ceilSeconds(rule.RetryAfter, 0)))
		}
		rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusServiceUnavailable, Kind: pipeline.KindUnavailable,
			Msg: "The service is temporarily unavailable (injected fault)"})
	default:
		rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusInternalServerError, Kind: pipeline.KindInternal,
			Msg: "internal error (injected fault)"})
	}
}

// drop ends the connection without (the rest of) an answer: what the client
// has been sent is flushed, then the connection is hijacked and closed.
func drop(rc *pipeline.Request) {
	rc.RecordAudit()
	rc.Audited = true
	ctl := http.NewResponseController(rc.W.ResponseWriter)
	if rc.W.Wrote {
		_ = ctl.Flush()
	}
	conn, _, err := ctl.Hijack()
	if err != nil {
		rc.Env().Log.LogAttrs(rc.R.Context(), slog.LevelDebug, "cannot hijack to drop the connection; aborting the response",
			slog.Any("error", err))
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
