// Package openapi embeds the OpenAPI specs of the three vendor surfaces and the
// mock's admin API, and reads from them what each operation requires.
//
// The specs are the single source of truth: the generated clients, the SDK's
// operation table, the mock's request validation and its authorization
// pipeline are all derived from them.
package openapi

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed *.yaml
var files embed.FS

// API names one spec.
type API string

// The specs in this package.
const (
	Data         API = "data"         // Clarizen REST v2 shape
	Credentials  API = "credentials"  // Genesys Cloud integrations/credentials shape
	Relationship API = "relationship" // DealCloud proxy assignments and entry rows shape
	Admin        API = "admin"        // the mock's own admin API
)

// VendorAPIs lists the three vendor surfaces, in a stable order.
var VendorAPIs = []API{Data, Credentials, Relationship}

// Bytes returns the raw YAML of a spec.
func Bytes(api API) ([]byte, error) {
	b, err := files.ReadFile(string(api) + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("openapi: no spec named %q", api)
	}
	return b, nil
}

// Load parses and validates a spec. Each call returns a new document, so the
// caller may change it (for example clear its servers).
func Load(api API) (*openapi3.T, error) {
	b, err := Bytes(api)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("openapi: load %s.yaml: %w", api, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: validate %s.yaml: %w", api, err)
	}
	return doc, nil
}

// MaxIdempotencyKey reads a vendor spec's x-max-idempotency-key: the
// length an Idempotency-Key header may have.
func MaxIdempotencyKey(doc *openapi3.T) (int, error) {
	if n, ok := doc.Extensions["x-max-idempotency-key"].(float64); ok && n >= 1 && n == float64(int(n)) {
		return int(n), nil
	}
	return 0, fmt.Errorf("openapi: %s: x-max-idempotency-key (a whole number of at least 1) is missing", doc.Info.Title)
}

// EntityTypeRef says where an operation names the entity type it touches.
type EntityTypeRef struct {
	In   string `json:"in"`   // path, query, body, czql, or fixed (Name is the type itself: an API loaded with a policy)
	Name string `json:"name"` // parameter or body field holding the type (or the CZQL text); a dotted body name is a nested member
}

// Operation is what one operation requires, read from its spec.
type Operation struct {
	API     API
	ID      string // operationId
	Method  string
	Path    string
	Summary string
	// Scopes lists the acceptable OAuth scope sets: a token must hold every
	// scope of at least one set. Empty when the operation needs no scope.
	Scopes [][]string
	// Schemes lists the security schemes that authenticate the operation;
	// empty when the operation is public (token endpoints, login).
	Schemes []string
	// Permissions lists role permissions, any one of which allows the operation.
	Permissions []string
	// EntityType is set when object-level access and row-level sharing apply.
	EntityType *EntityTypeRef
	// ReadOnly is true for GET and HEAD and for POSTs marked x-read-only:
	// operations that only read, which the SDK may replay after a failure.
	ReadOnly bool
	// RowRead marks (x-row-read) the list read of an API that the mock's
	// visibility diff judges a credential of that API by: the rows it
	// returns are the rows the credential reads.
	RowRead bool
	// AsUser is true when the operation declares the AS-USER header
	// parameter (AsUserHeader): only there may a call act on behalf of
	// another user. Elsewhere the header means nothing, as at the vendors.
	AsUser bool
	// ProxyDenied is the status of a caller refused at the proxy step: the
	// AS-USER parameter's x-denied-status (401 or 403), 0 when it states
	// none (403).
	ProxyDenied int
	// RowsBypass: the operation's reads ignore row-level view rights by
	// the API's design (x-rows: bypass, an API loaded with a policy that
	// says so), whatever the tenant's apiDataAccess.
	RowsBypass bool
	// RateLimit is the vendor's documented request limit of the operation
	// (x-rate-limit on the operation or on one of its tags), nil when the
	// vendor documents none. The mock applies it per credential when the
	// tenant's settings say so (vendorRateLimits).
	RateLimit *RateLimit
}

