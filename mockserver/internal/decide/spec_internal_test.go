package decide

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An apiKey scheme's Authorization word comes from its spec
// (x-authorization-prefix), never from the scheme's name or a list in Go:
// any word works, and x-issued-by (the operation issuing it) makes it a
// session. A scheme without a word is refused at load.
func TestAPIKeySchemeWordFromTheSpec(t *testing.T) {
	doc := func(ext map[string]any) *openapi3.T {
		sc := &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization", Extensions: ext}
		return &openapi3.T{Components: &openapi3.Components{SecuritySchemes: openapi3.SecuritySchemes{"AnyName": {Value: sc}}}}
	}
	k, word, err := schemeKind(doc(map[string]any{"x-authorization-prefix": "Token", "x-issued-by": "login"}), "AnyName")
	require.NoError(t, err)
	assert.Equal(t, KindSession, k)
	assert.Equal(t, "Token", word)
	k, word, err = schemeKind(doc(map[string]any{"x-authorization-prefix": "Session"}), "AnyName")
	require.NoError(t, err)
	assert.Equal(t, KindAPIKey, k, "the word does not make a session; x-issued-by does")
	assert.Equal(t, "Session", word)
	_, _, err = schemeKind(doc(nil), "AnyName")
	assert.ErrorContains(t, err, `apiKey security scheme "AnyName": the mock takes API keys in a header of their own (in: header, name: X-API-Key) or in the Authorization header with x-authorization-prefix`)
	_, _, err = schemeKind(doc(map[string]any{"x-authorization-prefix": "Two words"}), "AnyName")
	assert.Error(t, err)

	// A key in a header of its own has no Authorization word.
	own := &openapi3.T{Components: &openapi3.Components{SecuritySchemes: openapi3.SecuritySchemes{
		"key": {Value: &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "X-API-Key"}}}}}
	k, word, err = schemeKind(own, "key")
	require.NoError(t, err)
	assert.Equal(t, KindAPIKey, k)
	assert.Empty(t, word)
	words, err := SchemesOf(own)
	require.NoError(t, err)
	assert.Empty(t, words, "no Authorization word")
	own.Components.SecuritySchemes["key"].Value.In = "query"
	_, _, err = schemeKind(own, "key")
	assert.Error(t, err, "a key in the query is not supported")
}

// SchemesOf gives a spec's words their kinds, matched ignoring case; one
// word with two kinds is refused.
func TestSchemesOfASpec(t *testing.T) {
	schemes := openapi3.SecuritySchemes{
		"Key":   {Value: &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization", Extensions: map[string]any{"x-authorization-prefix": "Key"}}},
		"OAuth": {Value: &openapi3.SecurityScheme{Type: "oauth2"}},
		"Basic": {Value: &openapi3.SecurityScheme{Type: "http", Scheme: "basic"}},
	}
	s, err := SchemesOf(&openapi3.T{Components: &openapi3.Components{SecuritySchemes: schemes}})
	require.NoError(t, err)
	assert.Equal(t, Schemes{{Word: "Key", Kind: KindAPIKey}, {Word: "Bearer", Kind: KindBearer}}, s, "HTTP Basic authenticates a token request, not an API call")
	k, ok := s.Kind("bearer")
	assert.True(t, ok)
	assert.Equal(t, KindBearer, k)
	_, ok = s.Kind("ApiKey")
	assert.False(t, ok, "a word the spec does not name")
	assert.Equal(t, "Key or Bearer", s.Words())

	schemes["Clash"] = &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization", Extensions: map[string]any{"x-authorization-prefix": "bearer"}}}
	_, err = SchemesOf(&openapi3.T{Components: &openapi3.Components{SecuritySchemes: schemes}})
	assert.ErrorContains(t, err, `the Authorization word "Bearer" already names another kind of credential`)
}
