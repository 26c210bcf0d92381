package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// preparedRequest builds the reqCtx of an entity query as serveVendor
// leaves it before the pipeline: routed, body read.
func preparedRequest(tb testing.TB, s *Server, header, value string) *pipeline.Request {
	tb.Helper()
	r := httptest.NewRequest(http.MethodPost, "/V2.0/services/data/entityQuery",
		strings.NewReader(`{"typeName":"Project","paging":{"limit":1000}}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(header, value)
	rc := pipeline.NewRequest(&s.env, httptest.NewRecorder(), r)
	rc.Vendor = true
	rt, kr, params, err := s.env.Specs().FindRoute(r, false)
	if err != nil {
		tb.Fatal(err)
	}
	rc.Route, rc.KRoute, rc.Params, rc.Surface = rt, kr, params, rt.Surface
	if err := rc.ReadBody(); err != nil {
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
		rc.Unresolve() // the credential is resolved anew each time
		if err := rc.Authorize(); err != nil {
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
	if err := rc.Authorize(); err != nil {
		t.Fatal(err)
	}
	if rc.Decision.Outcome != wire.OutcomeAllow || rc.Verdict.Effective != 2001 || rc.Verdict.EntityType != "Project" {
		t.Fatalf("decision %+v, effective %d, type %q", rc.Decision, rc.Verdict.Effective, rc.Verdict.EntityType)
	}
}