// RateLimit is a vendor's documented request limit (x-rate-limit):
// Requests per Window, counted per credential (or, with PerOrganization,
// across the whole tenant) over every operation of Group (the x-rate-limit's
// group, else the tag that declares it, or the operation's id).
type RateLimit struct {
	Requests int
	Window   time.Duration
	// Group names the operations that share one budget.
	Group string
	// Message is the vendor's wording of the limit, for the 429's message.
	Message string
	// PerOrganization (per: organization) makes every credential of a
	// tenant share the budget, as a quota that is "global for the
	// organization, and not per user" does.
	PerOrganization bool
}

// rateLimit reads an x-rate-limit value: {requests, window, message,
// group, per}.
func rateLimit(v any, group string) (*RateLimit, error) {
	m, ok := v.(map[string]any)
	n, _ := m["requests"].(float64)
	w, _ := m["window"].(string)
	msg, _ := m["message"].(string)
	g, _ := m["group"].(string)
	per, _ := m["per"].(string)
	d, err := time.ParseDuration(w)
	if !ok || n < 1 || n != float64(int(n)) || err != nil || d <= 0 || (per != "" && per != "credential" && per != "organization") {
		return nil, fmt.Errorf("x-rate-limit wants {requests: a whole number of at least 1, window: a positive duration such as 1s, message, group, per: credential or organization}, got %v", v)
	}
	return &RateLimit{Requests: int(n), Window: d, Group: cmp.Or(g, group), Message: msg, PerOrganization: per == "organization"}, nil
}

// tagRateLimits reads the x-rate-limit of each tag of doc that declares one.
func tagRateLimits(doc *openapi3.T) (map[string]*RateLimit, error) {
	out := map[string]*RateLimit{}
	for _, tag := range doc.Tags {
		if v, ok := tag.Extensions["x-rate-limit"]; ok {
			rl, err := rateLimit(v, tag.Name)
			if err != nil {
				return nil, fmt.Errorf("tag %s: %w", tag.Name, err)
			}
			out[tag.Name] = rl
		}
	}
	return out, nil
}

// AsUserHeader is the header parameter by which an operation declares that a
// call may act on behalf of another user (the relationship API's proxying).
const AsUserHeader = "AS-USER"

// asUserParam returns the AS-USER header parameter of params, if any.
func asUserParam(params openapi3.Parameters) *openapi3.Parameter {
	for _, p := range params {
		if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInHeader && strings.EqualFold(p.Value.Name, AsUserHeader) {
			return p.Value
		}
	}
	return nil
}

// proxyDenied reads an AS-USER parameter's x-denied-status: 401 or 403.
func proxyDenied(p *openapi3.Parameter) (int, error) {
	v, ok := p.Extensions["x-denied-status"]
	if !ok {
		return 0, nil
	}
	if n, isNum := v.(float64); isNum && (n == http.StatusUnauthorized || n == http.StatusForbidden) {
		return int(n), nil
	}
	return 0, fmt.Errorf("the %s parameter's x-denied-status is 401 or 403, got %v", AsUserHeader, v)
}

