package mockserver

import (
	"log/slog"
	"time"

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
}

// WithFixture sets the default tenant's fixture (the embedded demo tenant,
// tenant.Demo(), when not given).
func WithFixture(f *tenant.Fixture) Option { return func(c *config) { c.fixture = f } }

// WithLogger sets the logger for request and error logs; nil discards them.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock used for token and session expiry, audit times
// and credential dates (time.Now by default). Tests use it to move time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithMaxBodyBytes limits request bodies (DefaultMaxBodyBytes by default);
// larger bodies are answered 400 in the surface's error shape.
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
