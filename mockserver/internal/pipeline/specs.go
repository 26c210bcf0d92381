package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/openapi"
)

// Handler does an operation's data work for a request the pipeline has
// allowed. It writes the response with rc.WriteJSON (or rc.NoContent), or
// returns an error: an *Error is reported in the surface's shape, any
// other error as a 500.
type Handler func(rc *Request) error

// IssuedToken is what a token endpoint issued: the token, the scopes it
// holds (space-separated, "" for none) and its lifetime in seconds.
type IssuedToken struct {
	AccessToken, Scope string
	ExpiresIn          int
}

// TokenWriter writes an API's token response, in the model its spec
// declares (each API binds its own; the token endpoint is shared).
type TokenWriter func(rc *Request, t IssuedToken)

// route is one operation of one spec: what it requires (from the spec) and
// the handler that serves it.
type Route struct {
	Op      openapi.Operation
	Spec    *APISpec
	Surface *Surface // set per server by LoadSpecs, from the API's binding
	Handle  Handler
	// rule is what the decision function reads of the operation: op, the
	// credential kinds its security schemes accept (none for public
	// operations and token endpoints), which to hint at in a 401 and the
	// token endpoints.
	Rule decide.Operation
	// normaliseBody: the request body's top-level keys are camelCased before
	// validation (bodies with declared properties, in a spec whose info has
	// x-pascal-case-keys: the data API's).
	normaliseBody bool
	// token marks an OAuth token endpoint; tokenLifetime is the default
	// lifetime of the tokens it issues, from its spec.
	Token         bool
	TokenLifetime time.Duration
	// NoBulk: the operation may not run as a bulk sub-request (its spec's
	// x-bulk: false, or it takes no credential: a token endpoint, login).
	NoBulk bool
}

type APISpec struct {
	API    openapi.API
	Doc    *openapi3.T
	router routers.Router
	Routes map[string]*Route // by operationId
	// literal maps each path without parameters to the methods it takes:
	// a literal path wins over a templated one (OpenAPI's matching rule),
	// so PUT /credentials/types is a 405, not updateCredential.
	literal map[string][]string
	// json bounds the nesting and size of JSON request bodies (the spec's
	// x-max-json-depth and x-max-json-values).
	json jsonLimits
	// maxIdempotencyKey is the spec's x-max-idempotency-key (vendor APIs).
	MaxIdempotencyKey int
	// prefixes are the first two segments of the spec's paths (pathPrefix),
	// and surface the API's: the error shape of a request not yet routed.
	prefixes []string
	Surface  *Surface
	// Extra is what the API's handlers read from its spec, made once by
	// its Prepare (nil without one).
	Extra any
	// folded are the spec's path templates split into segments, when its
	// x-case-insensitive-paths is true: a path whose literal segments
	// match one of them ignoring case is routed as the template spells
	// them (foldPath).
	folded [][]string
}

type Specs struct {
	Vendor []*APISpec
	Admin  *APISpec
	all    []*APISpec // the vendor specs, then the admin spec
	// matched remembers, per path without parameters that matched an
	// operation, the match by method: such a path always matches the same
	// way, and the router's walk is a few percent of a small request.
	// Bounded by the number of literal paths of the specs.
	matched sync.Map // string -> *literalMatch
}

// literalMatch is the routing of one literal path, by method.
type literalMatch struct {
	byMethod sync.Map // string -> match
}

type match struct {
	rt *Route
	kr *routers.Route
}

