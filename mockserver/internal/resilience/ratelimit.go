package resilience

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// maxRateWindows bounds how many credential windows a tenant keeps; ended
// windows are dropped first.
const maxRateWindows = 10000

// limiter counts requests per credential in fixed windows of the tenant's
// rate limit. Windows follow the server's clock, so a test with a settable
// clock moves them along with token expiry. A reset of the tenant replaces
// the limiter (State), so every budget starts full.
type limiter struct {
	mu      sync.Mutex
	limit   tenant.RateLimit
	windows map[string]*rateWindow
}

type rateWindow struct {
	start time.Time
	count int
}

// rateUse is one request's place in its credential's window.
type rateUse struct {
	allowed bool
	count   int           // requests in the window, this one included
	reset   time.Duration // until the window ends
}

// resetSeconds is the time until the window ends in whole seconds, rounded
// up (at least 1), as Retry-After and inin-ratelimit-reset carry it.
func (u rateUse) resetSeconds() int { return ceilSeconds(u.reset, 1) }

func ceilSeconds(d time.Duration, atLeast int) int {
	s := int(math.Ceil(d.Seconds()))
	return max(s, atLeast)
}

// take counts one request of the credential key against lim at now. The
// windows start afresh when the limit changes.
func (l *limiter) take(key string, lim tenant.RateLimit, now time.Time) rateUse {
	window := lim.WindowOrDefault()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil || l.limit != lim {
		l.windows, l.limit = map[string]*rateWindow{}, lim
	}
	w := l.windows[key]
	if w == nil || !now.Before(w.start.Add(window)) {
		if len(l.windows) >= maxRateWindows {
			for k, old := range l.windows {
				if !now.Before(old.start.Add(window)) {
					delete(l.windows, k)
				}
			}
		}
		w = &rateWindow{start: now}
		l.windows[key] = w
	}
	w.count++
	return rateUse{allowed: w.count <= lim.Requests, count: w.count, reset: w.start.Add(window).Sub(now)}
}

// vendorLimiters are the limiters of the vendors' documented limits, one
// per group of operations that share a budget (openapi.RateLimit.Group).
type vendorLimiters struct {
	mu sync.Mutex
	by map[string]*limiter
}

func (v *vendorLimiters) get(group string) *limiter {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.by == nil {
		v.by = map[string]*limiter{}
	}
	l := v.by[group]
	if l == nil {
		l = &limiter{}
		v.by[group] = l
	}
	return l
}

// vendorRateLimited answers a request over the vendor's documented limit
// of its operations: 429 with an integer Retry-After, the vendor's wording
// of the limit as the message.
func vendorRateLimited(rc *pipeline.Request, id Identity, vl *openapi.RateLimit, use rateUse) {
	secs := use.resetSeconds()
	who := denyRate(rc, id)
	if vl.PerOrganization {
		who = "the organization (every credential of the tenant together)"
	}
	rc.Decision.Reason = fmt.Sprintf("%s made %d requests to the %s operations within %s; the vendor allows %d (the spec's x-rate-limit, applied because the tenant sets vendorRateLimits)",
		who, use.count, vl.Group, vl.Window, vl.Requests)
	rc.Decision.Fix = fmt.Sprintf("wait %d s (Retry-After) and spread the calls out, or turn the tenant's settings.vendorRateLimits off", secs)
	rc.W.Header().Set("Retry-After", strconv.Itoa(secs))
	msg := vl.Message
	if msg == "" {
		msg = rateLimitMessage(rc.Surface, vl.Requests, ceilSeconds(vl.Window, 1))
	}
	rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusTooManyRequests, Kind: pipeline.KindRateLimited, Msg: msg})
}

// rateLimited answers a request over its credential's budget: 429 with
// Retry-After (the rest of the window) in the API's error shape.
func rateLimited(rc *pipeline.Request, id Identity, lim tenant.RateLimit, use rateUse) {
	secs := use.resetSeconds()
	window := ceilSeconds(lim.WindowOrDefault(), 1)
	who := denyRate(rc, id)
	rc.Decision.Reason = fmt.Sprintf("%s made %d requests in the current %d-second window; the tenant allows %d",
		who, use.count, window, lim.Requests)
	rc.Decision.Fix = fmt.Sprintf("wait %d s (Retry-After) or raise the tenant's rateLimit (settings.rateLimit.requests)", secs)
	rc.W.Header().Set("Retry-After", strconv.Itoa(secs))
	rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusTooManyRequests, Kind: pipeline.KindRateLimited,
		Msg: rateLimitMessage(rc.Surface, lim.Requests, window)})
}

// denyRate records a rate-limit refusal in rc's decision, with the caller
// id names, and says who the caller is for its reason.
func denyRate(rc *pipeline.Request, id Identity) string {
	who := "the credential"
	if c := id.caller; c != nil {
		who = decide.CallerName(c.Kind, c.ID, c.User)
		rc.Decision.Caller = c
		rc.Decision.EffectiveUser = c.User
	}
	rc.Decision.Outcome = wire.OutcomeDeny
	rc.Decision.Step = wire.StepRateLimit
	rc.Decision.Code = wire.CodeRateLimited
	return who
}

// rateLimitMessage words a 429 as each vendor does (the surface's
// wording: the data API's quota text, Genesys' "[max] requests for
// [window] seconds"), or plainly.
func rateLimitMessage(s *pipeline.Surface, requests, windowSecs int) string {
	if s.RateLimitMessage != nil {
		return s.RateLimitMessage(requests, windowSecs)
	}
	return fmt.Sprintf("Too many requests: at most %d requests per %d seconds", requests, windowSecs)
}
