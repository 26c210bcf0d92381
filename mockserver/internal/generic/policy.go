// Package generic serves an API described by any OpenAPI spec and a small
// policy file through the mock's one request path: the policy says what
// the spec does not (which permissions an operation needs, which resource
// type it touches, whether its reads honour view rights, the paging style,
// the error bodies, how its security schemes' values are issued), the
// spec's own extensions are read when present and the policy overrides
// them. Load turns the pair into the extensions the pipeline already reads
// (x-permissions, x-entity-type, x-credential) and a compiled spec;
// Handlers serve its operations over the tenant's resource store.
package generic

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// Policy is the policy file of an API (docs/guides/any-openapi.md).
type Policy struct {
	// Credentials says, per security scheme of the spec, how its values
	// are issued: api_key (keys of the tenant, bound to this API) or
	// oauth_token (tokens of the API's token endpoint; the default).
	Credentials map[string]string `yaml:"credentials"`
	// APIKeys is how the API manages its own keys (issue-key, list-keys,
	// revoke-key operations).
	APIKeys *KeysPolicy `yaml:"apiKeys"`
	// Operations and Tags set per operation (by operationId) and per tag
	// what the spec's extensions say; an operation's own keys win over its
	// tag's, which win over the extensions.
	Operations map[string]OperationPolicy `yaml:"operations"`
	Tags       map[string]OperationPolicy `yaml:"tags"`
	Resources  map[string]ResourcePolicy  `yaml:"resources"`
	Paging     *PagingPolicy              `yaml:"paging"`
	// Errors are the JSON error bodies by failure kind; default applies to
	// every kind and a kind's keys override it.
	Errors map[string]map[string]any `yaml:"errors"`
}

// OperationPolicy is what one operation (or every operation of a tag)
// needs besides its spec's security.
type OperationPolicy struct {
	Permissions []string `yaml:"permissions"`
	Resource    string   `yaml:"resource"`
	Action      string   `yaml:"action"`
	Rows        string   `yaml:"rows"`
	Edit        string   `yaml:"edit"`
	// AsUser lets a call act on behalf of another user with the AS-USER
	// header (a user id): the caller's user needs a proxy assignment for
	// that principal, whose rights then apply. Off unless said (or the
	// spec declares the header on the operation).
	AsUser bool `yaml:"asUser"`
}

// ResourcePolicy is what the store needs of a resource type.
type ResourcePolicy struct {
	ID    string `yaml:"id"`
	Owner string `yaml:"owner"`
	Rows  string `yaml:"rows"`
	// Name is the body field the visibility diff shows as a row's name
	// (default name, else title).
	Name string `yaml:"name"`
}

// PagingPolicy is the list operations' paging style.
type PagingPolicy struct {
	Style    string `yaml:"style"`
	Items    string `yaml:"items"`
	Limit    string `yaml:"limit"`
	Cursor   string `yaml:"cursor"`
	Next     string `yaml:"next"`
	Previous string `yaml:"previous"`
	Count    string `yaml:"count"`
}

// KeysPolicy is how an API issues its own API keys.
type KeysPolicy struct {
	OnePerUser  bool   `yaml:"onePerUser"`
	SecretField string `yaml:"secretField"`
	UserField   string `yaml:"userField"`
}

// Actions an operation can have.
const (
	ActionList      = "list"
	ActionCreate    = "create"
	ActionRead      = "read"
	ActionUpdate    = "update"
	ActionDelete    = "delete"
	ActionExample   = "example"
	ActionIssueKey  = "issue-key"
	ActionListKeys  = "list-keys"
	ActionRevokeKey = "revoke-key"
)

var actions = []string{ActionList, ActionCreate, ActionRead, ActionUpdate, ActionDelete, ActionExample, ActionIssueKey, ActionListKeys, ActionRevokeKey}

// errorKinds are the failure kinds an error template may name.
var errorKinds = []string{"default", "unauthenticated", "scope", "proxy", "permission", "object", "notFound", "badRequest",
	"conflict", "rateLimited", "unavailable", "internal", "methodNotAllowed", "tooLarge"}

// Paging styles.
const (
	PagingLink   = "link"
	PagingOffset = "offset"
	PagingNone   = "none"
)

