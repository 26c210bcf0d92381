package tenant

import (
	"slices"
	"sort"
	"strings"
)

// Relation is a one-to-many relation of an entity type, as the data API's
// relationQuery and entityQuery's relations read it: the rows of Type whose
// reference Field points at the entity. Relations come from the fixture's
// reference fields: a field `Project: ref:Project` of Task gives Project the
// relation Tasks.
type Relation struct {
	// Name is the relation's name on the referenced type (RelationName).
	Name string
	// Type is the related (referencing) type, Field its reference field.
	Type, Field string
}

// RelationName names the relation a reference field of et gives the type
// it references: et's plural name when the fixture gives one that differs
// from its name (Contacts), otherwise its name with an "s" appended unless
// it already ends in one (Task: Tasks). When two reference fields of one
// type reference the same type, each relation is named plural + "By" +
// field (TasksByProject, TasksByParentProject), so no name is ambiguous.
// The vendor names relations in its metadata and documents no rule; this
// is the mock's.
func RelationName(et *EntityType) string {
	if et.PluralName != "" && et.PluralName != et.Name {
		return et.PluralName
	}
	if strings.HasSuffix(et.Name, "s") {
		return et.Name
	}
	return et.Name + "s"
}

// relationsOf derives every type's relations from types, by the name of the
// referenced type (its declared name), each list sorted by relation name.
// A relation whose name another relation of the same type already has
// (two types with one plural name) keeps the first, in type order.
func relationsOf(types []*EntityType) map[string][]Relation {
	out := map[string][]Relation{}
	for _, et := range types {
		byTarget := map[string][]string{}
		for name, ft := range et.Fields {
			if ft.Kind == KindRef && ft.RefType != UserType && name != OwnerField {
				byTarget[ft.RefType] = append(byTarget[ft.RefType], name)
			}
		}
		targets := make([]string, 0, len(byTarget))
		for t := range byTarget {
			targets = append(targets, t)
		}
		sort.Strings(targets)
		for _, target := range targets {
			fields := byTarget[target]
			sort.Strings(fields)
			plural := RelationName(et)
			for _, f := range fields {
				name := plural
				if len(fields) > 1 {
					name = plural + "By" + f
				}
				if slices.ContainsFunc(out[target], func(r Relation) bool { return strings.EqualFold(r.Name, name) }) {
					continue
				}
				out[target] = append(out[target], Relation{Name: name, Type: et.Name, Field: f})
			}
		}
	}
	for k := range out {
		slices.SortFunc(out[k], func(a, b Relation) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

// Relations returns the relations of the type named typeName (resolved as
// by EntityType), sorted by name; nil for an unknown type or one no other
// type references.
func (t *Tenant) Relations(typeName string) []Relation {
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(typeName)
	if !ok {
		return nil
	}
	types := make([]*EntityType, 0, len(t.typeOrder))
	for _, name := range t.typeOrder {
		types = append(types, t.types[strings.ToLower(name)])
	}
	return slices.Clone(relationsOf(types)[et.Name])
}

// Relation finds a relation of a type by name, ignoring case.
func (t *Tenant) Relation(typeName, name string) (Relation, bool) {
	for _, r := range t.Relations(typeName) {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return Relation{}, false
}

// Relations derives the fixture's relations as a tenant built from it has
// them (Tenant.Relations), by referenced type name; fields whose type does
// not parse are skipped (the tenant refuses the fixture).
func (f *Fixture) Relations() map[string][]Relation {
	declared := map[string]string{}
	for _, ef := range f.EntityTypes {
		declared[strings.ToLower(ef.Name)] = ef.Name
	}
	types := make([]*EntityType, 0, len(f.EntityTypes))
	for _, ef := range f.EntityTypes {
		et := &EntityType{Name: ef.Name, PluralName: ef.PluralName, Fields: map[string]FieldType{}}
		for name, s := range ef.Fields {
			if ft, err := parseFieldType(s); err == nil {
				if ft.Kind == KindRef && ft.RefType != UserType {
					ft.RefType = declared[strings.ToLower(ft.RefType)]
				}
				et.Fields[name] = ft
			}
		}
		types = append(types, et)
	}
	return relationsOf(types)
}
