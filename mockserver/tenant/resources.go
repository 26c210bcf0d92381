package tenant

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Vocabulary is what the APIs a server loads from a spec and a policy
// (beyond its built-in ones) add to what a fixture may name: their OAuth
// scopes, their names (an API key's api) and their resource types. A
// fixture is checked against the server's vocabulary (ParseWith,
// Config.Vocabulary); nil is the built-in APIs' alone.
type Vocabulary struct {
	Scopes    []string
	APIs      []string
	Resources map[string]ResourceType // by type name
}

// ResourceType is a resource type of a loaded API: its rows are JSON
// objects, stored as they are, with an id in the spec's format and the
// tenant's row-level sharing.
type ResourceType struct {
	API string
	// IDField is the body field that holds a row's id.
	IDField string
	// IDFormat is how ids are made: IDUUID, IDInteger or IDString.
	IDFormat string
	// OwnerField, when set, is the body field that holds the owner's user
	// id (set on create to the creating user).
	OwnerField string
}

// Id formats of resource types, from the id's schema in the spec.
const (
	IDUUID    = "uuid"    // type: string, format: uuid
	IDInteger = "integer" // type: integer: 1, 2, 3, ...
	IDString  = "string"  // any other string: 16 random hex digits
)

func (v *Vocabulary) hasScope(s string) bool { return v != nil && slices.Contains(v.Scopes, s) }

func (v *Vocabulary) hasAPI(name string) bool { return v != nil && slices.Contains(v.APIs, name) }

func (v *Vocabulary) resource(name string) (ResourceType, bool) {
	if v == nil {
		return ResourceType{}, false
	}
	rt, ok := v.Resources[name]
	return rt, ok
}

// ResourceFixture is one row of a loaded API's resource type. Fields is the
// row as the API's schema has it, without its id (ID, or generated in the
// type's format). SharedWith* give view rights, EditableBy* edit rights.
type ResourceFixture struct {
	Type             string         `yaml:"type" json:"type"`
	ID               any            `yaml:"id" json:"id,omitempty"`
	Owner            int64          `yaml:"owner" json:"owner"`
	SharedWithGroups []string       `yaml:"sharedWithGroups" json:"sharedWithGroups,omitempty"`
	SharedWithUsers  []int64        `yaml:"sharedWithUsers" json:"sharedWithUsers,omitempty"`
	EditableByGroups []string       `yaml:"editableByGroups" json:"editableByGroups,omitempty"`
	EditableByUsers  []int64        `yaml:"editableByUsers" json:"editableByUsers,omitempty"`
	Fields           map[string]any `yaml:"fields" json:"fields"`
}

// Resource is one row of a loaded API's resource type: its id (as the
// API's spec formats it, rendered as text), owner, view and edit rights and
// its JSON body (without the id).
type Resource struct {
	Type         string
	ID           string
	Owner        int64
	SharedGroups []string
	SharedUsers  []int64
	EditGroups   []string
	EditUsers    []int64
	Fields       map[string]any
	integerID    int64 // the id as a number, for IDInteger types
	// encoded is Body as JSON, made when the row is stored or changed and
	// never changed after: lists and reads answer it as it is.
	encoded []byte
}

func (r *Resource) clone() Resource {
	c := *r
	c.Fields = cloneJSON(r.Fields).(map[string]any)
	c.SharedGroups, c.SharedUsers = slices.Clone(r.SharedGroups), slices.Clone(r.SharedUsers)
	c.EditGroups, c.EditUsers = slices.Clone(r.EditGroups), slices.Clone(r.EditUsers)
	return c
}

// JSON is Body as JSON text, made when the row was stored or last
// changed; the caller must not change it.
func (r *Resource) JSON() []byte { return r.encoded }

// encode makes the row's JSON (Body): JSON values alone are stored, so it
// cannot fail.
func (r *Resource) encode(rt ResourceType) {
	r.encoded, _ = json.Marshal(r.Body(rt))
}