// LoadError is every problem of a spec and a policy, each located by file,
// line and field.
type LoadError struct {
	Errs []*tenant.FieldError
}

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Source is one file of an API: its name (for messages) and text.
type Source struct {
	Name string
	Data []byte
}

// Operation is what the handlers need of one operation.
type Operation struct {
	ID       string
	Action   string
	Resource string
	Rows     tenant.RowAccess
	Edit     bool
	// IDParam is the path parameter holding an item's id.
	IDParam string
	// LimitDefault is the page size parameter's default in the spec (0:
	// none stated). Its maximum is validation's to check.
	LimitDefault int
	// Example is the success answer of an example operation.
	Example       any
	ExampleStatus int
}

// API is a loaded API: its compiled-ready spec (extensions applied), its
// policy and what its handlers read.
type API struct {
	Name       string
	Doc        *openapi3.T
	Policy     *Policy
	Operations map[string]*Operation
	Resources  map[string]tenant.ResourceType
	// ResourceNames are the body fields that name a row, by type (for the
	// visibility diff).
	ResourceNames map[string]string
	Scopes        []string
	// Spec is the spec's text, served by the admin API.
	Spec []byte
	// KeyIDInteger: the API's key ids are numbers (its issue-key answer's
	// id is an integer).
	KeyIDInteger bool
}

// Load reads an API from its spec and its policy (policy.Data may be
// empty: the spec's extensions alone). name is the API's name: what API
// keys, audit entries and usage name it by.
func Load(name string, spec, policy Source) (*API, error) {
	var errs []*tenant.FieldError
	specLines, lerr := lineIndex(spec)
	if lerr != nil {
		return nil, &LoadError{Errs: []*tenant.FieldError{lerr}}
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec.Data)
	if err != nil {
		return nil, &LoadError{Errs: []*tenant.FieldError{specError(spec.Name, specLines, err)}}
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, &LoadError{Errs: []*tenant.FieldError{specError(spec.Name, specLines, err)}}
	}
	p := &Policy{}
	var policyLines map[string]int
	if len(bytes.TrimSpace(policy.Data)) > 0 {
		var perrs []*tenant.FieldError
		policyLines, perrs = tenant.DecodeYAML(policy.Name, policy.Data, p, "the policy is empty", "a policy is a mapping (operations:, resources:, paging:, errors:, ...)")
		if len(perrs) > 0 {
			return nil, &LoadError{Errs: perrs}
		}
	}
	b := &builder{api: &API{Name: name, Doc: doc, Policy: p, Operations: map[string]*Operation{},
		Resources: map[string]tenant.ResourceType{}, ResourceNames: map[string]string{}, Spec: spec.Data},
		spec: spec.Name, specLines: specLines, policy: policy.Name, policyLines: policyLines}
	b.build()
	errs = append(errs, b.errs...)
	if len(errs) > 0 {
		// The spec's problems first, then the policy's, each by line.
		slices.SortStableFunc(errs, func(x, y *tenant.FieldError) int {
			if c := strings.Compare(fileRank(x.File, spec.Name), fileRank(y.File, spec.Name)); c != 0 {
				return c
			}
			return x.Line - y.Line
		})
		return nil, &LoadError{Errs: errs}
	}
	return b.api, nil
}

// fileRank orders load errors: the spec's (0) before the policy's (1).
func fileRank(file, spec string) string {
	if file == spec {
		return "0"
	}
	return "1"
}

type builder struct {
	api          *API
	spec, policy string
	specLines    map[string]int
	policyLines  map[string]int
	errs         []*tenant.FieldError
}

