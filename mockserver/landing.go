package mockserver

import (
	"github.com/tenantkit/tenantkit/mockserver/console"
	"html"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/openapi"
)

// specsPrefix serves the embedded specs (getSpec).
const specsPrefix = adminPrefix + "specs/"

// landingDoc is the document at /_mock/ (openapi/admin.yaml, Landing).
func (s *Server) landingDoc() adminapi.Landing {
	doc := adminapi.Landing{Name: "tenantkit mock", Apis: []adminapi.LandingAPI{}}
	for _, sp := range s.env.Specs().Vendor {
		doc.Apis = append(doc.Apis, adminapi.LandingAPI{Name: string(sp.API), Title: sp.Doc.Info.Title, Spec: specsPrefix + string(sp.API) + ".yaml"})
	}
	doc.Links = adminapi.LandingLinks{AdminSpec: specsPrefix + string(openapi.Admin) + ".yaml", Tenants: adminPrefix + "tenants", Health: HealthPath,
		Console: console.Prefix}
	return doc
}

// adminLanding answers GET /_mock/: HTML for a browser, JSON otherwise.
func (s *Server) adminLanding(rc *pipeline.Request) error {
	doc := s.landingDoc()
	if !strings.Contains(rc.R.Header.Get("Accept"), "text/html") {
		rc.WriteJSON(http.StatusOK, "application/json", doc)
		return nil
	}
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tenantkit mock</title></head>\n<body>\n<h1>tenantkit mock</h1>\n")
	b.WriteString("<p><a href=\"" + html.EscapeString(doc.Links.Console) + "\">Open the console</a>: live decisions, least privilege, visibility and controls.</p>\n<h2>APIs</h2>\n<ul>\n")
	for _, a := range doc.Apis {
		b.WriteString("<li>" + html.EscapeString(a.Title) + ": <a href=\"" + html.EscapeString(a.Spec) + "\">" + html.EscapeString(a.Spec) + "</a></li>\n")
	}
	b.WriteString("</ul>\n<h2>Admin API</h2>\n<ul>\n")
	for _, l := range [][2]string{{"spec", doc.Links.AdminSpec}, {"tenants", doc.Links.Tenants}, {"health", doc.Links.Health}} {
		b.WriteString("<li>" + l[0] + ": <a href=\"" + html.EscapeString(l[1]) + "\">" + html.EscapeString(l[1]) + "</a></li>\n")
	}
	b.WriteString("</ul>\n</body></html>\n")
	rc.WriteRaw(http.StatusOK, "text/html; charset=utf-8", []byte(b.String()))
	return nil
}

// adminGetSpec answers GET /_mock/specs/{api}.yaml with the embedded spec.
func (s *Server) adminGetSpec(rc *pipeline.Request) error {
	name, ok := strings.CutSuffix(rc.Params["file"], ".yaml")
	var b []byte
	var err error
	if ok {
		b, err = openapi.Bytes(openapi.API(name))
		for _, a := range s.apis().loaded {
			if a.Name == name { // an API loaded from a spec and a policy: its spec as given
				b, err = a.Spec, nil
			}
		}
	}
	if !ok || err != nil {
		names := []string{"data.yaml", "credentials.yaml", "relationship.yaml"}
		for _, a := range s.apis().loaded {
			names = append(names, a.Name+".yaml")
		}
		return adminFail(rc, http.StatusNotFound, "not_found", "no spec %q; the specs are %s and admin.yaml", rc.Params["file"], strings.Join(names, ", "))
	}
	rc.WriteRaw(http.StatusOK, "application/yaml", b)
	return nil
}
