package mockserver

import (
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// record adapts an entity to the query evaluator.
type record struct {
	e  *tenant.Entity
	et *tenant.EntityType
	// entryID exposes the id as the relationship API's numeric EntryId
	// instead of the data API's "/Type/n" id.
	entryID bool
}

var _ query.Record = record{}

// Get implements query.Record.
func (r record) Get(field string) (any, bool) {
	if r.entryID && strings.EqualFold(field, "EntryId") {
		return float64(r.e.ID), true
	}
	if !r.entryID && strings.EqualFold(field, "id") {
		return r.e.Ref().String(), true
	}
	name, ok := r.et.FieldName(field)
	if !ok {
		return nil, false
	}
	if name == tenant.OwnerField {
		return tenant.Ref{Type: tenant.UserType, ID: r.e.Owner}.String(), true
	}
	v := r.e.Fields[name]
	if ref, ok := v.(tenant.Ref); ok {
		return ref.String(), true
	}
	return v, true
}

// fieldValue returns a field's stored value, Owner included.
func fieldValue(e *tenant.Entity, name string) (any, bool) {
	if name == tenant.OwnerField {
		return tenant.Ref{Type: tenant.UserType, ID: e.Owner}, true
	}
	v, ok := e.Fields[name]
	return v, ok
}

// resolveFields maps requested field names to declared ones; idName ("id"
// or "EntryId") is accepted and dropped. It returns the bad name, if any.
func resolveFields(et *tenant.EntityType, names []string, idName string) ([]string, string) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || strings.EqualFold(n, idName) {
			continue
		}
		name, ok := et.FieldName(n)
		if !ok {
			return nil, n
		}
		out = append(out, name)
	}
	return out, ""
}

// allFields lists a type's fields in a stable order.
func allFields(et *tenant.EntityType) []string {
	out := make([]string, 0, len(et.Fields))
	for n := range et.Fields {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// renderEntity renders an entity for the data API: id "/Type/n", PascalCase
// fields, references as {id, Name}.
func renderEntity(t *tenant.Tenant, e *tenant.Entity, fields []string) map[string]any {
	out := make(map[string]any, len(fields)+1)
	out["id"] = e.Ref().String()
	for _, f := range fields {
		v, ok := fieldValue(e, f)
		if !ok {
			out[f] = nil
			continue
		}
		if ref, isRef := v.(tenant.Ref); isRef {
			out[f] = map[string]any{"id": ref.String(), "Name": t.RefName(ref)}
			continue
		}
		out[f] = v
	}
	return out
}

// renderRow renders an entity for the relationship API: numeric EntryId,
// fields, references as {id, name}.
func renderRow(t *tenant.Tenant, e *tenant.Entity, fields []string) map[string]any {
	out := make(map[string]any, len(fields)+1)
	out["EntryId"] = e.ID
	for _, f := range fields {
		v, ok := fieldValue(e, f)
		if !ok {
			out[f] = nil
			continue
		}
		if ref, isRef := v.(tenant.Ref); isRef {
			out[f] = map[string]any{"id": ref.ID, "name": t.RefName(ref)}
			continue
		}
		out[f] = v
	}
	return out
}

// checkExprFields reports the first field of a condition the type lacks.
func checkExprFields(et *tenant.EntityType, x query.Expr, idName string) string {
	for _, f := range query.Fields(x) {
		if strings.EqualFold(f, idName) {
			continue
		}
		if _, ok := et.FieldName(f); !ok {
			return f
		}
	}
	return ""
}

func checkOrderFields(et *tenant.EntityType, orders []query.Order, idName string) string {
	for _, o := range orders {
		if strings.EqualFold(o.Field, idName) {
			continue
		}
		if _, ok := et.FieldName(o.Field); !ok {
			return o.Field
		}
	}
	return ""
}
