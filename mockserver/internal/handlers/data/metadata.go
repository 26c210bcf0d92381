package data

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/render"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The metadata operations (listEntities, describeEntities, describeMetadata)
// and the data operations that count or read rows without a page
// (countQuery, retrieveMultiple). Which entity types a caller may read is
// step 5's rule, asked through rc.TypeReadable: a type the caller may not
// read is left out exactly like one that does not exist.

// readableTypes lists the tenant's entity types the effective user may read
// through the API, in the tenant's order.
func readableTypes(rc *pipeline.Request) []tenant.EntityType {
	all := rc.Tenant.EntityTypes()
	out := all[:0]
	for _, et := range all {
		if rc.TypeReadable(et.Name) {
			out = append(out, et)
		}
	}
	return out
}

func (h *handlers) listEntities(rc *pipeline.Request) error {
	types := readableTypes(rc)
	names := make([]string, len(types))
	for i, et := range types {
		names[i] = et.Name
	}
	rc.WriteJSON(http.StatusOK, "application/json", &dataapi.ListEntitiesResult{TypeNames: names})
	return nil
}

// requestedTypes resolves the typeNames parameter: each name once, in the
// order first given. A name that names no type and one the effective user
// may not read are the same 400, naming the type as sent.
func requestedTypes(rc *pipeline.Request, names []string) ([]tenant.EntityType, error) {
	out := make([]tenant.EntityType, 0, len(names))
	for _, n := range names {
		et, ok := rc.Tenant.EntityType(n)
		if !ok || !rc.TypeReadable(et.Name) {
			return nil, pipeline.BadRequest("typeNames", "unknown entity type %q", n)
		}
		if !slices.ContainsFunc(out, func(o tenant.EntityType) bool { return o.Name == et.Name }) {
			out = append(out, et)
		}
	}
	return out, nil
}

func (h *handlers) describeEntities(rc *pipeline.Request) error {
	types, err := requestedTypes(rc, listParam(rc.R.URL.Query()["typeNames"]))
	if err != nil {
		return err
	}
	return writeDescriptions(rc, types, true, false)
}

func (h *handlers) describeMetadata(rc *pipeline.Request) error {
	v := rc.R.URL.Query()
	var types []tenant.EntityType
	if names, ok := v["typeNames"]; ok {
		var err error
		if types, err = requestedTypes(rc, listParam(names)); err != nil {
			return err
		}
	} else {
		types = readableTypes(rc)
	}
	flags := listParam(v["flags"])
	return writeDescriptions(rc, types, slices.Contains(flags, "fields"), slices.Contains(flags, "relations"))
}

// writeDescriptions answers with the description of each type, with its
// fields when fields is set and its relations when relations is.
func writeDescriptions(rc *pipeline.Request, types []tenant.EntityType, fields, relations bool) error {
	out := dataapi.DescribeEntitiesResult{EntityDescriptions: make([]dataapi.EntityDescription, len(types))}
	for i := range types {
		d := dataapi.EntityDescription{TypeName: types[i].Name}
		if fields {
			d.Fields = describeFields(rc, &types[i])
		}
		if relations {
			d.Relations = describeRelations(rc, types[i].Name)
		}
		out.EntityDescriptions[i] = d
	}
	if len(types) == 1 {
		rc.SetEntityType(types[0].Name)
	}
	rc.WriteJSON(http.StatusOK, "application/json", &out)
	return nil
}

// fieldTypes maps the tenant model's field kinds to the vendor's field
// types (openapi/data.yaml, FieldDescription).
var fieldTypes = map[string]dataapi.FieldDescriptionType{
	tenant.KindString: dataapi.FieldDescriptionTypeString,
	tenant.KindNumber: dataapi.FieldDescriptionTypeDouble,
	tenant.KindBool:   dataapi.FieldDescriptionTypeBoolean,
	tenant.KindDate:   dataapi.FieldDescriptionTypeDate,
	tenant.KindRef:    dataapi.FieldDescriptionTypeEntity,
}

// describeFields describes a type's fields, by name. A reference names its
// target type only when the effective user may read it (as references
// render: decide.Readable), so a description shows no type the user may
// not read.
func describeFields(rc *pipeline.Request, et *tenant.EntityType) []dataapi.FieldDescription {
	names := render.DescribedFields(et)
	out := make([]dataapi.FieldDescription, len(names))
	for i, n := range names {
		ft := et.Fields[n]
		owner := n == tenant.OwnerField
		f := dataapi.FieldDescription{Name: n, Type: fieldTypes[ft.Kind], Nullable: !owner, System: owner, Updateable: true}
		if tenant.IsSystemField(n) {
			// Kept by the server (the vendor's DateTime system fields).
			f.Type, f.System, f.Updateable, f.Nullable = dataapi.FieldDescriptionTypeDateTime, true, false, false
		}
		if ft.Kind == tenant.KindRef && decide.Readable(rc.Tenant, rc.Verdict.Effective, ft.RefType) {
			f.ReferencedEntities = []string{ft.RefType}
		}
		out[i] = f
	}
	return out
}

