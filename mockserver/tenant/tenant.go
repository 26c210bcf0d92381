package tenant

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by tenant operations.
var (
	// ErrNotFound: no such entity, credential or user.
	ErrNotFound = errors.New("not found")
	// ErrHidden: the entity exists but the user may not see it. Callers
	// answer it as not found (404), never 403.
	ErrHidden = errors.New("hidden by row-level sharing")
	// ErrInvalidClient: unknown OAuth client or wrong secret.
	ErrInvalidClient = errors.New("invalid client")
)

// ValueError reports a bad value in a write, naming the field.
type ValueError struct {
	Field string
	Msg   string
}

// Error implements error.
func (e *ValueError) Error() string { return e.Field + ": " + e.Msg }

// ScopeError reports requested scopes that an OAuth client may not have.
type ScopeError struct {
	NotAllowed []string
}

// Error implements error.
func (e *ScopeError) Error() string {
	return "scope not allowed for this client: " + strings.Join(e.NotAllowed, " ")
}

// Config sets up a tenant.
type Config struct {
	// ID identifies the tenant (required).
	ID string
	// CredentialSuffix is appended to every credential identifier of the
	// fixture (API key values, OAuth client ids, login user names) so that
	// tenants in one process never share one. Empty keeps them verbatim.
	CredentialSuffix string
	// Clock returns the current time; time.Now when nil.
	Clock func() time.Time
	// Extension, when set, builds the state a server keeps with the tenant
	// (its rate-limit windows, fault-plan position, idempotency records):
	// New calls it once and every Reset calls it again, in the same step
	// that restores the fixture, so that state starts afresh with the
	// tenant and goes when the tenant goes. The tenant never looks inside
	// the value; Extension returns it.
	Extension func() any
	// Vocabulary is what the server's loaded APIs add to what the fixture
	// may name (nil: the built-in APIs alone); their resource types are
	// the tenant's resource tables.
	Vocabulary *Vocabulary
}

// Tenant is one in-memory tenant, safe for concurrent use. Its state is
// guarded by one RWMutex; the audit log has its own lock.
type Tenant struct {
	id      string
	suffix  string
	clock   func() time.Time
	fixture *Fixture
	newExt  func() any
	// ext is the value newExt built for the current generation; it is
	// replaced under mu by Reset and read without a lock.
	ext atomic.Pointer[extension]

	// mu guards everything below; writers take it with lock, which moves
	// version on.
	mu sync.RWMutex
	// version changes whenever the tenant may have changed (every write
	// lock): a cached answer made at one version holds while it lasts.
	version      atomic.Uint64
	results      resultCache // condition results by version (Query); its own lock
	name         string
	orgID        int64
	settings     Settings
	users        map[int64]*User
	logins       map[string]int64
	groups       map[string]*Group
	roles        map[string]*Role
	apiKeys      map[string]*APIKey
	clients      map[string]*OAuthClient
	tokens       map[string]*Token
	sessions     map[string]*Session
	tokenSweep   int // len(tokens) at which expired tokens are next dropped
	sessionSweep int // the same for sessions
	// sessionOrder holds session ids oldest first (ended ones until the
	// next compaction), for MaxTenantSessions; userSessions each user's,
	// for MaxSessionsPerUser, and userSessionsPruned its length when last
	// pruned.
	sessionOrder       []string
	userSessions       map[int64][]string
	userSessionsPruned map[int64]int
	proxies            map[int64][]int64
	types              map[string]*EntityType // by lower-case name
	typesExact         map[string]*EntityType // by declared name
	typeOrder          []string
	entryTypeIDs       map[int64]string
	tables             map[string]*table // by canonical type name
	groupOrder         []string
	credTypes          []*CredentialType
	creds              map[string]*Credential
	vocab              *Vocabulary
	resources          map[string]*resourceTable // by resource type name

	faults        Faults
	faultsVersion uint64 // changes with every SetFaults and Reset
	generation    uint64 // changes with every Reset

	auditMu   sync.Mutex
	audit     []AuditEntry // a ring of at most AuditCapacity entries
	auditHead int          // index of the oldest entry once the ring is full
	auditSeq  int64
	watchers  []*AuditWatch // under auditMu

	usageMu sync.Mutex
	usage   map[usageKey]*usageAgg
}

