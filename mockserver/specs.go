package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tenantkit/tenantkit/openapi"
)

// handlerFunc does an operation's data work for a request the pipeline has
// allowed. It writes the response with rc.writeJSON (or rc.noContent), or
// returns an error: an *apiError is reported in the surface's shape, any
// other error as a 500.
type handlerFunc func(rc *reqCtx) error

// credentialKind is how a security scheme authenticates.
type credentialKind int

const (
	credNone        credentialKind = iota
	credAPIKey                     // Authorization: ApiKey <key>
	credSession                    // Authorization: Session <id>
	credBearer                     // Authorization: Bearer <token> (OAuth 2)
	credClientBasic                // token endpoint client authentication, done by the handler
)

// route is one operation of one spec: what it requires (from the spec) and
// the handler that serves it.
type route struct {
	op      openapi.Operation
	spec    *apiSpec
	surface surface
	handle  handlerFunc
	// creds lists the credential kinds the operation accepts, from its
	// security schemes; empty for public operations and token endpoints.
	creds []credentialKind
	// normaliseBody: the request body's top-level keys are camelCased before
	// validation (data API bodies with declared properties).
	normaliseBody bool
	// token marks an OAuth token endpoint.
	token bool
	// hint says which credentials the operation accepts, for 401s.
	hint string
}

type apiSpec struct {
	api    openapi.API
	doc    *openapi3.T
	router routers.Router
	routes map[string]*route // by operationId
	// literal maps each path without parameters to the methods it takes:
	// a literal path wins over a templated one (OpenAPI's matching rule),
	// so PUT /credentials/types is a 405, not updateCredential.
	literal map[string][]string
	// json bounds the nesting and size of JSON request bodies (the spec's
	// x-max-json-depth and x-max-json-values).
	json jsonLimits
	// data is what the data API's handlers read from its spec (nil for
	// the other APIs).
	data *dataSpec
}

type specs struct {
	vendor []*apiSpec
	admin  *apiSpec
}