// Operations returns every operation of a spec, sorted by path then method.
func Operations(api API, doc *openapi3.T) ([]Operation, error) {
	tagLimits, err := tagRateLimits(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", api, err)
	}
	var ops []Operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := Operation{API: api, ID: op.OperationID, Method: method, Path: path, Summary: op.Summary}
			if o.ID == "" {
				return nil, fmt.Errorf("openapi: %s %s %s has no operationId", api, method, path)
			}
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			for _, req := range sec {
				var set []string
				for scheme, scopes := range req {
					if !slices.Contains(o.Schemes, scheme) {
						o.Schemes = append(o.Schemes, scheme)
					}
					set = append(set, scopes...)
				}
				if len(set) > 0 {
					sort.Strings(set)
					o.Scopes = append(o.Scopes, set)
				}
			}
			sort.Strings(o.Schemes)
			if v, ok := op.Extensions["x-permissions"]; ok {
				list, ok := v.([]any)
				if !ok {
					return nil, fmt.Errorf("openapi: %s %s: x-permissions must be a list", api, o.ID)
				}
				for _, p := range list {
					s, ok := p.(string)
					if !ok || s == "" {
						return nil, fmt.Errorf("openapi: %s %s: x-permissions holds %v, want strings", api, o.ID, p)
					}
					o.Permissions = append(o.Permissions, s)
				}
			}
			if v, ok := op.Extensions["x-entity-type"]; ok {
				m, ok := v.(map[string]any)
				in, _ := m["in"].(string)
				name, _ := m["name"].(string)
				if !ok || name == "" || !slices.Contains([]string{"path", "query", "body", "czql", "fixed"}, in) {
					return nil, fmt.Errorf("openapi: %s %s: x-entity-type wants {in: path|query|body|czql|fixed, name}", api, o.ID)
				}
				o.EntityType = &EntityTypeRef{In: in, Name: name}
			}
			if _, ok := op.Extensions["x-idempotent"]; ok {
				return nil, fmt.Errorf("openapi: %s %s: x-idempotent is now x-read-only (a POST that only reads)", api, o.ID)
			}
			if p := cmp.Or(asUserParam(op.Parameters), asUserParam(item.Parameters)); p != nil {
				o.AsUser = true
				var err error
				if o.ProxyDenied, err = proxyDenied(p); err != nil {
					return nil, fmt.Errorf("openapi: %s %s: %w", api, o.ID, err)
				}
			}
			if v, ok := op.Extensions["x-rate-limit"]; ok {
				var err error
				if o.RateLimit, err = rateLimit(v, o.ID); err != nil {
					return nil, fmt.Errorf("openapi: %s %s: %w", api, o.ID, err)
				}
			} else {
				for _, tag := range op.Tags {
					if rl := tagLimits[tag]; rl != nil {
						c := *rl
						o.RateLimit = &c
						break
					}
				}
			}
			o.RowRead, _ = op.Extensions["x-row-read"].(bool)
			if v, ok := op.Extensions["x-rows"]; ok {
				if v != "enforce" && v != "bypass" {
					return nil, fmt.Errorf("openapi: %s %s: x-rows is enforce or bypass, got %v", api, o.ID, v)
				}
				o.RowsBypass = v == "bypass"
			}
			readOnly, _ := op.Extensions["x-read-only"].(bool)
			o.ReadOnly = readOnly || method == http.MethodGet || method == http.MethodHead
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops, nil
}

// DeclaredScopes lists the OAuth scopes a spec's security schemes declare
// (every flow), sorted.
func DeclaredScopes(doc *openapi3.T) []string {
	set := map[string]bool{}
	for _, ref := range doc.Components.SecuritySchemes {
		if ref == nil || ref.Value == nil || ref.Value.Flows == nil {
			continue
		}
		fl := ref.Value.Flows
		for _, f := range []*openapi3.OAuthFlow{fl.ClientCredentials, fl.Implicit, fl.Password, fl.AuthorizationCode} {
			if f != nil {
				for s := range f.Scopes {
					set[s] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// ScopeText renders the scope alternatives for people: "a b" or "a | b".
func ScopeText(sets [][]string) string {
	parts := make([]string, len(sets))
	for i, s := range sets {
		parts[i] = strings.Join(s, " ")
	}
	return strings.Join(parts, " | ")
}

//go:embed apis
var shipped embed.FS

// ShippedAPI is an API this module ships as a spec, a policy and a demo
// fixture section (openapi/apis/<name>/), loaded by name (cmd/mock --api
// workiva).
type ShippedAPI struct {
	Name                  string
	Spec, Policy, Fixture []byte
}

// Shipped returns the shipped API called name.
func Shipped(name string) (ShippedAPI, error) {
	dir := "apis/" + name + "/"
	spec, err := shipped.ReadFile(dir + "openapi.yaml")
	if err != nil {
		return ShippedAPI{}, fmt.Errorf("openapi: no shipped API %q (shipped: %s)", name, strings.Join(ShippedNames(), ", "))
	}
	policy, _ := shipped.ReadFile(dir + "policy.yaml")
	fixture, _ := shipped.ReadFile(dir + "fixture.yaml")
	return ShippedAPI{Name: name, Spec: spec, Policy: policy, Fixture: fixture}, nil
}

// ShippedNames lists the shipped APIs, sorted.
func ShippedNames() []string {
	entries, _ := shipped.ReadDir("apis")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}