// Body is the row as its API answers it: its fields, its id in the id
// field (a number for integer ids) and, when the type names one, its
// owner in the owner field.
func (r *Resource) Body(rt ResourceType) map[string]any {
	out := make(map[string]any, len(r.Fields)+2)
	maps.Copy(out, cloneJSON(r.Fields).(map[string]any))
	if rt.IDFormat == IDInteger {
		out[rt.IDField] = r.integerID
	} else {
		out[rt.IDField] = r.ID
	}
	if rt.OwnerField != "" {
		out[rt.OwnerField] = r.Owner
	}
	return out
}

// CloneJSON is a deep copy of a JSON value (objects, arrays, scalars).
func CloneJSON(v any) any { return cloneJSON(v) }

func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneJSON(e)
		}
		return s
	}
	return v
}

// resourceTable holds the rows of one resource type, by id.
type resourceTable struct {
	rt   ResourceType
	rows map[string]*Resource
	// order holds the rows in insertion order, for lists.
	order   []*Resource
	nextInt int64
}

// RowAccess says how a read of a resource type applies row-level sharing:
// RowsEnforce holds only rows the effective user sees in the UI (unless the
// tenant's apiDataAccess is bypass); RowsBypass ignores view rights by the
// API's design.
type RowAccess string

const (
	RowsEnforce RowAccess = "enforce"
	RowsBypass  RowAccess = "bypass"
)

// resetResources rebuilds the resource tables from the fixture. The
// caller holds t.mu.
func (t *Tenant) resetResources(f *Fixture) error {
	t.resources = map[string]*resourceTable{}
	if t.vocab != nil {
		for _, name := range slices.Sorted(maps.Keys(t.vocab.Resources)) {
			t.resources[name] = &resourceTable{rt: t.vocab.Resources[name], rows: map[string]*Resource{}, nextInt: 1}
		}
	}
	for i, rf := range f.Resources {
		tb := t.resources[rf.Type]
		if tb == nil {
			return fmt.Errorf("resources[%d]: unknown resource type %q", i, rf.Type) // validated
		}
		id, n, err := tb.fixtureID(rf.ID)
		if err != nil {
			return fmt.Errorf("resources[%d].id: %w", i, err)
		}
		if id == "" {
			id, n = tb.newID()
		}
		fields, _ := cloneJSON(normaliseYAML(rf.Fields)).(map[string]any)
		if fields == nil {
			fields = map[string]any{}
		}
		delete(fields, tb.rt.IDField)
		tb.insert(&Resource{Type: rf.Type, ID: id, integerID: n, Owner: rf.Owner,
			SharedGroups: slices.Clone(rf.SharedWithGroups), SharedUsers: slices.Clone(rf.SharedWithUsers),
			EditGroups: slices.Clone(rf.EditableByGroups), EditUsers: slices.Clone(rf.EditableByUsers), Fields: fields})
	}
	return nil
}

// normaliseYAML makes YAML-decoded values JSON-shaped: whole numbers as
// float64, map keys as strings.
func normaliseYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normaliseYAML(e)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normaliseYAML(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = normaliseYAML(e)
		}
		return s
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return v
}

// fixtureID reads a fixture row's id in the type's format ("" when none).
func (tb *resourceTable) fixtureID(v any) (string, int64, error) {
	if v == nil {
		return "", 0, nil
	}
	if tb.rt.IDFormat == IDInteger {
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int64:
			n = x
		case float64:
			n = int64(x)
			if float64(n) != x {
				n = 0
			}
		}
		if n <= 0 {
			return "", 0, fmt.Errorf("%v is not a positive whole number (the type's ids are integers)", v)
		}
		return strconv.FormatInt(n, 10), n, nil
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", 0, fmt.Errorf("%v is not a string id", v)
	}
	return s, 0, nil
}

