package tenant

import (
	"fmt"
	"time"
)

// APIDataAccess says whether API reads honour row-level sharing.
type APIDataAccess string

// Values of APIDataAccess.
const (
	// DataAccessEnforce: the API sees exactly what the UI shows the user.
	DataAccessEnforce APIDataAccess = "enforce"
	// DataAccessBypass: API reads ignore row-level sharing (object-type
	// access still applies), as some vendors do; updates and deletes
	// still follow it.
	DataAccessBypass APIDataAccess = "bypass"
)

// Enforcement says whether denials are enforced or only recorded.
type Enforcement string

// Values of Enforcement.
const (
	// EnforcementEnforce denies requests that fail a check.
	EnforcementEnforce Enforcement = "enforce"
	// EnforcementAudit allows them and records the denial (outcome
	// audit-deny). Authentication failures are always enforced.
	EnforcementAudit Enforcement = "audit"
)

// Settings are a tenant's behaviour switches.
type Settings struct {
	APIDataAccess APIDataAccess
	Enforcement   Enforcement
	// TokenLifetime overrides the lifetime of issued OAuth tokens; zero keeps
	// each vendor's default (86399 s for the credentials API, 900 s for the
	// relationship API).
	TokenLifetime time.Duration
	// SessionLifetime is the absolute lifetime of data-API sessions: a
	// session ends this long after its login however busy it is.
	SessionLifetime time.Duration
	// SessionIdleTimeout ends a data-API session that has not been used for
	// this long (the vendor's documented inactivity timeout); zero turns
	// it off. A fixture that sets none gets DefaultSessionIdleTimeout.
	SessionIdleTimeout time.Duration
	// MaxSessionsPerUser bounds the live data-API sessions of one user; a
	// login beyond it ends the user's oldest session. Zero means no limit
	// (the default). Either way a tenant keeps at most MaxTenantSessions.
	MaxSessionsPerUser int
	// RateLimit is the per-credential request budget (none by default).
	RateLimit RateLimit
	// VendorRateLimits applies the vendors' documented request limits that
	// the specs declare (x-rate-limit, such as the relationship API's
	// Schema APIs, 5 calls per second), per credential, besides RateLimit.
	// Off by default.
	VendorRateLimits bool
}

// DefaultSessionLifetime applies when a fixture sets none.
const DefaultSessionLifetime = 8 * time.Hour

// DefaultSessionIdleTimeout applies when a fixture sets no
// sessionIdleTimeout: the vendor's documented "Sessions automatically
// expire after a period of inactivity (currently this is configured to be
// 30 minutes)".
const DefaultSessionIdleTimeout = 30 * time.Minute

// MaxTenantSessions bounds the live data-API sessions of one tenant, so
// that logging in again and again cannot grow the mock's memory without
// bound: a login beyond it ends the tenant's oldest session. The admin
// API's spec states the same bound for maxSessionsPerUser.
const MaxTenantSessions = 100_000

// Validate reports a bad enum value or a negative lifetime.
func (s Settings) Validate() error {
	switch s.APIDataAccess {
	case DataAccessEnforce, DataAccessBypass:
	default:
		return fmt.Errorf("apiDataAccess: %q is not one of enforce, bypass", s.APIDataAccess)
	}
	switch s.Enforcement {
	case EnforcementEnforce, EnforcementAudit:
	default:
		return fmt.Errorf("enforcement: %q is not one of enforce, audit", s.Enforcement)
	}
	if s.TokenLifetime < 0 {
		return fmt.Errorf("tokenLifetime: %s is negative", s.TokenLifetime)
	}
	if s.SessionLifetime <= 0 {
		return fmt.Errorf("sessionLifetime: %s must be positive", s.SessionLifetime)
	}
	if s.SessionIdleTimeout < 0 {
		return fmt.Errorf("sessionIdleTimeout: %s is negative", s.SessionIdleTimeout)
	}
	if s.MaxSessionsPerUser < 0 || s.MaxSessionsPerUser > MaxTenantSessions {
		return fmt.Errorf("maxSessionsPerUser: %d is not from 0 to %d", s.MaxSessionsPerUser, MaxTenantSessions)
	}
	return s.RateLimit.validate()
}

// Settings returns the tenant's current settings.
func (t *Tenant) Settings() Settings {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.settings
}

// SetSettings replaces the settings after validating them.
func (t *Tenant) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("tenant %s: %w", t.id, err)
	}
	t.lock()
	defer t.mu.Unlock()
	t.settings = s
	return nil
}

// UpdateSettings applies change to a copy of the settings and stores the
// result when it is valid.
func (t *Tenant) UpdateSettings(change func(*Settings)) (Settings, error) {
	t.lock()
	defer t.mu.Unlock()
	s := t.settings
	change(&s)
	if err := s.Validate(); err != nil {
		return t.settings, fmt.Errorf("tenant %s: %w", t.id, err)
	}
	t.settings = s
	return s, nil
}
