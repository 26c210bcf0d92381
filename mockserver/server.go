package mockserver

import (
	"errors"
	"fmt"
	"github.com/tenantkit/tenantkit/mockserver/console"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/resilience"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// Server is the mock tenant server: an http.Handler serving the data,
// credentials and relationship APIs and the admin API (under /_mock/) on one
// host, for any number of in-memory tenants.
type Server struct {
	env         pipeline.Env // what the request path reads of the server
	hosts       hostPolicy
	hostAllowed atomic.Pointer[string] // the Host value checkHost allowed last

	inflight *resilience.InFlight
	// operation is runOperation, made once: the resilience layer runs it.
	operation resilience.Operation
	console   *console.Console

	// loadedSet is the APIs loaded from a spec and a policy and what they
	// add to what fixtures may name, replaced whole by LoadAPI (under
	// loadMu) while requests read it.
	loadedSet atomic.Pointer[apiSet]
	loadMu    sync.Mutex

	mu        sync.RWMutex
	tenants   map[string]*tenant.Tenant
	defaultID string
	seq       int
}

// CloseStreams ends the console's live streams (server-sent events), which
// stay open until their page goes: http.Server.Shutdown waits for them
// otherwise. cmd/mock registers it with RegisterOnShutdown.
func (s *Server) CloseStreams() { s.console.Close() }

// New builds a server whose default tenant is built from the configured
// fixture (the embedded demo tenant by default).
func New(opts ...Option) (*Server, error) {
	cfg := config{maxBody: DefaultMaxBodyBytes, clock: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.clock == nil {
		cfg.clock = time.Now
	}
	if cfg.maxBody <= 0 {
		cfg.maxBody = DefaultMaxBodyBytes
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	loaded, vocab, err := loadedAPIs(cfg.apis)
	if err != nil {
		return nil, err
	}
	if cfg.fixtureData != nil {
		if cfg.fixture, err = tenant.ParseWith(cfg.fixtureDataName, cfg.fixtureData, vocab); err != nil {
			return nil, err
		}
	}
	if cfg.fixture == nil {
		if cfg.fixture, err = demoWithSections(cfg.apis, vocab); err != nil {
			return nil, err
		}
	}
	if g := cfg.generate; g != nil {
		cfg.fixture = tenant.WithGenerated(cfg.fixture, g.Type, g.Count, g.Seed)
	}
	hosts, err := newHostPolicy(cfg.hosts)
	if err != nil {
		return nil, err
	}
	if cfg.maxInFlight <= 0 {
		cfg.maxInFlight = DefaultMaxInFlight
	}
	if cfg.maxInFlightBytes <= 0 {
		cfg.maxInFlightBytes = DefaultMaxInFlightBytes
	}
	s := &Server{hosts: hosts, tenants: map[string]*tenant.Tenant{},
		inflight: resilience.NewInFlight(cfg.maxInFlight, cfg.maxInFlightBytes)}
	s.loadedSet.Store(&apiSet{srcs: cfg.apis, loaded: loaded, vocab: vocab})
	s.operation = s.runOperation
	s.env = pipeline.Env{Log: cfg.logger, Clock: cfg.clock, MaxBody: cfg.maxBody, RequestTimeout: max(cfg.requestTimeout, 0),
		Tenants: (*tenantIndex)(s)}
	sp, err := loadSpecs(s)
	if err != nil {
		return nil, err
	}
	s.env.SetSpecs(sp)
	if s.console, err = console.New(s, pipeline.AdminPrefix); err != nil {
		return nil, err
	}
	if _, err := s.CreateTenant(cfg.fixture); err != nil {
		return nil, fmt.Errorf("mockserver: default tenant: %w", err)
	}
	return s, nil
}

// CreateTenant adds a tenant built from f. The first tenant of a server (the
// default tenant) keeps the fixture's credential identifiers verbatim; every
// later tenant's API key values, OAuth client ids and login user names get
// the suffix "@<tenantID>" (secrets and passwords are unchanged), so parallel
// tenants never share a credential. The tenant id is f.Tenant.ID when set,
// otherwise "t<n>".
func (s *Server) CreateTenant(f *tenant.Fixture) (*tenant.Tenant, error) {
	if f == nil {
		return nil, errors.New("mockserver: nil fixture")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := f.Tenant.ID
	if id == "" {
		for {
			s.seq++
			id = "t" + strconv.Itoa(s.seq)
			if _, taken := s.tenants[id]; !taken {
				break
			}
		}
	} else if _, taken := s.tenants[id]; taken || id == "default" && s.defaultID != "" {
		return nil, fmt.Errorf("mockserver: tenant %q already exists", id)
	}
	suffix := ""
	if s.defaultID != "" {
		suffix = "@" + id
	}
	t, err := tenant.New(f, tenant.Config{ID: id, CredentialSuffix: suffix, Clock: s.env.Clock, Extension: newTenantState, Vocabulary: s.apis().vocab})
	if err != nil {
		return nil, fmt.Errorf("mockserver: create tenant: %w", err)
	}
	s.tenants[id] = t
	if s.defaultID == "" {
		s.defaultID = id
	}
	return t, nil
}

// Tenant returns a tenant by id; "default" names the default tenant.
func (s *Server) Tenant(id string) (*tenant.Tenant, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id == "default" {
		id = s.defaultID
	}
	t, ok := s.tenants[id]
	return t, ok
}

// DefaultTenant returns the first tenant, built from the server's fixture.
func (s *Server) DefaultTenant() *tenant.Tenant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tenants[s.defaultID]
}

// Tenants returns every tenant, the default first, then by id.
func (s *Server) Tenants() []*tenant.Tenant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*tenant.Tenant, 0, len(s.tenants))
	for _, t := range s.tenants {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *tenant.Tenant) int {
		switch {
		case a.ID() == s.defaultID:
			return -1
		case b.ID() == s.defaultID:
			return 1
		}
		return strings.Compare(a.ID(), b.ID())
	})
	return out
}

