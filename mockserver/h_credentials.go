package mockserver

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const (
	credentialsPath      = "/api/v2/integrations/credentials"
	credentialsListing   = credentialsPath + "/listing"
	genesysDefaultPage   = 25
	genesysTimeLayout    = "2006-01-02T15:04:05.000Z"
	credentialsMaxPage   = 500
	credentialsMaxCursor = 200
)

func (s *Server) credentialsHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"getToken":              s.tokenHandler(credentialsTokenLifetime),
		"listCredentials":       s.listCredentials,
		"listCredentialsCursor": s.listCredentialsCursor,
		"listCredentialTypes":   s.listCredentialTypes,
		"getCredential":         s.getCredential,
		"createCredential":      s.createCredential,
		"updateCredential":      s.updateCredential,
		"deleteCredential":      s.deleteCredential,
	}
}

func genesysTime(t time.Time) string { return t.UTC().Format(genesysTimeLayout) }

// The credentials API's bodies (openapi/credentials.yaml), as typed structs:
// they encode several times faster than maps.
type (
	credentialTypeBody struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		// Properties describe the fields: {type, title, secret}.
		Properties   map[string]credentialProperty `json:"properties"`
		DisplayOrder []string                      `json:"displayOrder"`
		Required     []string                      `json:"required"`
	}
	credentialProperty struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Secret bool   `json:"secret,omitempty"`
	}
	// credentialInfoBody is CredentialInfo: no fields, ISO-8601 dates with
	// milliseconds.
	credentialInfoBody struct {
		ID           string              `json:"id"`
		Name         string              `json:"name"`
		CreatedDate  string              `json:"createdDate"`
		ModifiedDate string              `json:"modifiedDate"`
		SelfURI      string              `json:"selfUri"`
		Type         *credentialTypeBody `json:"type,omitempty"`
	}
	// credentialRead is Credential as read: secret fields redacted.
	credentialRead struct {
		ID               string              `json:"id"`
		Name             string              `json:"name"`
		CredentialFields map[string]string   `json:"credentialFields"`
		SelfURI          string              `json:"selfUri"`
		Type             *credentialTypeBody `json:"type,omitempty"`
	}
	credentialInfoListing struct {
		Entities    []credentialInfoBody `json:"entities"`
		PageSize    int                  `json:"pageSize"`
		PageNumber  int                  `json:"pageNumber"`
		Total       int                  `json:"total"`
		PageCount   int                  `json:"pageCount"`
		FirstURI    string               `json:"firstUri"`
		LastURI     string               `json:"lastUri"`
		SelfURI     string               `json:"selfUri"`
		NextURI     string               `json:"nextUri,omitempty"`
		PreviousURI string               `json:"previousUri,omitempty"`
	}
	credentialInfoCursorListing struct {
		Entities    []credentialInfoBody `json:"entities"`
		SelfURI     string               `json:"selfUri"`
		After       string               `json:"after,omitempty"`
		NextURI     string               `json:"nextUri,omitempty"`
		Before      string               `json:"before,omitempty"`
		PreviousURI string               `json:"previousUri,omitempty"`
	}
	credentialTypeListing struct {
		Entities []credentialTypeBody `json:"entities"`
	}
)

// newCredentialTypeBody renders a credential type: its fields as
// properties, displayOrder and required.
func newCredentialTypeBody(ct tenant.CredentialType) credentialTypeBody {
	b := credentialTypeBody{ID: ct.Name, Name: ct.Name, Properties: make(map[string]credentialProperty, len(ct.Fields)),
		DisplayOrder: []string{}, Required: []string{}}
	for _, f := range ct.Fields {
		b.Properties[f.Name] = credentialProperty{Type: "string", Title: f.Title, Secret: f.Secret}
		b.DisplayOrder = append(b.DisplayOrder, f.Name)
		if f.Required {
			b.Required = append(b.Required, f.Name)
		}
	}
	return b
}

// credentialType renders the type of a credential, nil when it has none.
func (rc *reqCtx) credentialType(name string) *credentialTypeBody {
	ct, ok := rc.tenant.CredentialType(name)
	if !ok {
		return nil
	}
	b := newCredentialTypeBody(ct)
	return &b
}

func credentialURI(id string) string { return credentialsPath + "/" + url.PathEscape(id) }

func (rc *reqCtx) credentialInfo(c tenant.Credential) credentialInfoBody {
	return credentialInfoBody{ID: c.ID, Name: c.Name, CreatedDate: genesysTime(c.Created), ModifiedDate: genesysTime(c.Modified),
		SelfURI: credentialURI(c.ID), Type: rc.credentialType(c.Type)}
}

func queryInt(v url.Values, key string, def int) int {
	n, err := strconv.Atoi(v.Get(key))
	if err != nil || n <= 0 {
		return def
	}
	return n
}