// newID makes an id in the type's format, unused in the table.
func (tb *resourceTable) newID() (string, int64) {
	switch tb.rt.IDFormat {
	case IDInteger:
		for tb.rows[strconv.FormatInt(tb.nextInt, 10)] != nil {
			tb.nextInt++
		}
		n := tb.nextInt
		tb.nextInt++
		return strconv.FormatInt(n, 10), n
	case IDUUID:
		var b [16]byte
		_, _ = rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b[:])
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], 0
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]), 0
}

func (tb *resourceTable) insert(r *Resource) {
	if tb.rt.IDFormat == IDInteger {
		r.integerID, _ = strconv.ParseInt(r.ID, 10, 64)
		if r.integerID >= tb.nextInt {
			tb.nextInt = r.integerID + 1
		}
	}
	r.encode(tb.rt)
	tb.rows[r.ID] = r
	tb.order = append(tb.order, r)
}

// ResourceTypeOf reports the resource type named name.
func (t *Tenant) ResourceTypeOf(name string) (ResourceType, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tb := t.resources[name]
	if tb == nil {
		return ResourceType{}, false
	}
	return tb.rt, true
}

// resourceBasis applies row-level sharing, the UI's rule, to one resource
// row (as sharing does to an entity). The caller holds t.mu.
func (t *Tenant) resourceBasis(r *Resource, user int64) shareBasis {
	switch {
	case r.Owner == user:
		return sharedOwner
	case t.seesAll(user):
		return sharedAdmin
	case slices.Contains(r.SharedUsers, user):
		return sharedToUser
	}
	if u, ok := t.users[user]; ok {
		for _, g := range u.Groups {
			if slices.Contains(r.SharedGroups, g) {
				return sharedToGroup
			}
		}
	}
	return notShared
}

// resourceVisible: the row is read through an API for user, under rows
// and the tenant's apiDataAccess. The caller holds t.mu.
func (t *Tenant) resourceVisible(r *Resource, user int64, rows RowAccess) bool {
	return rows == RowsBypass || t.settings.APIDataAccess == DataAccessBypass || t.resourceBasis(r, user) != notShared
}

// CanEditResource reports whether user holds edit rights on a row: the
// owner, an Admin (permission `*`), or a user or group member it is
// editable by.
func (t *Tenant) CanEditResource(r Resource, user int64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if r.Owner == user || t.seesAll(user) || slices.Contains(r.EditUsers, user) {
		return true
	}
	if u, ok := t.users[user]; ok {
		for _, g := range u.Groups {
			if slices.Contains(r.EditGroups, g) {
				return true
			}
		}
	}
	return false
}

// ResourcePage is one page of a resource list: each row's JSON (Resource.
// JSON; the caller must not change them), and how many rows the reader may
// see in all.
type ResourcePage struct {
	Rows  []json.RawMessage
	Total int
}

// ListResources returns the rows of a resource type user reads under rows,
// in insertion order, from offset, at most limit of them (limit < 0: all),
// and the total the reader may see.
func (t *Tenant) ListResources(typeName string, user int64, rows RowAccess, offset, limit int) (ResourcePage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tb := t.resources[typeName]
	if tb == nil {
		return ResourcePage{}, fmt.Errorf("resource type %q: %w", typeName, ErrNotFound)
	}
	offset = max(offset, 0)
	var page ResourcePage
	for _, r := range tb.order {
		if !t.resourceVisible(r, user, rows) {
			continue
		}
		if page.Total >= offset && (limit < 0 || len(page.Rows) < limit) {
			page.Rows = append(page.Rows, r.encoded)
		}
		page.Total++
	}
	return page, nil
}

// GetResource returns one row user reads under rows; a row hidden from
// the user is ErrHidden (answered exactly like a missing one, ErrNotFound).
func (t *Tenant) GetResource(typeName, id string, user int64, rows RowAccess) (Resource, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, err := t.resourceRow(typeName, id, user, rows)
	if err != nil {
		return Resource{}, err
	}
	return r.clone(), nil
}