// CompileSpecs parses and validates every spec, builds its router, reads
// each operation's requirements and runs each API's Prepare. The server
// calls it once per process: the result is read-only and shared by every
// Server (parsing the specs is most of the cost of a new server). Handlers
// are bound per server by LoadSpecs.
func CompileSpecs(prepare map[openapi.API]Prepare) ([]*APISpec, error) {
	var out []*APISpec
	for _, api := range append(append([]openapi.API(nil), openapi.VendorAPIs...), openapi.Admin) {
		doc, err := openapi.Load(api)
		if err != nil {
			return nil, fmt.Errorf("mockserver: %w", err)
		}
		sp, err := CompileAPI(api, doc, prepare[api], false)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	LinkSpecs(out)
	return out, nil
}

// Bounds of the JSON request bodies of an API loaded from a spec and a
// policy whose spec states none (x-max-json-depth, x-max-json-values): a
// vendor's spec says nothing of the kind, and the mock still refuses a body
// that would cost it more than its size.
const (
	loadedMaxJSONDepth  = 64
	loadedMaxJSONValues = 100_000
	// loadedMaxIdempotencyKey is the length of an Idempotency-Key the mock
	// takes on a loaded API whose spec states no x-max-idempotency-key.
	loadedMaxIdempotencyKey = 255
)

// CompileAPI builds one API's router and reads each operation's
// requirements from doc (whose servers it clears), running prepare when
// set. loaded marks an API loaded from a spec and a policy: the mock's
// extensions it needs are optional there (defaults above), and its API
// keys are its own (decide.Operation.OwnKeys). The specs of one server are
// linked with LinkSpecs once all are compiled.
func CompileAPI(api openapi.API, doc *openapi3.T, prepare Prepare, loaded bool) (*APISpec, error) {
	doc.Servers = nil // route on paths alone; one host serves every spec
	var extra any
	var err error
	if prepare != nil {
		if extra, err = prepare(doc); err != nil {
			return nil, err
		}
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("mockserver: router for %s: %w", api, err)
	}
	ops, err := openapi.Operations(api, doc)
	if err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	sp := &APISpec{API: api, Doc: doc, router: router, Routes: map[string]*Route{}, literal: literalPaths(doc), json: jsonLimitsOf(doc), Extra: extra}
	if loaded {
		if sp.json.depth == 0 {
			sp.json.depth = loadedMaxJSONDepth
		}
		if sp.json.values == 0 {
			sp.json.values = loadedMaxJSONValues
		}
	}
	if fold, _ := doc.Extensions["x-case-insensitive-paths"].(bool); fold {
		for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
			sp.folded = append(sp.folded, strings.Split(path, "/"))
		}
	}
	for path := range doc.Paths.Map() {
		if prefix := pathPrefix(path); !slices.Contains(sp.prefixes, prefix) {
			sp.prefixes = append(sp.prefixes, prefix)
		}
	}
	slices.Sort(sp.prefixes)
	switch {
	case loaded:
		sp.MaxIdempotencyKey = loadedMaxIdempotencyKey
		if _, ok := doc.Extensions["x-max-idempotency-key"]; ok {
			if sp.MaxIdempotencyKey, err = openapi.MaxIdempotencyKey(doc); err != nil {
				return nil, fmt.Errorf("mockserver: %w", err)
			}
		}
	case api != openapi.Admin:
		if sp.MaxIdempotencyKey, err = openapi.MaxIdempotencyKey(doc); err != nil {
			return nil, fmt.Errorf("mockserver: %w", err)
		}
	}
	for _, op := range ops {
		rt := &Route{Op: op, Spec: sp}
		rule, token, err := decide.NewOperation(doc, &rt.Op, nil)
		if err != nil {
			return nil, fmt.Errorf("mockserver: %w", err)
		}
		rt.Rule, rt.Token = rule, token
		rt.Rule.OwnKeys = loaded
		oa := doc.Paths.Find(op.Path).GetOperation(op.Method)
		if IsTokenEndpoint(oa) {
			rt.Token = true
		}
		if rt.Token {
			if rt.TokenLifetime, err = TokenLifetime(oa); err != nil {
				return nil, fmt.Errorf("mockserver: %s %s: %w", api, op.ID, err)
			}
		}
		if bulk, ok := oa.Extensions["x-bulk"].(bool); (ok && !bulk) || rt.Token || len(rt.Rule.Accepts) == 0 {
			rt.NoBulk = true
		}
		if pascal, _ := doc.Info.Extensions["x-pascal-case-keys"].(bool); pascal && oa.RequestBody != nil {
			if mt := oa.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && len(mt.Schema.Value.Properties) > 0 {
				rt.normaliseBody = true
			}
		}
		sp.Routes[op.ID] = rt
	}
	return sp, nil
}