func (s *Server) listCredentials(rc *reqCtx) error {
	v := rc.r.URL.Query()
	size := min(queryInt(v, "pageSize", genesysDefaultPage), credentialsMaxPage)
	number := queryInt(v, "pageNumber", 1)
	all := rc.tenant.Credentials()
	total := len(all)
	pageCount := (total + size - 1) / size
	page := window(all, pageSkip(number, size), size)
	uri := func(n int) string { return fmt.Sprintf("%s?pageSize=%d&pageNumber=%d", credentialsPath, size, n) }
	body := credentialInfoListing{
		Entities: make([]credentialInfoBody, len(page)),
		PageSize: size, PageNumber: number, Total: total, PageCount: pageCount,
		FirstURI: uri(1), LastURI: uri(max(pageCount, 1)), SelfURI: uri(number),
	}
	for i, c := range page {
		body.Entities[i] = rc.credentialInfo(c)
	}
	if number < pageCount {
		body.NextURI = uri(number + 1)
	}
	if number > 1 {
		body.PreviousURI = uri(min(number-1, max(pageCount, 1)))
	}
	rc.writeJSON(http.StatusOK, "application/json", body)
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

func (s *Server) listCredentialsCursor(rc *reqCtx) error {
	v := rc.r.URL.Query()
	size := min(queryInt(v, "pageSize", genesysDefaultPage), credentialsMaxCursor)
	all := rc.tenant.Credentials()
	var start, end int
	switch {
	case v.Get("after") != "" && v.Get("before") != "":
		return badRequest("after", "send after or before, not both")
	case v.Get("after") != "":
		c, ok := decodeCursor(v.Get("after"))
		if !ok {
			return badRequest("after", "%q is not a cursor returned by this API", v.Get("after"))
		}
		for start < len(all) && !c.less(cursorOf(all[start])) {
			start++
		}
		end = min(start+size, len(all))
	case v.Get("before") != "":
		c, ok := decodeCursor(v.Get("before"))
		if !ok {
			return badRequest("before", "%q is not a cursor returned by this API", v.Get("before"))
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
	body := credentialInfoCursorListing{Entities: make([]credentialInfoBody, len(page)), SelfURI: credentialsListing + "?" + rc.sentQuery().Encode()}
	for i, c := range page {
		body.Entities[i] = rc.credentialInfo(c)
	}
	if end < len(all) && len(page) > 0 {
		body.After = cursorOf(page[len(page)-1]).encode()
		body.NextURI = fmt.Sprintf("%s?pageSize=%d&after=%s", credentialsListing, size, body.After)
	}
	if start > 0 && len(page) > 0 {
		body.Before = cursorOf(page[0]).encode()
		body.PreviousURI = fmt.Sprintf("%s?pageSize=%d&before=%s", credentialsListing, size, body.Before)
	}
	rc.writeJSON(http.StatusOK, "application/json", body)
	return nil
}

// encodedBody is a response body encoded once and kept while its source
// is unchanged.
type encodedBody struct {
	generation uint64
	body       []byte
	length     string // len(body), formatted
}

// listCredentialTypes answers with the types' listing, encoded once per
// generation of the tenant (the types change only with a reset).
func (s *Server) listCredentialTypes(rc *reqCtx) error {
	gen := rc.tenant.Generation()
	if rc.state != nil {
		if e := rc.state.credTypes.Load(); e != nil && e.generation == gen {
			rc.writeEncoded(http.StatusOK, "application/json", e.body, e.length)
			return nil
		}
	}
	types, gen := rc.tenant.CredentialTypesAt()
	body := credentialTypeListing{Entities: make([]credentialTypeBody, len(types))}
	for i, ct := range types {
		body.Entities[i] = newCredentialTypeBody(ct)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if rc.state != nil {
		rc.state.credTypes.Store(&encodedBody{generation: gen, body: b, length: strconv.Itoa(len(b))})
	}
	rc.writeRaw(http.StatusOK, "application/json", b)
	return nil
}

func (rc *reqCtx) credential() (tenant.Credential, error) {
	id := rc.params["credentialId"]
	rc.target = id
	c, ok := rc.tenant.Credential(id)
	if !ok {
		return c, notFound("credential %s was not found", id)
	}
	return c, nil
}

func (s *Server) getCredential(rc *reqCtx) error {
	c, err := rc.credential()
	if err != nil {
		return err
	}
	rc.writeJSON(http.StatusOK, "application/json", credentialRead{ID: c.ID, Name: c.Name,
		CredentialFields: rc.tenant.Redact(c), SelfURI: credentialURI(c.ID), Type: rc.credentialType(c.Type)})
	return nil
}

// credentialBody reads a Credential request body.
func (rc *reqCtx) credentialBody() (name, typeName string, fields map[string]string) {
	m := rc.bodyMap()
	name, _ = m["name"].(string)
	if t, ok := m["type"].(map[string]any); ok {
		typeName, _ = t["name"].(string)
		if typeName == "" {
			typeName, _ = t["id"].(string)
		}
	}
	fields = map[string]string{}
	if f, ok := m["credentialFields"].(map[string]any); ok {
		for k, v := range f {
			if s, ok := v.(string); ok {
				fields[k] = s
			}
		}
	}
	return name, typeName, fields
}

func credentialError(err error) error {
	var ve *tenant.ValueError
	switch {
	case errors.As(err, &ve):
		return badRequest(ve.Field, "%s", ve.Msg)
	case errors.Is(err, tenant.ErrNotFound):
		return notFound("%v", err)
	}
	return err
}

func (s *Server) createCredential(rc *reqCtx) error {
	name, typeName, fields := rc.credentialBody()
	c, err := rc.tenant.CreateCredential(name, typeName, fields)
	if err != nil {
		return credentialError(err)
	}
	rc.target, rc.write = c.ID, true
	rc.writeJSON(http.StatusOK, "application/json", rc.credentialInfo(c))
	return nil
}

func (s *Server) updateCredential(rc *reqCtx) error {
	id := rc.params["credentialId"]
	rc.target = id
	name, typeName, fields := rc.credentialBody()
	c, err := rc.tenant.UpdateCredential(id, name, typeName, fields)
	if err != nil {
		return credentialError(err)
	}
	rc.write = true
	rc.writeJSON(http.StatusOK, "application/json", rc.credentialInfo(c))
	return nil
}

func (s *Server) deleteCredential(rc *reqCtx) error {
	id := rc.params["credentialId"]
	rc.target = id
	if err := rc.tenant.DeleteCredential(id); err != nil {
		return credentialError(err)
	}
	rc.write = true
	rc.noContent()
	return nil
}
