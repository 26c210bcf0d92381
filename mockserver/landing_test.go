package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/openapi"
)

func TestLandingDocumentLinksTheSpecs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	// GET / leads to the landing document, whose every link answers.
	noFollow := *h.http
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(h.url + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/_mock/", resp.Header.Get("Location"))

	r := h.do(http.MethodGet, "/", nil)
	require.Equal(t, http.StatusOK, r.status)
	var doc struct {
		Name  string `json:"name"`
		APIs  []struct{ Name, Title, Spec string }
		Links map[string]string
	}
	r.json(t, &doc)
	assert.Equal(t, "tenantkit mock", doc.Name)
	var names []string
	for _, a := range doc.APIs {
		names = append(names, a.Name)
		spec := h.do(http.MethodGet, a.Spec, nil)
		require.Equal(t, http.StatusOK, spec.status, a.Spec)
		want, err := openapi.Bytes(openapi.API(a.Name))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(spec.body), "%s serves the embedded spec", a.Spec)
		assert.Equal(t, "application/yaml", spec.header.Get("Content-Type"))
		assert.NotEmpty(t, a.Title)
	}
	assert.Equal(t, []string{"data", "credentials", "relationship"}, names)
	for _, l := range []string{"adminSpec", "tenants", "health"} {
		assert.Equal(t, http.StatusOK, h.do(http.MethodGet, doc.Links[l], nil).status, l)
	}
	assert.Equal(t, "/_mock/ui/", doc.Links["console"])
	ui := h.do(http.MethodGet, doc.Links["console"], nil)
	assert.Equal(t, http.StatusOK, ui.status)
	assert.Equal(t, "text/html; charset=utf-8", ui.header.Get("Content-Type"))

	// A browser gets the same links as HTML.
	page := h.do(http.MethodGet, "/_mock/", nil, "Accept", "text/html,application/xhtml+xml")
	require.Equal(t, http.StatusOK, page.status)
	assert.True(t, strings.HasPrefix(page.header.Get("Content-Type"), "text/html"))
	assert.Contains(t, string(page.body), `<a href="/_mock/specs/relationship.yaml">`)
	assert.Contains(t, string(page.body), `<a href="/_mock/ui/">Open the console</a>`)

	missing := h.do(http.MethodGet, "/_mock/specs/billing.yaml", nil)
	assert.Equal(t, http.StatusNotFound, missing.status)
	assert.Contains(t, string(missing.body), "the specs are data.yaml, credentials.yaml, relationship.yaml and admin.yaml")
}
