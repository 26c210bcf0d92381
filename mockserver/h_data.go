package mockserver

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Data API paging limits.
const (
	dataDefaultLimit = 100
	dataMaxLimit     = 5000
)

func (s *Server) dataHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"getServerDefinition": s.getServerDefinition,
		"login":               s.login,
		"getSessionInfo":      s.getSessionInfo,
		"logout":              s.logout,
		"entityQuery":         s.entityQuery,
		"entityQueryGet":      s.entityQueryGet,
		"query":               s.czqlQuery,
		"createObject":        s.createObject,
		"getObject":           s.getObject,
		"updateObject":        s.updateObject,
		"deleteObject":        s.deleteObject,
	}
}

// bodyMap returns the JSON object body (empty when none).
func (rc *reqCtx) bodyMap() map[string]any {
	m, _ := rc.bodyJSON.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// checkPassword authenticates a user name and password for the public
// authentication operations.
func (s *Server) checkPassword(rc *reqCtx) (*tenant.Tenant, tenant.User, error) {
	sub := s.subject(rc)
	if err := rc.apply(decide.Decide(&rc.route.rule, sub, decide.Facts{})); err != nil {
		return nil, tenant.User{}, err
	}
	t := rc.tenant
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

func (s *Server) getServerDefinition(rc *reqCtx) error {
	t, _, err := s.checkPassword(rc)
	if err != nil {
		return err
	}
	base := baseURL(rc.r)
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{
		"serverLocation": base + "/V2.0/services",
		"appLocation":    base,
		"organizationId": t.OrganizationID(),
	})
	return nil
}

func (s *Server) login(rc *reqCtx) error {
	t, u, err := s.checkPassword(rc)
	if err != nil {
		return err
	}
	sess, err := t.NewSession(u.ID)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	rc.target, rc.write = userRef(u.ID), true
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{
		"sessionId":      sess.ID,
		"userId":         userRef(u.ID),
		"organizationId": t.OrganizationID(),
		"licenseType":    "Full",
	})
	return nil
}

func (s *Server) getSessionInfo(rc *reqCtx) error {
	u, _ := rc.tenant.User(rc.verdict.Effective)
	body := map[string]any{
		"userId":         userRef(rc.verdict.Effective),
		"userName":       u.Login,
		"organizationId": rc.tenant.OrganizationID(),
		"licenseType":    "Full",
	}
	if rc.sessionID != "" {
		body["sessionId"] = rc.sessionID
	}
	rc.writeJSON(http.StatusOK, "application/json", body)
	return nil
}

func (s *Server) logout(rc *reqCtx) error {
	rc.tenant.EndSession(rc.sessionID)
	rc.target, rc.write = userRef(rc.verdict.Caller.User), true
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{})
	return nil
}

// entitySpec is a parsed entity query, from any of its three forms.
type entitySpec struct {
	et     tenant.EntityType
	fields []string
	// fieldPos holds CZQL positions of fields, to locate a bad name.
	fieldPos []int
	proj     projection
	where    query.Expr
	orders   []query.Order
	from     int
	limit    int
	// cap and skip come from CZQL LIMIT and OFFSET.
	cap, skip int
	// version is the tenant's version when finish judged the projection.
	version uint64
}

// resolveType finds the entity type named in a request field.
func (rc *reqCtx) resolveType(field, name string) (tenant.EntityType, error) {
	et, ok := rc.tenant.EntityType(name)
	if !ok {
		return et, badRequest(field, "unknown entity type %q", name)
	}
	rc.setEntityType(et.Name)
	return et, nil
}

// finish checks the field list and fills defaults; fieldsPath names the
// field list in errors. Conditions and orders are checked by the engine.
func (q *entitySpec) finish(rc *reqCtx, fieldsPath string) error {
	if len(q.fields) == 0 {
		q.proj = allProjection(&q.et)
	} else {
		proj, bad, why := resolveProjection(rc.tenant, &q.et, q.fields, "id")
		if bad != "" {
			if i := slices.Index(q.fields, bad); i >= 0 && i < len(q.fieldPos) {
				return badRequest(fieldsPath, "at position %d: %s", q.fieldPos[i], why)
			}
			return badRequest(fieldsPath, "%s: %s", bad, why)
		}
		for _, p := range proj {
			if len(p.subs) > 0 && p.ft.RefType != tenant.UserType {
				if err := rc.authorizeRelatedType(p.ft.RefType); err != nil {
					return err
				}
			}
		}
		q.proj = proj
	}
	// The version the projection's readable references were judged at: a
	// page read at another is not kept (pageCache).
	q.version = rc.tenant.Version()
	readableRefs(rc.tenant, rc.verdict.Effective, q.proj)
	if q.limit <= 0 {
		q.limit = dataDefaultLimit
	}
	if q.limit > dataMaxLimit {
		q.limit = dataMaxLimit
	}
	if q.from < 0 {
		q.from = 0
	}
	return nil
}