// compiledSpecs parses and validates every spec, builds its router and
// reads each operation's requirements once per process: the result is
// read-only and shared by every Server (parsing the specs is most of the
// cost of a new server). Handlers are bound per server by loadSpecs.
var compiledSpecs = sync.OnceValues(func() ([]*apiSpec, error) {
	surfaces := map[openapi.API]surface{
		openapi.Data: surfaceData, openapi.Credentials: surfaceCredentials,
		openapi.Relationship: surfaceRelationship, openapi.Admin: surfaceAdmin,
	}
	var out []*apiSpec
	for _, api := range append(append([]openapi.API(nil), openapi.VendorAPIs...), openapi.Admin) {
		doc, err := openapi.Load(api)
		if err != nil {
			return nil, fmt.Errorf("mockserver: %w", err)
		}
		doc.Servers = nil // route on paths alone; one host serves every spec
		var data *dataSpec
		if api == openapi.Data {
			if data, err = dataSpecFrom(doc); err != nil {
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
		sp := &apiSpec{api: api, doc: doc, router: router, routes: map[string]*route{}, literal: literalPaths(doc), json: jsonLimitsOf(doc), data: data}
		for _, op := range ops {
			rt := &route{op: op, spec: sp, surface: surfaces[api]}
			for _, name := range op.Schemes {
				kind, err := schemeKind(doc, name)
				if err != nil {
					return nil, fmt.Errorf("mockserver: %s %s: %w", api, op.ID, err)
				}
				if kind == credClientBasic {
					rt.token = true
					continue
				}
				rt.creds = append(rt.creds, kind)
			}
			oa := doc.Paths.Find(op.Path).GetOperation(op.Method)
			if isTokenEndpoint(oa) {
				rt.token = true
			}
			if api == openapi.Data && oa.RequestBody != nil {
				if mt := oa.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && len(mt.Schema.Value.Properties) > 0 {
					rt.normaliseBody = true
				}
			}
			rt.hint = credentialHint(rt.creds, sp)
			sp.routes[op.ID] = rt
		}
		out = append(out, sp)
	}
	return out, nil
})

// loadSpecs binds each operation of the compiled specs to s's handler. An
// operation without a handler is an error.
func loadSpecs(s *Server) (*specs, error) {
	compiled, err := compiledSpecs()
	if err != nil {
		return nil, err
	}
	handlers := map[openapi.API]map[string]handlerFunc{
		openapi.Data:         s.dataHandlers(),
		openapi.Credentials:  s.credentialsHandlers(),
		openapi.Relationship: s.relationshipHandlers(),
		openapi.Admin:        s.adminHandlers(),
	}
	out := &specs{}
	for _, c := range compiled {
		sp := &apiSpec{api: c.api, doc: c.doc, router: c.router, routes: make(map[string]*route, len(c.routes)), literal: c.literal, json: c.json, data: c.data}
		for id, crt := range c.routes {
			h, ok := handlers[c.api][id]
			if !ok {
				return nil, fmt.Errorf("mockserver: %s operation %s has no handler", c.api, id)
			}
			rt := *crt
			rt.spec, rt.handle = sp, h
			sp.routes[id] = &rt
		}
		if c.api == openapi.Admin {
			out.admin = sp
		} else {
			out.vendor = append(out.vendor, sp)
		}
	}
	return out, nil
}

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

// isTokenEndpoint: an operation taking an x-www-form-urlencoded body with a
// grant_type field is an OAuth token endpoint.
func isTokenEndpoint(op *openapi3.Operation) bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	mt := op.RequestBody.Value.Content.Get("application/x-www-form-urlencoded")
	return mt != nil && mt.Schema != nil && mt.Schema.Value.Properties["grant_type"] != nil
}

// schemeKind reads how a security scheme authenticates. The apiKey schemes
// of the data API differ only in their Authorization prefix, which the spec
// states in the scheme's x-authorization-prefix extension (ApiKey or
// Session); an apiKey scheme without it is refused at load.
func schemeKind(doc *openapi3.T, name string) (credentialKind, error) {
	ref := doc.Components.SecuritySchemes[name]
	if ref == nil || ref.Value == nil {
		return credNone, fmt.Errorf("unknown security scheme %q", name)
	}
	sc := ref.Value
	switch {
	case sc.Type == "oauth2":
		return credBearer, nil
	case sc.Type == "http" && sc.Scheme == "basic":
		return credClientBasic, nil
	case sc.Type == "http" && sc.Scheme == "bearer":
		return credBearer, nil
	case sc.Type == "apiKey":
		prefix, _ := sc.Extensions["x-authorization-prefix"].(string)
		if kind, ok := schemeNames[strings.ToLower(prefix)]; ok && kind != credBearer {
			return kind, nil
		}
		return credNone, fmt.Errorf("apiKey security scheme %q needs x-authorization-prefix: ApiKey or Session (the word before the value in its header), got %q", name, prefix)
	}
	return credNone, fmt.Errorf("security scheme %q (%s) is not supported by the mock", name, sc.Type)
}

// findRoute matches a request against the vendor specs, then the admin spec.
func (sp *specs) findRoute(r *http.Request, admin bool) (*route, *routers.Route, map[string]string, error) {
	list := sp.vendor
	if admin {
		list = []*apiSpec{sp.admin}
	}
	for _, a := range list {
		if methods, ok := a.literal[r.URL.Path]; ok && !slices.Contains(methods, r.Method) {
			return nil, nil, nil, &methodNotAllowed{allow: methods}
		}
	}
	for _, a := range list {
		if kr, params, err := a.router.FindRoute(r); err == nil && !hasEmptyParam(params) {
			return a.routes[kr.Operation.OperationID], kr, params, nil
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
func allowedMethods(err error) ([]string, bool) {
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
