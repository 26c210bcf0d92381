package tenant

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

func cloneType(et *EntityType) EntityType {
	c := *et
	c.Fields = maps.Clone(et.Fields)
	return c
}

// EntityType resolves a type by name (case-insensitive) or by numeric entry
// type id.
func (t *Tenant) EntityType(nameOrID string) (EntityType, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(nameOrID)
	if !ok {
		return EntityType{}, false
	}
	return cloneType(et), true
}

// TypeName resolves a type as EntityType does and returns its declared
// name, without copying the type.
func (t *Tenant) TypeName(nameOrID string) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(nameOrID)
	if !ok {
		if _, ok := t.resources[nameOrID]; ok { // a loaded API's resource type
			return nameOrID, true
		}
		return "", false
	}
	return et.Name, true
}

func (t *Tenant) resolveType(nameOrID string) (*EntityType, bool) {
	if et, ok := t.typesExact[nameOrID]; ok {
		return et, true
	}
	if et, ok := t.types[strings.ToLower(nameOrID)]; ok {
		return et, true
	}
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		if name, ok := t.entryTypeIDs[n]; ok {
			return t.types[strings.ToLower(name)], true
		}
	}
	return nil, false
}

// EntityTypes returns every entity type, in fixture order.
func (t *Tenant) EntityTypes() []EntityType {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]EntityType, 0, len(t.typeOrder))
	for _, n := range t.typeOrder {
		out = append(out, cloneType(t.types[strings.ToLower(n)]))
	}
	return out
}

// Entities returns the rows of a type that user may read through the API,
// by id. Row-level sharing applies unless the tenant's apiDataAccess is
// bypass. The type is resolved as by EntityType.
func (t *Tenant) Entities(typeName string, user int64) ([]Entity, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(typeName)
	if !ok {
		return nil, fmt.Errorf("entity type %q: %w", typeName, ErrNotFound)
	}
	tb := t.tables[et.Name]
	vis := t.visibleSet(tb, user)
	out := make([]Entity, 0, vis.GetCardinality())
	it := vis.Iterator()
	for it.HasNext() {
		out = append(out, tb.entity(it.Next(), t.groupOrder))
	}
	return out, nil
}

// Entity returns one row: ErrNotFound when it does not exist, ErrHidden when
// user may not read it (row-level sharing, unless apiDataAccess is bypass).
func (t *Tenant) Entity(typeName string, id, user int64) (Entity, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tb, slot, err := t.lookup(typeName, id, user, false)
	if err != nil {
		return Entity{}, err
	}
	return tb.entity(slot, t.groupOrder), nil
}

// lookup finds one live row for user: ErrNotFound when it does not exist,
// ErrHidden when row-level sharing hides it from user. For reads
// apiDataAccess: bypass shows every row; writes (write true) follow
// row-level sharing whatever the setting, since bypass opens API reads
// only. The caller holds t.mu.
func (t *Tenant) lookup(typeName string, id, user int64, write bool) (*table, uint32, error) {
	et, ok := t.resolveType(typeName)
	if !ok {
		return nil, 0, fmt.Errorf("entity type %q: %w", typeName, ErrNotFound)
	}
	tb := t.tables[et.Name]
	slot, ok := tb.slot(id)
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", Ref{Type: et.Name, ID: id}, ErrNotFound)
	}
	visible := t.visibleRow(tb, slot, user)
	if write {
		visible = t.sharing(tb, slot, user) != notShared
	}
	if !visible {
		return nil, 0, fmt.Errorf("%s: %w", Ref{Type: et.Name, ID: id}, ErrHidden)
	}
	return tb, slot, nil
}

// RefName returns the Name of a referenced entity or user as user may read
// it: ok is false when the row does not exist or row-level sharing hides it
// from user (apiDataAccess: bypass shows every row), so that a hidden row
// and a missing one look the same. Object access to the referenced type is
// the caller's question. A visible row without a Name has name "".
func (t *Tenant) RefName(r Ref, user int64) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if r.Type == UserType {
		u, ok := t.users[r.ID]
		return u.Name, ok
	}
	et, ok := t.resolveType(r.Type)
	if !ok {
		return "", false
	}
	tb := t.tables[et.Name]
	slot, ok := tb.slot(r.ID)
	if !ok || !t.visibleRow(tb, slot, user) {
		return "", false
	}
	c := tb.cols["Name"]
	if c == nil || c.ft.Kind != KindString || !c.valid.has(slot) {
		return "", true
	}
	return c.str[slot], true
}