// LinkSpecs tells each operation of a server's specs the token endpoints
// of the others (for a token of the wrong API) and the Authorization words
// they all know (for a credential of the wrong kind).
func LinkSpecs(specs []*APISpec) {
	tokenURLs := map[openapi.API]string{}
	for _, sp := range specs {
		tokenURLs[sp.API] = decide.TokenURL(sp.Doc)
	}
	tokenURLOf := func(api openapi.API) string {
		if u := tokenURLs[api]; u != "" {
			return u
		}
		return "the token endpoint"
	}
	var known decide.Schemes
	for _, sp := range specs {
		for _, rt := range sp.Routes {
			known = known.With(rt.Rule.Schemes)
		}
	}
	for _, sp := range specs {
		for _, rt := range sp.Routes {
			rt.Rule.TokenURLOf = tokenURLOf
			rt.Rule.Known = rt.Rule.Schemes.With(known)
		}
	}
}

// Prepare reads what an API's handlers need of its spec, once per process
// (APISpec.Extra); an error fails every new server.
type Prepare func(doc *openapi3.T) (any, error)

// Binding is what one API brings besides its spec (openapi/) and its
// fixture data: its handlers, one per operationId, and its surface (error
// body, extra headers).
type Binding struct {
	API      openapi.API
	Surface  *Surface
	Handlers map[string]Handler
}

// LoadSpecs binds each operation of the compiled specs to its API's
// handler. An operation without a handler is an error.
func LoadSpecs(compiled []*APISpec, bindings []Binding) (*Specs, error) {
	handlers := map[openapi.API]map[string]Handler{}
	surfaces := map[openapi.API]*Surface{}
	for _, b := range bindings {
		handlers[b.API], surfaces[b.API] = b.Handlers, b.Surface
	}
	out := &Specs{}
	for _, c := range compiled {
		if surfaces[c.API] == nil {
			return nil, fmt.Errorf("mockserver: the %s API has no binding (apis.go)", c.API)
		}
		sp := &APISpec{API: c.API, Doc: c.Doc, router: c.router, Routes: make(map[string]*Route, len(c.Routes)), literal: c.literal, json: c.json, Extra: c.Extra, MaxIdempotencyKey: c.MaxIdempotencyKey,
			prefixes: c.prefixes, Surface: surfaces[c.API], folded: c.folded}
		for id, crt := range c.Routes {
			h, ok := handlers[c.API][id]
			if !ok {
				return nil, fmt.Errorf("mockserver: %s operation %s has no handler", c.API, id)
			}
			rt := *crt
			rt.Spec, rt.Handle, rt.Surface = sp, h, surfaces[c.API]
			sp.Routes[id] = &rt
		}
		if c.API == openapi.Admin {
			out.Admin = sp
		} else {
			out.Vendor = append(out.Vendor, sp)
		}
	}
	out.all = append(slices.Clip(out.Vendor), out.Admin)
	return out, nil
}

// Link links the server's specs (LinkSpecs) once loaded APIs have joined
// the built-in ones: each route is the server's own copy.
func (sp *Specs) Link() { LinkSpecs(sp.all) }

// routedMethods are the methods operations may have, in the order an Allow
// header lists them.
var routedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// literalPaths maps each path of doc without parameters to its methods.
func literalPaths(doc *openapi3.T) map[string][]string {
	out := map[string][]string{}
	for path, item := range doc.Paths.Map() {
		if strings.Contains(path, "{") {
			continue
		}
		for _, m := range routedMethods {
			if item.GetOperation(m) != nil {
				out[path] = append(out[path], m)
			}
		}
	}
	return out
}

// IsTokenEndpoint: an operation taking an x-www-form-urlencoded body with a
// grant_type field is an OAuth token endpoint.
func IsTokenEndpoint(op *openapi3.Operation) bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	mt := op.RequestBody.Value.Content.Get("application/x-www-form-urlencoded")
	return mt != nil && mt.Schema != nil && mt.Schema.Value.Properties["grant_type"] != nil
}

