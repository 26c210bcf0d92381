package tenant

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Fixture describes a whole tenant. The YAML format is documented in the
// package documentation and in docs/fixtures.md. JSON with the same keys is
// accepted too (JSON is read as YAML).
type Fixture struct {
	Tenant           TenantFixture           `yaml:"tenant" json:"tenant"`
	Settings         SettingsFixture         `yaml:"settings" json:"settings"`
	Groups           []GroupFixture          `yaml:"groups" json:"groups"`
	Roles            []RoleFixture           `yaml:"roles" json:"roles"`
	Users            []UserFixture           `yaml:"users" json:"users"`
	APIKeys          []APIKeyFixture         `yaml:"apiKeys" json:"apiKeys"`
	OAuthClients     []OAuthClientFixture    `yaml:"oauthClients" json:"oauthClients"`
	ProxyAssignments []ProxyFixture          `yaml:"proxyAssignments" json:"proxyAssignments"`
	EntityTypes      []EntityTypeFixture     `yaml:"entityTypes" json:"entityTypes"`
	Entities         []EntityFixture         `yaml:"entities" json:"entities"`
	CredentialTypes  []CredentialTypeFixture `yaml:"credentialTypes" json:"credentialTypes"`
	Credentials      []CredentialFixture     `yaml:"credentials" json:"credentials"`
	// Currencies are the currency codes the relationship API's schema
	// lists (GET /api/rest/v4/schema/currencies).
	Currencies []string       `yaml:"currencies" json:"currencies,omitempty"`
	Faults     *FaultsFixture `yaml:"faults" json:"faults,omitempty"`
	// Generate adds generated rows for scale tests (see GenerateFixture).
	Generate *GenerateFixture `yaml:"generate" json:"generate,omitempty"`
	// Resources are rows of the resource types of APIs loaded from a spec
	// and a policy (ResourceFixture).
	Resources []ResourceFixture `yaml:"resources" json:"resources,omitempty"`
	// APIs names APIs to load from a spec and a policy with the fixture
	// (cmd/mock reads it; a tenant created over the admin API loads none,
	// so a fixture there naming one the server does not serve is refused).
	APIs []APIRefFixture `yaml:"apis" json:"apis,omitempty"`

	// file names the source in error messages; set by Parse.
	file string
	// lines maps field paths (users[1].roles[0]) to source lines; set by Parse.
	lines map[string]int
}

// TenantFixture names the tenant.
type TenantFixture struct {
	// ID, when set, is the tenant id to use (lower-case letters, digits and
	// dashes); otherwise the server assigns one.
	ID             string `yaml:"id" json:"id,omitempty"`
	Name           string `yaml:"name" json:"name"`
	OrganizationID int64  `yaml:"organizationId" json:"organizationId,omitempty"`
}

// SettingsFixture holds the initial settings; durations are Go duration
// strings ("15m", "24h").
type SettingsFixture struct {
	APIDataAccess   string `yaml:"apiDataAccess" json:"apiDataAccess,omitempty"`
	Enforcement     string `yaml:"enforcement" json:"enforcement,omitempty"`
	TokenLifetime   string `yaml:"tokenLifetime" json:"tokenLifetime,omitempty"`
	SessionLifetime string `yaml:"sessionLifetime" json:"sessionLifetime,omitempty"`
	// SessionIdleTimeout ends a session unused for this long ("0" turns it
	// off); default DefaultSessionIdleTimeout.
	SessionIdleTimeout string `yaml:"sessionIdleTimeout" json:"sessionIdleTimeout,omitempty"`
	// MaxSessionsPerUser bounds a user's live sessions (a login beyond it
	// ends the oldest); 0 or absent means no limit.
	MaxSessionsPerUser int `yaml:"maxSessionsPerUser" json:"maxSessionsPerUser,omitempty"`
	// RateLimit is the per-credential request budget (none when absent).
	RateLimit *RateLimitFixture `yaml:"rateLimit" json:"rateLimit,omitempty"`
	// VendorRateLimits applies the vendors' documented limits (the specs'
	// x-rate-limit); default false.
	VendorRateLimits bool `yaml:"vendorRateLimits" json:"vendorRateLimits,omitempty"`
}