// convertValues checks write values against the type, for user; the caller
// holds t.mu. A reference must name a row user may read through the API
// (see refReadable); any other is refused exactly like one to a row that
// does not exist.
func (t *Tenant) convertValues(et *EntityType, values map[string]any, user int64) (map[string]any, int64, error) {
	out := make(map[string]any, len(values))
	var owner int64
	for name, v := range values {
		field, ft, ok := fieldOf(et, name)
		if !ok {
			return nil, 0, &ValueError{Field: name, Msg: fmt.Sprintf("%s has no field %q", et.Name, name)}
		}
		if IsSystemField(field) {
			return nil, 0, &ValueError{Field: field, Msg: readOnlyMsg(field)}
		}
		cv, err := convertValue(ft, v)
		if err != nil {
			return nil, 0, &ValueError{Field: field, Msg: err.Error()}
		}
		if r, ok := cv.(Ref); ok && !t.refReadable(r, user) {
			return nil, 0, &ValueError{Field: field, Msg: fmt.Sprintf("refers to unknown %s", r)}
		}
		if field == OwnerField {
			r, ok := cv.(Ref)
			if !ok {
				return nil, 0, &ValueError{Field: field, Msg: "the owner cannot be empty"}
			}
			owner = r.ID
			continue
		}
		out[field] = cv
	}
	return out, owner, nil
}

// fieldOf resolves a field name case-insensitively.
func fieldOf(et *EntityType, name string) (string, FieldType, bool) {
	if ft, ok := et.Fields[name]; ok {
		return name, ft, true
	}
	for n, ft := range et.Fields {
		if strings.EqualFold(n, name) {
			return n, ft, true
		}
	}
	return "", FieldType{}, false
}

// FieldName resolves a field of a type case-insensitively to its declared
// name; ok is false for unknown fields. "id" is not a field.
func (et EntityType) FieldName(name string) (string, bool) {
	n, _, ok := fieldOf(&et, name)
	return n, ok
}

// refReadable reports whether a written reference names something user may
// read through the API: an existing user, or an existing row of a type
// user's roles may read through the API that row-level sharing shows user
// (every row under apiDataAccess: bypass, which opens reads). The caller
// holds t.mu.
func (t *Tenant) refReadable(r Ref, user int64) bool {
	if r.Type == UserType {
		_, ok := t.users[r.ID]
		return ok
	}
	et, ok := t.resolveType(r.Type)
	if !ok || !t.canReadType(user, et.Name) {
		return false
	}
	tb := t.tables[et.Name]
	slot, ok := tb.slot(r.ID)
	return ok && t.visibleRow(tb, slot, user)
}

// CreateEntity creates a row owned by owner (unless values set Owner), the
// user who writes it, and returns it. Errors: ErrNotFound for an unknown
// type, *ValueError (a reference owner may not read is one).
func (t *Tenant) CreateEntity(typeName string, owner int64, values map[string]any) (Entity, error) {
	t.lock()
	defer t.mu.Unlock()
	et, ok := t.resolveType(typeName)
	if !ok {
		return Entity{}, fmt.Errorf("entity type %q: %w", typeName, ErrNotFound)
	}
	fields, newOwner, err := t.convertValues(et, values, owner)
	if err != nil {
		return Entity{}, err
	}
	if newOwner != 0 {
		owner = newOwner
	}
	now := t.now().Unix()
	fields[CreatedOnField], fields[LastUpdatedOnField] = now, now
	tb := t.tables[et.Name]
	slot := tb.insert(tb.next, owner, fields, nil, nil)
	return tb.entity(slot, t.groupOrder), nil
}

