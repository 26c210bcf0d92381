package credentials

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/credentialsapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const (
	credentialsPath    = "/api/v2/integrations/credentials"
	credentialsListing = credentialsPath + "/listing"
	// genesysTimeLayout is how Genesys writes dates: UTC, exactly three
	// fractional digits (time.Time's own encoding trims zeros).
	genesysTimeLayout = "2006-01-02T15:04:05.000Z"
)

// State is what the credentials API's handlers keep per tenant (in the
// server's per-tenant state, so a reset starts it afresh).
type State struct {
	// credTypes is the encoded listCredentialTypes body of one generation
	// of the tenant.
	credTypes atomic.Pointer[encodedBody]
}

// handlers are the credentials API's handlers; stateOf finds a tenant's
// State.
type handlers struct {
	stateOf func(*tenant.Tenant) *State
}

// Handlers are the credentials API's handlers, by operationId; stateOf
// finds a tenant's State. Its token endpoint is the shared one (package
// token), which the server binds.
func Handlers(stateOf func(*tenant.Tenant) *State) map[string]pipeline.Handler {
	h := &handlers{stateOf: stateOf}
	return map[string]pipeline.Handler{
		"listCredentials":       h.listCredentials,
		"listCredentialsCursor": h.listCredentialsCursor,
		"listCredentialTypes":   h.listCredentialTypes,
		"getCredential":         h.getCredential,
		"createCredential":      h.createCredential,
		"updateCredential":      h.updateCredential,
		"deleteCredential":      h.deleteCredential,
	}
}

func genesysTime(t time.Time) *string {
	s := t.UTC().Format(genesysTimeLayout)
	return &s
}

// credentialFieldType is the JSON type of every credential field.
var credentialFieldType = "string"

// credentialTypeModel renders a credential type: its fields as
// properties, displayOrder and required.
func credentialTypeModel(ct tenant.CredentialType) credentialsapi.CredentialType {
	props := make(map[string]credentialsapi.CredentialTypeProperty, len(ct.Fields))
	order := make([]string, 0, len(ct.Fields))
	required := []string{}
	secret := true
	for _, f := range ct.Fields {
		p := credentialsapi.CredentialTypeProperty{Type: &credentialFieldType, Title: &f.Title}
		if f.Secret {
			p.Secret = &secret
		}
		props[f.Name] = p
		order = append(order, f.Name)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	id, name := ct.Name, ct.Name
	return credentialsapi.CredentialType{Id: &id, Name: &name, Properties: &props, DisplayOrder: &order, Required: &required}
}

// credentialTypes renders the types of the credentials of one response,
// each once.
type credentialTypes struct {
	t    *tenant.Tenant
	seen map[string]*credentialsapi.CredentialType
}

// of renders the type named name, nil when the tenant has none.
func (ts *credentialTypes) of(name string) *credentialsapi.CredentialType {
	if b, ok := ts.seen[name]; ok {
		return b
	}
	var b *credentialsapi.CredentialType
	if ct, ok := ts.t.CredentialType(name); ok {
		m := credentialTypeModel(ct)
		b = &m
	}
	if ts.seen == nil {
		ts.seen = map[string]*credentialsapi.CredentialType{}
	}
	ts.seen[name] = b
	return b
}

func credentialURI(id string) *string {
	s := credentialsPath + "/" + url.PathEscape(id)
	return &s
}

// credentialInfo is a credential without its fields.
func (ts *credentialTypes) credentialInfo(c tenant.Credential) credentialsapi.CredentialInfo {
	return credentialsapi.CredentialInfo{Id: c.ID, Name: c.Name, CreatedDate: genesysTime(c.Created), ModifiedDate: genesysTime(c.Modified),
		SelfUri: credentialURI(c.ID), Type: ts.of(c.Type)}
}

func credentialInfo(rc *pipeline.Request, c tenant.Credential) credentialsapi.CredentialInfo {
	ts := credentialTypes{t: rc.Tenant}
	return ts.credentialInfo(c)
}

func (h *handlers) listCredentials(rc *pipeline.Request) error {
	var p credentialsapi.ListCredentialsParams
	if err := rc.BindQuery(&p); err != nil {
		return err
	}
	size, number, err := pipeline.PageParams(p.PageSize, p.PageNumber)
	if err != nil {
		return err
	}
	all := rc.Tenant.Credentials()
	total := len(all)
	pageCount := (total + size - 1) / size
	page := pipeline.Window(all, pipeline.PageSkip(number, size), size)
	uri := func(n int) *string {
		s := fmt.Sprintf("%s?pageSize=%d&pageNumber=%d", credentialsPath, size, n)
		return &s
	}
	total64 := int64(total)
	body := credentialsapi.CredentialInfoListing{
		Entities: make([]credentialsapi.CredentialInfo, len(page)),
		PageSize: &size, PageNumber: &number, Total: &total64, PageCount: &pageCount,
		FirstUri: uri(1), LastUri: uri(max(pageCount, 1)), SelfUri: uri(number),
	}
	ts := credentialTypes{t: rc.Tenant}
	for i, c := range page {
		body.Entities[i] = ts.credentialInfo(c)
	}
	if number < pageCount {
		body.NextUri = uri(number + 1)
	}
	if number > 1 {
		body.PreviousUri = uri(min(number-1, max(pageCount, 1)))
	}
	rc.WriteJSON(http.StatusOK, "application/json", body)
	return nil
}

// cursor marks a position in the (created, id) order of credentials; it
// stays valid when its credential is deleted.
type cursor struct {
	created int64
	id      string
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.created, 10) + "|" + c.id))
}

