package generic

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// Handlers are the handlers of a's operations, by operationId; its token
// endpoints are the server's to bind (the shared token handler, answering
// with WriteToken).
func (a *API) Handlers() map[string]pipeline.Handler {
	out := map[string]pipeline.Handler{}
	for id, op := range a.Operations {
		h := &handler{api: a, op: op}
		switch op.Action {
		case ActionList:
			out[id] = h.list
		case ActionCreate:
			out[id] = h.create
		case ActionRead:
			out[id] = h.read
		case ActionUpdate:
			out[id] = h.update
		case ActionDelete:
			out[id] = h.delete
		case ActionExample:
			out[id] = h.example
		case ActionIssueKey:
			out[id] = h.issueKey
		case ActionListKeys:
			out[id] = h.listKeys
		case ActionRevokeKey:
			out[id] = h.revokeKey
		}
	}
	return out
}

// WriteToken answers a token request as RFC 6749 (section 5.1) does.
func WriteToken(rc *pipeline.Request, t pipeline.IssuedToken) {
	body := map[string]any{"access_token": t.AccessToken, "token_type": "Bearer", "expires_in": t.ExpiresIn}
	if t.Scope != "" {
		body["scope"] = t.Scope
	}
	rc.W.Header().Set("Cache-Control", "no-store")
	rc.WriteJSON(http.StatusOK, "application/json", body)
}

type handler struct {
	api *API
	op  *Operation
}

// rowName is a row as decisions and messages name it: /type/id.
func rowName(typeName, id string) string { return "/" + typeName + "/" + id }

// cursor is the continuation value of link paging: the next page's offset,
// base64-encoded ("o:<n>"), which clients pass back as they got it, as they
// do a vendor's opaque token. It guards nothing: any offset is a page the
// caller may read anyway.
func cursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func parseCursor(s string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
	return n, err == nil && n >= 0 && strings.HasPrefix(string(b), "o:")
}

// page reads the paging parameters of a list request: offset and limit
// (-1: every row, for paging: none).
func (h *handler) page(rc *pipeline.Request) (offset, limit int, err error) {
	pg := h.api.Policy.Paging
	if pg.Style == PagingNone {
		return 0, -1, nil
	}
	q := rc.R.URL.Query()
	limit = h.op.LimitDefault
	if limit == 0 {
		limit = defaultPageSize
	}
	if v := q.Get(pg.Limit); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, pipeline.BadRequest(pg.Limit, "%q is not a page size (a whole number of at least 1)", v)
		}
		limit = n
	}
	// The spec's maximum was checked by validation; a spec that states
	// none still gets pages of at most maxPageSize rows.
	limit = min(limit, maxPageSize)
	if v := q.Get(pg.Cursor); v != "" {
		switch pg.Style {
		case PagingLink:
			n, ok := parseCursor(v)
			if !ok {
				return 0, 0, pipeline.BadRequest(pg.Cursor, "is not a continuation this API issued (take it from %s)", pg.Next)
			}
			offset = n
		default:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, 0, pipeline.BadRequest(pg.Cursor, "%q is not an offset (a whole number of at least 0)", v)
			}
			offset = n
		}
	}
	return offset, limit, nil
}

// Page sizes where the spec states none: a list's default page, and the
// most rows one page holds whatever the spec allows.
const (
	defaultPageSize = 100
	maxPageSize     = 10_000
)

// pageURL is the request's URL with the paging parameters set to another
// page's.
func (h *handler) pageURL(rc *pipeline.Request, offset, limit int) string {
	pg := h.api.Policy.Paging
	q := rc.R.URL.Query()
	q.Set(pg.Limit, strconv.Itoa(limit))
	if pg.Style == PagingLink {
		q.Set(pg.Cursor, cursor(offset))
	} else {
		q.Set(pg.Cursor, strconv.Itoa(offset))
	}
	u := url.URL{Scheme: "http", Host: rc.R.Host, Path: rc.R.URL.Path, RawQuery: q.Encode()}
	if rc.R.TLS != nil {
		u.Scheme = "https"
	}
	return u.String()
}

// envelope wraps a page of n rows in the API's paging style.
func (h *handler) envelope(rc *pipeline.Request, rows any, n, offset, limit, total int) any {
	pg := h.api.Policy.Paging
	switch pg.Style {
	case PagingLink:
		body := map[string]any{pg.Items: rows}
		if offset+n < total {
			body[pg.Next] = h.pageURL(rc, offset+n, limit)
		}
		return body
	case PagingOffset:
		body := map[string]any{pg.Items: rows}
		if pg.Count != "" {
			body[pg.Count] = total
		}
		if pg.Next != "" {
			var next any
			if offset+n < total {
				next = h.pageURL(rc, offset+n, limit)
			}
			body[pg.Next] = next
		}
		if pg.Previous != "" {
			var prev any
			if offset > 0 {
				prev = h.pageURL(rc, max(offset-limit, 0), limit)
			}
			body[pg.Previous] = prev
		}
		return body
	}
	return rows
}

