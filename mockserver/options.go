package mockserver

import (
	"log/slog"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/internal/resilience"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// DefaultMaxBodyBytes limits request bodies unless WithMaxBodyBytes says
// otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Option configures a Server.
type Option func(*config)

type config struct {
	fixture  *tenant.Fixture
	generate *tenant.GenerateFixture
	logger   *slog.Logger
	clock    func() time.Time
	maxBody  int64
	hosts    []string

	maxInFlight, maxInFlightBytes int64
	requestTimeout                time.Duration

	// apis are the APIs loaded from a spec and a policy; errs the options'
	// own failures (a file that cannot be read), reported by New.
	apis []APISource
	errs []error
	// fixtureData is a fixture's text, parsed by New once the loaded
	// APIs' resource types and scopes are known (WithFixtureData).
	fixtureData     []byte
	fixtureDataName string
}

// WithFixture sets the default tenant's fixture (the embedded demo tenant,
// tenant.Demo(), when not given).
func WithFixture(f *tenant.Fixture) Option { return func(c *config) { c.fixture = f } }

// WithFixtureData sets the default tenant's fixture from its text (YAML or
// JSON), parsed by New after the APIs loaded with WithAPI, so that the
// fixture may name their scopes, API keys and resource rows. name names
// the text in errors (a file name).
func WithFixtureData(name string, data []byte) Option {
	return func(c *config) { c.fixtureData, c.fixtureDataName = data, name }
}

// WithLogger sets the logger for request and error logs; nil discards them.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock used for token and session expiry, audit times
// and credential dates (time.Now by default). Tests use it to move time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithMaxBodyBytes limits request bodies (DefaultMaxBodyBytes by default);
// larger bodies are answered 413 in the surface's error shape.
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithAllowedHosts adds host names the server answers for, besides
// loopback addresses, localhost and names under .localhost, which it always
// answers for. A request naming any other Host is answered 421 (so a
// DNS-rebinding web page cannot reach the mock under its own name). Give
// names or IP addresses without a port ("mock", "10.0.0.5"), ".example.test"
// for a domain and every name under it, or "*" for any host (which turns
// the check off: only on a network no browser shares). New fails on an
// entry of another form.
func WithAllowedHosts(hosts ...string) Option {
	return func(c *config) { c.hosts = append(c.hosts, hosts...) }
}

// WithGeneratedRows adds count generated rows of typeName (Project when
// empty) to the default tenant, on top of its fixture's rows, for scale
// tests; seed picks the data. See tenant.GenerateFixture for their shape.
func WithGeneratedRows(typeName string, count int, seed uint64) Option {
	return func(c *config) { c.generate = &tenant.GenerateFixture{Type: typeName, Count: count, Seed: seed} }
}

// WithMaxInFlight bounds the vendor API requests served at once (requests,
// DefaultMaxInFlight by default) and the bytes of request bodies they hold
// (bodyBytes, DefaultMaxInFlightBytes by default; a body without a declared
// length counts as the body limit). A request beyond either bound is
// answered at once with 503 and Retry-After in the API's error shape,
// before its body is read. Zero keeps a default.
func WithMaxInFlight(requests int, bodyBytes int64) Option {
	return func(c *config) { c.maxInFlight, c.maxInFlightBytes = int64(requests), bodyBytes }
}

// WithRequestTimeout bounds the time a vendor API request may work,
// counted from when its long work starts (a query, injected latency, a
// wait for an earlier request with the same Idempotency-Key): once it has
// passed, the work stops and the request is answered 503. A
// server with an http.Server WriteTimeout should pass the same value, so
// no work outlives the connection's deadline. Zero (the default) sets no
// bound beyond the client's own: a client that hangs up always stops the
// work.
func WithRequestTimeout(d time.Duration) Option { return func(c *config) { c.requestTimeout = d } }

// IdempotencyKeyHeader marks a write the client may send more than once: the
// mock performs the first request with a given key and answers every repeat
// (same caller, same operation, same request) with the first answer.
const IdempotencyKeyHeader = resilience.IdempotencyKeyHeader

// IdempotentReplayedHeader is set on an answer repeated from an earlier
// request with the same Idempotency-Key.
const IdempotentReplayedHeader = resilience.IdempotentReplayedHeader

// Defaults of the in-flight bounds (WithMaxInFlight).
const (
	// DefaultMaxInFlight is how many vendor and admin API requests the server works
	// on at once.
	DefaultMaxInFlight = 256
	// DefaultMaxInFlightBytes is how many bytes of request bodies those
	// requests may hold at once: a decoded JSON body costs several times
	// its size, so this bounds the memory of a burst of large bodies.
	DefaultMaxInFlightBytes = 8 << 20
)
