package data

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/jsonvalue"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/internal/render"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The data API's handlers read requests as the models generated from its
// spec (package dataapi), decoded from the body ReadBody decoded and
// normalised and the validator checked, and answer with those models. The
// one exception is the entity page, which is written straight from the
// tenant's columns (render.AppendEntities, render.AppendPaging): its shape is
// dataapi.EntityQueryResult.

// State is what the data API's handlers keep per tenant (in the server's
// per-tenant state, so a reset starts it afresh): the encoded answers of
// the tenant's recent queries.
type State struct {
	pages pageCache
}

// handlers are the data API's handlers; stateOf finds a tenant's State.
type handlers struct {
	stateOf func(*tenant.Tenant) *State
}

// Handlers are the data API's handlers, by operationId; stateOf finds a
// tenant's State.
func Handlers(stateOf func(*tenant.Tenant) *State) map[string]pipeline.Handler {
	h := &handlers{stateOf: stateOf}
	return map[string]pipeline.Handler{
		"getServerDefinition": h.getServerDefinition,
		"login":               h.login,
		"getSessionInfo":      h.getSessionInfo,
		"logout":              h.logout,
		"entityQuery":         h.entityQuery,
		"entityQueryGet":      h.entityQueryGet,
		"query":               h.czqlQuery,
		"createObject":        h.createObject,
		"getObject":           h.getObject,
		"updateObject":        h.updateObject,
		"deleteObject":        h.deleteObject,
		"listEntities":        h.listEntities,
		"describeEntities":    h.describeEntities,
		"describeMetadata":    h.describeMetadata,
		"countQuery":          h.countQuery,
		"aggregateQuery":      h.aggregateQuery,
		"retrieveMultiple":    h.retrieveMultiple,
		"relationQuery":       h.relationQuery,
	}
}

// dataSpec is what the data API's handlers read from its spec once, when
// it is loaded.
type dataSpec struct {
	// limits bound the query engine: the where condition's x-max-depth, the
	// orders list's maxItems (CZQL ORDER BY and orders text too), a text
	// operand's maxLength (CZQL literals, which no schema describes) and a
	// constant list's maxItems (CZQL IN lists too).
	limits query.Limits
	// paging holds the Paging schema's defaults, for a page request that
	// omits from or limit: the validator fills no defaults into a request
	// body (validateBody), and the GET form's parameters declare none
	// (kin-openapi would put a parameter's default in place of an empty
	// value, which the spec refuses). The mock's Paging holds plain
	// numbers, so an omitted member reads as 0: that is from's default,
	// and limit is never 0 (its minimum is 1), which dataSpecFrom checks.
	paging dataapi.Paging
	// maxGroups is the most groups an aggregate query may form
	// (AggregateQueryRequest.groupBy's x-max-groups).
	maxGroups int
	// rel holds the Relation schema's bounds (relations.go).
	rel relationLimits
}

// Prepare reads what the handlers read of the data API's spec (a
// dataSpec, pipeline.APISpec.Extra), once per process.
func Prepare(doc *openapi3.T) (any, error) {
	return dataSpecFrom(doc)
}

