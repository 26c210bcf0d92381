package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/internal/wire"
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
	m := rc.bodyMap()
	name, _ := m["userName"].(string)
	password, _ := m["password"].(string)
	t := s.tenantForIdentifier(name)
	rc.tenant = t
	u, ok := t.CheckPassword(name, password)
	if !ok {
		rc.decision.Outcome, rc.decision.Step, rc.decision.Code = wire.OutcomeDeny, wire.StepAuthenticate, wire.CodeUnknownCredential
		rc.decision.Reason = "the user name or password is incorrect"
		rc.decision.Fix = "use a login user name (email) and password of the tenant"
		return nil, tenant.User{}, unauthenticated(wire.CodeUnknownCredential, "The user name or password is incorrect")
	}
	rc.setCaller(t, wire.Caller{Kind: callerSession, ID: "session", User: u.ID})
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
	u, _ := rc.tenant.User(rc.effective)
	body := map[string]any{
		"userId":         userRef(rc.effective),
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
	rc.target, rc.write = userRef(rc.callerUser), true
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{})
	return nil
}

// entitySpec is a parsed entity query, from any of its three forms.
type entitySpec struct {
	et     tenant.EntityType
	fields []string
	where  query.Expr
	orders []query.Order
	from   int
	limit  int
	// cap and skip come from CZQL LIMIT and OFFSET.
	cap, skip int
}

// resolveType finds the entity type named in a request field.
func (rc *reqCtx) resolveType(field, name string) (tenant.EntityType, error) {
	et, ok := rc.tenant.EntityType(name)
	if !ok {
		return et, badRequest(field, "unknown entity type %q", name)
	}
	rc.entityType = et.Name
	rc.decision.EntityType = et.Name
	return et, nil
}

// finish checks field names and fills defaults.
func (q *entitySpec) finish(fieldsPath string) error {
	if q.where == nil {
		q.where = query.True{}
	}
	if f := checkExprFields(&q.et, q.where, "id"); f != "" {
		return badRequest("where", "%s has no field %q", q.et.Name, f)
	}
	if f := checkOrderFields(&q.et, q.orders, "id"); f != "" {
		return badRequest("orders", "%s has no field %q", q.et.Name, f)
	}
	if len(q.fields) == 0 {
		q.fields = allFields(&q.et)
	} else {
		fs, bad := resolveFields(&q.et, q.fields, "id")
		if bad != "" {
			return badRequest(fieldsPath, "%s has no field %q", q.et.Name, bad)
		}
		q.fields = fs
	}
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

// run evaluates the query over the rows the effective user may read and
// writes one page. totals and hasMore count visible rows only.
func (q *entitySpec) run(rc *reqCtx) error {
	rows, err := rc.tenant.Entities(q.et.Name, rc.effective)
	if err != nil {
		return badRequest("typeName", "unknown entity type %q", q.et.Name)
	}
	matched := make([]record, 0, len(rows))
	for i := range rows {
		r := record{e: &rows[i], et: &q.et}
		if q.where.Eval(r) {
			matched = append(matched, r)
		}
	}
	query.Sort(matched, q.orders)
	matched = window(matched, q.skip, q.cap)
	page := window(matched, q.from, q.limit)
	entities := make([]map[string]any, len(page))
	for i, r := range page {
		entities[i] = renderEntity(rc.tenant, r.e, q.fields)
	}
	next := min(q.from, len(matched)) + len(page)
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{
		"entities": entities,
		"paging":   map[string]any{"from": next, "limit": q.limit, "hasMore": next < len(matched)},
	})
	return nil
}

// window returns rows[skip:skip+n] clamped (n <= 0: to the end).
func window[T any](rows []T, skip, n int) []T {
	if skip >= len(rows) {
		return rows[:0]
	}
	rows = rows[skip:]
	if n > 0 && n < len(rows) {
		rows = rows[:n]
	}
	return rows
}

func intField(m map[string]any, key string) int {
	switch v := m[key].(type) {
	case float64:
		return int(v)
	case int:
		return v
	}
	return 0
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
		if f == "" {
			return badRequest(fmt.Sprintf("orders[%d].fieldName", i), "is required")
		}
		q.orders = append(q.orders, query.Order{Field: f, Descending: strings.EqualFold(dir, "Descending")})
	}
	if p, ok := m["paging"].(map[string]any); ok {
		q.from, q.limit = intField(p, "from"), intField(p, "limit")
	}
	if err := q.finish("fields"); err != nil {
		return err
	}
	return q.run(rc)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// queryError reports a query parse error as a 400 naming the field (and,
// for syntax errors, the position).
func queryError(field string, err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		return badRequest(qe.Path, "%s", qe.Msg)
	}
	return badRequest(field, "%s", err.Error())
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
	if err := q.finish("fields"); err != nil {
		return err
	}
	return q.run(rc)
}

func (s *Server) czqlQuery(rc *reqCtx) error {
	m := rc.bodyMap()
	text, _ := m["q"].(string)
	params, _ := m["parameters"].(map[string]any)
	parsed, err := query.ParseQuery(text, params)
	if err != nil {
		return queryError("q", err)
	}
	et, err := rc.resolveType("q", parsed.From)
	if err != nil {
		return err
	}
	q := &entitySpec{et: et, fields: parsed.Fields, where: parsed.Where, orders: parsed.Orders, cap: parsed.Limit, skip: parsed.Offset}
	if p, ok := m["paging"].(map[string]any); ok {
		q.from, q.limit = intField(p, "from"), intField(p, "limit")
	}
	if err := q.finish("q"); err != nil {
		return err
	}
	return q.run(rc)
}

// objectRef reads the {typeName}/{id} path of the objects operations.
func (rc *reqCtx) objectRef() (tenant.EntityType, int64, error) {
	et, ok := rc.tenant.EntityType(rc.params["typeName"])
	if !ok {
		return et, 0, notFound("entity type %s does not exist", rc.params["typeName"])
	}
	rc.entityType, rc.decision.EntityType = et.Name, et.Name
	id, err := strconv.ParseInt(rc.params["id"], 10, 64)
	if err != nil || id <= 0 {
		return et, 0, notFound("entity /%s/%s was not found", et.Name, rc.params["id"])
	}
	rc.target = tenant.Ref{Type: et.Name, ID: id}.String()
	return et, id, nil
}

// entityError maps tenant errors of single-row operations.
func (rc *reqCtx) entityError(et tenant.EntityType, id int64, err error) error {
	ref := tenant.Ref{Type: et.Name, ID: id}
	var ve *tenant.ValueError
	switch {
	case errors.Is(err, tenant.ErrHidden):
		return rc.hideRow(ref)
	case errors.Is(err, tenant.ErrNotFound):
		return notFound("entity %s was not found", ref)
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
	e, err := rc.tenant.Entity(et.Name, id, rc.effective)
	if err != nil {
		return rc.entityError(et, id, err)
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
	rc.writeJSON(http.StatusOK, "application/json", renderEntity(rc.tenant, &e, fields))
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
	rc.entityType, rc.decision.EntityType = et.Name, et.Name
	e, err := rc.tenant.CreateEntity(et.Name, rc.effective, rc.entityValues())
	if err != nil {
		return rc.entityError(et, 0, err)
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
	if _, err := rc.tenant.UpdateEntity(et.Name, id, rc.effective, rc.entityValues()); err != nil {
		return rc.entityError(et, id, err)
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
	if err := rc.tenant.DeleteEntity(et.Name, id, rc.effective); err != nil {
		return rc.entityError(et, id, err)
	}
	rc.write = true
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{})
	return nil
}
