package data

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/internal/render"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Relations: relationQuery reads the entities related to one entity, and
// entityQuery's (and relationQuery's) relations nest each result entity's
// related entities in it. A relation is a reference field of the related
// type (tenant.Relation); its rows are a query of that type with the
// reference Equal the entity, so row-level sharing, counts and paging are
// the engine's, exactly as entityQuery of the related type answers them.

// relationLimits are the Relation schema's bounds (openapi/data.yaml).
type relationLimits struct {
	// perEntity is x-related-page-limit: the most related entities nested
	// in one entity; maxPage is x-max-page-with-relations: the largest page
	// a query with relations may ask for.
	perEntity, maxPage int
}

// relationLimitsFrom reads the Relation schema's extensions.
func relationLimitsFrom(rel *openapi3.Schema) (relationLimits, error) {
	var l relationLimits
	var ok bool
	if rel == nil {
		return l, fmt.Errorf("mockserver: data spec lacks Relation")
	}
	if l.perEntity, ok = pipeline.ExtInt(rel.Extensions, "x-related-page-limit"); !ok || l.perEntity < 1 {
		return l, fmt.Errorf("mockserver: data spec: Relation has no x-related-page-limit")
	}
	if l.maxPage, ok = pipeline.ExtInt(rel.Extensions, "x-max-page-with-relations"); !ok || l.maxPage < 1 {
		return l, fmt.Errorf("mockserver: data spec: Relation has no x-max-page-with-relations")
	}
	return l, nil
}

// relSpec is one relation to nest in each entity of a page.
type relSpec struct {
	rel tenant.Relation
	q   *entitySpec // the related type, fields, where and orders
	// key opens the member: `,"Tasks":{"entities":[`.
	key []byte
}

// relations resolves a request's relations of the type parent: each must
// name a relation of it whose type the effective user may read through the
// API (else the object step's 403), nest none of its own, and not ask for
// link objects. pageLimit is the page the query asks for (limitPath names
// it): with relations it is bounded.
func (d *dataSpec) relations(rc *pipeline.Request, parent string, in []dataapi.Relation, path string, pageLimit int, limitPath string) ([]relSpec, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if pageLimit > d.rel.maxPage {
		return nil, pipeline.BadRequest(limitPath, "a page with relations holds at most %d entities, not %d", d.rel.maxPage, pageLimit)
	}
	out := make([]relSpec, 0, len(in))
	for i, r := range in {
		p := path + "[" + strconv.Itoa(i) + "]"
		if len(r.Relations) > 0 {
			return nil, pipeline.BadRequest(p+".relations", "relations nest one level deep: a relation's entities carry no relations of their own")
		}
		if r.FromLink != nil && *r.FromLink {
			return nil, pipeline.BadRequest(p+".fromLink", "link objects are not modelled: fromLink must be false")
		}
		rel, ok := rc.Tenant.Relation(parent, r.Name)
		if !ok {
			return nil, pipeline.BadRequest(p+".name", "%s has no relation %q", parent, r.Name)
		}
		if slices.ContainsFunc(out, func(o relSpec) bool { return o.rel.Name == rel.Name }) {
			continue // asked for again: the first one is read (as a repeated order key is ignored)
		}
		q, err := d.relatedQuery(rc, rel, r.Fields, r.Where, r.Orders, p)
		if err != nil {
			return nil, err
		}
		name, _ := json.Marshal(rel.Name)
		key := append(append(append([]byte{','}, name...), ':'), `{"entities":[`...)
		out = append(out, relSpec{rel: rel, q: q, key: key})
	}
	return out, nil
}

// relatedQuery checks that the effective user may read the relation's type
// through the API and resolves the fields, where and orders written at
// path (a prefix of their names in errors) against it.
func (d *dataSpec) relatedQuery(rc *pipeline.Request, rel tenant.Relation, fields []string, where *dataapi.Condition, orders []dataapi.OrderBy, path string) (*entitySpec, error) {
	et, ok := rc.Tenant.EntityType(rel.Type)
	if !ok {
		return nil, fmt.Errorf("mockserver: relation %s names unknown type %s", rel.Name, rel.Type)
	}
	// A refusal names the related type in the decision (the type refused);
	// an allowed request keeps the type it names.
	prev := rc.Verdict.EntityType
	rc.SetEntityType(et.Name)
	if err := rc.AuthorizeRelatedType(et.Name); err != nil {
		return nil, err
	}
	rc.SetEntityType(prev)
	q := &entitySpec{et: et, fields: fields}
	var err error
	if q.where, err = d.limits.ParseWhere(where, prefixed(path, "where")); err != nil {
		return nil, pipeline.QueryError(prefixed(path, "where"), err)
	}
	for i, o := range orders {
		q.orders = append(q.orders, query.Order{Field: o.FieldName, Descending: o.Order != nil && *o.Order == dataapi.Descending,
			Path: prefixed(path, "orders["+strconv.Itoa(i)+"].fieldName")})
	}
	if err := q.finish(rc, prefixed(path, "fields")); err != nil {
		return nil, err
	}
	return q, nil
}