// dataSpecFrom reads a dataSpec from the data API's spec.
func dataSpecFrom(doc *openapi3.T) (*dataSpec, error) {
	get := func(name string) *openapi3.Schema {
		if ref := doc.Components.Schemas[name]; ref != nil {
			return ref.Value
		}
		return nil
	}
	cond, req, operand, paging := get("Condition"), get("EntityQueryRequest"), get("Operand"), get("Paging")
	if cond == nil || req == nil || operand == nil || paging == nil {
		return nil, fmt.Errorf("mockserver: data spec lacks Condition, EntityQueryRequest, Operand or Paging")
	}
	d := &dataSpec{}
	var err error
	if d.rel, err = relationLimitsFrom(get("Relation")); err != nil {
		return nil, err
	}
	var ok bool
	if d.limits.MaxDepth, ok = pipeline.ExtInt(cond.Extensions, pipeline.ExtMaxDepth); !ok || d.limits.MaxDepth < 1 {
		return nil, fmt.Errorf("mockserver: data spec: Condition has no %s", pipeline.ExtMaxDepth)
	}
	if o := req.Properties["orders"]; o != nil && o.Value.MaxItems != nil {
		d.limits.MaxOrders = int(*o.Value.MaxItems)
	} else {
		return nil, fmt.Errorf("mockserver: data spec: EntityQueryRequest.orders has no maxItems")
	}
	if m := pipeline.LimitOf(operand, func(s *openapi3.Schema) *uint64 { return s.MaxLength }); m != nil {
		d.limits.MaxText = int(*m)
	} else {
		return nil, fmt.Errorf("mockserver: data spec: Operand has no maxLength")
	}
	if e := get("Expression"); e != nil && e.Properties["values"] != nil && e.Properties["values"].Value.MaxItems != nil {
		d.limits.MaxList = int(*e.Properties["values"].Value.MaxItems)
	} else {
		return nil, fmt.Errorf("mockserver: data spec: Expression.values has no maxItems")
	}
	if a := get("AggregateQueryRequest"); a != nil && a.Properties["groupBy"] != nil {
		d.maxGroups, ok = pipeline.ExtInt(a.Properties["groupBy"].Value.Extensions, "x-max-groups")
	}
	if !ok || d.maxGroups < 1 {
		return nil, fmt.Errorf("mockserver: data spec: AggregateQueryRequest.groupBy has no x-max-groups")
	}
	defaults := map[string]any{}
	for name, p := range paging.Properties {
		if p.Value != nil && p.Value.Default != nil {
			defaults[name] = p.Value.Default
		}
	}
	if err := jsonvalue.Decode(defaults, &d.paging); err != nil || defaults["limit"] == nil {
		return nil, fmt.Errorf("mockserver: data spec: Paging needs a default limit (%v)", err)
	}
	if lim := paging.Properties["limit"].Value; lim.Min == nil || *lim.Min < 1 || d.paging.From != 0 {
		return nil, fmt.Errorf("mockserver: data spec: Paging's limit needs a minimum of at least 1, and from a default of 0, for an omitted one to read as 0")
	}
	return d, nil
}

// DecodeBody reads the request body as the generated model T: the body as
// ReadBody decoded and normalised it (camelCase keys) and the validator
// checked it, so each field holds the value validated under its name.
func decodeBody[T any](rc *pipeline.Request) (T, error) {
	var v T
	if err := jsonvalue.Decode(rc.BodyJSON, &v); err != nil {
		var je *jsonvalue.Error
		if errors.As(err, &je) {
			return v, pipeline.BadRequest(je.Path, "%s", je.Msg)
		}
		return v, err
	}
	return v, nil
}

// page returns the position and size of the page p asks for, the spec's
// defaults filled in (an omitted member is 0, see dataSpec.paging). The
// spec bounds no position: one past math.MaxInt32 is past every row, as
// is math.MaxInt32, which the engine adds sizes to without overflowing.
func (d *dataSpec) page(p dataapi.Paging) (from, limit int) {
	from, limit = min(p.From, math.MaxInt32), p.Limit
	if limit == 0 {
		limit = d.paging.Limit
	}
	return from, limit
}

