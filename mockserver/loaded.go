package mockserver

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/generic"
	"github.com/tenantkit/tenantkit/mockserver/internal/handlers/token"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// APISource is an API the mock serves beyond its built-in ones: an
// OpenAPI spec and a policy saying what the spec does not
// (docs/guides/any-openapi.md). Name is what API keys, audit entries,
// usage and the admin API name it by. SpecName and PolicyName name the
// texts in load errors (file names); Fixture, for a shipped API, is its
// demo fixture section, merged into the embedded demo tenant.
type APISource struct {
	Name       string
	Spec       []byte
	SpecName   string
	Policy     []byte
	PolicyName string
	Fixture    []byte
}

// apiSet is the APIs a server loaded from a spec and a policy: their
// sources, the loaded APIs and what they add to what fixtures may name.
type apiSet struct {
	srcs   []APISource
	loaded []*generic.API
	vocab  *tenant.Vocabulary
}

// apis is the server's loaded APIs at this moment.
func (s *Server) apis() *apiSet { return s.loadedSet.Load() }

// LoadError is every problem of an API's spec and policy, each located by
// file, line and field (New and Vocabulary return it, wrapped).
type LoadError = generic.LoadError

// WithAPI serves one more API, from a spec and a policy (the policy may
// be empty: the spec's x- extensions alone). Load errors, with file, line
// and field, fail New.
func WithAPI(src APISource) Option { return func(c *config) { c.apis = append(c.apis, src) } }

// WithAPIFiles serves one more API from a spec file and a policy file
// ("" for none).
func WithAPIFiles(name, specPath, policyPath string) Option {
	return func(c *config) {
		src, err := APIFromFiles(name, specPath, policyPath)
		if err != nil {
			c.errs = append(c.errs, err)
			return
		}
		c.apis = append(c.apis, src)
	}
}

// WithShippedAPI serves an API this module ships (ShippedAPIs: "workiva",
// "flow"), with its demo fixture section merged into the embedded demo
// tenant when no other fixture is set.
func WithShippedAPI(name string) Option {
	return func(c *config) {
		src, err := ShippedAPI(name)
		if err != nil {
			c.errs = append(c.errs, err)
			return
		}
		c.apis = append(c.apis, src)
	}
}

// ShippedAPIs lists the APIs this module ships: a spec, a policy and a
// demo fixture section each, under openapi/apis/.
func ShippedAPIs() []string { return openapi.ShippedNames() }

// ShippedAPI is the source of a shipped API.
func ShippedAPI(name string) (APISource, error) {
	s, err := openapi.Shipped(name)
	if err != nil {
		return APISource{}, fmt.Errorf("mockserver: %w", err)
	}
	dir := "openapi/apis/" + name + "/"
	return APISource{Name: name, Spec: s.Spec, SpecName: dir + "openapi.yaml", Policy: s.Policy, PolicyName: dir + "policy.yaml", Fixture: s.Fixture}, nil
}

// APIFromFiles reads an API's spec and policy files.
func APIFromFiles(name, specPath, policyPath string) (APISource, error) {
	spec, err := os.ReadFile(specPath)
	if err != nil {
		return APISource{}, fmt.Errorf("mockserver: API %s: %w", name, err)
	}
	src := APISource{Name: name, Spec: spec, SpecName: specPath}
	if policyPath != "" {
		if src.Policy, err = os.ReadFile(policyPath); err != nil {
			return APISource{}, fmt.Errorf("mockserver: API %s: %w", name, err)
		}
		src.PolicyName = policyPath
	}
	return src, nil
}