func prefixed(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// of narrows the relation's where to the rows whose reference is parent.
func (r *relSpec) of(parent tenant.Ref) query.Expr {
	return relatedTo(r.rel, r.q.where, parent)
}

func relatedTo(rel tenant.Relation, where query.Expr, parent tenant.Ref) query.Expr {
	c := &query.Compare{Field: rel.Field, Op: query.OpEqual, Value: parent.String()}
	if _, all := where.(query.True); all || where == nil {
		return c
	}
	return query.And{c, where}
}

// appendRelated writes the relation's member for the entity parent: its
// first related entities the effective user may see, and their paging.
func (d *dataSpec) appendRelated(rc *pipeline.Request, b []byte, r *relSpec, parent tenant.Ref) ([]byte, error) {
	b = append(b, r.key...)
	info, err := rc.Tenant.Query(tenant.QuerySpec{
		Type: r.q.et.Name, User: rc.Verdict.Effective, Where: r.of(parent), Orders: r.q.orders, IDField: "id",
		Limit: d.rel.perEntity, Context: rc.WorkContext(),
	}, func(rows *tenant.Rows) error {
		b = render.AppendEntities(b, rows, r.q.proj)
		return nil
	})
	if err != nil {
		return b, pipeline.QueryError("relations", err)
	}
	b = append(b, `],"paging":`...)
	b = render.AppendPaging(b, dataapi.Paging{From: info.Next, Limit: d.rel.perEntity, HasMore: info.HasMore})
	return append(b, '}'), nil
}

// runWithRelations is run for a query with relations: the page is read
// first, then each entity's relations (the tenant is not locked between
// them, so a write in between shows in the relations, as it would in the
// next request), and their members are put before each entity's closing
// brace. Such pages are not cached.
func (q *entitySpec) runWithRelations(rc *pipeline.Request, field string) error {
	d := rc.Route.Spec.Extra.(*dataSpec)
	var ids []int64
	var marks []int
	page := append(make([]byte, 0, 4096), `{"entities":[`...)
	info, err := rc.Tenant.Query(tenant.QuerySpec{
		Type: q.et.Name, User: rc.Verdict.Effective, Where: q.where, Orders: q.orders, IDField: "id",
		Skip: q.skip, Cap: q.cap, From: q.from, Limit: q.limit, Context: rc.WorkContext(),
	}, func(rows *tenant.Rows) error {
		page = render.AppendEntitiesMarked(page, rows, q.proj, func(i, at int) {
			ids = append(ids, rows.ID(i))
			marks = append(marks, at)
		})
		return nil
	})
	if err != nil {
		return pipeline.QueryError(field, err)
	}
	out := make([]byte, 0, 2*len(page))
	prev := 0
	for i, id := range ids {
		if err := rc.WorkContext().Err(); err != nil {
			return fmt.Errorf("query stopped: %w", err)
		}
		out = append(out, page[prev:marks[i]]...)
		prev = marks[i]
		for j := range q.rels {
			if out, err = d.appendRelated(rc, out, &q.rels[j], tenant.Ref{Type: q.et.Name, ID: id}); err != nil {
				return err
			}
		}
	}
	out = append(out, page[prev:]...)
	out = append(out, `],"paging":`...)
	out = render.AppendPaging(out, dataapi.Paging{From: info.Next, Limit: q.limit, HasMore: info.HasMore})
	out = append(out, '}')
	rc.WriteRaw(http.StatusOK, "application/json", out)
	return nil
}

// relationQuery answers the entities related to entityId through
// relationName, a page of the related type (see the spec).
func (h *handlers) relationQuery(rc *pipeline.Request) error {
	req, err := decodeBody[dataapi.RelationQueryRequest](rc)
	if err != nil {
		return err
	}
	ref, err := tenant.ParseRef(req.EntityId)
	if err != nil {
		return pipeline.BadRequest("entityId", "%q is not an entity id /Type/n", req.EntityId)
	}
	pt, err := resolveType(rc, "entityId", ref.Type)
	if err != nil {
		return err
	}
	rel, ok := rc.Tenant.Relation(pt.Name, req.RelationName)
	if !ok {
		return pipeline.BadRequest("relationName", "%s has no relation %q", pt.Name, req.RelationName)
	}
	if req.FromLink != nil && *req.FromLink {
		return pipeline.BadRequest("fromLink", "link objects are not modelled: fromLink must be false")
	}
	d := rc.Route.Spec.Extra.(*dataSpec)
	q, err := d.relatedQuery(rc, rel, req.Fields, req.Where, req.Orders, "")
	if err != nil {
		return err
	}
	// The entity itself: hidden or missing is the same 404.
	if _, err := rc.Tenant.Entity(pt.Name, ref.ID, rc.Verdict.Effective); err != nil {
		return entityError(rc, pt, ref.ID, err, false)
	}
	q.where = relatedTo(rel, q.where, tenant.Ref{Type: pt.Name, ID: ref.ID})
	q.from, q.limit = d.page(req.Paging)
	if q.rels, err = d.relations(rc, q.et.Name, req.Relations, "relations", q.limit, "paging.limit"); err != nil {
		return err
	}
	return q.run(rc, nil, "where")
}
