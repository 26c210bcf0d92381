package mocktest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Server is a mock server started by Start for one test.
type Server struct {
	// URL is the base URL of every API: pass it to client.New, or use Client.
	URL string
	// Mock is the server itself, for what this package does not wrap.
	Mock *mockserver.Server

	t          testing.TB
	http       *http.Client // validates responses unless turned off
	clientOpts []client.Option
	// tokenURLs are the token endpoints of the APIs loaded with WithAPI
	// (paths, from their specs), by API name.
	tokenURLs map[string]string
}

// Option configures Start.
type Option func(*config)

type config struct {
	fixture     *tenant.Fixture
	fixtureFile string
	serverOpts  []mockserver.Option
	clientOpts  []client.Option
	clock       *Clock
	noValidate  bool
	rateLimit   *tenant.RateLimit
	faults      *tenant.Faults
	atEnd       []func(*Server) // run when the test ends, before the server closes
	apis        []apiOption
}

// apiOption is an API WithAPI names: its source, or the error reading it.
type apiOption struct {
	src mockserver.APISource
	err error
}

// WithAPI serves one more API from an OpenAPI spec and a policy file
// (docs/guides/any-openapi.md): name=specPath[,policyPath] as cmd/mock's
// --api takes it, relative to the test's directory, or the name of an API
// this module ships ("workiva", "flow"), whose demo users, grants and rows
// join the demo tenant. Responses of the API are checked against its spec
// like the built-in APIs'. A spec or policy that does not load fails the
// test, naming file, line and field.
func WithAPI(api string) Option {
	return func(c *config) {
		src, err := mockserver.ParseAPIFlag(api, ".")
		c.apis = append(c.apis, apiOption{src: src, err: err})
	}
}

// WithFixture builds the tenant from f instead of the demo tenant.
func WithFixture(f *tenant.Fixture) Option { return func(c *config) { c.fixture = f } }

// WithFixtureFile builds the tenant from a YAML fixture file (format:
// docs/fixtures.md). A file that does not load fails the test, naming the
// file, line and field.
func WithFixtureFile(path string) Option { return func(c *config) { c.fixtureFile = path } }

// WithClock runs the server on clock, so the test can expire tokens and
// sessions with Clock.Advance.
func WithClock(clock *Clock) Option { return func(c *config) { c.clock = clock } }

// WithServerOptions passes options to mockserver.New.
func WithServerOptions(opts ...mockserver.Option) Option {
	return func(c *config) { c.serverOpts = append(c.serverOpts, opts...) }
}

// WithClientOptions adds options to every client made by Server.Client
// (before the options given to Client itself).
func WithClientOptions(opts ...client.Option) Option {
	return func(c *config) { c.clientOpts = append(c.clientOpts, opts...) }
}

// WithGeneratedProjects adds n generated Projects to the tenant, on top of
// its fixture's rows, for tests at realistic sizes: realistic field values,
// owners drawn from every user, rows shared with overlapping groups (see
// tenant.GenerateFixture). The same seed makes the same rows.
func WithGeneratedProjects(n int, seed uint64) Option {
	return WithServerOptions(mockserver.WithGeneratedRows("Project", n, seed))
}

// WithoutResponseValidation stops checking responses against the specs.
func WithoutResponseValidation() Option { return func(c *config) { c.noValidate = true } }

