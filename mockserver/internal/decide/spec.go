package decide

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/openapi"
)

// NewOperation reads what op requires from its spec: the credential kinds
// its security schemes accept, the hint a 401 gives, and its API's token
// endpoint. Token reports whether op is an OAuth token endpoint (its
// client authenticates with HTTP Basic or form fields). tokenURLOf names
// the token endpoints of other APIs (nil: "the token endpoint").
func NewOperation(doc *openapi3.T, op *openapi.Operation, tokenURLOf func(openapi.API) string) (rule Operation, token bool, err error) {
	rule = Operation{Operation: op, TokenURL: TokenURL(doc), TokenURLOf: tokenURLOf, ScopeText: openapi.ScopeText(op.Scopes)}
	for _, name := range op.Schemes {
		kind, err := schemeKind(doc, name)
		if err != nil {
			return Operation{}, false, fmt.Errorf("%s %s: %w", op.API, op.ID, err)
		}
		if kind == KindClientSecret {
			token = true
			continue
		}
		rule.Accepts = append(rule.Accepts, kind)
	}
	rule.Hint = hint(rule.Accepts, rule.TokenURL)
	return rule, token, nil
}

// SchemeKind is the credential kind an Authorization scheme word names
// (case-insensitive): ApiKey, Session or Bearer.
func SchemeKind(word string) (Kind, bool) {
	switch strings.ToLower(word) {
	case "apikey":
		return KindAPIKey, true
	case "session":
		return KindSession, true
	case "bearer":
		return KindBearer, true
	}
	return KindNone, false
}

// schemeKind reads how a security scheme authenticates. The apiKey schemes
// of the data API differ only in their Authorization prefix, which the spec
// states in the scheme's x-authorization-prefix extension (ApiKey or
// Session); an apiKey scheme without it is refused.
func schemeKind(doc *openapi3.T, name string) (Kind, error) {
	ref := doc.Components.SecuritySchemes[name]
	if ref == nil || ref.Value == nil {
		return KindNone, fmt.Errorf("unknown security scheme %q", name)
	}
	sc := ref.Value
	switch {
	case sc.Type == "oauth2":
		return KindBearer, nil
	case sc.Type == "http" && sc.Scheme == "basic":
		return KindClientSecret, nil
	case sc.Type == "http" && sc.Scheme == "bearer":
		return KindBearer, nil
	case sc.Type == "apiKey":
		prefix, _ := sc.Extensions["x-authorization-prefix"].(string)
		if kind, ok := SchemeKind(prefix); ok && kind != KindBearer {
			return kind, nil
		}
		return KindNone, fmt.Errorf("apiKey security scheme %q needs x-authorization-prefix: ApiKey or Session (the word before the value in its header), got %q", name, prefix)
	}
	return KindNone, fmt.Errorf("security scheme %q (%s) is not supported by the mock", name, sc.Type)
}

// TokenURL reads the client-credentials token URL of a spec's OAuth
// scheme; "" when it has none.
func TokenURL(doc *openapi3.T) string {
	for _, ref := range doc.Components.SecuritySchemes {
		if ref.Value != nil && ref.Value.Flows != nil && ref.Value.Flows.ClientCredentials != nil {
			return ref.Value.Flows.ClientCredentials.TokenURL
		}
	}
	return ""
}

// hint says which credentials an operation accepts.
func hint(kinds []Kind, tokenURL string) string {
	if tokenURL == "" {
		tokenURL = "the token endpoint"
	}
	var parts []string
	for _, k := range kinds {
		switch k {
		case KindAPIKey:
			parts = append(parts, "Authorization: ApiKey <key>")
		case KindSession:
			parts = append(parts, "Authorization: Session <sessionId> (from POST /V2.0/services/authentication/login)")
		case KindBearer:
			parts = append(parts, "Authorization: Bearer <token> (from POST "+tokenURL+")")
		}
	}
	return strings.Join(parts, " or ")
}