// run answers the query over the rows the effective user may read (the
// engine applies row-level access in its plan) and writes one page; totals
// and hasMore count visible rows only.
func (q *entitySpec) run(rc *reqCtx, field string) error {
	st, key := rc.state, ""
	if st != nil {
		key = pageKey(rc)
		if p, ok := st.pages.get(key, rc.tenant.Version()); ok {
			rc.writeEncoded(http.StatusOK, "application/json", p.body, p.length)
			return nil
		}
	}
	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"entities":[`...)
	info, err := rc.tenant.Query(tenant.QuerySpec{
		Type: q.et.Name, User: rc.verdict.Effective, Where: q.where, Orders: q.orders, IDField: "id",
		Skip: q.skip, Cap: q.cap, From: q.from, Limit: q.limit, Context: rc.workContext(),
	}, func(rows *tenant.Rows) error {
		b = appendEntities(b, rows, q.proj)
		return nil
	})
	if err != nil {
		return queryError(field, err)
	}
	b = append(b, `],"paging":{"from":`...)
	b = strconv.AppendInt(b, int64(info.Next), 10)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(q.limit), 10)
	b = append(b, `,"hasMore":`...)
	b = strconv.AppendBool(b, info.HasMore)
	b = append(b, "}}"...)
	*bp = b
	if st != nil && info.Version == q.version {
		st.pages.put(key, info.Version, b)
	}
	rc.writeRaw(http.StatusOK, "application/json", b)
	return nil
}

// window returns rows[skip:skip+n] clamped (n <= 0: to the end).
func window[T any](rows []T, skip, n int) []T {
	if skip < 0 || skip >= len(rows) {
		return rows[:0]
	}
	rows = rows[skip:]
	if n > 0 && n < len(rows) {
		rows = rows[:n]
	}
	return rows
}

// pageSkip is how many rows page number (1-based) of size rows skips; a
// page beyond any possible row skips them all instead of overflowing.
func pageSkip(number, size int) int {
	if number <= 1 || size <= 0 {
		return 0
	}
	if number-1 > math.MaxInt32/size {
		return math.MaxInt
	}
	return (number - 1) * size
}

// intField reads a JSON number as an int, clamped to [0, math.MaxInt32]
// (paging positions and sizes; a larger value pages past every row rather
// than overflowing).
func intField(m map[string]any, key string) int {
	v, _ := m[key].(float64)
	return int(max(0, min(v, math.MaxInt32)))
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) entityQuery(rc *reqCtx) error {
	m := rc.bodyMap()
	name, _ := m["typeName"].(string)
	et, err := rc.resolveType("typeName", name)
	if err != nil {
		return err
	}
	q := &entitySpec{et: et, fields: stringList(m["fields"])}
	if q.where, err = query.ParseWhere(m["where"], "where"); err != nil {
		return queryError("where", err)
	}
	for i, o := range asList(m["orders"]) {
		om, _ := o.(map[string]any)
		f, _ := om["fieldName"].(string)
		dir, _ := om["order"].(string)
		path := fmt.Sprintf("orders[%d]", i)
		if f == "" {
			return badRequest(path+".fieldName", "is required")
		}
		desc := strings.EqualFold(dir, "Descending")
		if dir != "" && !desc && !strings.EqualFold(dir, "Ascending") {
			return badRequest(path+".order", "%q is not Ascending or Descending", dir)
		}
		q.orders = append(q.orders, query.Order{Field: f, Descending: desc, Path: path + ".fieldName"})
	}
	if p, ok := m["paging"].(map[string]any); ok {
		q.from, q.limit = intField(p, "from"), intField(p, "limit")
	}
	if err := q.finish(rc, "fields"); err != nil {
		return err
	}
	return q.run(rc, "where")
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// queryError reports a query error as a 400 naming the field (and, for
// CZQL text, the position). Errors that are not the client's are returned
// as they are.
func queryError(field string, err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		msg := qe.Msg
		if qe.Pos > 0 {
			msg = fmt.Sprintf("at position %d: %s", qe.Pos, qe.Msg)
		}
		if qe.Path != "" {
			field = qe.Path
		}
		return badRequest(field, "%s", msg)
	}
	var se *query.SyntaxError
	if errors.As(err, &se) {
		return badRequest(field, "%s", se.Error())
	}
	if errors.Is(err, tenant.ErrNotFound) {
		return badRequest("typeName", "%v", err)
	}
	return err
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

func (s *Server) entityQueryGet(rc *reqCtx) error {
	v := rc.r.URL.Query()
	et, err := rc.resolveType("typeName", v.Get("typeName"))
	if err != nil {
		return err
	}
	q := &entitySpec{et: et}
	for _, f := range v["fields"] {
		q.fields = append(q.fields, strings.Split(f, ",")...)
	}
	if q.where, err = query.ParseCondition(v.Get("where"), nil); err != nil {
		return queryError("where", err)
	}
	if q.orders, err = query.ParseOrders(v.Get("orders")); err != nil {
		return queryError("orders", err)
	}
	q.from, _ = strconv.Atoi(v.Get("from"))
	q.limit, _ = strconv.Atoi(v.Get("limit"))
	for i := range q.orders {
		q.orders[i].Path = "orders"
	}
	setPath(q.where, "where")
	if err := q.finish(rc, "fields"); err != nil {
		return err
	}
	return q.run(rc, "where")
}

func (s *Server) czqlQuery(rc *reqCtx) error {
	m := rc.bodyMap()
	text, _ := m["q"].(string)
	params, _ := m["parameters"].(map[string]any)
	if p, has := m["parameters"]; has && p != nil && params == nil {
		return badRequest("parameters", "must be an object of named values")
	}
	parsed, err := query.ParseQuery(text, params)
	if err != nil {
		return queryError("q", err)
	}
	et, ok := rc.tenant.EntityType(parsed.From)
	if !ok {
		return badRequest("q", "at position %d: unknown entity type %q", parsed.FromPos, parsed.From)
	}
	rc.setEntityType(et.Name)
	q := &entitySpec{et: et, fields: parsed.Fields, fieldPos: parsed.FieldPos, where: parsed.Where, orders: parsed.Orders,
		cap: parsed.Limit, skip: parsed.Offset}
	if p, ok := m["paging"].(map[string]any); ok {
		q.from, q.limit = intField(p, "from"), intField(p, "limit")
	}
	if err := q.finish(rc, "q"); err != nil {
		return err
	}
	return q.run(rc, "q")
}

// objectRef reads the {typeName}/{id} path of the objects operations.
func (rc *reqCtx) objectRef() (tenant.EntityType, int64, error) {
	et, ok := rc.tenant.EntityType(rc.params["typeName"])
	if !ok {
		return et, 0, notFound("entity type %s does not exist", rc.params["typeName"])
	}
	rc.setEntityType(et.Name)
	id, err := strconv.ParseInt(rc.params["id"], 10, 64)
	if err != nil || id <= 0 {
		return et, 0, notFound("entity /%s/%s was not found", et.Name, rc.params["id"])
	}
	rc.target = tenant.Ref{Type: et.Name, ID: id}.String()
	return et, id, nil
}

// entityError maps tenant errors of single-row operations; write says the
// operation changes the row (update, delete).
func (rc *reqCtx) entityError(et tenant.EntityType, id int64, err error, write bool) error {
	ref := tenant.Ref{Type: et.Name, ID: id}
	var ve *tenant.ValueError
	switch {
	case errors.Is(err, tenant.ErrHidden):
		e := rc.hideRow(ref)
		if write {
			// Writes follow row-level sharing under apiDataAccess: bypass
			// too, so the setting is no fix here.
			rc.decision.Fix = fmt.Sprintf("share %s with user %d or one of its groups (apiDataAccess: bypass opens API reads only, not writes)", ref, rc.verdict.Effective)
		}
		return e
	case errors.Is(err, tenant.ErrNotFound):
		return rc.missingRow(ref)
	case errors.As(err, &ve):
		return badRequest(ve.Field, "%s", ve.Msg)
	}
	return err
}

func (s *Server) getObject(rc *reqCtx) error {
	et, id, err := rc.objectRef()
	if err != nil {
		return err
	}
	e, err := rc.tenant.Entity(et.Name, id, rc.verdict.Effective)
	if err != nil {
		return rc.entityError(et, id, err, false)
	}
	var fields []string
	for _, f := range rc.r.URL.Query()["fields"] {
		fields = append(fields, strings.Split(f, ",")...)
	}
	if len(fields) == 0 {
		fields = allFields(&et)
	} else {
		var bad string
		if fields, bad = resolveFields(&et, fields, "id"); bad != "" {
			return badRequest("fields", "%s has no field %q", et.Name, bad)
		}
	}
	rc.writeJSON(http.StatusOK, "application/json", renderEntity(rc.tenant, rc.verdict.Effective, &e, fields))
	return nil
}

// entityValues reads an objects body; "id" keys are ignored.
func (rc *reqCtx) entityValues() map[string]any {
	m := rc.bodyMap()
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !strings.EqualFold(k, "id") {
			out[k] = v
		}
	}
	return out
}

func (s *Server) createObject(rc *reqCtx) error {
	et, ok := rc.tenant.EntityType(rc.params["typeName"])
	if !ok {
		return badRequest("typeName", "unknown entity type %q", rc.params["typeName"])
	}
	rc.setEntityType(et.Name)
	e, err := rc.tenant.CreateEntity(et.Name, rc.verdict.Effective, rc.entityValues())
	if err != nil {
		return rc.entityError(et, 0, err, false)
	}
	rc.target, rc.write = e.Ref().String(), true
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{"id": e.Ref().String()})
	return nil
}

func (s *Server) updateObject(rc *reqCtx) error {
	et, id, err := rc.objectRef()
	if err != nil {
		return err
	}
	if _, err := rc.tenant.UpdateEntity(et.Name, id, rc.verdict.Effective, rc.entityValues()); err != nil {
		return rc.entityError(et, id, err, true)
	}
	rc.write = true
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{})
	return nil
}

func (s *Server) deleteObject(rc *reqCtx) error {
	et, id, err := rc.objectRef()
	if err != nil {
		return err
	}
	if err := rc.tenant.DeleteEntity(et.Name, id, rc.verdict.Effective); err != nil {
		return rc.entityError(et, id, err, true)
	}
	rc.write = true
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{})
	return nil
}