// RateLimitFixture is a per-credential budget: requests per window (a Go
// duration, default 1m).
type RateLimitFixture struct {
	Requests int    `yaml:"requests" json:"requests"`
	Window   string `yaml:"window" json:"window,omitempty"`
}

// FaultsFixture is the fault-injection plan: a seed and rules tried in order.
type FaultsFixture struct {
	Seed  int64              `yaml:"seed" json:"seed"`
	Rules []FaultRuleFixture `yaml:"rules" json:"rules"`
}

// FaultRuleFixture is one FaultRule; durations are Go duration strings.
type FaultRuleFixture struct {
	Operations  []string `yaml:"operations" json:"operations,omitempty"`
	Kind        string   `yaml:"kind" json:"kind"`
	Probability float64  `yaml:"probability" json:"probability"`
	RetryAfter  string   `yaml:"retryAfter" json:"retryAfter,omitempty"`
	Latency     string   `yaml:"latency" json:"latency,omitempty"`
	AfterWrite  bool     `yaml:"afterWrite" json:"afterWrite,omitempty"`
	Times       int      `yaml:"times" json:"times,omitempty"`
}

// GroupFixture is a group. ID is its numeric id (default: its position in
// the fixture's groups, from 1).
type GroupFixture struct {
	ID          int64  `yaml:"id" json:"id,omitempty"`
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
}

// RoleFixture is a role.
type RoleFixture struct {
	Name        string   `yaml:"name" json:"name"`
	Permissions []string `yaml:"permissions" json:"permissions"`
	EntityTypes []string `yaml:"entityTypes" json:"entityTypes"`
}

// UserFixture is a user; Email is also the login user name.
type UserFixture struct {
	ID       int64    `yaml:"id" json:"id"`
	Name     string   `yaml:"name" json:"name"`
	Email    string   `yaml:"email" json:"email"`
	Password string   `yaml:"password" json:"password,omitempty"`
	Groups   []string `yaml:"groups" json:"groups,omitempty"`
	Roles    []string `yaml:"roles" json:"roles,omitempty"`
	Profile  string   `yaml:"profile" json:"profile,omitempty"`
	// Active is false for a deactivated user (default true).
	Active *bool `yaml:"active" json:"active,omitempty"`
	// CreatedDate and ModifiedDate are when the user was created and last
	// changed: RFC 3339, or a date and time without zone (UTC), or a date
	// (default DefaultUserDate; ModifiedDate defaults to CreatedDate).
	CreatedDate  string `yaml:"createdDate" json:"createdDate,omitempty"`
	ModifiedDate string `yaml:"modifiedDate" json:"modifiedDate,omitempty"`
}

// DefaultUserDate is the creation date of a fixture user that sets none.
var DefaultUserDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// userDateLayouts are the layouts a fixture user's dates may take.
var userDateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

// ParseUserDate reads a fixture user's date (see UserFixture.CreatedDate);
// a value without zone is UTC.
func ParseUserDate(s string) (time.Time, error) {
	for _, l := range userDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date-time (like 2026-01-01T09:30:00Z, 2026-01-01T09:30:00 or 2026-01-01)", s)
}

// dates returns the user's creation and modification dates, defaults
// applied.
func (u UserFixture) dates() (created, modified time.Time, err error) {
	created, modified = DefaultUserDate, time.Time{}
	if u.CreatedDate != "" {
		if created, err = ParseUserDate(u.CreatedDate); err != nil {
			return created, modified, fmt.Errorf("createdDate: %w", err)
		}
	}
	modified = created
	if u.ModifiedDate != "" {
		if modified, err = ParseUserDate(u.ModifiedDate); err != nil {
			return created, modified, fmt.Errorf("modifiedDate: %w", err)
		}
	}
	return created, modified, nil
}

// APIKeyFixture is a data-API key.
type APIKeyFixture struct {
	Name    string `yaml:"name" json:"name"`
	Key     string `yaml:"key" json:"key"`
	User    int64  `yaml:"user" json:"user"`
	Revoked bool   `yaml:"revoked" json:"revoked,omitempty"`
	// API, when set, binds the key to one API loaded from a spec and a
	// policy (its name): only that API accepts it, and it accepts no
	// other key. Empty: a key of the built-in data API.
	API string `yaml:"api" json:"api,omitempty"`
}