// New builds a tenant from a fixture, which it validates first.
func New(f *Fixture, cfg Config) (*Tenant, error) {
	if f == nil {
		return nil, errors.New("tenant: nil fixture")
	}
	if cfg.ID == "" {
		return nil, errors.New("tenant: Config.ID is required")
	}
	if err := f.ValidateWith(cfg.Vocabulary); err != nil {
		return nil, err
	}
	t := &Tenant{id: cfg.ID, suffix: cfg.CredentialSuffix, clock: cfg.Clock, fixture: f, newExt: cfg.Extension, vocab: cfg.Vocabulary}
	if t.clock == nil {
		t.clock = time.Now
	}
	if err := t.Reset(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tenant) now() time.Time { return t.clock() }

// ID returns the tenant id.
func (t *Tenant) ID() string { return t.id }

// Name returns the tenant's display name.
func (t *Tenant) Name() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.name
}

// OrganizationID returns the organisation id reported by the data API.
func (t *Tenant) OrganizationID() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.orgID
}

// CredentialSuffix returns the suffix appended to this tenant's credential
// identifiers ("" for the first tenant of a server).
func (t *Tenant) CredentialSuffix() string { return t.suffix }

// extension boxes the value of Config.Extension.
type extension struct{ v any }

// Extension returns the value Config.Extension built for the tenant's
// current generation (nil without Config.Extension). A Reset replaces it
// with a new one; a caller that got the value before the Reset keeps the
// old one, which no later request sees.
func (t *Tenant) Extension() any {
	if e := t.ext.Load(); e != nil {
		return e.v
	}
	return nil
}

// Fixture returns the fixture the tenant was built from. Do not change it.
func (t *Tenant) Fixture() *Fixture { return t.fixture }