// describeRelations describes a type's relations the effective user may
// follow: those whose related type it may read (decide.Readable), so a
// description shows no type the user may not read.
func describeRelations(rc *pipeline.Request, typeName string) []dataapi.RelationDescription {
	out := []dataapi.RelationDescription{}
	for _, r := range rc.Tenant.Relations(typeName) {
		if decide.Readable(rc.Tenant, rc.Verdict.Effective, r.Type) {
			out = append(out, dataapi.RelationDescription{Name: r.Name, RelatedTypeName: r.Type, SourceFieldName: r.Field, ReadOnly: true})
		}
	}
	return out
}

func (h *handlers) countQuery(rc *pipeline.Request) error {
	req, err := decodeBody[dataapi.CountQueryRequest](rc)
	if err != nil {
		return err
	}
	et, err := resolveType(rc, "query.typeName", req.Query.TypeName)
	if err != nil {
		return err
	}
	d := rc.Route.Spec.Extra.(*dataSpec)
	where, err := d.limits.ParseWhere(req.Query.Where, "query.where")
	if err != nil {
		return pipeline.QueryError("query.where", err)
	}
	// A page past every row: the engine counts the rows the user may see
	// that match (its plan, its indexes) and reads none of them.
	info, err := rc.Tenant.Query(tenant.QuerySpec{
		Type: et.Name, User: rc.Verdict.Effective, Where: where, IDField: "id",
		From: math.MaxInt32, Limit: 1, Context: rc.WorkContext(),
	}, nil)
	if err != nil {
		return pipeline.QueryError("query.where", err)
	}
	rc.WriteJSON(http.StatusOK, "application/json", &dataapi.CountQueryResult{Count: int64(info.Total)})
	return nil
}

// splitID reads an entity id "/Type/key" (the spec's pattern).
func splitID(id string) (typeName, key string) {
	typeName, key, _ = strings.Cut(strings.TrimPrefix(id, "/"), "/")
	return typeName, key
}

func (h *handlers) retrieveMultiple(rc *pipeline.Request) error {
	req, err := decodeBody[dataapi.RetrieveMultipleRequest](rc)
	if err != nil {
		return err
	}
	// The fields each type the user may read renders; a type it may not
	// read has no entry in fields but one in unreadable.
	fields := map[string][]string{}
	unreadable := map[string]bool{}
	seen := make(map[tenant.Ref]bool, len(req.Ids))
	results := make([]dataapi.Entity, 0, len(req.Ids))
	var read []string
	for _, id := range req.Ids {
		typeName, key := splitID(id)
		et, ok := rc.Tenant.EntityType(typeName)
		if !ok || unreadable[et.Name] {
			continue
		}
		fs, resolved := fields[et.Name]
		if !resolved {
			if !rc.TypeReadable(et.Name) {
				unreadable[et.Name] = true
				continue
			}
			if req.Fields == nil {
				fs = render.AllFields(&et)
			} else {
				var bad string
				if fs, bad = render.ResolveFields(&et, req.Fields, "id"); bad != "" {
					return pipeline.BadRequest("fields", "%s has no field %q", et.Name, bad)
				}
			}
			fields[et.Name] = fs
			read = append(read, et.Name)
		}
		n, err := strconv.ParseInt(key, 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		ref := tenant.Ref{Type: et.Name, ID: n}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		// Missing and hidden rows are both left out (ErrNotFound,
		// ErrHidden): nothing tells them apart.
		e, err := rc.Tenant.Entity(et.Name, n, rc.Verdict.Effective)
		if err != nil {
			continue
		}
		values := render.Entity(rc.Tenant, rc.Verdict.Effective, &e, fs)
		delete(values, "id")
		results = append(results, dataapi.Entity{Id: e.Ref().String(), AdditionalProperties: values})
	}
	if len(read) == 1 {
		rc.SetEntityType(read[0])
	}
	rc.WriteJSON(http.StatusOK, "application/json", &dataapi.RetrieveMultipleResult{Results: results})
	return nil
}