// specErr reports a problem of the spec at field (a dotted path:
// paths./x.get.x-action).
func (b *builder) specErr(field, format string, args ...any) {
	b.errs = append(b.errs, &tenant.FieldError{File: b.spec, Line: tenant.NearestLine(b.specLines, field), Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (b *builder) policyErr(field, format string, args ...any) {
	b.errs = append(b.errs, &tenant.FieldError{File: b.policy, Line: tenant.NearestLine(b.policyLines, field), Field: field, Msg: fmt.Sprintf(format, args...)})
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

// ValidName reports whether name may name a loaded API: lower-case
// letters, digits, dashes and underscores, starting with a letter.
func ValidName(name string) bool { return namePattern.MatchString(name) }

func (b *builder) build() {
	doc, p := b.api.Doc, b.api.Policy
	b.credentials()
	for _, name := range slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)) {
		if err := decide.CheckScheme(doc, name); err != nil {
			b.specErr("components.securitySchemes."+name, "%v", err)
		}
	}
	// The paging style, checked before the operations read it.
	b.paging()
	b.errorTemplates()
	ids := map[string]bool{}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		item := doc.Paths.Value(path)
		for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
			op := item.Operations()[method]
			at := "paths." + path + "." + strings.ToLower(method)
			if op.OperationID == "" {
				b.specErr(at, "the operation has no operationId (the policy and the audit log name operations by it)")
				continue
			}
			ids[op.OperationID] = true
			b.operation(path, method, item, op, at)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.Operations)) {
		if !ids[id] {
			b.policyErr("operations."+id, "the spec has no operation %q (known: %s)", id, strings.Join(slices.Sorted(maps.Keys(ids)), ", "))
		}
	}
	tags := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, t := range op.Tags {
				tags[t] = true
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(p.Tags)) {
		if !tags[t] {
			b.policyErr("tags."+t, "no operation of the spec has the tag %q", t)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Resources)) {
		if _, used := b.api.Resources[name]; !used {
			b.policyErr("resources."+name, "no operation touches the resource type %q", name)
		}
	}
	b.api.Scopes = openapi.DeclaredScopes(doc)
	b.api.finish()
}

// credentials applies the policy's credentials section to the spec's
// security schemes (x-credential).
func (b *builder) credentials() {
	doc := b.api.Doc
	for _, name := range slices.Sorted(maps.Keys(b.api.Policy.Credentials)) {
		v := b.api.Policy.Credentials[name]
		field := "credentials." + name
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			b.policyErr(field, "the spec has no security scheme %q (known: %s)", name, strings.Join(slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)), ", "))
			continue
		}
		switch v {
		case "api_key":
			if ref.Value.Type != "http" || !strings.EqualFold(ref.Value.Scheme, "bearer") {
				b.policyErr(field, "api_key applies to an http bearer scheme; %q is %s", name, ref.Value.Type)
				continue
			}
			ref.Value.Extensions = withExt(ref.Value.Extensions, "x-credential", "api_key")
		case "oauth_token":
		default:
			b.policyErr(field, "%q is not one of api_key, oauth_token", v)
		}
	}
}

