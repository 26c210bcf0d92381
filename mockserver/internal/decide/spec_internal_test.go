package decide

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An apiKey scheme's Authorization prefix comes from its spec
// (x-authorization-prefix), never from the scheme's name; a scheme without
// it is refused at load.
func TestAPIKeySchemePrefixFromTheSpec(t *testing.T) {
	doc := func(ext map[string]any) *openapi3.T {
		sc := &openapi3.SecurityScheme{Type: "apiKey", In: "header", Name: "Authorization", Extensions: ext}
		return &openapi3.T{Components: &openapi3.Components{SecuritySchemes: openapi3.SecuritySchemes{"AnyName": {Value: sc}}}}
	}
	k, err := schemeKind(doc(map[string]any{"x-authorization-prefix": "Session"}), "AnyName")
	require.NoError(t, err)
	assert.Equal(t, KindSession, k)
	k, err = schemeKind(doc(map[string]any{"x-authorization-prefix": "ApiKey"}), "AnyName")
	require.NoError(t, err)
	assert.Equal(t, KindAPIKey, k)
	_, err = schemeKind(doc(nil), "AnyName")
	assert.ErrorContains(t, err, `apiKey security scheme "AnyName" needs x-authorization-prefix`)
}
