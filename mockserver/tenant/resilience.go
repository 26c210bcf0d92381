package tenant

import (
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/openapi"
)

// RateLimit is a per-credential request budget: one credential (an API key,
// an OAuth client, a logged-in user's sessions) may make Requests requests
// per Window; the next one is answered 429 with Retry-After until the window
// ends. The zero value means no limit.
type RateLimit struct {
	// Requests per window; 0 means unlimited.
	Requests int
	// Window is the length of a budget window; DefaultRateLimitWindow when
	// zero.
	Window time.Duration
}

// DefaultRateLimitWindow is the window of a RateLimit that sets none: the
// credentials API's (Genesys Cloud) one minute.
const DefaultRateLimitWindow = time.Minute

// Enabled reports whether the limit restricts anything.
func (l RateLimit) Enabled() bool { return l.Requests > 0 }

// WindowOrDefault returns Window, or DefaultRateLimitWindow when it is zero.
func (l RateLimit) WindowOrDefault() time.Duration {
	if l.Window <= 0 {
		return DefaultRateLimitWindow
	}
	return l.Window
}

// MaxRateLimitRequests bounds RateLimit.Requests, as the admin API's spec
// does.
const MaxRateLimitRequests = 1_000_000_000

func (l RateLimit) validate() error {
	if l.Requests < 0 || l.Requests > MaxRateLimitRequests {
		return fmt.Errorf("rateLimit.requests: %d is not from 0 to %d", l.Requests, MaxRateLimitRequests)
	}
	if l.Window < 0 {
		return fmt.Errorf("rateLimit.window: %s is negative", l.Window)
	}
	return nil
}

// FaultKind is what an injected fault does to a request.
type FaultKind string

// Kinds of fault.
const (
	// Fault500 answers 500 in the API's error shape (Genesys
	// internal.server.error, Clarizen InternalError, problem internal_error).
	Fault500 FaultKind = "500"
	// Fault503 answers 503 (service.unavailable / ServiceUnavailable /
	// service_unavailable), with Retry-After when the rule sets RetryAfter.
	Fault503 FaultKind = "503"
	// Fault429 answers 429 (too.many.requests / RequestLimitExceeded /
	// too_many_requests) with Retry-After. It never runs the handler.
	Fault429 FaultKind = "429"
	// FaultLatency delays the request by the rule's Latency, then serves it.
	FaultLatency FaultKind = "latency"
	// FaultDrop closes the connection without an answer.
	FaultDrop FaultKind = "drop"
	// FaultTruncate serves the request, advertises the full Content-Length,
	// sends only part of the body and closes the connection. The handler
	// always runs, so a write is performed.
	FaultTruncate FaultKind = "truncate"
)

// FaultKinds lists every kind, in documentation order.
var FaultKinds = []FaultKind{Fault500, Fault503, Fault429, FaultLatency, FaultDrop, FaultTruncate}

// FaultRule injects one kind of fault into the operations it matches, with
// a probability.
//
// Faults fire before the request reaches the authorization pipeline and the
// handler, so a failed request changed nothing, except where AfterWrite (or
// the truncate kind) says the handler runs first: then the write is done and
// only its answer is lost, which is what an Idempotency-Key protects against.
type FaultRule struct {
	// Operations are patterns (path.Match syntax) matched against the
	// operationId ("entityQuery", "create*", "*") or "<api>.<operationId>"
	// ("data.*", "relationship.getToken"). Empty matches every operation.
	Operations []string
	// Kind is what the fault does.
	Kind FaultKind
	// Probability that a matching request gets the fault, in (0, 1].
	Probability float64
	// RetryAfter is the Retry-After sent with 429 (always sent; whole
	// seconds, rounded up) and 503 (sent when positive).
	RetryAfter time.Duration
	// Latency is the delay of a latency fault.
	Latency time.Duration
	// AfterWrite makes a 500, 503 or drop fault run the handler first: the
	// request takes effect and its answer is replaced by the failure. A
	// request that was refused (any answer but 2xx) is answered as it is.
	AfterWrite bool
	// Times limits how often the rule fires (0 = no limit); with
	// Probability 1 and Times 1 exactly the first matching request fails.
	Times int
}

