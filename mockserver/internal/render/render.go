package render

import (
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

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
func ResolveFields(et *tenant.EntityType, names []string, idName string) ([]string, string) {
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

// AllFields lists a type's fields in a stable order: those a read returns
// when it names none. The system fields (CreatedOn, LastUpdatedOn) are
// read when named, and described (DescribedFields), but not part of the
// default list, as the vendor returns them only when asked for.
func AllFields(et *tenant.EntityType) []string {
	out := make([]string, 0, len(et.Fields))
	for n := range et.Fields {
		if !tenant.IsSystemField(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// DescribedFields lists every field of a type, the system fields included,
// in a stable order.
func DescribedFields(et *tenant.EntityType) []string {
	out := make([]string, 0, len(et.Fields))
	for n := range et.Fields {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Entity renders an entity for the data API as user reads it: id
// "/Type/n", PascalCase fields, references as {id, Name}; a reference to a
// type user may not read through the API, or to a row it may not see (or
// that does not exist), as {id} alone, as the query encoder writes it.
func Entity(t *tenant.Tenant, user int64, e *tenant.Entity, fields []string) map[string]any {
	out := make(map[string]any, len(fields)+1)
	out["id"] = e.Ref().String()
	for _, f := range fields {
		v, ok := fieldValue(e, f)
		if !ok {
			out[f] = nil
			continue
		}
		if ref, isRef := v.(tenant.Ref); isRef {
			m := map[string]any{"id": ref.String()}
			if decide.Readable(t, user, ref.Type) {
				if name, ok := t.RefName(ref, user); ok {
					m["Name"] = name
				}
			}
			out[f] = m
			continue
		}
		out[f] = v
	}
	return out
}