func (h *handler) list(rc *pipeline.Request) error {
	offset, limit, err := h.page(rc)
	if err != nil {
		return err
	}
	rc.Target = "/" + h.op.Resource
	p, err := rc.Tenant.ListResources(h.op.Resource, rc.Verdict.Effective, h.op.Rows, offset, limit)
	if err != nil {
		return err
	}
	// The rows' JSON is the store's, made when each was written: the page
	// is put together around it, not encoded again.
	items := make([]byte, 0, 2+len(p.Rows)*256)
	items = append(items, '[')
	for i, r := range p.Rows {
		if i > 0 {
			items = append(items, ',')
		}
		items = append(items, r...)
	}
	items = append(items, ']')
	body := h.envelope(rc, nil, len(p.Rows), offset, limit, p.Total)
	if m, ok := body.(map[string]any); ok {
		rc.WriteRaw(http.StatusOK, "application/json", objectWith(m, h.api.Policy.Paging.Items, items))
		return nil
	}
	rc.WriteRaw(http.StatusOK, "application/json", items)
	return nil
}

// objectWith is the JSON object of m's members with the member named key
// set to raw, a JSON text of its own, members in key order (as
// encoding/json orders a map's).
func objectWith(m map[string]any, key string, raw []byte) []byte {
	keys := make([]string, 0, len(m)+1)
	for k := range m {
		if k != key {
			keys = append(keys, k)
		}
	}
	keys = append(keys, key)
	slices.Sort(keys)
	out := make([]byte, 0, len(raw)+64*len(keys))
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		name, _ := json.Marshal(k)
		out = append(append(out, name...), ':')
		if k == key {
			out = append(out, raw...)
			continue
		}
		v, _ := json.Marshal(m[k]) // strings, numbers and nil
		out = append(out, v...)
	}
	return append(out, '}')
}

// missing answers a single-row miss: hidden and missing rows read alike.
func (h *handler) missing(rc *pipeline.Request, id string, err error) error {
	name := rowName(h.op.Resource, id)
	switch {
	case errors.Is(err, tenant.ErrHidden):
		return rc.HideRowNamed(name)
	case errors.Is(err, tenant.ErrNotFound):
		return rc.MissingRowNamed(name)
	}
	return err
}

func (h *handler) read(rc *pipeline.Request) error {
	id := rc.Params[h.op.IDParam]
	rc.Target = rowName(h.op.Resource, id)
	r, err := rc.Tenant.GetResource(h.op.Resource, id, rc.Verdict.Effective, h.op.Rows)
	if err != nil {
		return h.missing(rc, id, err)
	}
	rc.WriteRaw(http.StatusOK, "application/json", r.JSON())
	return nil
}

func (h *handler) create(rc *pipeline.Request) error {
	body, _ := rc.BodyJSON.(map[string]any)
	if body == nil {
		return pipeline.BadRequest("", "the request body is a JSON object")
	}
	r, err := rc.Tenant.CreateResource(h.op.Resource, rc.Verdict.Effective, body)
	if err != nil {
		return err
	}
	rc.Target, rc.Write = rowName(h.op.Resource, r.ID), true
	rc.WriteRaw(http.StatusCreated, "application/json", r.JSON())
	return nil
}

// editable applies edit: rows to the row a write names: a row the
// effective user sees but may not edit is refused at the permission step.
func (h *handler) editable(rc *pipeline.Request, id string) error {
	r, err := rc.Tenant.GetResource(h.op.Resource, id, rc.Verdict.Effective, h.op.Rows)
	if err != nil {
		return h.missing(rc, id, err)
	}
	if !h.op.Edit || rc.Tenant.CanEditResource(r, rc.Verdict.Effective) {
		return nil
	}
	return rc.Deny(decide.NotEditable(rc.Verdict.Effective, rowName(h.op.Resource, id)))
}

func (h *handler) update(rc *pipeline.Request) error {
	id := rc.Params[h.op.IDParam]
	rc.Target = rowName(h.op.Resource, id)
	var update func(fields map[string]any) error
	switch body := rc.BodyJSON.(type) {
	case map[string]any: // the fields to change (a merge of the top-level fields)
		update = func(fields map[string]any) error {
			for k, v := range body {
				fields[k] = v
			}
			return nil
		}
	case []any: // a JSON Patch (RFC 6902)
		update = func(fields map[string]any) error { return applyPatch(fields, body) }
	default:
		return pipeline.BadRequest("", "the request body is a JSON object (the fields to change) or a JSON Patch array")
	}
	if err := h.editable(rc, id); err != nil {
		return err
	}
	r, err := rc.Tenant.UpdateResource(h.op.Resource, id, rc.Verdict.Effective, h.op.Rows, update)
	var pe *patchError
	if errors.As(err, &pe) {
		return pipeline.BadRequest(pe.field, "%s", pe.msg)
	}
	if err != nil {
		return h.missing(rc, id, err)
	}
	rc.Write = true
	rc.WriteRaw(http.StatusOK, "application/json", r.JSON())
	return nil
}