func withExt(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// paging checks the paging section.
func (b *builder) paging() {
	pg := b.api.Policy.Paging
	if pg == nil {
		b.api.Policy.Paging = &PagingPolicy{Style: PagingNone}
		return
	}
	switch pg.Style {
	case PagingLink:
		if pg.Items == "" || pg.Next == "" || pg.Limit == "" || pg.Cursor == "" {
			b.policyErr("paging", "link paging names items, next, limit and cursor")
		}
	case PagingOffset:
		if pg.Items == "" || pg.Limit == "" || pg.Cursor == "" {
			b.policyErr("paging", "offset paging names items, limit and cursor (the offset parameter); next, previous and count are optional")
		}
	case PagingNone, "":
		pg.Style = PagingNone
	default:
		b.policyErr("paging.style", "%q is not one of link, offset, none", pg.Style)
	}
}

func (b *builder) errorTemplates() {
	for _, kind := range slices.Sorted(maps.Keys(b.api.Policy.Errors)) {
		if !slices.Contains(errorKinds, kind) {
			b.policyErr("errors."+kind, "unknown failure kind %q (known: %s)", kind, strings.Join(errorKinds, ", "))
		}
	}
}

// opPolicy is an operation's policy: its extensions, then its tags', then
// its own entry's keys, each later one winning key by key.
func (b *builder) opPolicy(op *openapi3.Operation, at string) (OperationPolicy, map[string]string) {
	var out OperationPolicy
	src := map[string]string{} // key -> where it was said, for messages
	if v, ok := op.Extensions["x-permissions"]; ok {
		list, _ := v.([]any)
		for _, e := range list {
			if s, ok := e.(string); ok {
				out.Permissions = append(out.Permissions, s)
			} else {
				b.specErr(at+".x-permissions", "holds %v, want strings", e)
			}
		}
		if list == nil {
			b.specErr(at+".x-permissions", "must be a list of permissions")
		}
		src["permissions"] = at + ".x-permissions"
	}
	for key, dst := range map[string]*string{"x-resource": &out.Resource, "x-action": &out.Action, "x-rows": &out.Rows, "x-edit": &out.Edit} {
		if v, ok := op.Extensions[key]; ok {
			s, isString := v.(string)
			if !isString {
				b.specErr(at+"."+key, "must be text, got %v", v)
			}
			*dst = s
			src[strings.TrimPrefix(key, "x-")] = at + "." + key
		}
	}
	merge := func(p OperationPolicy, where string) {
		if p.AsUser {
			out.AsUser = true
		}
		if p.Permissions != nil {
			out.Permissions, src["permissions"] = p.Permissions, where+".permissions"
		}
		for _, kv := range []struct {
			key      string
			from, to *string
		}{{"resource", &p.Resource, &out.Resource}, {"action", &p.Action, &out.Action}, {"rows", &p.Rows, &out.Rows}, {"edit", &p.Edit, &out.Edit}} {
			if *kv.from != "" {
				*kv.to, src[kv.key] = *kv.from, where+"."+kv.key
			}
		}
	}
	for _, t := range op.Tags {
		if tp, ok := b.api.Policy.Tags[t]; ok {
			merge(tp, "tags."+t)
		}
	}
	if p, ok := b.api.Policy.Operations[op.OperationID]; ok {
		merge(p, "operations."+op.OperationID)
	}
	return out, src
}

// report reports a problem of an operation's key at the file and field
// that said it (src, from opPolicy), else at the operation (at).
func (b *builder) report(src map[string]string, key, at string, format string, args ...any) {
	w := src[key]
	if strings.HasPrefix(w, "paths.") || w == "" {
		b.specErr(cmp.Or(w, at), format, args...)
		return
	}
	b.policyErr(w, format, args...)
}

// article is "a" or "an" before word.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// lastParam is the last path parameter of a template ("recordId" of
// /graph/records/{recordId}); "" when the path does not end in one.
func lastParam(path string) string {
	path = strings.TrimSuffix(path, "/") // /commits/{id}/, as Django-style APIs spell it
	seg := path[strings.LastIndex(path, "/")+1:]
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1]
	}
	return ""
}

// defaultAction is an operation's action by its path and method.
func defaultAction(path, method string) string {
	item := lastParam(path) != ""
	switch {
	case !item && method == "GET":
		return ActionList
	case !item && method == "POST":
		return ActionCreate
	case item && method == "GET":
		return ActionRead
	case item && (method == "PUT" || method == "PATCH"):
		return ActionUpdate
	case item && method == "DELETE":
		return ActionDelete
	}
	return ActionExample
}