func (t *Tenant) resourceRow(typeName, id string, user int64, rows RowAccess) (*Resource, error) {
	tb := t.resources[typeName]
	if tb == nil {
		return nil, fmt.Errorf("resource type %q: %w", typeName, ErrNotFound)
	}
	r := tb.rows[id]
	switch {
	case r == nil:
		return nil, fmt.Errorf("%s %s: %w", typeName, id, ErrNotFound)
	case !t.resourceVisible(r, user, rows):
		return nil, fmt.Errorf("%s %s: %w", typeName, id, ErrHidden)
	}
	return r, nil
}

// CreateResource stores a new row owned by owner, with an id made in the
// type's format (a body's own id is replaced).
func (t *Tenant) CreateResource(typeName string, owner int64, fields map[string]any) (Resource, error) {
	t.lock()
	defer t.mu.Unlock()
	tb := t.resources[typeName]
	if tb == nil {
		return Resource{}, fmt.Errorf("resource type %q: %w", typeName, ErrNotFound)
	}
	fields, _ = cloneJSON(fields).(map[string]any)
	if fields == nil {
		fields = map[string]any{}
	}
	delete(fields, tb.rt.IDField)
	if tb.rt.OwnerField != "" {
		delete(fields, tb.rt.OwnerField)
	}
	id, _ := tb.newID()
	r := &Resource{Type: typeName, ID: id, Owner: owner, Fields: fields}
	tb.insert(r)
	return r.clone(), nil
}

// UpdateResource changes a row user reads under rows: update gets a copy
// of the row's fields (without its id and owner fields) and changes it in
// place; its error leaves the row as it was. A hidden row is ErrHidden.
func (t *Tenant) UpdateResource(typeName, id string, user int64, rows RowAccess, update func(fields map[string]any) error) (Resource, error) {
	t.lock()
	defer t.mu.Unlock()
	r, err := t.resourceRow(typeName, id, user, rows)
	if err != nil {
		return Resource{}, err
	}
	rt := t.resources[typeName].rt
	fields := cloneJSON(r.Fields).(map[string]any)
	if err := update(fields); err != nil {
		return Resource{}, err
	}
	delete(fields, rt.IDField)
	if rt.OwnerField != "" {
		delete(fields, rt.OwnerField)
	}
	r.Fields = fields
	r.encode(rt)
	return r.clone(), nil
}

// DeleteResource removes a row user reads under rows; a hidden row is
// ErrHidden.
func (t *Tenant) DeleteResource(typeName, id string, user int64, rows RowAccess) error {
	t.lock()
	defer t.mu.Unlock()
	if _, err := t.resourceRow(typeName, id, user, rows); err != nil {
		return err
	}
	tb := t.resources[typeName]
	r := tb.rows[id]
	delete(tb.rows, id)
	tb.order = slices.DeleteFunc(tb.order, func(o *Resource) bool { return o == r })
	return nil
}

// ResourceRowViews is RowViews for a resource type: for every row, whether
// the user sees it in the UI and through an API reading it under rows, and
// why, in insertion order. nameField names the body field shown as the
// row's name.
func (t *Tenant) ResourceRowViews(typeName string, user int64, rows RowAccess, nameField string) ([]RowView, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tb := t.resources[typeName]
	if tb == nil {
		return nil, fmt.Errorf("resource type %q: %w", typeName, ErrNotFound)
	}
	var groups []string
	if u, ok := t.users[user]; ok {
		groups = u.Groups
	}
	out := make([]RowView, 0, len(tb.order))
	for _, r := range tb.order {
		basis := t.resourceBasis(r, user)
		name, _ := r.Fields[nameField].(string)
		e := Entity{Type: typeName, Owner: r.Owner, SharedGroups: r.SharedGroups, SharedUsers: r.SharedUsers}
		out = append(out, RowView{ID: r.ID, Ref: Ref{Type: typeName}, Name: name, UI: basis != notShared,
			API: t.resourceVisible(r, user, rows), Why: shareWhy(basis, user, groups, &e)})
	}
	return out, nil
}