// MaxFaultTimes bounds FaultRule.Times, as the admin API's spec does.
const MaxFaultTimes = 1_000_000_000

// Matches reports whether the rule applies to an operation of an API.
func (r FaultRule) Matches(api, operationID string) bool {
	if len(r.Operations) == 0 {
		return true
	}
	for _, p := range r.Operations {
		if ok, _ := path.Match(p, operationID); ok {
			return true
		}
		if ok, _ := path.Match(p, api+"."+operationID); ok {
			return true
		}
	}
	return false
}

// Faults is a tenant's fault-injection plan: rules tried in order for every
// request, drawing from a pseudo-random sequence seeded with Seed, so a run
// that sends the same requests in the same order gets the same faults.
// Latency rules add up; the first other rule that fires decides the fault.
type Faults struct {
	Seed  int64
	Rules []FaultRule
}

// Clone returns a deep copy.
func (f Faults) Clone() Faults {
	out := Faults{Seed: f.Seed, Rules: slices.Clone(f.Rules)}
	for i := range out.Rules {
		out.Rules[i].Operations = slices.Clone(out.Rules[i].Operations)
	}
	return out
}

// Validate reports the first bad rule, naming it as rules[i].field.
func (f Faults) Validate() error {
	for i, r := range f.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if !slices.Contains(FaultKinds, r.Kind) {
			return fmt.Errorf("%s.kind: %q is not one of %s", p, r.Kind, faultKindList())
		}
		if math.IsNaN(r.Probability) || r.Probability <= 0 || r.Probability > 1 {
			return fmt.Errorf("%s.probability: %v is not in (0, 1]", p, r.Probability)
		}
		for j, op := range r.Operations {
			if err := CheckOperationPattern(op); err != nil {
				return fmt.Errorf("%s.operations[%d]: %w", p, j, err)
			}
		}
		switch {
		case r.RetryAfter < 0:
			return fmt.Errorf("%s.retryAfter: %s is negative", p, r.RetryAfter)
		case r.Latency < 0:
			return fmt.Errorf("%s.latency: %s is negative", p, r.Latency)
		case r.Kind == FaultLatency && r.Latency == 0:
			return fmt.Errorf("%s.latency: a latency fault needs a positive latency", p)
		case r.Times < 0:
			return fmt.Errorf("%s.times: %d is negative", p, r.Times)
		case r.Times > MaxFaultTimes:
			return fmt.Errorf("%s.times: %d is more than %d", p, r.Times, MaxFaultTimes)
		case r.AfterWrite && r.Kind != Fault500 && r.Kind != Fault503 && r.Kind != FaultDrop:
			return fmt.Errorf("%s.afterWrite: only 500, 503 and drop faults can fire after the write", p)
		}
	}
	return nil
}

// loadedOperations are the operations of APIs a server of this process
// loaded from a spec and a policy ("<api>.<operationId>"), which fault
// rules may name too (RegisterOperations).
var (
	loadedMu         sync.RWMutex
	loadedOperations []string
)

// RegisterOperations adds the operations of a loaded API to those fault
// rules may name. A server calls it when it loads the API; the names stay
// known for the life of the process (a pattern names no operation only
// when no server of the process has it).
func RegisterOperations(api string, ids []string) {
	loadedMu.Lock()
	defer loadedMu.Unlock()
	for _, id := range ids {
		if n := api + "." + id; !slices.Contains(loadedOperations, n) {
			loadedOperations = append(loadedOperations, n)
		}
	}
}