func decodeCursor(s string) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	ts, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return cursor{}, false
	}
	return cursor{created: n, id: id}, true
}

func cursorOf(c tenant.Credential) cursor { return cursor{created: c.Created.UnixNano(), id: c.ID} }

func (c cursor) less(d cursor) bool {
	if c.created != d.created {
		return c.created < d.created
	}
	return c.id < d.id
}

func (h *handlers) listCredentialsCursor(rc *pipeline.Request) error {
	var p credentialsapi.ListCredentialsCursorParams
	if err := rc.BindQuery(&p); err != nil {
		return err
	}
	size, err := pipeline.Filled("pageSize", p.PageSize)
	if err != nil {
		return err
	}
	after, before := pipeline.Deref(p.After), pipeline.Deref(p.Before)
	all := rc.Tenant.Credentials()
	var start, end int
	switch {
	case after != "" && before != "":
		return pipeline.BadRequest("after", "send after or before, not both")
	case after != "":
		c, ok := decodeCursor(after)
		if !ok {
			return pipeline.BadRequest("after", "%q is not a cursor returned by this API", after)
		}
		for start < len(all) && !c.less(cursorOf(all[start])) {
			start++
		}
		end = min(start+size, len(all))
	case before != "":
		c, ok := decodeCursor(before)
		if !ok {
			return pipeline.BadRequest("before", "%q is not a cursor returned by this API", before)
		}
		end = 0
		for end < len(all) && cursorOf(all[end]).less(c) {
			end++
		}
		start = max(0, end-size)
	default:
		end = min(size, len(all))
	}
	page := all[start:end]
	// selfUri repeats the query as the client sent it, without the
	// defaults the validator filled in.
	self := credentialsListing + "?" + rc.SentQuery().Encode()
	body := credentialsapi.CredentialInfoCursorListing{Entities: make([]credentialsapi.CredentialInfo, len(page)), SelfUri: &self}
	ts := credentialTypes{t: rc.Tenant}
	for i, c := range page {
		body.Entities[i] = ts.credentialInfo(c)
	}
	if end < len(all) && len(page) > 0 {
		a := cursorOf(page[len(page)-1]).encode()
		next := fmt.Sprintf("%s?pageSize=%d&after=%s", credentialsListing, size, a)
		body.NextUri = &next
	}
	if start > 0 && len(page) > 0 {
		b := cursorOf(page[0]).encode()
		prev := fmt.Sprintf("%s?pageSize=%d&before=%s", credentialsListing, size, b)
		body.PreviousUri = &prev
	}
	rc.WriteJSON(http.StatusOK, "application/json", body)
	return nil
}

// encodedBody is a response body encoded once and kept while its source
// is unchanged.
type encodedBody struct {
	generation uint64
	body       []byte
	length     string // len(body), formatted
}