// validateResources checks the fixture's resource rows against the
// vocabulary's types.
func (v *validator) validateResources(vocab *Vocabulary, users map[int64]bool, groups map[string]bool) {
	seen := map[string]bool{}
	for i, r := range v.f.Resources {
		p := at("resources", i)
		rt, ok := vocab.resource(r.Type)
		if !ok {
			known := "none: load the API that declares it (cmd/mock --api, mocktest.WithAPI)"
			if vocab != nil && len(vocab.Resources) > 0 {
				known = strings.Join(slices.Sorted(maps.Keys(vocab.Resources)), ", ")
			}
			v.errf(p+".type", "unknown resource type %q (known: %s)", r.Type, known)
			continue
		}
		tb := &resourceTable{rt: rt}
		if id, _, err := tb.fixtureID(r.ID); err != nil {
			v.errf(p+".id", "%v", err)
		} else if id != "" {
			if seen[r.Type+"\x00"+id] {
				v.errf(p+".id", "duplicate %s id %s", r.Type, id)
			}
			seen[r.Type+"\x00"+id] = true
		}
		if r.Owner != 0 && !users[r.Owner] { // 0: a row nobody owns (a team, a repository)
			v.errf(p+".owner", "unknown user %d", r.Owner)
		}
		v.sharing(p, "sharedWith", r.SharedWithUsers, r.SharedWithGroups, users, groups)
		v.sharing(p, "editableBy", r.EditableByUsers, r.EditableByGroups, users, groups)
	}
}

// sharing checks the users and groups a row at p is shared with (or, with
// prefix editableBy, editable by).
func (v *validator) sharing(p, prefix string, rowUsers []int64, rowGroups []string, users map[int64]bool, groups map[string]bool) {
	for j, u := range rowUsers {
		if !users[u] {
			v.errf(at(p+"."+prefix+"Users", j), "unknown user %d", u)
		}
	}
	for j, g := range rowGroups {
		if !groups[g] {
			v.errf(at(p+"."+prefix+"Groups", j), "unknown group %q", g)
		}
	}
}

// ErrActiveKey: the user already holds an active key of the API, and the
// API allows one (IssueAPIKey).
var ErrActiveKey = errors.New("the user already has an active API key")

// ErrKeyName: a key of the tenant already has the name asked for
// (IssueAPIKey); reports and manifests name keys by their names.
var ErrKeyName = errors.New("an API key has that name")

