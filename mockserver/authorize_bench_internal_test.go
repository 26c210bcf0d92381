package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/wire"
)

// preparedRequest builds the reqCtx of an entity query as serveVendor
// leaves it before the pipeline: routed, body read.
func preparedRequest(tb testing.TB, s *Server, header, value string) *reqCtx {
	tb.Helper()
	r := httptest.NewRequest(http.MethodPost, "/V2.0/services/data/entityQuery",
		strings.NewReader(`{"typeName":"Project","paging":{"limit":1000}}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(header, value)
	rc := &reqCtx{srv: s, w: &recorder{ResponseWriter: httptest.NewRecorder()}, r: r, vendor: true}
	rt, kr, params, err := s.specs.findRoute(r, false)
	if err != nil {
		tb.Fatal(err)
	}
	rc.route, rc.kroute, rc.params, rc.surface = rt, kr, params, rt.surface
	if err := s.readBody(rc); err != nil {
		tb.Fatal(err)
	}
	return rc
}

// BenchmarkAuthorize measures the authorization decision alone (steps 1-5
// of the pipeline) for a prepared entity query with an API key:
//
//	go test -run '^$' -bench Authorize -benchmem ./mockserver/
func BenchmarkAuthorize(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	rc := preparedRequest(b, s, "Authorization", "ApiKey demo-key-service")
	b.ReportAllocs()
	for b.Loop() {
		rc.decision, rc.resolved = wire.Decision{}, false // the credential is resolved anew each time
		if err := s.authorize(rc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAuthorizePreparedRequest(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	rc := preparedRequest(t, s, "Authorization", "ApiKey demo-key-service")
	if err := s.authorize(rc); err != nil {
		t.Fatal(err)
	}
	if rc.decision.Outcome != wire.OutcomeAllow || rc.verdict.Effective != 2001 || rc.verdict.EntityType != "Project" {
		t.Fatalf("decision %+v, effective %d, type %q", rc.decision, rc.verdict.Effective, rc.verdict.EntityType)
	}
}