// listCredentialTypes answers with the types as a JSON array, encoded once per
// generation of the tenant (the types change only with a reset).
func (h *handlers) listCredentialTypes(rc *pipeline.Request) error {
	gen := rc.Tenant.Generation()
	st := h.stateOf(rc.Tenant)
	if st != nil {
		if e := st.credTypes.Load(); e != nil && e.generation == gen {
			rc.WriteEncoded(http.StatusOK, "application/json", e.body, e.length)
			return nil
		}
	}
	types, gen := rc.Tenant.CredentialTypesAt()
	// A bare array, never null: the vendor's SDKs decode a list.
	body := make([]credentialsapi.CredentialType, len(types))
	for i, ct := range types {
		body[i] = credentialTypeModel(ct)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if st != nil {
		st.credTypes.Store(&encodedBody{generation: gen, body: b, length: strconv.Itoa(len(b))})
	}
	rc.WriteRaw(http.StatusOK, "application/json", b)
	return nil
}

func credential(rc *pipeline.Request) (tenant.Credential, error) {
	id := rc.Params["credentialId"]
	rc.Target = id
	c, ok := rc.Tenant.Credential(id)
	if !ok {
		return c, pipeline.NotFound("credential %s was not found", id)
	}
	return c, nil
}

func (h *handlers) getCredential(rc *pipeline.Request) error {
	c, err := credential(rc)
	if err != nil {
		return err
	}
	fields := rc.Tenant.Redact(c) // secret fields replaced
	ts := credentialTypes{t: rc.Tenant}
	body := credentialsapi.Credential{Id: &c.ID, CredentialFields: &fields, SelfUri: credentialURI(c.ID)}
	if c.Name != "" { // a credential created without a name has none
		body.Name = &c.Name
	}
	if t := ts.of(c.Type); t != nil {
		body.Type = *t
	}
	rc.WriteJSON(http.StatusOK, "application/json", body)
	return nil
}

// credentialBody reads a Credential request body: its name (nil when
// absent), the type's name (or id) and the fields.
func credentialBody(rc *pipeline.Request) (name *string, typeName string, fields map[string]string, err error) {
	var b credentialsapi.Credential
	if err := rc.DecodeBody(&b); err != nil {
		return nil, "", nil, err
	}
	typeName = pipeline.Deref(b.Type.Name)
	if typeName == "" {
		typeName = pipeline.Deref(b.Type.Id)
	}
	fields = map[string]string{}
	if b.CredentialFields != nil {
		fields = *b.CredentialFields
	}
	return b.Name, typeName, fields, nil
}

func (h *handlers) createCredential(rc *pipeline.Request) error {
	name, typeName, fields, err := credentialBody(rc)
	if err != nil {
		return err
	}
	c, err := rc.Tenant.CreateCredential(pipeline.Deref(name), typeName, fields)
	if err != nil {
		return pipeline.TenantError(err)
	}
	rc.Target, rc.Write = c.ID, true
	rc.WriteJSON(http.StatusOK, "application/json", credentialInfo(rc, c))
	return nil
}

func (h *handlers) updateCredential(rc *pipeline.Request) error {
	id := rc.Params["credentialId"]
	rc.Target = id
	name, typeName, fields, err := credentialBody(rc)
	if err != nil {
		return err
	}
	c, err := rc.Tenant.UpdateCredential(id, name, typeName, fields)
	if err != nil {
		return pipeline.TenantError(err)
	}
	rc.Write = true
	rc.WriteJSON(http.StatusOK, "application/json", credentialInfo(rc, c))
	return nil
}

func (h *handlers) deleteCredential(rc *pipeline.Request) error {
	id := rc.Params["credentialId"]
	rc.Target = id
	if err := rc.Tenant.DeleteCredential(id); err != nil {
		return pipeline.TenantError(err)
	}
	rc.Write = true
	rc.NoContent()
	return nil
}

// surfaceCredentials is the credentials API's wire format: Genesys'
// ErrorBody, OAuth errors that repeat their description, the correlation id
// in ININ-Correlation-Id, and the rate limit in inin-ratelimit-* headers.
var Surface = &pipeline.Surface{
	Name:              "credentials",
	WriteError:        writeGenesysError,
	CorrelationHeader: http.CanonicalHeaderKey("ININ-Correlation-Id"),
	RateLimitHeaders:  true,
	RateLimitMessage: func(requests, windowSecs int) string {
		return fmt.Sprintf("Rate limit exceeded the maximum. [%d] requests for [%d] seconds", requests, windowSecs)
	},
}

// writeGenesysError writes e as Genesys' ErrorBody, or an OAuth error as
// Genesys writes it (it repeats the description).
func writeGenesysError(rc *pipeline.Request, e *pipeline.Error) {
	if e.Kind == pipeline.KindOAuth {
		rc.WriteJSON(e.Status, "application/json", &credentialsapi.OAuthError{Error: e.OAuth, ErrorDescription: &e.Msg, Description: &e.Msg})
		return
	}
	g := genesysErrors.Get().(*genesysError)
	defer g.release()
	g.body = credentialsapi.ErrorBody{
		Message: e.Msg, Code: genesysCode(e), Status: e.Status, ContextId: &rc.CorrelationID, Details: &g.details,
	}
	g.details = g.detail[:0] // never nil: Genesys writes "details": []
	switch e.Kind {
	case pipeline.KindPermission:
		g.params["permissions"] = strings.Join(e.Missing, ", ")
		g.body.MessageParams, g.body.MessageWithParams = &g.params, &permissionsWithParams
	case pipeline.KindScope:
		g.params["scopes"] = strings.Join(e.Missing, " ")
		g.body.MessageParams, g.body.MessageWithParams = &g.params, &scopesWithParams
	}
	if e.Field != "" {
		g.detail[0] = credentialsapi.ErrorDetail{ErrorCode: &codeInvalidValue, FieldName: &e.Field}
		g.details = g.detail[:1]
	}
	rc.WriteRaw(e.Status, "application/json", appendErrorBody(make([]byte, 0, 320), &g.body))
}

// genesysCode maps a failure to the credentials API's ErrorBody code.
func genesysCode(e *pipeline.Error) string {
	switch e.Kind {
	case pipeline.KindUnauthenticated:
		switch e.Code {
		case wire.CodeMissingCredential:
			return "authentication.required"
		case wire.CodeExpiredCredential:
			return "credentials.expired"
		}
		return "bad.credentials"
	case pipeline.KindScope:
		return "missing.scopes"
	case pipeline.KindPermission:
		return "missing.any.permissions"
	case pipeline.KindProxy, pipeline.KindObject:
		return "not.authorized"
	case pipeline.KindNotFound:
		return "not.found"
	case pipeline.KindMethodNotAllowed:
		return "method.not.allowed"
	case pipeline.KindInternal:
		return "internal.server.error"
	case pipeline.KindRateLimited:
		return "too.many.requests"
	case pipeline.KindUnavailable:
		return "service.unavailable"
	case pipeline.KindMisdirected:
		return "misdirected.request"
	}
	return "bad.request"
}

// genesysError is a credentials API error body together with the values
// its optional (pointer) fields point to. They are pooled, the params map
// with them, so that writing one costs only the encoded body: nothing
// keeps a pointer into one after writeGenesysError returns (the body is
// copied into the response as it is encoded).
type genesysError struct {
	body    credentialsapi.ErrorBody
	details []credentialsapi.ErrorDetail
	detail  [1]credentialsapi.ErrorDetail
	params  map[string]string
}

var genesysErrors = sync.Pool{New: func() any { return &genesysError{params: make(map[string]string, 1)} }}

// release empties g (its map kept) and returns it to the pool.
func (g *genesysError) release() {
	params := g.params
	clear(params)
	*g = genesysError{params: params}
	genesysErrors.Put(g)
}

// Shared values the generated models point to; they are only read.
var (
	codeInvalidValue      = "invalid.value"
	permissionsWithParams = "Unable to perform the requested action. You are missing the following permission(s): [{permissions}]"
	scopesWithParams      = "Missing required oauth scopes: {scopes}"
)

// WriteToken writes the credentials API's token response (its spec's
// TokenResponse). scope is always written, empty for a token without
// scopes.
func WriteToken(rc *pipeline.Request, t pipeline.IssuedToken) {
	rc.WriteJSON(http.StatusOK, "application/json", &credentialsapi.TokenResponse{
		AccessToken: t.AccessToken, TokenType: "bearer", ExpiresIn: t.ExpiresIn, Scope: &t.Scope,
	})
}
