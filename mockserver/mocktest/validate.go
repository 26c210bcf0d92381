package mocktest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/openapi"
)

// specRouters routes a request to its operation in the vendor specs or the
// admin spec.
type specRouters struct {
	vendor []routers.Router
	admin  routers.Router
}

var loadRouters = sync.OnceValues(func() (*specRouters, error) {
	// The admin API's landing page is HTML: check it as text, as
	// kin-openapi checks text/plain.
	if openapi3filter.RegisteredBodyDecoder("text/html") == nil {
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.RegisteredBodyDecoder("text/plain"))
	}
	out := &specRouters{}
	for _, api := range append(append([]openapi.API(nil), openapi.VendorAPIs...), openapi.Admin) {
		doc, err := openapi.Load(api)
		if err != nil {
			return nil, err
		}
		doc.Servers = nil
		r, err := legacy.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("router for %s: %w", api, err)
		}
		if api == openapi.Admin {
			out.admin = r
		} else {
			out.vendor = append(out.vendor, r)
		}
	}
	return out, nil
})

// validatingTransport checks every response against its operation in the
// specs (status documented, headers and body matching) and that every
// vendor response carries a decision header. Mismatches are test errors;
// the response is returned unchanged either way.
type validatingTransport struct {
	t    testing.TB
	base http.RoundTripper
	// loaded routes the APIs loaded from a spec and a policy (WithAPI).
	loaded []routers.Router
}

func newValidatingTransport(t testing.TB, base http.RoundTripper, apis []mockserver.APISource) (*validatingTransport, error) {
	vt := &validatingTransport{t: t, base: base}
	for _, a := range apis {
		doc, err := openapi3.NewLoader().LoadFromData(a.Spec)
		if err != nil {
			return nil, fmt.Errorf("API %s: %w", a.Name, err)
		}
		doc.Servers = nil
		r, err := legacy.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("router for API %s: %w", a.Name, err)
		}
		vt.loaded = append(vt.loaded, r)
	}
	return vt, nil
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := vt.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := checkResponse(req, resp, body, vt.loaded); err != nil {
		vt.t.Errorf("mocktest: %v", err)
	}
	return resp, nil
}

// checkResponse validates one response; requests that match no operation
// (an unknown path, a method the path does not allow: a 405) are not
// checked.
func checkResponse(req *http.Request, resp *http.Response, body []byte, loaded []routers.Router) error {
	if resp.StatusCode == http.StatusMethodNotAllowed {
		return nil
	}
	rs, err := loadRouters()
	if err != nil {
		return fmt.Errorf("load specs: %w", err)
	}
	admin := strings.HasPrefix(req.URL.Path, "/_mock/")
	list := append(slices.Clip(rs.vendor), loaded...)
	if admin {
		list = []routers.Router{rs.admin}
	}
	for _, r := range list {
		route, params, ferr := r.FindRoute(req)
		if ferr != nil || hasEmpty(params) {
			continue
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if verr := openapi3filter.ValidateResponse(req.Context(), in); verr != nil {
			return fmt.Errorf("response to %s %s (%d %s) does not match the spec: %w", req.Method, req.URL.Path, resp.StatusCode, body, verr)
		}
		if !admin {
			if _, ok := wire.ParseDecision(resp.Header.Get(wire.DecisionHeader)); !ok {
				return fmt.Errorf("response to %s %s has no %s header", req.Method, req.URL.Path, wire.DecisionHeader)
			}
		}
		return nil
	}
	return nil
}

func hasEmpty(params map[string]string) bool {
	for _, v := range params {
		if v == "" {
			return true
		}
	}
	return false
}