func (h *handler) delete(rc *pipeline.Request) error {
	id := rc.Params[h.op.IDParam]
	rc.Target = rowName(h.op.Resource, id)
	if err := h.editable(rc, id); err != nil {
		return err
	}
	if err := rc.Tenant.DeleteResource(h.op.Resource, id, rc.Verdict.Effective, h.op.Rows); err != nil {
		return h.missing(rc, id, err)
	}
	rc.Write = true
	rc.NoContent()
	return nil
}

// example answers the spec's example of the operation's success answer.
func (h *handler) example(rc *pipeline.Request) error {
	if h.op.Example == nil {
		rc.SetHeaders()
		rc.W.WriteHeader(h.op.ExampleStatus)
		return nil
	}
	rc.WriteJSON(h.op.ExampleStatus, "application/json", h.op.Example)
	return nil
}

// keyBody is an API key as the API's key operations answer it: its id (a
// number where the spec's key schema says integer), name and user; the
// secret only when issued.
func (h *handler) keyBody(k tenant.APIKey, secret bool) map[string]any {
	kp := h.api.Policy.APIKeys
	body := map[string]any{"name": k.Name}
	body["id"] = k.ID
	if h.api.KeyIDInteger {
		n, _ := strconv.ParseInt(k.ID, 10, 64)
		body["id"] = n
	}
	body[cmp.Or(kp.UserField, "user")] = k.User
	if secret {
		body[kp.SecretField] = k.Key
	}
	return body
}

func (h *handler) issueKey(rc *pipeline.Request) error {
	kp := h.api.Policy.APIKeys
	user := rc.Verdict.Effective
	body, _ := rc.BodyJSON.(map[string]any)
	if kp.UserField != "" && body[kp.UserField] != nil {
		n, ok := body[kp.UserField].(float64)
		if !ok || n != float64(int64(n)) || n < 1 {
			return pipeline.BadRequest(kp.UserField, "is a user id")
		}
		user = int64(n)
	}
	name, _ := body["name"].(string) // the key's label, when the body gives one
	if len(name) > maxKeyName || strings.ContainsFunc(name, unicode.IsControl) {
		return pipeline.BadRequest("name", "a key's name is at most %d characters, without control characters", maxKeyName)
	}
	k, err := rc.Tenant.IssueAPIKey(h.api.Name, user, strings.TrimSpace(name), kp.OnePerUser)
	switch {
	case errors.Is(err, tenant.ErrActiveKey):
		return &pipeline.Error{Status: http.StatusConflict, Kind: pipeline.KindConflict,
			Msg: fmt.Sprintf("user %d already has an active API key; revoke it before creating another", user)}
	case errors.Is(err, tenant.ErrKeyName):
		return &pipeline.Error{Status: http.StatusConflict, Kind: pipeline.KindConflict, Field: "name",
			Msg: fmt.Sprintf("name: a key named %q exists; choose another name", name)}
	case errors.Is(err, tenant.ErrNotFound):
		return pipeline.BadRequest(kp.UserField, "no user %d", user)
	case err != nil:
		return err
	}
	rc.Target, rc.Write = "api-key "+k.ID, true
	rc.WriteJSON(http.StatusCreated, "application/json", h.keyBody(k, true))
	return nil
}

// maxKeyName bounds the name a key's maker may give it.
const maxKeyName = 100

func (h *handler) listKeys(rc *pipeline.Request) error {
	offset, limit, err := h.page(rc)
	if err != nil {
		return err
	}
	var keys []tenant.APIKey // the active keys: a revoked key is gone from the key page
	for _, k := range rc.Tenant.APIKeysOf(h.api.Name, 0) {
		if !k.Revoked {
			keys = append(keys, k)
		}
	}
	total := len(keys)
	offset = min(offset, total)
	end := total
	if limit >= 0 {
		end = min(offset+limit, total)
	}
	rows := make([]any, 0, end-offset)
	for _, k := range keys[offset:end] {
		rows = append(rows, h.keyBody(k, false))
	}
	rc.Target = "api-keys"
	rc.WriteJSON(http.StatusOK, "application/json", h.envelope(rc, rows, len(rows), offset, limit, total))
	return nil
}

func (h *handler) revokeKey(rc *pipeline.Request) error {
	id := rc.Params[h.op.IDParam]
	rc.Target = "api-key " + id
	if _, err := rc.Tenant.RevokeAPIKey(h.api.Name, id, 0); err != nil {
		if errors.Is(err, tenant.ErrNotFound) {
			return pipeline.NotFound("no API key %s", id)
		}
		return err
	}
	rc.Write = true
	rc.NoContent()
	return nil
}

// APIName is the API as openapi names it.
func (a *API) APIName() openapi.API { return openapi.API(a.Name) }