// ParseAPIFlag reads the value of cmd/mock's --api: NAME (a shipped API)
// or NAME=spec.yaml[,policy.yaml], files relative to dir.
func ParseAPIFlag(v, dir string) (APISource, error) {
	name, files, hasFiles := strings.Cut(v, "=")
	name = strings.TrimSpace(name)
	if !generic.ValidName(name) {
		return APISource{}, fmt.Errorf("--api %q: the name is lower-case letters, digits, _ and -, starting with a letter (NAME or NAME=spec.yaml[,policy.yaml])", v)
	}
	if !hasFiles {
		return ShippedAPI(name)
	}
	spec, policy, _ := strings.Cut(files, ",")
	if strings.TrimSpace(spec) == "" {
		return APISource{}, fmt.Errorf("--api %q: name a spec file: NAME=spec.yaml[,policy.yaml]", v)
	}
	return APIFromRef(name, strings.TrimSpace(spec), strings.TrimSpace(policy), dir)
}

// APIFromRef is the API a fixture's apis section (or an --api value)
// names: a shipped API when spec is "", else the spec and policy files
// (policy "" for none), relative to dir.
func APIFromRef(name, spec, policy, dir string) (APISource, error) {
	if spec == "" {
		return ShippedAPI(name)
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	return APIFromFiles(name, rel(spec), rel(policy))
}

// loadedAPIs loads the configured APIs: each spec and policy, checked
// against the built-in APIs and one another (names, paths, resource
// types).
func loadedAPIs(srcs []APISource) ([]*generic.API, *tenant.Vocabulary, error) {
	if len(srcs) == 0 {
		return nil, nil, nil
	}
	builtin, err := compiledSpecs()
	if err != nil {
		return nil, nil, err
	}
	paths := map[string]string{} // path template, parameters blanked -> API
	for _, sp := range builtin {
		for p := range sp.Doc.Paths.Map() {
			paths[pathShape(p)] = string(sp.API)
		}
	}
	vocab := &tenant.Vocabulary{Resources: map[string]tenant.ResourceType{}}
	var out []*generic.API
	for _, src := range srcs {
		if !generic.ValidName(src.Name) {
			return nil, nil, fmt.Errorf("mockserver: API name %q: lower-case letters, digits, _ and -, starting with a letter", src.Name)
		}
		if slices.Contains(vocab.APIs, src.Name) || slices.Contains(append(slices.Clone(openapi.VendorAPIs), openapi.Admin), openapi.API(src.Name)) {
			return nil, nil, fmt.Errorf("mockserver: API name %q: %w", src.Name, ErrAPIConflict)
		}
		a, err := generic.Load(src.Name, generic.Source{Name: cmp.Or(src.SpecName, src.Name+" spec"), Data: src.Spec},
			generic.Source{Name: cmp.Or(src.PolicyName, src.Name+" policy"), Data: src.Policy})
		if err != nil {
			return nil, nil, fmt.Errorf("mockserver: API %s:\n%w", src.Name, err)
		}
		for _, p := range slices.Sorted(maps.Keys(a.Doc.Paths.Map())) {
			if other, ok := paths[pathShape(p)]; ok {
				return nil, nil, fmt.Errorf("mockserver: API %s: path %s is also the %s API's: %w", src.Name, p, other, ErrAPIConflict)
			}
			paths[pathShape(p)] = src.Name
		}
		for name, rt := range a.Resources {
			if prev, ok := vocab.Resources[name]; ok {
				return nil, nil, fmt.Errorf("mockserver: API %s: resource type %s is also the %s API's: %w", src.Name, name, prev.API, ErrAPIConflict)
			}
			vocab.Resources[name] = rt
		}
		tenant.RegisterOperations(src.Name, a.OperationIDs())
		vocab.APIs = append(vocab.APIs, src.Name)
		vocab.Scopes = append(vocab.Scopes, a.Scopes...)
		out = append(out, a)
	}
	return out, vocab, nil
}

// pathShape is a path template with its parameters' names blanked, so two
// APIs' /items/{id} and /items/{itemId} collide.
func pathShape(p string) string {
	segs := strings.Split(strings.TrimSuffix(p, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "{}"
		}
	}
	return strings.ToLower(strings.Join(segs, "/"))
}

// compileLoaded compiles the loaded APIs' specs and their bindings.
func compileLoaded(apis []*generic.API) ([]*pipeline.APISpec, []pipeline.Binding, error) {
	var specs []*pipeline.APISpec
	var bindings []pipeline.Binding
	for _, a := range apis {
		sp, err := pipeline.CompileAPI(a.APIName(), a.Doc, nil, true)
		if err != nil {
			return nil, nil, fmt.Errorf("mockserver: API %s: %w", a.Name, err)
		}
		h := a.Handlers()
		for id, rt := range sp.Routes {
			if rt.Token {
				h[id] = token.Handler(generic.WriteToken)
			}
		}
		specs = append(specs, sp)
		bindings = append(bindings, pipeline.Binding{API: a.APIName(), Surface: a.Surface(), Handlers: h})
	}
	return specs, bindings, nil
}

// demoWithSections is the demo fixture with the demo sections of the
// shipped APIs among srcs.
func demoWithSections(srcs []APISource, vocab *tenant.Vocabulary) (*tenant.Fixture, error) {
	var sections []*tenant.Fixture
	for _, src := range srcs {
		if len(src.Fixture) == 0 {
			continue
		}
		f, err := tenant.ParseWith("openapi/apis/"+src.Name+"/fixture.yaml", src.Fixture, vocab)
		if err != nil {
			return nil, fmt.Errorf("mockserver: API %s: %w", src.Name, err)
		}
		sections = append(sections, f)
	}
	return tenant.Merge(tenant.Demo(), sections...), nil
}

// Vocabulary loads the APIs of srcs and returns what they add to what a
// fixture may name (their scopes, names and resource types), for parsing a
// fixture before New (tenant.ParseWith); nil without APIs.
func Vocabulary(srcs ...APISource) (*tenant.Vocabulary, error) {
	_, vocab, err := loadedAPIs(srcs)
	return vocab, err
}

// DemoFixture is the embedded demo fixture with the demo fixture sections
// of the shipped APIs among srcs: what New serves when no fixture is set.
func DemoFixture(srcs ...APISource) (*tenant.Fixture, error) {
	vocab, err := Vocabulary(srcs...)
	if err != nil {
		return nil, err
	}
	return demoWithSections(srcs, vocab)
}

// LoadedAPI describes an API the server loaded from a spec and a policy:
// its name, the Authorization word its API keys are sent with ("" when it
// takes none) and its token endpoint ("" when it has none).
type LoadedAPI struct {
	Name     string
	KeyWord  string
	TokenURL string
	// KeyHeader names the header its API keys are sent in when it is not
	// Authorization (X-API-Key).
	KeyHeader string
	// Lists are its list operations, sorted by operationId: what a first
	// request may try.
	Lists []ListOperation
}

// ListOperation is a list operation of a loaded API: its operationId and
// path (GET).
type ListOperation struct {
	ID, Path string
}

// LoadedAPIs lists the APIs the server loaded from a spec and a policy, in
// the order they were given.
func (s *Server) LoadedAPIs() []LoadedAPI {
	var out []LoadedAPI
	for _, a := range s.apis().loaded {
		sp := s.env.Specs().API(a.APIName())
		la := LoadedAPI{Name: a.Name, TokenURL: decide.TokenURL(sp.Doc)}
		for _, id := range slices.Sorted(maps.Keys(sp.Routes)) {
			rt := sp.Routes[id]
			if w := rt.Rule.Schemes.Word(decide.KindAPIKey); w != "" && la.KeyWord == "" {
				la.KeyWord = w
			}
			if rt.Rule.KeyHeader != "" && la.KeyHeader == "" {
				la.KeyHeader = rt.Rule.KeyHeader
			}
			if op := a.Operations[id]; op != nil && op.Action == generic.ActionList && !strings.Contains(rt.Op.Path, "{") {
				la.Lists = append(la.Lists, ListOperation{ID: id, Path: rt.Op.Path})
			}
		}
		out = append(out, la)
	}
	return out
}

// ErrAPIConflict: an API has a name, a path or a resource type another
// API of the server has.
var ErrAPIConflict = errors.New("taken")

// LoadAPI serves one more API from a spec and a policy while the server
// runs (the admin API's POST /_mock/apis): from the next request on, with
// its resource types added to every tenant (without rows; a shipped API's
// demo section is merged only by New). Requests under way finish with the
// APIs they started with. A spec or policy that does not load is a
// *LoadError; a name, path or resource type another API has wraps
// ErrAPIConflict.
func (s *Server) LoadAPI(src APISource) (LoadedAPI, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	cur := s.apis()
	srcs := append(slices.Clip(cur.srcs), src)
	loaded, vocab, err := loadedAPIs(srcs)
	if err != nil {
		return LoadedAPI{}, err
	}
	next := &apiSet{srcs: srcs, loaded: loaded, vocab: vocab}
	s.loadedSet.Store(next)
	sp, err := loadSpecs(s)
	if err != nil {
		s.loadedSet.Store(cur)
		return LoadedAPI{}, err
	}
	// Under the tenants' lock, so that a tenant made meanwhile gets the
	// new types from its vocabulary or from here.
	s.mu.Lock()
	for _, t := range s.tenants {
		t.AddResourceTypes(vocab)
	}
	s.mu.Unlock()
	s.env.SetSpecs(sp)
	all := s.LoadedAPIs()
	return all[len(all)-1], nil
}

func (s *Server) adminListAPIs(rc *pipeline.Request) error {
	list := adminapi.LoadedAPIList{Apis: []adminapi.LoadedAPIInfo{}}
	for _, a := range s.LoadedAPIs() {
		list.Apis = append(list.Apis, s.loadedInfo(a))
	}
	rc.WriteJSON(http.StatusOK, "application/json", &list)
	return nil
}

func (s *Server) adminLoadAPI(rc *pipeline.Request) error {
	var req adminapi.LoadAPIRequest
	if err := json.Unmarshal(rc.Body, &req); err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "the body is {name, spec, policy}: %v", err)
	}
	src := APISource{Name: req.Name, Spec: []byte(req.Spec), SpecName: req.Name + " spec (request body)", PolicyName: req.Name + " policy (request body)"}
	if req.Policy != nil {
		src.Policy = []byte(*req.Policy)
	}
	a, err := s.LoadAPI(src)
	switch {
	case errors.Is(err, ErrAPIConflict):
		return adminFail(rc, http.StatusConflict, "conflict", "%s", strings.TrimPrefix(err.Error(), "mockserver: "))
	case err != nil:
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%s", strings.TrimPrefix(err.Error(), "mockserver: "))
	}
	rc.Write = true
	rc.Target = "api " + a.Name
	rc.WriteJSON(http.StatusCreated, "application/json", s.loadedInfo(a))
	return nil
}

// loadedInfo is a loaded API as the admin API describes it.
func (s *Server) loadedInfo(la LoadedAPI) adminapi.LoadedAPIInfo {
	info := adminapi.LoadedAPIInfo{Name: la.Name, Spec: specsPrefix + la.Name + ".yaml", ResourceTypes: []string{}}
	for _, a := range s.apis().loaded {
		if a.Name == la.Name {
			info.Title = a.Doc.Info.Title
			info.ResourceTypes = slices.Sorted(maps.Keys(a.Resources))
		}
	}
	if la.TokenURL != "" {
		info.TokenUrl = &la.TokenURL
	}
	switch {
	case la.KeyHeader != "":
		info.ApiKeyHeader = &la.KeyHeader
	case la.KeyWord != "":
		h := "Authorization: " + la.KeyWord
		info.ApiKeyHeader = &h
	}
	return info
}