func (b *builder) operation(path, method string, item *openapi3.PathItem, op *openapi3.Operation, at string) {
	if pipeline.IsTokenEndpoint(op) {
		// The shared token endpoint serves it, with the lifetime its
		// answer's expires_in states.
		if _, err := pipeline.TokenLifetime(op); err != nil {
			b.specErr(at+".responses", "a token endpoint's 200 answer gives expires_in a positive whole default: the lifetime of the tokens it issues, in seconds")
		}
		return
	}
	pol, rec := b.opPolicy(op, at)
	o := &Operation{ID: op.OperationID, Action: pol.Action}
	if o.Action == "" {
		o.Action = defaultAction(path, method)
	}
	if o.Action != ActionExample && !secured(b.api.Doc, op) {
		b.specErr(at+".security", "the operation takes no credential (no security requirement names a scheme): only an example operation may be public, and %s %s works on the caller's rows", article(o.Action), o.Action)
		return
	}
	if !slices.Contains(actions, o.Action) {
		b.report(rec, "action", at, "%q is not an action (known: %s)", o.Action, strings.Join(actions, ", "))
		return
	}
	for i, perm := range pol.Permissions {
		if perm == "" || strings.TrimSpace(perm) != perm {
			b.report(rec, "permissions", at, "permission %d, %q, is not a permission (text without leading or trailing spaces; * wildcards)", i, perm)
		}
	}
	switch pol.Rows {
	case "", string(tenant.RowsEnforce), string(tenant.RowsBypass):
	default:
		b.report(rec, "rows", at, "%q is not one of enforce, bypass", pol.Rows)
	}
	switch pol.Edit {
	case "", "rows":
	default:
		b.report(rec, "edit", at, "%q is not rows (the only kind of edit right)", pol.Edit)
	}
	o.Edit = pol.Edit == "rows"
	crud := slices.Contains([]string{ActionList, ActionCreate, ActionRead, ActionUpdate, ActionDelete}, o.Action)
	if crud && pol.Resource == "" {
		b.report(rec, "resource", at, "%s %s operation needs a resource type (x-resource, or resource in the policy's operations)", article(o.Action), o.Action)
		return
	}
	if needsItem := slices.Contains([]string{ActionRead, ActionUpdate, ActionDelete, ActionRevokeKey}, o.Action); needsItem {
		if o.IDParam = lastParam(path); o.IDParam == "" {
			b.report(rec, "action", at, "%s %s operation's path ends in its id parameter ({id}); %s does not", article(o.Action), o.Action, path)
			return
		}
	}
	if o.Action == ActionIssueKey || o.Action == ActionListKeys || o.Action == ActionRevokeKey {
		if b.api.Policy.APIKeys == nil || b.api.Policy.APIKeys.SecretField == "" {
			b.report(rec, "action", at, "%s %s operation needs the policy's apiKeys section (with its secretField)", article(o.Action), o.Action)
			return
		}
		if o.Action == ActionIssueKey {
			if s := rowSchema(op, nil); s != nil {
				if p := property(s, "id"); p != nil && p.Type.Is("integer") {
					b.api.KeyIDInteger = true
				}
			}
		}
	}
	if o.Edit && o.Action != ActionUpdate && o.Action != ActionDelete {
		b.report(rec, "edit", at, "edit: rows applies to update and delete operations, not %s", o.Action)
	}
	if pol.Resource != "" {
		if !namePattern.MatchString(pol.Resource) {
			b.report(rec, "resource", at, "%q is not a resource type name (lower-case letters, digits, _ and -)", pol.Resource)
			return
		}
		o.Resource = pol.Resource
		b.resource(pol.Resource, op, at)
		rp := b.api.Policy.Resources[pol.Resource]
		o.Rows = tenant.RowAccess(cmp.Or(pol.Rows, cmp.Or(rp.Rows, string(tenant.RowsEnforce))))
		op.Extensions = withExt(op.Extensions, "x-rows", string(o.Rows)) // the decision's explanation says it
		// Object-level access and usage name the resource type.
		op.Extensions = withExt(op.Extensions, "x-entity-type", map[string]any{"in": "fixed", "name": pol.Resource})
	}
	if pol.Permissions != nil {
		list := make([]any, len(pol.Permissions))
		for i, p := range pol.Permissions {
			list[i] = p
		}
		op.Extensions = withExt(op.Extensions, "x-permissions", list)
	}
	if pol.AsUser || hasAsUser(item.Parameters) || hasAsUser(op.Parameters) {
		asUser(op)
	}
	for _, k := range []string{"x-resource", "x-action", "x-edit"} {
		delete(op.Extensions, k)
	}
	if o.Action == ActionList || o.Action == ActionListKeys {
		b.limits(o, op, at)
	}
	if o.Action == ActionExample {
		o.ExampleStatus, o.Example = example(op)
		if o.ExampleStatus == 0 {
			b.specErr(at+".responses", "an example operation needs a 2xx response (with an example, for a body)")
		}
	}
	b.api.Operations[o.ID] = o
}

// limits reads the page size parameter's default.
func (b *builder) limits(o *Operation, op *openapi3.Operation, at string) {
	pg := b.api.Policy.Paging
	if pg.Style == PagingNone {
		return
	}
	for _, ref := range op.Parameters {
		if ref == nil || ref.Value == nil || ref.Value.In != openapi3.ParameterInQuery {
			continue
		}
		p := ref.Value
		if p.Name != pg.Limit || p.Schema == nil || p.Schema.Value == nil {
			continue
		}
		s := p.Schema.Value
		if d, ok := s.Default.(float64); ok && d >= 1 {
			o.LimitDefault = int(d)
		}
		return
	}
	b.specErr(at+".parameters", "the list operation has no query parameter %q (the policy's paging.limit)", pg.Limit)
}