// CheckOperationPattern reports whether p, an operation pattern of a fault
// rule, is valid and matches at least one operation of the vendor APIs: a
// typo would otherwise inject no fault while the test that relies on it
// passes.
func CheckOperationPattern(p string) error {
	if _, err := path.Match(p, ""); err != nil || strings.TrimSpace(p) == "" {
		return fmt.Errorf("%q is not an operation pattern (path.Match syntax, such as entityQuery, create* or relationship.*)", p)
	}
	names, err := openapi.VendorOperationNames()
	if err != nil {
		return err
	}
	loadedMu.RLock()
	names = append(names, loadedOperations...)
	loadedMu.RUnlock()
	var ids []string
	for _, n := range names {
		api, id, _ := strings.Cut(n, ".")
		if (FaultRule{Operations: []string{p}}).Matches(api, id) {
			return nil
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if strings.EqualFold(id, p) {
			return fmt.Errorf("%q matches no operation (names are case-sensitive: did you mean %s?)", p, id)
		}
	}
	return fmt.Errorf("%q matches no operation; the operations are %s (or <api>.<operation>, with api one of data, credentials, relationship or an API loaded from a spec and a policy)", p, strings.Join(ids, ", "))
}

func faultKindList() string {
	s := make([]string, len(FaultKinds))
	for i, k := range FaultKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Faults returns the tenant's fault plan and its version, which changes
// whenever the plan is replaced or the tenant is reset (so a server can
// restart the plan's random sequence and counters).
func (t *Tenant) Faults() (Faults, uint64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.faults.Clone(), t.faultsVersion
}

// FaultsVersion returns the version Faults would report, without copying
// the plan.
func (t *Tenant) FaultsVersion() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.faultsVersion
}

// SetFaults replaces the fault plan after validating it. An empty plan
// turns fault injection off.
func (t *Tenant) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("tenant %s: faults: %w", t.id, err)
	}
	t.lock()
	defer t.mu.Unlock()
	t.faults = f.Clone()
	t.faultsVersion++
	return nil
}

// Generation changes every time the tenant is reset, so that a value derived
// from the tenant (an encoded response) can tell it is out of date. State
// that must start afresh with a reset belongs in Config.Extension.
func (t *Tenant) Generation() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.generation
}

// ExpireFilter selects the credentials ExpireCredentials ends. The zero
// value selects every token and session.
type ExpireFilter struct {
	// ClientID limits it to one OAuth client's tokens (no sessions).
	ClientID string
	// User limits it to the sessions and tokens of one user.
	User int64
	// TokensOnly and SessionsOnly limit it to one kind.
	TokensOnly, SessionsOnly bool
}

// ExpireCredentials makes issued OAuth tokens and data-API sessions expire
// now, as if their lifetime had run out: the next request that sends one is
// answered 401 (credentials.expired, SessionTimeout, token_expired) and a
// client must fetch a new token or log in again. It returns how many tokens
// and sessions it expired.
func (t *Tenant) ExpireCredentials(f ExpireFilter) (tokens, sessions int, err error) {
	if f.TokensOnly && f.SessionsOnly {
		return 0, 0, errors.New("tokensOnly and sessionsOnly exclude each other")
	}
	now := t.now()
	t.lock()
	defer t.mu.Unlock()
	if f.User != 0 {
		if _, ok := t.users[f.User]; !ok {
			return 0, 0, fmt.Errorf("user: %d is not a user of this tenant", f.User)
		}
	}
	if f.ClientID != "" {
		if _, ok := t.clients[f.ClientID]; !ok {
			return 0, 0, fmt.Errorf("clientId: %q is not an OAuth client of this tenant", f.ClientID)
		}
	}
	if !f.SessionsOnly {
		for _, tok := range t.tokens {
			if (f.ClientID == "" || tok.ClientID == f.ClientID) && (f.User == 0 || tok.User == f.User) && now.Before(tok.ExpiresAt) {
				tok.ExpiresAt = now
				tokens++
			}
		}
	}
	if !f.TokensOnly && f.ClientID == "" {
		for _, s := range t.sessions {
			if (f.User == 0 || s.User == f.User) && now.Before(t.sessionExpiry(s)) {
				s.ExpiresAt = now
				s.EndReason = "expired on demand (the admin API's expire)"
				sessions++
			}
		}
	}
	return tokens, sessions, nil
}

