package mockserver

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const (
	rowsDefaultLimit  = 100
	rowsMaxLimit      = 10000
	proxyDefaultPage  = 100
	proxyMaxPageSize  = 1000
	entryIDField      = "EntryId"
	rowsQueryFieldKey = "query"
)

func (s *Server) relationshipHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"getToken":               s.tokenHandler(relationshipTokenLifetime),
		"getProxyAssignments":    s.getProxyAssignments,
		"createProxyAssignments": s.createProxyAssignments,
		"getRows":                s.getRows,
		"queryRows":              s.queryRows,
	}
}

// matchUser reports whether q (a user id or email; a name too when byName)
// names user u.
func matchUser(u tenant.User, q string, byName bool) bool {
	q = strings.TrimSpace(q)
	if id, err := strconv.ParseInt(q, 10, 64); err == nil {
		return u.ID == id
	}
	if strings.EqualFold(u.Email, q) {
		return true
	}
	return byName && strings.Contains(strings.ToLower(u.Name), strings.ToLower(q))
}

func (s *Server) getProxyAssignments(rc *reqCtx) error {
	v := rc.r.URL.Query()
	byName, _ := strconv.ParseBool(v.Get("searchByName"))
	proxyQ, userQ := v.Get("proxyQuery"), v.Get("userQuery")
	users := map[int64]tenant.User{}
	for _, u := range rc.tenant.Users() {
		users[u.ID] = u
	}
	out := []proxyAssignmentBody{}
	for _, a := range rc.tenant.ProxyAssignments() {
		if proxyQ != "" && !matchUser(users[a.ProxyUserID], proxyQ, byName) {
			continue
		}
		ids := a.UserIDs
		if userQ != "" {
			ids = nil
			for _, id := range a.UserIDs {
				if matchUser(users[id], userQ, byName) {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				continue
			}
		}
		out = append(out, newProxyAssignmentBody(a.ProxyUserID, ids))
	}
	size := min(queryInt(v, "pageSize", proxyDefaultPage), proxyMaxPageSize)
	number := queryInt(v, "pageNumber", 1)
	rc.writeJSON(http.StatusOK, "application/json", window(out, pageSkip(number, size), size))
	return nil
}

func (s *Server) createProxyAssignments(rc *reqCtx) error {
	list, _ := rc.bodyJSON.([]any)
	in := make([]tenant.ProxyAssignment, 0, len(list))
	var targets []string
	for _, item := range list {
		m, _ := item.(map[string]any)
		a := tenant.ProxyAssignment{ProxyUserID: userID(m["proxyUserId"])}
		for _, id := range asList(m["userIds"]) {
			a.UserIDs = append(a.UserIDs, userID(id))
		}
		in = append(in, a)
		targets = append(targets, "proxy/"+strconv.FormatInt(a.ProxyUserID, 10))
	}
	rc.target = strings.Join(targets, ",")
	stored, err := rc.tenant.SetProxyAssignments(in)
	if err != nil {
		return credentialError(err)
	}
	rc.write = true
	out := make([]proxyAssignmentBody, len(stored))
	for i, a := range stored {
		out[i] = newProxyAssignmentBody(a.ProxyUserID, a.UserIDs)
	}
	rc.writeJSON(http.StatusOK, "application/json", out)
	return nil
}

// proxyAssignmentBody is a ProxyAssignment on the wire; userIds is never
// null.
type proxyAssignmentBody struct {
	ProxyUserID int64   `json:"proxyUserId"`
	UserIDs     []int64 `json:"userIds"`
}

func newProxyAssignmentBody(proxy int64, users []int64) proxyAssignmentBody {
	if users == nil {
		users = []int64{}
	}
	return proxyAssignmentBody{ProxyUserID: proxy, UserIDs: users}
}

// userID reads a JSON number as a user id; anything that is not a whole
// number in range is 0, which names no user.
func userID(v any) int64 {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < 1 || f > math.MaxInt64/2 {
		return 0
	}
	return int64(f)
}

// rowsSpec is a parsed rows request.
type rowsSpec struct {
	filter      string
	fields      []string
	skip, limit int
}

func (s *Server) getRows(rc *reqCtx) error {
	v := rc.r.URL.Query()
	return s.rows(rc, rowsSpec{filter: v.Get(rowsQueryFieldKey), skip: atoiOr(v, "skip", 0), limit: atoiOr(v, "limit", rowsDefaultLimit)})
}

func (s *Server) queryRows(rc *reqCtx) error {
	m := rc.bodyMap()
	spec := rowsSpec{fields: stringList(m["fields"]), skip: intField(m, "skip"), limit: intField(m, "limit")}
	spec.filter, _ = m[rowsQueryFieldKey].(string)
	if spec.limit <= 0 {
		spec.limit = rowsDefaultLimit
	}
	return s.rows(rc, spec)
}

func queryInt(v url.Values, key string, def int) int {
	n, err := strconv.Atoi(v.Get(key))
	if err != nil || n <= 0 {
		return def
	}
	return n
}

func atoiOr(v url.Values, key string, def int) int {
	n, err := strconv.Atoi(v.Get(key))
	if err != nil || n < 0 {
		return def
	}
	return n
}

// rows answers both rows operations: rows of the entry type that the
// effective user may see (row-level sharing, applied by the engine),
// filtered, by EntryId, then skip/limit. totalRecords counts the visible
// matching rows.
func (s *Server) rows(rc *reqCtx, spec rowsSpec) error {
	et, ok := rc.tenant.EntityType(rc.params["entryType"])
	if !ok {
		return badRequest("entryType", "unknown entry type %q", rc.params["entryType"])
	}
	rc.entityType, rc.decision.EntityType = et.Name, et.Name
	filter, err := query.ParseFilter(spec.filter)
	if err != nil {
		return badRequest("query", "%v", err)
	}
	proj := allProjection(&et)
	if len(spec.fields) > 0 {
		fields, bad := resolveFields(&et, spec.fields, entryIDField)
		if bad != "" {
			return badRequest("fields", "entry type %s has no field %q", et.Name, bad)
		}
		proj = make(projection, len(fields))
		for i, f := range fields {
			proj[i] = projField{name: f, ft: et.Fields[f], plain: true}
		}
	}
	readableRefs(rc.tenant, rc.effective, proj)
	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"rows":[`...)
	info, err := rc.tenant.Query(tenant.QuerySpec{
		Type: et.Name, User: rc.effective, Where: filter, IDField: entryIDField,
		From: spec.skip, Limit: min(spec.limit, rowsMaxLimit), Context: rc.r.Context(),
	}, func(rows *tenant.Rows) error {
		b = appendRows(b, rows, proj)
		return nil
	})
	if err != nil {
		return queryError("query", err)
	}
	b = append(b, `],"totalRecords":`...)
	b = strconv.AppendInt(b, int64(info.Total), 10)
	b = append(b, '}')
	*bp = b
	rc.writeRaw(http.StatusOK, "application/json", b)
	return nil
}