// Start starts a mock server with one fresh tenant on a loopback listener
// and closes it when the test ends. It fails the test if the server cannot
// be built.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	var apis []mockserver.APISource
	for _, a := range cfg.apis {
		if a.err != nil {
			t.Fatalf("mocktest: %v", a.err)
		}
		apis = append(apis, a.src)
	}
	f := cfg.fixture
	if cfg.fixtureFile != "" {
		vocab, err := mockserver.Vocabulary(apis...)
		if err != nil {
			t.Fatalf("mocktest: %v", err)
		}
		b, err := os.ReadFile(cfg.fixtureFile)
		if err != nil {
			t.Fatalf("mocktest: %v", err)
		}
		if f, err = tenant.ParseWith(filepath.Base(cfg.fixtureFile), b, vocab); err != nil {
			t.Fatalf("mocktest: %v", err)
		}
	} else if f == nil && len(apis) > 0 {
		var err error
		if f, err = mockserver.DemoFixture(apis...); err != nil {
			t.Fatalf("mocktest: %v", err)
		}
	}
	// The rate limit and faults go into the fixture, so that Reset keeps
	// them.
	if cfg.rateLimit != nil || cfg.faults != nil {
		if f == nil {
			f = tenant.Demo()
		}
		if cfg.rateLimit != nil {
			f = tenant.WithRateLimit(f, *cfg.rateLimit)
		}
		if cfg.faults != nil {
			f = tenant.WithFaults(f, *cfg.faults)
		}
	}
	var serverOpts []mockserver.Option
	for _, a := range apis {
		serverOpts = append(serverOpts, mockserver.WithAPI(a))
	}
	if f != nil {
		serverOpts = append(serverOpts, mockserver.WithFixture(f))
	}
	if cfg.clock != nil {
		serverOpts = append(serverOpts, mockserver.WithClock(cfg.clock.Now))
	}
	mock, err := mockserver.New(append(serverOpts, cfg.serverOpts...)...)
	if err != nil {
		t.Fatalf("mocktest: %v", err)
	}
	ts := httptest.NewServer(mock)
	t.Cleanup(ts.Close)

	hc := ts.Client()
	if !cfg.noValidate {
		vt, err := newValidatingTransport(t, hc.Transport, apis)
		if err != nil {
			t.Fatalf("mocktest: %v", err)
		}
		hc = &http.Client{Transport: vt}
	}
	s := &Server{URL: ts.URL, Mock: mock, t: t, http: hc, clientOpts: cfg.clientOpts, tokenURLs: map[string]string{}}
	for _, a := range mock.LoadedAPIs() {
		if a.TokenURL != "" {
			s.tokenURLs[a.Name] = a.TokenURL
		}
	}
	for _, f := range cfg.atEnd {
		t.Cleanup(func() { f(s) })
	}
	return s
}

// Tenant returns the server's tenant.
func (s *Server) Tenant() *tenant.Tenant { return s.Mock.DefaultTenant() }

// HTTPClient returns an *http.Client for raw requests to URL; it validates
// responses as the SDK clients do.
func (s *Server) HTTPClient() *http.Client { return s.http }

// HTTPClientFor returns an *http.Client whose requests carry cred, for an
// API without a typed client (one loaded with WithAPI, named by api): an
// OAuth credential fetches its tokens from that API's token endpoint (its
// spec's client-credentials tokenUrl), through golang.org/x/oauth2 as
// package auth does; APIKey sends "Authorization: ApiKey <key>", Bearer
// "Authorization: Bearer <value>" (an API whose keys are bearer values).
// Responses are checked against the specs, like HTTPClient's. Read the
// mock's decision with client.DecisionOf.
func (s *Server) HTTPClientFor(api string, cred Credential) *http.Client {
	s.t.Helper()
	var p auth.Provider
	if cred.kind == credOAuth {
		path, ok := s.tokenURLs[api]
		if !ok {
			s.t.Fatalf("mocktest: API %s has no token endpoint (load it with WithAPI; its spec's oauth2 scheme names the tokenUrl)", api)
		}
		cfg := auth.ClientCredentialsConfig{TokenURL: strings.TrimSuffix(s.URL, "/") + path, ClientID: cred.id, ClientSecret: cred.secret,
			Style: auth.StyleBasic, HTTPClient: s.http, Scopes: cred.scopes}
		var err error
		if p, err = auth.NewClientCredentials(cfg); err != nil {
			s.t.Fatalf("mocktest: %s: %v", cred, err)
		}
	} else {
		p = s.provider(cred, client.CredentialsAPI)
	}
	return &http.Client{Transport: &authTransport{base: s.http.Transport, p: p}}
}