// Faults converts and validates the fixture form of a plan; errors name the
// field (rules[1].latency).
func (ff FaultsFixture) Faults() (Faults, error) {
	out := Faults{Seed: ff.Seed}
	for i, r := range ff.Rules {
		rule := FaultRule{Operations: slices.Clone(r.Operations), Kind: FaultKind(r.Kind), Probability: r.Probability,
			AfterWrite: r.AfterWrite, Times: r.Times}
		for _, d := range []struct {
			name, v string
			to      *time.Duration
		}{{"retryAfter", r.RetryAfter, &rule.RetryAfter}, {"latency", r.Latency, &rule.Latency}} {
			if d.v == "" {
				continue
			}
			dur, err := time.ParseDuration(d.v)
			if err != nil {
				return out, fmt.Errorf("rules[%d].%s: %q is not a duration (like 1s)", i, d.name, d.v)
			}
			*d.to = dur
		}
		out.Rules = append(out.Rules, rule)
	}
	return out, out.Validate()
}

// Fixture returns the plan in fixture form (durations as Go duration
// strings), as the admin API shows it.
func (f Faults) Fixture() FaultsFixture {
	out := FaultsFixture{Seed: f.Seed, Rules: []FaultRuleFixture{}}
	for _, r := range f.Rules {
		fr := FaultRuleFixture{Operations: slices.Clone(r.Operations), Kind: string(r.Kind), Probability: r.Probability,
			AfterWrite: r.AfterWrite, Times: r.Times}
		if r.RetryAfter > 0 {
			fr.RetryAfter = r.RetryAfter.String()
		}
		if r.Latency > 0 {
			fr.Latency = r.Latency.String()
		}
		out.Rules = append(out.Rules, fr)
	}
	return out
}

// WithRateLimit returns a copy of f whose settings carry the rate limit rl,
// so the tenant keeps it across resets. The copy shares f's slices; do not
// change either afterwards.
func WithRateLimit(f *Fixture, rl RateLimit) *Fixture {
	c := *f
	c.Settings.RateLimit = &RateLimitFixture{Requests: rl.Requests}
	if rl.Window > 0 {
		c.Settings.RateLimit.Window = rl.Window.String()
	}
	return &c
}

// WithVendorRateLimits returns a copy of f whose settings apply the
// vendors' documented limits (on) or not, so the tenant keeps the choice
// across resets. The copy shares f's slices; do not change either
// afterwards.
func WithVendorRateLimits(f *Fixture, on bool) *Fixture {
	c := *f
	c.Settings.VendorRateLimits = on
	return &c
}

// WithFaults returns a copy of f with the fault plan, so the tenant keeps it
// across resets. The copy shares f's slices; do not change either
// afterwards.
func WithFaults(f *Fixture, plan Faults) *Fixture {
	c := *f
	ff := plan.Fixture()
	c.Faults = &ff
	return &c
}

// MixedFaults returns a plan under which a fraction rate of the requests to
// the operations matching ops (every operation when none) fail, spread over
// 503 (30%), 500 (25%), 429 (20%), dropped connections (15%) and truncated
// bodies (10%). 429 and 503 carry Retry-After: retryAfter. Rules are tried
// in order, so each one's probability is conditional on the earlier ones
// not firing, and together they fire for rate of the requests.
func MixedFaults(seed int64, rate float64, retryAfter time.Duration, ops ...string) Faults {
	f := Faults{Seed: seed}
	if rate <= 0 {
		return f
	}
	shares := []struct {
		kind  FaultKind
		share float64
	}{{Fault503, 0.3}, {Fault500, 0.25}, {Fault429, 0.2}, {FaultDrop, 0.15}, {FaultTruncate, 0.1}}
	left := 1.0
	for _, s := range shares {
		q := rate * s.share
		r := FaultRule{Operations: slices.Clone(ops), Kind: s.kind, Probability: min(q/left, 1)}
		if s.kind == Fault429 || s.kind == Fault503 {
			r.RetryAfter = retryAfter
		}
		f.Rules = append(f.Rules, r)
		left -= q
	}
	return f
}