// OAuthClientFixture is an OAuth client-credentials grant.
type OAuthClientFixture struct {
	ClientID string   `yaml:"clientId" json:"clientId"`
	Secret   string   `yaml:"secret" json:"secret"`
	User     int64    `yaml:"user" json:"user"`
	Scopes   []string `yaml:"scopes" json:"scopes"`
}

// APIRefFixture names an API loaded from a spec and a policy: a shipped
// API by name alone, or spec and policy files (relative to the fixture).
type APIRefFixture struct {
	Name   string `yaml:"name" json:"name"`
	Spec   string `yaml:"spec" json:"spec,omitempty"`
	Policy string `yaml:"policy" json:"policy,omitempty"`
}

// FixtureAPIs reads the apis section of a fixture's text alone (before the
// fixture can be checked against the APIs it names).
func FixtureAPIs(name string, data []byte) ([]APIRefFixture, error) {
	var f struct {
		APIs []APIRefFixture `yaml:"apis"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, &FixtureError{Errs: []*FieldError{{File: name, Line: yamlErrLine(err), Msg: "not valid YAML or JSON: " + err.Error()}}}
	}
	for i, a := range f.APIs {
		if a.Name == "" || a.Spec == "" && a.Policy != "" {
			return nil, &FixtureError{Errs: []*FieldError{{File: name, Field: at("apis", i), Msg: "an API is {name} (a shipped API) or {name, spec, policy}"}}}
		}
	}
	return f.APIs, nil
}

// ProxyFixture lets ProxyUserID act as each of UserIDs.
type ProxyFixture struct {
	ProxyUserID int64   `yaml:"proxyUserId" json:"proxyUserId"`
	UserIDs     []int64 `yaml:"userIds" json:"userIds"`
}

// EntityTypeFixture declares an entity type and its fields. Field types are
// string, number, bool, date or ref:<Type> (ref:User for users). The Owner
// reference field is implicit.
//
// SingularName, PluralName and FieldOptions describe the type as the
// relationship API's schema operations (DealCloud entry types and fields)
// show it; they apply to types with an EntryTypeID. The type's name is its
// api name.
type EntityTypeFixture struct {
	Name         string                         `yaml:"name" json:"name"`
	EntryTypeID  int64                          `yaml:"entryTypeId" json:"entryTypeId,omitempty"`
	SingularName string                         `yaml:"singularName" json:"singularName,omitempty"`
	PluralName   string                         `yaml:"pluralName" json:"pluralName,omitempty"`
	Fields       map[string]string              `yaml:"fields" json:"fields"`
	FieldOptions map[string]FieldOptionsFixture `yaml:"fieldOptions" json:"fieldOptions,omitempty"`
}

// FieldOptionsFixture is what the relationship API's schema says of one
// declared field besides its type: its numeric id (default: the entry
// type id × 1000 + the field's position by name), whether it is required,
// the type's key (name) field, multi-select (choice and reference fields),
// and for a string field the choice values that make it a choice field.
type FieldOptionsFixture struct {
	ID          int64    `yaml:"id" json:"id,omitempty"`
	Required    bool     `yaml:"required" json:"required,omitempty"`
	Key         bool     `yaml:"key" json:"key,omitempty"`
	MultiSelect bool     `yaml:"multiSelect" json:"multiSelect,omitempty"`
	Choices     []string `yaml:"choices" json:"choices,omitempty"`
}

// EntityFixture is one entity. Reference values are written {ref: /Type/n}.
type EntityFixture struct {
	Type             string         `yaml:"type" json:"type"`
	ID               int64          `yaml:"id" json:"id"`
	Owner            int64          `yaml:"owner" json:"owner"`
	SharedWithGroups []string       `yaml:"sharedWithGroups" json:"sharedWithGroups,omitempty"`
	SharedWithUsers  []int64        `yaml:"sharedWithUsers" json:"sharedWithUsers,omitempty"`
	Fields           map[string]any `yaml:"fields" json:"fields"`
}

// CredentialTypeFixture is a credential type; the field order is its
// displayOrder.
type CredentialTypeFixture struct {
	Name   string                   `yaml:"name" json:"name"`
	Fields []CredentialFieldFixture `yaml:"fields" json:"fields"`
}

// CredentialFieldFixture is one credential type field.
type CredentialFieldFixture struct {
	Name     string `yaml:"name" json:"name"`
	Title    string `yaml:"title" json:"title,omitempty"`
	Secret   bool   `yaml:"secret" json:"secret,omitempty"`
	Required bool   `yaml:"required" json:"required,omitempty"`
}

// CredentialFixture is an integration credential.
type CredentialFixture struct {
	ID          string            `yaml:"id" json:"id"`
	Name        string            `yaml:"name" json:"name"`
	Type        string            `yaml:"type" json:"type"`
	Fields      map[string]string `yaml:"fields" json:"fields"`
	CreatedDate string            `yaml:"createdDate" json:"createdDate,omitempty"`
}

// FieldError is one problem in a fixture, located by file, line and field
// path (users[1].roles[0]).
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error implements error.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("fixture")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// FixtureError lists every problem found in a fixture.
type FixtureError struct {
	Errs []*FieldError
}

// Error implements error.
func (e *FixtureError) Error() string {
	parts := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.As reach each *FieldError.
func (e *FixtureError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, fe := range e.Errs {
		out[i] = fe
	}
	return out
}

// LoadFile reads and validates a fixture file.
func LoadFile(path string) (*Fixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenant: read fixture: %w", err)
	}
	return Parse(filepath.Base(path), b)
}

// Parse reads and validates a fixture (YAML or JSON). name is used in error
// messages, which name file, line and field. The error is a *FixtureError.
func Parse(name string, data []byte) (*Fixture, error) { return ParseWith(name, data, nil) }

// ParseWith is Parse for a server that loads more APIs than the built-in
// ones: their scopes, names and resource types are known (Vocabulary).
func ParseWith(name string, data []byte, vocab *Vocabulary) (*Fixture, error) {
	f := &Fixture{}
	lines, errs := DecodeYAML(name, data, f, "the fixture is empty; it is a mapping (tenant:, users:, ...), see docs/fixtures.md",
		"a fixture is a mapping (tenant:, users:, ...)")
	if len(errs) > 0 {
		return nil, &FixtureError{Errs: errs}
	}
	f.file, f.lines = name, lines
	if err := f.ValidateWith(vocab); err != nil {
		return nil, err
	}
	return f, nil
}

// DecodeYAML decodes a YAML (or JSON) mapping into the struct into points
// at, refusing keys its yaml tags do not name and values of the wrong kind,
// each problem located by file (name), line and field path. It returns
// the line of every field path it saw. empty and notMapping are the
// messages for an empty document and one that is not a mapping.
func DecodeYAML(name string, data []byte, into any, empty, notMapping string) (map[string]int, []*FieldError) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []*FieldError{{File: name, Msg: empty}}
		}
		return nil, []*FieldError{{File: name, Line: yamlErrLine(err), Msg: "not valid YAML or JSON: " + err.Error()}}
	}
	lines := map[string]int{}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, []*FieldError{{File: name, Line: doc.Line, Msg: notMapping}}
	}
	var errs []*FieldError
	checkKeys(doc, reflect.TypeOf(into), "", lines, func(line int, field, msg string) {
		errs = append(errs, &FieldError{File: name, Line: line, Field: field, Msg: msg})
	})
	if len(errs) > 0 {
		return nil, errs
	}
	if err := doc.Decode(into); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				line := yamlErrLine(errors.New(m))
				msg := m
				if i := strings.Index(m, ": "); i >= 0 && strings.HasPrefix(m, "line ") {
					msg = m[i+2:]
				}
				errs = append(errs, &FieldError{File: name, Line: line, Field: fieldAtLine(lines, line), Msg: msg})
			}
			return nil, errs
		}
		return nil, []*FieldError{{File: name, Msg: err.Error()}}
	}
	return lines, nil
}

// Name returns the file name the fixture was parsed from, if any.
func (f *Fixture) Name() string { return f.file }

// yamlErrLine digs "line N" out of a yaml.v3 error message.
func yamlErrLine(err error) int {
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range s[i+5:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// fieldAtLine finds the deepest field path recorded at a line.
func fieldAtLine(lines map[string]int, line int) string {
	best := ""
	for p, l := range lines {
		if l == line && len(p) > len(best) {
			best = p
		}
	}
	return best
}