// resource records the resource type an operation touches, its id field's
// format read from the operation's schemas.
func (b *builder) resource(name string, op *openapi3.Operation, at string) {
	rp := b.api.Policy.Resources[name]
	idField := cmp.Or(rp.ID, "id")
	rt, seen := b.api.Resources[name]
	if !seen {
		rt = tenant.ResourceType{API: b.api.Name, IDField: idField, OwnerField: rp.Owner, IDFormat: ""}
		b.api.ResourceNames[name] = cmp.Or(rp.Name, "name")
	}
	if rt.IDFormat == "" {
		if s := rowSchema(op, b.api.Policy.Paging); s != nil {
			if p := property(s, idField); p != nil {
				rt.IDFormat = idFormat(p)
			}
		}
	}
	if !seen { // checked once per type, not per operation
		switch rp.Rows {
		case "", string(tenant.RowsEnforce), string(tenant.RowsBypass):
		default:
			b.policyErr("resources."+name+".rows", "%q is not one of enforce, bypass", rp.Rows)
		}
	}
	b.api.Resources[name] = rt
}

// OperationIDs lists every operation of the API's spec, token endpoints
// included, sorted.
func (a *API) OperationIDs() []string {
	var ids []string
	for _, item := range a.Doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	slices.Sort(ids)
	return ids
}

// Finish gives every resource type whose schemas state no id format the
// string format.
func (a *API) finish() {
	for name, rt := range a.Resources {
		if rt.IDFormat == "" {
			rt.IDFormat = tenant.IDString
			a.Resources[name] = rt
		}
	}
}

// property is the schema of a property of s, declared by s or by one of
// its allOf members.
func property(s *openapi3.Schema, name string) *openapi3.Schema {
	return propertyAt(s, name, 0)
}

func propertyAt(s *openapi3.Schema, name string, depth int) *openapi3.Schema {
	if s == nil || depth > 8 {
		return nil
	}
	if p := s.Properties[name]; p != nil && p.Value != nil {
		return p.Value
	}
	// Later members are the more specific (a page's generic results,
	// then the type's own), so they are asked first.
	for _, ref := range slices.Backward(s.AllOf) {
		if ref != nil {
			if p := propertyAt(ref.Value, name, depth+1); p != nil {
				return p
			}
		}
	}
	return nil
}

func idFormat(s *openapi3.Schema) string {
	switch {
	case s.Type.Is("integer"):
		return tenant.IDInteger
	case s.Type.Is("string") && s.Format == "uuid":
		return tenant.IDUUID
	}
	return tenant.IDString
}

// rowSchema is the schema of one row in an operation's success answer: a
// list's items, or the object itself.
func rowSchema(op *openapi3.Operation, pg *PagingPolicy) *openapi3.Schema {
	for code, ref := range op.Responses.Map() {
		if !strings.HasPrefix(code, "2") || ref.Value == nil {
			continue
		}
		mt := ref.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			continue
		}
		s := mt.Schema.Value
		if pg != nil && pg.Items != "" {
			if items := property(s, pg.Items); items != nil && items.Items != nil && items.Items.Value != nil {
				return items.Items.Value
			}
		}
		if s.Items != nil && s.Items.Value != nil {
			return s.Items.Value
		}
		return s
	}
	return nil
}

// example is the status and body of an operation's first success answer
// with an example (its media type's example or first named example, else
// its schema's example); a 2xx without content answers no body.
func example(op *openapi3.Operation) (int, any) {
	for _, code := range slices.Sorted(maps.Keys(op.Responses.Map())) {
		ref := op.Responses.Value(code)
		n, err := strconv.Atoi(code)
		if err != nil || n < 200 || n > 299 || ref == nil || ref.Value == nil {
			continue
		}
		mt := ref.Value.Content.Get("application/json")
		if mt == nil {
			return n, nil
		}
		if mt.Example != nil {
			return n, mt.Example
		}
		for _, name := range slices.Sorted(maps.Keys(mt.Examples)) {
			if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
				return n, ex.Value.Value
			}
		}
		if mt.Schema != nil && mt.Schema.Value != nil && mt.Schema.Value.Example != nil {
			return n, mt.Schema.Value.Example
		}
	}
	return 0, nil
}