// Reset restores the tenant to its fixture: every change, issued token,
// session and audit entry is dropped, and the state of Config.Extension is
// built anew, as for a new tenant.
func (t *Tenant) Reset() error {
	f := t.fixture
	settings, err := f.settings()
	if err != nil {
		return fmt.Errorf("tenant %s: %w", t.id, err)
	}
	faults, err := f.faults()
	if err != nil {
		return fmt.Errorf("tenant %s: %w", t.id, err)
	}
	now := t.now()
	t.lock()
	defer t.mu.Unlock()
	t.generation++
	if t.newExt != nil {
		t.ext.Store(&extension{v: t.newExt()})
	}
	t.faults = faults
	t.faultsVersion++
	t.name = f.Tenant.Name
	if t.name == "" {
		t.name = t.id
	}
	t.orgID = f.Tenant.OrganizationID
	t.settings = settings
	t.groups = map[string]*Group{}
	t.groupOrder = nil
	for i, g := range f.Groups {
		t.groups[g.Name] = &Group{ID: f.groupID(i), Name: g.Name, Description: g.Description}
		t.groupOrder = append(t.groupOrder, g.Name)
	}
	t.roles = map[string]*Role{}
	for _, r := range f.Roles {
		t.roles[r.Name] = &Role{Name: r.Name, Permissions: slices.Clone(r.Permissions), EntityTypes: slices.Clone(r.EntityTypes)}
	}
	t.users = map[int64]*User{}
	t.logins = map[string]int64{}
	for _, u := range f.Users {
		login := u.Email + t.suffix
		created, modified, _ := u.dates() // validated
		t.users[u.ID] = &User{ID: u.ID, Name: u.Name, Email: u.Email, Login: login, Password: u.Password,
			Groups: slices.Clone(u.Groups), Roles: slices.Clone(u.Roles), Profile: u.Profile,
			Active: u.Active == nil || *u.Active, Created: created, Modified: modified}
		t.logins[strings.ToLower(login)] = u.ID
	}
	t.apiKeys = map[string]*APIKey{}
	keysOf := map[string]int{} // a loaded API's keys are numbered from 1, in fixture order
	for _, k := range f.APIKeys {
		key := &APIKey{Name: k.Name, Key: k.Key + t.suffix, User: k.User, Revoked: k.Revoked, API: k.API}
		if k.API != "" {
			keysOf[k.API]++
			key.ID = strconv.Itoa(keysOf[k.API])
		}
		t.apiKeys[k.Key+t.suffix] = key
	}
	t.clients = map[string]*OAuthClient{}
	for _, c := range f.OAuthClients {
		id := c.ClientID + t.suffix
		t.clients[id] = &OAuthClient{ClientID: id, Secret: c.Secret, User: c.User, Scopes: slices.Clone(c.Scopes)}
	}
	t.tokens = map[string]*Token{}
	t.sessions = map[string]*Session{}
	t.sessionOrder, t.sessionSweep = nil, 0
	t.userSessions, t.userSessionsPruned = map[int64][]string{}, map[int64]int{}
	t.proxies = map[int64][]int64{}
	for _, p := range f.ProxyAssignments {
		t.proxies[p.ProxyUserID] = slices.Clone(p.UserIDs)
	}
	t.types = map[string]*EntityType{}
	t.typesExact = map[string]*EntityType{}
	t.typeOrder = nil
	t.entryTypeIDs = map[int64]string{}
	t.tables = map[string]*table{}
	declared := map[string]string{} // lower-case type name → declared name
	for _, et := range f.EntityTypes {
		declared[strings.ToLower(et.Name)] = et.Name
	}
	for _, et := range f.EntityTypes {
		def := &EntityType{Name: et.Name, EntryTypeID: et.EntryTypeID, Fields: map[string]FieldType{}}
		for name, ts := range et.Fields {
			ft, _ := parseFieldType(ts) // validated
			if ft.Kind == KindRef && ft.RefType != UserType {
				ft.RefType = declared[strings.ToLower(ft.RefType)] // ref:project names Project
			}
			def.Fields[name] = ft
		}
		def.Fields[OwnerField] = FieldType{Kind: KindRef, RefType: UserType}
		def.SingularName, def.PluralName = cmp.Or(et.SingularName, et.Name), cmp.Or(et.PluralName, et.Name)
		if et.EntryTypeID != 0 {
			def.Schema = schemaFields(def, et.FieldOptions)
		}
		// The system fields are not in the relationship API's schema: the
		// store keeps them, the data API reads them.
		def.Fields[CreatedOnField] = systemFieldType
		def.Fields[LastUpdatedOnField] = systemFieldType
		t.types[strings.ToLower(et.Name)] = def
		t.typesExact[et.Name] = def
		t.typeOrder = append(t.typeOrder, et.Name)
		if et.EntryTypeID != 0 {
			t.entryTypeIDs[et.EntryTypeID] = et.Name
		}
		t.tables[et.Name] = newTable(def)
	}
	// Rows go in by id, so that slot order is id order.
	ents := slices.Clone(f.Entities)
	slices.SortStableFunc(ents, func(a, b EntityFixture) int { return cmp.Compare(a.ID, b.ID) })
	for _, ef := range ents {
		def := t.types[strings.ToLower(ef.Type)]
		fields := make(map[string]any, len(ef.Fields))
		for name, v := range ef.Fields {
			if n, ok := systemName(name); ok {
				name = n
			}
			cv, _ := convertValue(def.Fields[name], v) // validated
			fields[name] = cv
		}
		if fields[CreatedOnField] == nil {
			fields[CreatedOnField] = cmp.Or[any](fields[LastUpdatedOnField], DefaultSystemTime.Unix())
		}
		if fields[LastUpdatedOnField] == nil {
			fields[LastUpdatedOnField] = fields[CreatedOnField]
		}
		t.tables[def.Name].insert(ef.ID, ef.Owner, fields, ef.SharedWithGroups, ef.SharedWithUsers)
	}
	if f.Generate != nil {
		if err := t.generate(f.Generate); err != nil {
			return fmt.Errorf("tenant %s: generate: %w", t.id, err)
		}
	}
	t.credTypes = nil
	for _, ct := range f.CredentialTypes {
		t.credTypes = append(t.credTypes, &CredentialType{Name: ct.Name, Fields: credFields(ct)})
	}
	t.creds = map[string]*Credential{}
	for _, c := range f.Credentials {
		created := now.UTC()
		if c.CreatedDate != "" {
			created, _ = time.Parse(time.RFC3339Nano, c.CreatedDate) // validated
			created = created.UTC()
		}
		fields := map[string]string{}
		for k, v := range c.Fields {
			fields[k] = v
		}
		t.creds[c.ID] = &Credential{ID: c.ID, Name: c.Name, Type: c.Type, Fields: fields, Created: created, Modified: created}
	}

	if err := t.resetResources(f); err != nil {
		return fmt.Errorf("tenant %s: %w", t.id, err)
	}

	t.auditMu.Lock()
	t.audit, t.auditHead = nil, 0
	t.auditMu.Unlock()
	t.usageMu.Lock()
	t.usage = nil
	t.usageMu.Unlock()
	return nil
}

// lock takes the tenant's write lock and moves its version on: whatever
// the holder changes, no answer cached at an earlier version is served
// again.
func (t *Tenant) lock() {
	t.mu.Lock()
	t.version.Add(1)
}

// Version identifies the tenant's state: it changes with every change to
// the tenant (entities, shares, memberships, settings, proxy assignments,
// credentials, a reset; also with issued tokens and sessions). Query
// reports the version its page was read at (PageInfo.Version): an answer
// built from that page holds for as long as Version returns the same.
func (t *Tenant) Version() uint64 { return t.version.Load() }