// UpdateEntity changes fields of a row row-level sharing shows user, even
// under apiDataAccess: bypass (a nil value clears a field). Errors:
// ErrNotFound, ErrHidden, *ValueError (a reference user may not read is
// one).
func (t *Tenant) UpdateEntity(typeName string, id, user int64, values map[string]any) (Entity, error) {
	t.lock()
	defer t.mu.Unlock()
	tb, slot, err := t.lookup(typeName, id, user, true)
	if err != nil {
		return Entity{}, err
	}
	fields, owner, err := t.convertValues(tb.et, values, user)
	if err != nil {
		return Entity{}, err
	}
	for k, v := range fields {
		tb.cols[k].set(slot, v)
	}
	if owner != 0 {
		tb.owner.set(slot, owner)
	}
	tb.stamp(slot, t.now(), false)
	return tb.entity(slot, t.groupOrder), nil
}

// DeleteEntity removes a row row-level sharing shows user, even under
// apiDataAccess: bypass. Errors: ErrNotFound, ErrHidden.
func (t *Tenant) DeleteEntity(typeName string, id, user int64) error {
	t.lock()
	defer t.mu.Unlock()
	tb, slot, err := t.lookup(typeName, id, user, true)
	if err != nil {
		return err
	}
	tb.remove(slot)
	if tb.needsCompaction() {
		t.tables[tb.et.Name] = tb.compacted(t.groupOrder)
	}
	return nil
}

// SetShares replaces the groups and users a row is shared with. It does not
// check visibility: it is the tenant administrator's operation. The next
// query sees the change. Errors: ErrNotFound, *ValueError.
func (t *Tenant) SetShares(typeName string, id int64, groups []string, users []int64) error {
	t.lock()
	defer t.mu.Unlock()
	et, ok := t.resolveType(typeName)
	if !ok {
		return fmt.Errorf("entity type %q: %w", typeName, ErrNotFound)
	}
	tb := t.tables[et.Name]
	slot, ok := tb.slot(id)
	if !ok {
		return fmt.Errorf("%s: %w", Ref{Type: et.Name, ID: id}, ErrNotFound)
	}
	for i, g := range groups {
		if _, ok := t.groups[g]; !ok {
			return &ValueError{Field: fmt.Sprintf("groups[%d]", i), Msg: fmt.Sprintf("unknown group %q", g)}
		}
	}
	for i, u := range users {
		if _, ok := t.users[u]; !ok {
			return &ValueError{Field: fmt.Sprintf("users[%d]", i), Msg: fmt.Sprintf("unknown user %d", u)}
		}
	}
	tb.share(slot, groups, users)
	return nil
}

// SetUserGroups replaces the groups a user belongs to; the next query sees
// the change. Errors: ErrNotFound, *ValueError.
func (t *Tenant) SetUserGroups(user int64, groups []string) error {
	t.lock()
	defer t.mu.Unlock()
	u, ok := t.users[user]
	if !ok {
		return fmt.Errorf("user %d: %w", user, ErrNotFound)
	}
	for i, g := range groups {
		if _, ok := t.groups[g]; !ok {
			return &ValueError{Field: fmt.Sprintf("groups[%d]", i), Msg: fmt.Sprintf("unknown group %q", g)}
		}
	}
	u.Groups = slices.Clone(groups)
	return nil
}

// schemaFields lists def's fields, Owner included, by name, with the
// options the fixture gives them. A field without an explicit id gets the
// entry type id × 1000 + its position, skipping ids given explicitly.
func schemaFields(def *EntityType, opts map[string]FieldOptionsFixture) []SchemaField {
	names := slices.Sorted(maps.Keys(def.Fields))
	used := map[int64]bool{}
	for _, o := range opts {
		if o.ID != 0 {
			used[o.ID] = true
		}
	}
	out := make([]SchemaField, len(names))
	next := def.EntryTypeID * 1000
	for i, name := range names {
		o := opts[name]
		f := SchemaField{Name: name, ID: o.ID, Type: def.Fields[name], Required: o.Required, Key: o.Key,
			MultiSelect: o.MultiSelect, Choices: slices.Clone(o.Choices)}
		if f.ID == 0 {
			for next++; used[next]; next++ {
			}
			f.ID = next
		}
		out[i] = f
	}
	return out
}

// Currencies returns the tenant's currency codes (the fixture's), in
// fixture order.
func (t *Tenant) Currencies() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.fixture == nil {
		return []string{}
	}
	return append([]string{}, t.fixture.Currencies...)
}
