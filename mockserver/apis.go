package mockserver

import (
	"slices"
	"sync"

	"github.com/tenantkit/tenantkit/mockserver/internal/handlers/credentials"
	"github.com/tenantkit/tenantkit/mockserver/internal/handlers/data"
	"github.com/tenantkit/tenantkit/mockserver/internal/handlers/relationship"
	"github.com/tenantkit/tenantkit/mockserver/internal/handlers/token"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/openapi"
)

// apiBinding is what one API brings besides its spec (openapi/) and its
// fixture data: its handlers, one per operationId, its surface (error
// body, extra headers) and, when its handlers read something of its spec,
// what they read (prepare). The request path, the decision and the reports
// need nothing else of an API: adding one is its spec, its fixture data
// and a line here.
type apiBinding struct {
	api      openapi.API
	surface  *pipeline.Surface
	handlers func(*Server) map[string]pipeline.Handler
	prepare  pipeline.Prepare
}

// apis are the APIs the mock serves, the admin API last.
var apis = []apiBinding{
	{openapi.Data, data.Surface, func(s *Server) map[string]pipeline.Handler {
		h := data.Handlers(dataState)
		h["bulkExecute"] = data.Bulk(s.runSub) // sub-requests walk the server's request path
		return h
	}, data.Prepare},
	{openapi.Credentials, credentials.Surface, func(*Server) map[string]pipeline.Handler {
		return withToken(credentials.Handlers(credentialsState), credentials.WriteToken)
	}, nil},
	{openapi.Relationship, relationship.Surface, func(*Server) map[string]pipeline.Handler {
		return withToken(relationship.Handlers(), relationship.WriteToken)
	}, relationship.Prepare},
	{openapi.Admin, surfaceAdmin, func(s *Server) map[string]pipeline.Handler { return adminHandlersOf(s) }, nil},
}

// adminHandlersOf is (*Server).adminHandlers, set by init: the admin API
// loads APIs (LoadAPI), which reads the specs compiled from this list.
var adminHandlersOf func(*Server) map[string]pipeline.Handler

func init() { adminHandlersOf = (*Server).adminHandlers }

// withToken adds the shared client-credentials token endpoint (package
// token) to an API's handlers, answering in the API's own token response.
func withToken(h map[string]pipeline.Handler, write pipeline.TokenWriter) map[string]pipeline.Handler {
	h["getToken"] = token.Handler(write)
	return h
}

// compiledSpecs are the specs compiled once per process and shared by
// every Server (pipeline.CompileSpecs).
var compiledSpecs = sync.OnceValues(func() ([]*pipeline.APISpec, error) {
	prepare := map[openapi.API]pipeline.Prepare{}
	for _, b := range apis {
		if b.prepare != nil {
			prepare[b.api] = b.prepare
		}
	}
	return pipeline.CompileSpecs(prepare)
})

// loadSpecs binds each operation of the compiled specs to s's handler. An
// operation without a handler is an error.
func loadSpecs(s *Server) (*pipeline.Specs, error) {
	compiled, err := compiledSpecs()
	if err != nil {
		return nil, err
	}
	bindings := make([]pipeline.Binding, len(apis))
	for i, b := range apis {
		bindings[i] = pipeline.Binding{API: b.api, Surface: b.surface, Handlers: b.handlers(s)}
	}
	if len(s.apis().loaded) == 0 {
		return pipeline.LoadSpecs(compiled, bindings)
	}
	more, moreBindings, err := compileLoaded(s.apis().loaded)
	if err != nil {
		return nil, err
	}
	// The admin spec stays last (CompileSpecs' order); the loaded APIs
	// follow the built-in vendor APIs.
	all := append(slices.Clone(compiled[:len(compiled)-1]), more...)
	all = append(all, compiled[len(compiled)-1])
	sp, err := pipeline.LoadSpecs(all, append(bindings, moreBindings...))
	if err != nil {
		return nil, err
	}
	sp.Link() // the built-in operations learn the loaded APIs' token endpoints and words
	return sp, nil
}