// IssueAPIKey makes a new API key of a loaded API for user, named name
// (default <api>-key-<id>; a name another key has is ErrKeyName); with
// onePerUser, a user who holds an active key of that API is refused
// (ErrActiveKey). The key's value is a random secret with the tenant's
// credential suffix; its ID (api-key ids count from 1 per API) names it in
// the API's answers. The returned key is the only time its value is read
// back.
func (t *Tenant) IssueAPIKey(api string, user int64, name string, onePerUser bool) (APIKey, error) {
	t.lock()
	defer t.mu.Unlock()
	if _, ok := t.users[user]; !ok {
		return APIKey{}, fmt.Errorf("user %d: %w", user, ErrNotFound)
	}
	n := 0
	for _, k := range t.apiKeys {
		if k.API != api {
			continue
		}
		n++
		if onePerUser && k.User == user && !k.Revoked {
			return APIKey{}, fmt.Errorf("user %d holds key %s: %w", user, k.Name, ErrActiveKey)
		}
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	id := strconv.Itoa(n + 1)
	for t.apiKeyByID(api, id) != nil {
		n++
		id = strconv.Itoa(n + 1)
	}
	if name == "" {
		name = api + "-key-" + id
	}
	for _, other := range t.apiKeys {
		if other.Name == name {
			return APIKey{}, fmt.Errorf("API key name %q: %w", name, ErrKeyName)
		}
	}
	k := &APIKey{Name: name, Key: hex.EncodeToString(b[:]) + t.suffix, User: user, API: api, ID: id, Issued: true}
	t.apiKeys[k.Key] = k
	return *k, nil
}

// apiKeyByID finds a key of api by its ID (a loaded API's keys are
// numbered from 1: the fixture's in order, then those it issues). The
// caller holds t.mu.
func (t *Tenant) apiKeyByID(api, id string) *APIKey {
	for _, k := range t.apiKeys {
		if k.API == api && k.ID == id {
			return k
		}
	}
	return nil
}

// APIKeysOf lists the keys of a loaded API, by name; user > 0 keeps only
// that user's.
func (t *Tenant) APIKeysOf(api string, user int64) []APIKey {
	var out []APIKey
	for _, k := range t.APIKeys() {
		if k.API == api && (user <= 0 || k.User == user) {
			out = append(out, k)
		}
	}
	return out
}

// RevokeAPIKey revokes the key of api numbered id; user > 0 revokes only a key of that user (another's is
// ErrNotFound, like a missing one).
func (t *Tenant) RevokeAPIKey(api, id string, user int64) (APIKey, error) {
	t.lock()
	defer t.mu.Unlock()
	k := t.apiKeyByID(api, id)
	if k == nil || (user > 0 && k.User != user) {
		return APIKey{}, fmt.Errorf("API key %s: %w", id, ErrNotFound)
	}
	k.Revoked = true
	return *k, nil
}

// Merge is base with the sections of more appended: their groups, roles,
// users, credentials, proxy assignments, entity types, rows and resources
// (a loaded API's demo section added to a tenant). Base's tenant, settings,
// faults and generated rows are kept. The result is validated when a
// tenant is built from it; it has no line numbers.
func Merge(base *Fixture, more ...*Fixture) *Fixture {
	out := *base
	out.file, out.lines = "", nil
	clip := func() {
		out.Groups, out.Roles, out.Users = slices.Clip(out.Groups), slices.Clip(out.Roles), slices.Clip(out.Users)
		out.APIKeys, out.OAuthClients = slices.Clip(out.APIKeys), slices.Clip(out.OAuthClients)
		out.ProxyAssignments, out.EntityTypes = slices.Clip(out.ProxyAssignments), slices.Clip(out.EntityTypes)
		out.Entities, out.CredentialTypes = slices.Clip(out.Entities), slices.Clip(out.CredentialTypes)
		out.Credentials, out.Resources = slices.Clip(out.Credentials), slices.Clip(out.Resources)
	}
	clip() // appending never writes into base's arrays
	for _, f := range more {
		out.Groups = append(out.Groups, f.Groups...)
		out.Roles = append(out.Roles, f.Roles...)
		out.Users = append(out.Users, f.Users...)
		out.APIKeys = append(out.APIKeys, f.APIKeys...)
		out.OAuthClients = append(out.OAuthClients, f.OAuthClients...)
		out.ProxyAssignments = append(out.ProxyAssignments, f.ProxyAssignments...)
		out.EntityTypes = append(out.EntityTypes, f.EntityTypes...)
		out.Entities = append(out.Entities, f.Entities...)
		out.CredentialTypes = append(out.CredentialTypes, f.CredentialTypes...)
		out.Credentials = append(out.Credentials, f.Credentials...)
		out.Resources = append(out.Resources, f.Resources...)
	}
	return &out
}

// ResourceTypes lists the resource types of the tenant's loaded APIs,
// sorted.
func (t *Tenant) ResourceTypes() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Sorted(maps.Keys(t.resources))
}

// AddResourceTypes gives the tenant the resource types of vocab it does not
// have yet (an API loaded while the server runs), without rows, and checks
// later resets against vocab.
func (t *Tenant) AddResourceTypes(vocab *Vocabulary) {
	t.lock()
	defer t.mu.Unlock()
	t.vocab = vocab
	if vocab == nil {
		return
	}
	for name, rt := range vocab.Resources {
		if t.resources[name] == nil {
			t.resources[name] = &resourceTable{rt: rt, rows: map[string]*Resource{}, nextInt: 1}
		}
	}
}