// ResetTenant restores a tenant to its fixture, with the resilience layer's
// state: rate-limit budgets, the fault plan's position and the idempotency
// records start afresh, as a new tenant's.
func (s *Server) ResetTenant(id string) error {
	t, ok := s.Tenant(id)
	if !ok {
		return fmt.Errorf("mockserver: no tenant %q", id)
	}
	if err := t.Reset(); err != nil {
		return fmt.Errorf("mockserver: reset tenant %s: %w", id, err)
	}
	return nil
}

// DeleteTenant removes a tenant, and with it everything kept for it; the
// default tenant cannot be removed.
func (s *Server) DeleteTenant(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "default" || id == s.defaultID {
		return errors.New("mockserver: the default tenant cannot be deleted")
	}
	if _, ok := s.tenants[id]; !ok {
		return fmt.Errorf("mockserver: no tenant %q", id)
	}
	delete(s.tenants, id)
	return nil
}

// tenantForIdentifier finds the tenant of a credential identifier (API key
// value, client id, login name): the tenant named by an "@<tenantID>"
// suffix, else the default tenant.
func (s *Server) tenantForIdentifier(ident string) *tenant.Tenant {
	if i := strings.LastIndexByte(ident, '@'); i >= 0 {
		s.mu.RLock()
		t, ok := s.tenants[ident[i+1:]]
		s.mu.RUnlock()
		if ok {
			return t
		}
	}
	return s.DefaultTenant()
}

// tenantForSecret finds the tenant of a token or session id, which starts
// with "<tenantID>.".
func (s *Server) tenantForSecret(v string) (*tenant.Tenant, bool) {
	id, _, ok := strings.Cut(v, ".")
	if !ok {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tenants[id]
	return t, ok
}

// tenantIndex is the server's tenants as the request path looks them up.
type tenantIndex Server

func (ti *tenantIndex) DefaultTenant() *tenant.Tenant { return (*Server)(ti).DefaultTenant() }

func (ti *tenantIndex) ForIdentifier(ident string) *tenant.Tenant {
	return (*Server)(ti).tenantForIdentifier(ident)
}

func (ti *tenantIndex) ForSecret(v string) (*tenant.Tenant, bool) {
	return (*Server)(ti).tenantForSecret(v)
}

// AsUserHeader names the principal a request acts for, on the operations
// whose spec declares it (openapi.Operation.AsUser); elsewhere it is ignored.
const AsUserHeader = openapi.AsUserHeader