// findRoute matches a request against the vendor specs, then the admin spec.
func (sp *Specs) FindRoute(r *http.Request, admin bool) (*Route, *routers.Route, map[string]string, error) {
	if lm, ok := sp.matched.Load(r.URL.Path); ok {
		if m, ok := lm.(*literalMatch).byMethod.Load(r.Method); ok {
			m := m.(match)
			return m.rt, m.kr, nil, nil
		}
	}
	list := sp.Vendor
	if admin {
		list = []*APISpec{sp.Admin}
	}
	for _, a := range list {
		if methods, ok := a.literal[r.URL.Path]; ok && !slices.Contains(methods, r.Method) {
			return nil, nil, nil, &methodNotAllowed{allow: methods}
		}
	}
	for _, a := range list {
		if kr, params, err := a.router.FindRoute(r); err == nil && !hasEmptyParam(params) {
			rt := a.Routes[kr.Operation.OperationID]
			if _, literal := a.literal[r.URL.Path]; literal && len(params) == 0 {
				lm, _ := sp.matched.LoadOrStore(r.URL.Path, &literalMatch{})
				lm.(*literalMatch).byMethod.Store(r.Method, match{rt: rt, kr: kr})
			}
			return rt, kr, params, nil
		}
	}
	// A spec whose paths are case-insensitive routes the path as its
	// template spells it.
	if !admin {
		for _, a := range list {
			if p, ok := a.foldPath(r.URL.Path); ok && p != r.URL.Path {
				folded := r.Clone(r.Context())
				folded.URL.Path, folded.URL.RawPath = p, ""
				return sp.FindRoute(folded, admin)
			}
		}
	}
	// No operation: say which methods the path does take, if any.
	var allow []string
	for _, m := range routedMethods {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		for _, a := range list {
			if _, params, err := a.router.FindRoute(probe); err == nil && !hasEmptyParam(params) {
				allow = append(allow, m)
				break
			}
		}
	}
	if len(allow) > 0 {
		return nil, nil, nil, &methodNotAllowed{allow: allow}
	}
	return nil, nil, nil, errNoOperation
}

// errNoOperation: no operation of the specs matches the request's path.
var errNoOperation = errors.New("no operation matches the path")

// methodNotAllowed: the path is an operation's, for other methods.
type methodNotAllowed struct{ allow []string }

func (e *methodNotAllowed) Error() string {
	return "the path takes " + strings.Join(e.allow, ", ")
}

// allowedMethods returns the methods the path takes when err says the
// request's method is not one of them.
func AllowedMethods(err error) ([]string, bool) {
	var m *methodNotAllowed
	if errors.As(err, &m) {
		return m.allow, true
	}
	return nil, false
}

func hasEmptyParam(params map[string]string) bool {
	for _, v := range params {
		if v == "" {
			return true
		}
	}
	return false
}

// API is the spec of the vendor API named api, nil when there is none.
func (sp *Specs) API(api openapi.API) *APISpec {
	for _, a := range sp.Vendor {
		if a.API == api {
			return a
		}
	}
	return nil
}

// route returns the vendor operation with id opID, nil when there is none.
func (sp *Specs) Route(opID string) *Route {
	for _, a := range sp.Vendor {
		if r, ok := a.Routes[opID]; ok {
			return r
		}
	}
	return nil
}

// IsWrite reports whether the operation changes the tenant (the SDK's
// operation table calls the others replay-safe).
func (rt *Route) IsWrite() bool {
	return !rt.Op.ReadOnly && rt.Op.Method != http.MethodGet
}

// foldPath matches path against the spec's templates ignoring the case of
// their literal segments (x-case-insensitive-paths) and returns it with the
// literal segments spelled as the template spells them; parameter
// segments are kept as sent. The template with the most literal segments
// wins.
func (a *APISpec) foldPath(path string) (string, bool) {
	if len(a.folded) == 0 {
		return "", false
	}
	segs := strings.Split(path, "/")
	var best []string
	bestLiterals := -1
	for _, tpl := range a.folded {
		if len(tpl) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, t := range tpl {
			if strings.HasPrefix(t, "{") {
				if segs[i] == "" {
					ok = false
					break
				}
				continue
			}
			if !strings.EqualFold(t, segs[i]) {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = tpl, literals
		}
	}
	if best == nil {
		return "", false
	}
	out := make([]string, len(segs))
	for i, t := range best {
		if strings.HasPrefix(t, "{") {
			out[i] = segs[i]
		} else {
			out[i] = t
		}
	}
	return strings.Join(out, "/"), true
}
