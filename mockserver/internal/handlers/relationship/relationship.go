package relationship

import (
	"crypto/rand"
	"net/http"
	"strconv"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/render"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const entryIDField = "EntryId"

// Handlers are the relationship API's handlers, by operationId; its token
// endpoint is the shared one (package token), which the server binds.
func Handlers() map[string]pipeline.Handler {
	return map[string]pipeline.Handler{
		"getProxyAssignments":    getProxyAssignments,
		"createProxyAssignments": createProxyAssignments,
		"getUsers":               getUsers,
		"getUsersByID":           getUsersByID,
		"getRows":                getRows,
		"queryRows":              queryRows,
		"getEntryTypes":          getEntryTypes,
		"getEntryType":           getEntryType,
		"getEntryTypeFields":     getEntryTypeFields,
		"getAllFields":           getAllFields,
		"getSchemaUsers":         getSchemaUsers,
		"getCurrencies":          getCurrencies,
		"getFilterOperations":    getFilterOperations,
		"createRows":             createRows,
		"upsertRows":             upsertRows,
		"updateRows":             updateRows,
		"deleteRows":             deleteRows,
	}
}

// rowsSpec is a parsed rows request.
type rowsSpec struct {
	filter      string
	fields      []string
	skip, limit int
	wrap, urls  bool
}

func getRows(rc *pipeline.Request) error {
	var p relationshipapi.GetRowsParams
	if err := rc.BindQuery(&p); err != nil {
		return err
	}
	spec := rowsSpec{filter: pipeline.Deref(p.Query), fields: pipeline.Deref(p.Fields)}
	var err error
	if spec.skip, err = pipeline.Filled("skip", p.Skip); err != nil {
		return err
	}
	if spec.limit, err = pipeline.Filled("limit", p.Limit); err != nil {
		return err
	}
	if spec.wrap, err = pipeline.Filled("wrapIntoArrays", p.WrapIntoArrays); err != nil {
		return err
	}
	if spec.urls, err = pipeline.Filled("resolveReferenceUrls", p.ResolveReferenceUrls); err != nil {
		return err
	}
	// dateTimeBehavior (0 or 1, the spec's enum) changes nothing: the
	// mock's users have no time zone, so both answer UTC.
	return rows(rc, spec)
}

func queryRows(rc *pipeline.Request) error {
	var q relationshipapi.RowsQuery
	if err := rc.DecodeBody(&q); err != nil {
		return err
	}
	spec := rowsSpec{filter: pipeline.Deref(q.Query), fields: pipeline.Deref(q.Fields)}
	var err error
	if spec.skip, err = pipeline.Filled("skip", q.Skip); err != nil {
		return err
	}
	if spec.limit, err = pipeline.Filled("limit", q.Limit); err != nil {
		return err
	}
	if spec.wrap, err = pipeline.Filled("wrapIntoArrays", q.WrapIntoArrays); err != nil {
		return err
	}
	if spec.urls, err = pipeline.Filled("resolveReferenceUrls", q.ResolveReferenceUrls); err != nil {
		return err
	}
	return rows(rc, spec)
}

// rows answers both rows operations: rows of the entry type that the
// effective user may see (row-level sharing, applied by the engine),
// filtered, by EntryId, then skip/limit. totalRecords counts the visible
// matching rows.
func rows(rc *pipeline.Request, spec rowsSpec) error {
	et, ok := rc.Tenant.EntityType(rc.Params["entryType"])
	if !ok {
		return pipeline.BadRequest("entryType", "unknown entry type %q", rc.Params["entryType"])
	}
	rc.SetEntityType(et.Name)
	filter, err := parseFilter(rc, &et, spec.filter)
	if err != nil {
		return err
	}
	var names []string // nil: every field
	if len(spec.fields) > 0 {
		var bad string
		if names, bad = render.ResolveFields(&et, spec.fields, entryIDField); bad != "" {
			// The vendor's wording, as it is (no "fields:" prefix); the
			// problem's errors[] names the parameter.
			return &pipeline.Error{Status: http.StatusBadRequest, Kind: pipeline.KindBadRequest, Field: "fields",
				Msg: "Field with name " + strconv.Quote(bad) + " does not exist"}
		}
	}
	format := render.RowsFormat{Wrap: spec.wrap}
	if spec.urls {
		format.URLBase = requestBase(rc.R)
	}
	proj := render.NewRowProjection(rc.Tenant, rc.Verdict.Effective, &et, names, format)
	bp := render.GetBuf()
	defer render.PutBuf(bp)
	b := append(*bp, `{"rows":[`...)
	info, err := rc.Tenant.Query(tenant.QuerySpec{
		Type: et.Name, User: rc.Verdict.Effective, Where: filter, IDField: entryIDField,
		From: spec.skip, Limit: spec.limit, Context: rc.WorkContext(),
	}, func(rows *tenant.Rows) error {
		b = render.AppendRows(b, rows, proj)
		return nil
	})
	if err != nil {
		return pipeline.QueryError("query", err)
	}
	b = append(b, `],"totalRecords":`...)
	b = strconv.AppendInt(b, int64(info.Total), 10)
	b = append(b, '}')
	*bp = b
	rc.WriteRaw(http.StatusOK, "application/json", b)
	return nil
}

// requestBase is the scheme and host a request was sent to, the base of
// the entry URLs of resolveReferenceUrls. The Host passed the server's
// host check (loopback names and the allowed hosts) before any handler.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// surfaceRelationship is the relationship API's wire format: RFC 7807
// problem details, and OAuth errors for its token endpoint.
var Surface = &pipeline.Surface{
	Name:       "relationship",
	WriteError: writeProblem,
}

// writeProblem writes e as a problem, or an OAuth error.
func writeProblem(rc *pipeline.Request, e *pipeline.Error) {
	if e.Kind == pipeline.KindOAuth {
		rc.WriteJSON(e.Status, "application/json", &relationshipapi.OAuthError{Error: e.OAuth, ErrorDescription: &e.Msg})
		return
	}
	p := &problem{typ: problemType(e.Status), code: problemCode(e)}
	p.body = relationshipapi.Problem{
		Message: e.Msg, Type: &p.typ, Title: http.StatusText(e.Status), Status: e.Status, Detail: &e.Msg,
		TraceId: &rc.CorrelationID, ErrorCode: &p.code,
	}
	if e.Field != "" {
		p.errors[0] = relationshipapi.ProblemError{Message: e.Msg, ErrorCode: &p.code, Field: &e.Field}
		list := p.errors[:1]
		p.body.Errors = &list
	}
	rc.WriteJSON(e.Status, "application/problem+json", &p.body)
}

// problemCode maps a failure to the relationship API's problem errorCode.
func problemCode(e *pipeline.Error) string {
	switch e.Kind {
	case pipeline.KindUnauthenticated:
		if e.Code == wire.CodeExpiredCredential {
			return "token_expired"
		}
		return "unauthorized"
	case pipeline.KindScope:
		return "missing_scopes"
	case pipeline.KindProxy:
		return "proxy_not_allowed"
	case pipeline.KindPermission:
		return "missing_permissions"
	case pipeline.KindObject:
		return "entry_type_not_accessible"
	case pipeline.KindNotFound:
		return "not_found"
	case pipeline.KindMethodNotAllowed:
		return "method_not_allowed"
	case pipeline.KindInternal:
		return "internal_error"
	case pipeline.KindRateLimited:
		return "too_many_requests"
	case pipeline.KindUnavailable:
		return "service_unavailable"
	case pipeline.KindMisdirected:
		return "misdirected_request"
	}
	return "invalid_request"
}

// problem is a relationship API problem body together with the values its
// optional fields point to (one allocation, like genesysError).
type problem struct {
	body   relationshipapi.Problem
	typ    string
	code   string
	errors [1]relationshipapi.ProblemError // the one field error, in the same allocation
}

// problemType is a problem's type: the RFC section of its status.
func problemType(status int) string {
	switch status {
	case 400:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.1"
	case 401:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.2"
	case 403:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.4"
	case 404:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.5"
	case 405:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.6"
	case 413:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.14"
	case 421:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.20"
	case 429:
		return "https://tools.ietf.org/html/rfc6585#section-4"
	case 503:
		return "https://tools.ietf.org/html/rfc9110#section-15.6.4"
	}
	return "https://tools.ietf.org/html/rfc9110#section-15.6.1"
}

// WriteToken writes the relationship API's token response (its spec's
// TokenResponse). It carries a refresh_token, which the legacy DealCloud
// Python SDK requires: a random value that redeems nothing (the endpoint
// takes only client_credentials). scope is always written, empty for a
// token without scopes.
func WriteToken(rc *pipeline.Request, t pipeline.IssuedToken) {
	refresh := rand.Text()
	rc.WriteJSON(http.StatusOK, "application/json", &relationshipapi.TokenResponse{
		AccessToken: t.AccessToken, TokenType: "bearer", ExpiresIn: t.ExpiresIn, Scope: &t.Scope, RefreshToken: &refresh,
	})
}