// asUser declares the AS-USER header parameter on op (the pipeline's
// proxy step applies where it is declared), granted by the fixture's proxy
// assignments, unless the spec declares it already.
func asUser(op *openapi3.Operation) {
	for _, p := range op.Parameters {
		if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInHeader && strings.EqualFold(p.Value.Name, openapi.AsUserHeader) {
			if _, ok := p.Value.Extensions["x-granted-by"]; !ok {
				p.Value.Extensions = withExt(p.Value.Extensions, "x-granted-by", map[string]any{"assignment": proxyAssignment})
			}
			return
		}
	}
	min := 1.0
	op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
		Name: openapi.AsUserHeader, In: openapi3.ParameterInHeader,
		Description: "Act on behalf of this principal user id (the policy's asUser; needs a proxy assignment).",
		Schema:      openapi3.NewInt64Schema().WithMin(min).NewRef(),
		Extensions:  map[string]any{"x-granted-by": map[string]any{"assignment": proxyAssignment}},
	}})
}

// hasAsUser reports whether params declare the AS-USER header.
func hasAsUser(params openapi3.Parameters) bool {
	for _, p := range params {
		if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInHeader && strings.EqualFold(p.Value.Name, openapi.AsUserHeader) {
			return true
		}
	}
	return false
}

// proxyAssignment is how a loaded API's proxy assignment is written, in a
// fixture's proxyAssignments.
const proxyAssignment = "{proxyUserId: {proxy}, userIds: [{principal}]}"

// secured reports whether op's security (its own, else the spec's) names
// a scheme: the operation takes a credential.
func secured(doc *openapi3.T, op *openapi3.Operation) bool {
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	for _, req := range sec {
		if len(req) > 0 {
			return true
		}
	}
	return false
}

// lineIndex maps the dotted field paths of a YAML (or JSON) document to
// their lines: paths./x.get.responses.200.
func lineIndex(src Source) (map[string]int, *tenant.FieldError) {
	var root yaml.Node
	if err := yaml.Unmarshal(src.Data, &root); err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, &tenant.FieldError{File: src.Name, Line: line, Msg: "not valid YAML or JSON: " + err.Error()}
	}
	lines := map[string]int{}
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		if n == nil || depth > 64 {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path, depth+1)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				sub := n.Content[i].Value
				if path != "" {
					sub = path + "." + sub
				}
				lines[sub] = n.Content[i].Line
				walk(n.Content[i+1], sub, depth+1)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				sub := path + "[" + strconv.Itoa(i) + "]"
				lines[sub] = c.Line
				walk(c, sub, depth+1)
			}
		}
	}
	walk(&root, "", 0)
	return lines, nil
}

var (
	yamlLine = regexp.MustCompile(`line (\d+)`)
	// kin-openapi names the parts of a spec it refuses: invalid path
	// /x: invalid operation GET: ...
	invalidPath      = regexp.MustCompile(`invalid path (\S+?):`)
	invalidOperation = regexp.MustCompile(`invalid operation (\w+)`)
	invalidSchema    = regexp.MustCompile(`invalid components: schema "([^"]+)"`)
	invalidField     = regexp.MustCompile(`(?:field|property) "([^"]+)"`)
)

// specError locates an error kin-openapi reports on a spec: the path and
// operation, or component schema, it names, else the YAML line it gives.
func specError(file string, lines map[string]int, err error) *tenant.FieldError {
	msg := err.Error()
	fe := &tenant.FieldError{File: file, Msg: "not a valid OpenAPI 3 spec: " + msg}
	var field string
	if m := invalidPath.FindStringSubmatch(msg); m != nil {
		field = "paths." + m[1]
		if o := invalidOperation.FindStringSubmatch(msg); o != nil {
			field += "." + strings.ToLower(o[1])
		}
	} else if m := invalidSchema.FindStringSubmatch(msg); m != nil {
		field = "components.schemas." + m[1]
		if f := invalidField.FindStringSubmatch(msg); f != nil {
			if _, ok := lines[field+"."+f[1]]; ok {
				field += "." + f[1]
			}
		}
	}
	if field != "" {
		fe.Field, fe.Line = field, tenant.NearestLine(lines, field)
		return fe
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
	}
	var ye *yaml.TypeError
	if errors.As(err, &ye) && len(ye.Errors) > 0 {
		if m := yamlLine.FindStringSubmatch(ye.Errors[0]); m != nil {
			fe.Line, _ = strconv.Atoi(m[1])
		}
	}
	return fe
}