// checkPassword authenticates a user name and password for the public
// authentication operations.
func (h *handlers) checkPassword(rc *pipeline.Request) (*tenant.Tenant, tenant.User, error) {
	sub := rc.Subject()
	if err := rc.Apply(decide.Decide(&rc.Route.Rule, sub, decide.Facts{})); err != nil {
		return nil, tenant.User{}, err
	}
	t := rc.Tenant
	u, _ := t.User(sub.Cred.Caller.User)
	return t, u, nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func userRef(id int64) string { return tenant.Ref{Type: tenant.UserType, ID: id}.String() }

func (h *handlers) getServerDefinition(rc *pipeline.Request) error {
	t, _, err := h.checkPassword(rc)
	if err != nil {
		return err
	}
	base := baseURL(rc.R)
	org := t.OrganizationID()
	rc.WriteJSON(http.StatusOK, "application/json", &dataapi.ServerDefinition{
		ServerLocation: base + "/V2.0/services",
		AppLocation:    &base,
		OrganizationId: &org,
	})
	return nil
}

func (h *handlers) login(rc *pipeline.Request) error {
	t, u, err := h.checkPassword(rc)
	if err != nil {
		return err
	}
	sess, err := t.NewSession(u.ID)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	rc.Target, rc.Write = userRef(u.ID), true
	rc.WriteJSON(http.StatusOK, "application/json", &dataapi.LoginResult{
		SessionId: sess.ID, UserId: userRef(u.ID), OrganizationId: t.OrganizationID(), LicenseType: &licenseType,
	})
	return nil
}

// licenseType is the license every user of the mock holds.
var licenseType = "Full"

func (h *handlers) getSessionInfo(rc *pipeline.Request) error {
	u, _ := rc.Tenant.User(rc.Verdict.Effective)
	body := &dataapi.SessionInfo{
		UserId: userRef(rc.Verdict.Effective), UserName: &u.Login, OrganizationId: rc.Tenant.OrganizationID(), LicenseType: &licenseType,
	}
	if rc.SessionID != "" {
		body.SessionId = &rc.SessionID
	}
	rc.WriteJSON(http.StatusOK, "application/json", body)
	return nil
}

func (h *handlers) logout(rc *pipeline.Request) error {
	rc.Tenant.EndSession(rc.SessionID)
	rc.Target, rc.Write = userRef(rc.Verdict.Caller.User), true
	rc.WriteJSON(http.StatusOK, "application/json", dataapi.EmptyResult{})
	return nil
}

// entitySpec is a parsed entity query, from any of its three forms.
type entitySpec struct {
	et     tenant.EntityType
	fields []string
	// fieldPos holds CZQL positions of fields, to locate a bad name.
	fieldPos []int
	proj     render.Projection
	where    query.Expr
	orders   []query.Order
	from     int
	limit    int
	// cap and skip come from CZQL LIMIT and OFFSET.
	cap, skip int
	// version is the tenant's version when finish judged the projection.
	version uint64
	// rels are the relations to nest in each entity (relations.go).
	rels []relSpec
}

// resolveType finds the entity type named in a request field.
func resolveType(rc *pipeline.Request, field, name string) (tenant.EntityType, error) {
	et, ok := rc.Tenant.EntityType(name)
	if !ok {
		return et, pipeline.BadRequest(field, "unknown entity type %q", name)
	}
	rc.SetEntityType(et.Name)
	return et, nil
}

// finish resolves the field list; fieldsPath names it in errors.
// Conditions and orders are checked by the engine, paging by the validator.
func (q *entitySpec) finish(rc *pipeline.Request, fieldsPath string) error {
	if len(q.fields) == 0 {
		q.proj = render.AllProjection(&q.et)
	} else {
		proj, bad, why := render.ResolveProjection(rc.Tenant, &q.et, q.fields, "id")
		if bad != "" {
			if i := slices.Index(q.fields, bad); i >= 0 && i < len(q.fieldPos) {
				return pipeline.BadRequest(fieldsPath, "at position %d: %s", q.fieldPos[i], why)
			}
			return pipeline.BadRequest(fieldsPath, "%s: %s", bad, why)
		}
		for _, p := range proj {
			if len(p.Subs) > 0 && p.Type.RefType != tenant.UserType {
				if err := rc.AuthorizeRelatedType(p.Type.RefType); err != nil {
					return err
				}
			}
		}
		q.proj = proj
	}
	// The version the projection's readable references were judged at: a
	// page read at another is not kept (pageCache).
	q.version = rc.Tenant.Version()
	render.ReadableRefs(rc.Tenant, rc.Verdict.Effective, q.proj)
	return nil
}

// run answers the query over the rows the effective user may read (the
// engine applies row-level access in its plan) and writes one page, a
// dataapi.EntityQueryResult encoded as it is read; totals and hasMore
// count visible rows only.
func (q *entitySpec) run(rc *pipeline.Request, st *State, field string) error {
	if len(q.rels) > 0 {
		return q.runWithRelations(rc, field)
	}
	key := ""
	if st != nil && !cacheable(rc) {
		st = nil
	}
	if st != nil {
		key = pageKey(rc)
		if p, ok := st.pages.get(key, rc.Tenant.Version()); ok {
			rc.WriteEncoded(http.StatusOK, "application/json", p.body, p.length)
			return nil
		}
	}
	bp := render.GetBuf()
	defer render.PutBuf(bp)
	b := append(*bp, `{"entities":[`...)
	info, err := rc.Tenant.Query(tenant.QuerySpec{
		Type: q.et.Name, User: rc.Verdict.Effective, Where: q.where, Orders: q.orders, IDField: "id",
		Skip: q.skip, Cap: q.cap, From: q.from, Limit: q.limit, Context: rc.WorkContext(),
	}, func(rows *tenant.Rows) error {
		b = render.AppendEntities(b, rows, q.proj)
		return nil
	})
	if err != nil {
		return pipeline.QueryError(field, err)
	}
	b = append(b, `],"paging":`...)
	b = render.AppendPaging(b, dataapi.Paging{From: info.Next, Limit: q.limit, HasMore: info.HasMore})
	b = append(b, '}')
	*bp = b
	if st != nil && info.Version == q.version {
		st.pages.put(key, info.Version, b)
	}
	rc.WriteRaw(http.StatusOK, "application/json", b)
	return nil
}

func (h *handlers) entityQuery(rc *pipeline.Request) error {
	req, err := decodeBody[dataapi.EntityQueryRequest](rc)
	if err != nil {
		return err
	}
	et, err := resolveType(rc, "typeName", req.TypeName)
	if err != nil {
		return err
	}
	d := rc.Route.Spec.Extra.(*dataSpec)
	q := &entitySpec{et: et, fields: req.Fields}
	if q.where, err = d.limits.ParseWhere(req.Where, "where"); err != nil {
		return pipeline.QueryError("where", err)
	}
	if req.Orders != nil {
		q.orders = make([]query.Order, len(req.Orders))
		for i, o := range req.Orders {
			q.orders[i] = query.Order{Field: o.FieldName, Descending: o.Order != nil && *o.Order == dataapi.Descending,
				Path: "orders[" + strconv.Itoa(i) + "].fieldName"}
		}
	}
	q.from, q.limit = d.page(req.Paging)
	if err := q.finish(rc, "fields"); err != nil {
		return err
	}
	if q.rels, err = d.relations(rc, et.Name, req.Relations, "relations", q.limit, "paging.limit"); err != nil {
		return err
	}
	return q.run(rc, h.stateOf(rc.Tenant), "where")
}

// setPath names the request field of CZQL conditions parsed from a
// parameter.
func setPath(x query.Expr, path string) {
	switch e := x.(type) {
	case *query.Compare:
		e.Path = path
	case query.And:
		for _, y := range e {
			setPath(y, path)
		}
	case query.Or:
		for _, y := range e {
			setPath(y, path)
		}
	case query.Not:
		setPath(e.X, path)
	}
}

// listParam reads a comma-separated list parameter (style form, not
// exploded); repeated parameters are joined.
func listParam(v []string) []string {
	var out []string
	for _, s := range v {
		out = append(out, strings.Split(s, ",")...)
	}
	return out
}

// entityQueryGetParams reads the query parameters of entityQueryGet as the
// validator checked them (whole numbers within their bounds).
func entityQueryGetParams(rc *pipeline.Request) (dataapi.EntityQueryGetParams, error) {
	v := rc.R.URL.Query()
	p := dataapi.EntityQueryGetParams{TypeName: v.Get("typeName"), Fields: listParam(v["fields"])}
	if s, ok := v["where"]; ok {
		p.Where = &s[0]
	}
	if s, ok := v["orders"]; ok {
		p.Orders = &s[0]
	}
	var err error
	if p.From, err = intParam(v, "from"); err != nil {
		return p, err
	}
	p.Limit, err = intParam(v, "limit")
	return p, err
}

// intParam reads an integer query parameter (nil when absent).
func intParam(v url.Values, name string) (*int, error) {
	s, ok := v[name]
	if !ok {
		return nil, nil
	}
	n, err := strconv.Atoi(s[0])
	if err != nil {
		return nil, pipeline.BadRequest(name, "%q is not a whole number", s[0])
	}
	return &n, nil
}

func (h *handlers) entityQueryGet(rc *pipeline.Request) error {
	p, err := entityQueryGetParams(rc)
	if err != nil {
		return err
	}
	et, err := resolveType(rc, "typeName", p.TypeName)
	if err != nil {
		return err
	}
	d := rc.Route.Spec.Extra.(*dataSpec)
	q := &entitySpec{et: et, fields: p.Fields}
	if p.Where != nil {
		if q.where, err = d.limits.ParseCondition(*p.Where, nil); err != nil {
			return pipeline.QueryError("where", err)
		}
		setPath(q.where, "where")
	} else {
		q.where = query.True{}
	}
	if p.Orders != nil {
		if q.orders, err = d.limits.ParseOrders(*p.Orders); err != nil {
			return pipeline.QueryError("orders", err)
		}
		for i := range q.orders {
			q.orders[i].Path = "orders"
		}
	}
	var pg dataapi.Paging
	if p.From != nil {
		pg.From = *p.From
	}
	if p.Limit != nil {
		pg.Limit = *p.Limit
	}
	q.from, q.limit = d.page(pg)
	if err := q.finish(rc, "fields"); err != nil {
		return err
	}
	return q.run(rc, h.stateOf(rc.Tenant), "where")
}

func (h *handlers) czqlQuery(rc *pipeline.Request) error {
	req, err := decodeBody[dataapi.QueryRequest](rc)
	if err != nil {
		return err
	}
	var params map[string]any
	if req.Parameters != nil {
		params = *req.Parameters
	}
	d := rc.Route.Spec.Extra.(*dataSpec)
	parsed, err := d.limits.ParseQuery(req.Q, params)
	if err != nil {
		return pipeline.QueryError("q", err)
	}
	et, ok := rc.Tenant.EntityType(parsed.From)
	if !ok {
		return pipeline.BadRequest("q", "at position %d: unknown entity type %q", parsed.FromPos, parsed.From)
	}
	rc.SetEntityType(et.Name)
	q := &entitySpec{et: et, fields: parsed.Fields, fieldPos: parsed.FieldPos, where: parsed.Where, orders: parsed.Orders,
		cap: parsed.Limit, skip: parsed.Offset}
	q.from, q.limit = d.page(req.Paging)
	if err := q.finish(rc, "q"); err != nil {
		return err
	}
	return q.run(rc, h.stateOf(rc.Tenant), "q")
}

// objectRef reads the {typeName}/{id} path of the objects operations.
func objectRef(rc *pipeline.Request) (tenant.EntityType, int64, error) {
	et, ok := rc.Tenant.EntityType(rc.Params["typeName"])
	if !ok {
		return et, 0, pipeline.NotFound("entity type %s does not exist", rc.Params["typeName"])
	}
	rc.SetEntityType(et.Name)
	id, err := strconv.ParseInt(rc.Params["id"], 10, 64)
	if err != nil || id <= 0 {
		return et, 0, pipeline.NotFound("entity /%s/%s was not found", et.Name, rc.Params["id"])
	}
	rc.Target = tenant.Ref{Type: et.Name, ID: id}.String()
	return et, id, nil
}

// entityError maps tenant errors of single-row operations; write says the
// operation changes the row (update, delete).
func entityError(rc *pipeline.Request, et tenant.EntityType, id int64, err error, write bool) error {
	ref := tenant.Ref{Type: et.Name, ID: id}
	var ve *tenant.ValueError
	switch {
	case errors.Is(err, tenant.ErrHidden):
		e := rc.HideRow(ref)
		if write {
			// Writes follow row-level sharing under apiDataAccess: bypass
			// too, so the setting is no fix here.
			rc.Decision.Fix = fmt.Sprintf("share %s with user %d or one of its groups (apiDataAccess: bypass opens API reads only, not writes)", ref, rc.Verdict.Effective)
		}
		return e
	case errors.Is(err, tenant.ErrNotFound):
		return rc.MissingRow(ref)
	case errors.As(err, &ve):
		return pipeline.BadRequest(ve.Field, "%s", ve.Msg)
	}
	return err
}

func (h *handlers) getObject(rc *pipeline.Request) error {
	et, id, err := objectRef(rc)
	if err != nil {
		return err
	}
	e, err := rc.Tenant.Entity(et.Name, id, rc.Verdict.Effective)
	if err != nil {
		return entityError(rc, et, id, err, false)
	}
	p := dataapi.GetObjectParams{Fields: listParam(rc.R.URL.Query()["fields"])}
	var fields []string
	if p.Fields == nil {
		fields = render.AllFields(&et)
	} else {
		var bad string
		if fields, bad = render.ResolveFields(&et, p.Fields, "id"); bad != "" {
			return pipeline.BadRequest("fields", "%s has no field %q", et.Name, bad)
		}
	}
	values := render.Entity(rc.Tenant, rc.Verdict.Effective, &e, fields)
	delete(values, "id")
	rc.WriteJSON(http.StatusOK, "application/json", dataapi.Entity{Id: e.Ref().String(), AdditionalProperties: values})
	return nil
}

// entityValues reads an objects body; "id" keys are ignored.
func entityValues(rc *pipeline.Request) (dataapi.EntityValues, error) {
	body, err := decodeBody[dataapi.EntityValues](rc)
	if err != nil {
		return nil, err
	}
	out := make(dataapi.EntityValues, len(body))
	for k, v := range body {
		if !strings.EqualFold(k, "id") {
			out[k] = v
		}
	}
	return out, nil
}

func (h *handlers) createObject(rc *pipeline.Request) error {
	et, ok := rc.Tenant.EntityType(rc.Params["typeName"])
	if !ok {
		return pipeline.BadRequest("typeName", "unknown entity type %q", rc.Params["typeName"])
	}
	rc.SetEntityType(et.Name)
	values, err := entityValues(rc)
	if err != nil {
		return err
	}
	e, err := rc.Tenant.CreateEntity(et.Name, rc.Verdict.Effective, values)
	if err != nil {
		return entityError(rc, et, 0, err, false)
	}
	rc.Target, rc.Write = e.Ref().String(), true
	rc.WriteJSON(http.StatusOK, "application/json", &dataapi.CreateResult{Id: e.Ref().String()})
	return nil
}

func (h *handlers) updateObject(rc *pipeline.Request) error {
	et, id, err := objectRef(rc)
	if err != nil {
		return err
	}
	values, err := entityValues(rc)
	if err != nil {
		return err
	}
	if _, err := rc.Tenant.UpdateEntity(et.Name, id, rc.Verdict.Effective, values); err != nil {
		return entityError(rc, et, id, err, true)
	}
	rc.Write = true
	rc.WriteJSON(http.StatusOK, "application/json", dataapi.EmptyResult{})
	return nil
}

func (h *handlers) deleteObject(rc *pipeline.Request) error {
	et, id, err := objectRef(rc)
	if err != nil {
		return err
	}
	if err := rc.Tenant.DeleteEntity(et.Name, id, rc.Verdict.Effective); err != nil {
		return entityError(rc, et, id, err, true)
	}
	rc.Write = true
	rc.WriteJSON(http.StatusOK, "application/json", dataapi.EmptyResult{})
	return nil
}

// surfaceData is the data API's wire format: errors as {errorCode, message,
// referenceId}, the data API's quota wording.
var Surface = &pipeline.Surface{
	Name: "data",
	WriteError: func(rc *pipeline.Request, e *pipeline.Error) {
		rc.WriteJSON(e.Status, "application/json", &dataapi.Error{ErrorCode: dataErrorCode(e), Message: e.Msg, ReferenceId: &rc.CorrelationID})
	},
	RateLimitMessage: func(requests, windowSecs int) string {
		return fmt.Sprintf("API calls quota exceeded: at most %d calls per %d seconds", requests, windowSecs)
	},
}

// dataErrorCode maps a failure to the data API's errorCode.
func dataErrorCode(e *pipeline.Error) string {
	switch e.Kind {
	case pipeline.KindUnauthenticated:
		if e.Code == wire.CodeExpiredCredential {
			return "SessionTimeout"
		}
		return "Unauthorized"
	case pipeline.KindScope, pipeline.KindProxy, pipeline.KindPermission:
		return "MissingPermissions"
	case pipeline.KindObject:
		return "EntityTypeNotAccessible"
	case pipeline.KindNotFound:
		return "EntityNotFound"
	case pipeline.KindInternal:
		return "InternalError"
	case pipeline.KindRateLimited:
		return "RequestLimitExceeded"
	case pipeline.KindUnavailable:
		return "ServiceUnavailable"
	}
	return "InvalidArgument"
}