// authTransport sets a provider's credential on each request.
type authTransport struct {
	base http.RoundTripper
	p    auth.Provider // nil: no credential
}

func (at *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if at.p != nil {
		req = req.Clone(req.Context())
		if err := at.p.Apply(req); err != nil {
			return nil, err
		}
	}
	base := at.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// Client returns an SDK client for the tenant that authenticates with cred.
// Options given here come after those of WithClientOptions. It fails the
// test if the client cannot be built.
func (s *Server) Client(cred Credential, opts ...client.Option) *client.Client {
	s.t.Helper()
	all := []client.Option{client.WithHTTPClient(s.http)}
	if p := s.provider(cred, client.CredentialsAPI); p != nil {
		all = append(all, client.WithAuth(p))
	}
	if cred.kind == credOAuth {
		// Each API's token endpoint issues tokens for that API only.
		all = append(all, client.WithAuthFor(client.RelationshipAPI, s.provider(cred, client.RelationshipAPI)))
	}
	all = append(all, s.clientOpts...)
	c, err := client.New(s.URL, append(all, opts...)...)
	if err != nil {
		s.t.Fatalf("mocktest: client for %s: %v", cred, err)
	}
	return c
}

// provider turns a credential into the auth helper a user would build; an
// OAuth credential fetches its tokens from api's token endpoint (the
// credentials API's, or the relationship API's), each API accepting only its
// own tokens.
func (s *Server) provider(cred Credential, api client.API) auth.Provider {
	s.t.Helper()
	var (
		p   auth.Provider
		err error
	)
	switch cred.kind {
	case credNone:
		return nil
	case credAPIKey:
		p = auth.APIKey(cred.id)
	case credBearer:
		p = auth.Bearer(cred.id)
	case credLogin:
		p, err = auth.NewSession(s.URL, cred.id, cred.secret, auth.WithSessionHTTPClient(s.http))
	case credOAuth:
		cfg := auth.ClientCredentialsConfig{
			TokenURL: auth.CredentialsTokenURL(s.URL), ClientID: cred.id, ClientSecret: cred.secret,
			Style: auth.StyleBasic, HTTPClient: s.http,
		}
		if api == client.RelationshipAPI {
			cfg.TokenURL = auth.RelationshipTokenURL(s.URL)
		}
		if cred.narrowed { // the relationship API's style: form fields and scope
			cfg.Style, cfg.Scopes = auth.StyleForm, cred.scopes
		}
		p, err = auth.NewClientCredentials(cfg)
	}
	if err != nil {
		s.t.Fatalf("mocktest: %s: %v", cred, err)
	}
	return p
}

// Reset restores the tenant to its fixture: every change, token, session
// and audit entry is dropped.
func (s *Server) Reset() {
	s.t.Helper()
	if err := s.Tenant().Reset(); err != nil {
		s.t.Fatalf("mocktest: reset: %v", err)
	}
}

// Settings returns the tenant's settings.
func (s *Server) Settings() tenant.Settings { return s.Tenant().Settings() }

// UpdateSettings changes the tenant's settings, for example
//
//	srv.UpdateSettings(func(st *tenant.Settings) { st.APIDataAccess = tenant.DataAccessBypass })
//
// The next request sees the change. Invalid settings fail the test.
func (s *Server) UpdateSettings(change func(*tenant.Settings)) {
	s.t.Helper()
	if _, err := s.Tenant().UpdateSettings(change); err != nil {
		s.t.Fatalf("mocktest: settings: %v", err)
	}
}

// Audit returns the tenant's audit entries that match f, oldest first.
func (s *Server) Audit(f tenant.AuditFilter) []tenant.AuditEntry { return s.Tenant().Audit(f) }

// Clock is a settable clock for WithClock; it is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads start until advanced.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
