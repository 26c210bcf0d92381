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
		if kind == KindSession {
			if rule.SessionURL, err = issuedBy(doc, name); err != nil {
				return Operation{}, false, fmt.Errorf("%s %s: %w", op.API, op.ID, err)
			}
		}
	}
	if op.AsUser {
		if rule.ProxyURL, rule.ProxyAssignment, err = grantedBy(doc, op); err != nil {
			return Operation{}, false, fmt.Errorf("%s %s: %w", op.API, op.ID, err)
		}
		rule.ProxyDenied = op.ProxyDenied
	}
	if rule.IgnoredScopes, err = ignoredScopes(doc, op); err != nil {
		return Operation{}, false, fmt.Errorf("%s %s: %w", op.API, op.ID, err)
	}
	rule.Hint = hint(rule.Accepts, rule.TokenURL, rule.SessionURL)
	return rule, token, nil
}

// issuedBy reads the x-issued-by extension of a session scheme: the
// operation whose answer is the session, as "POST <path>".
func issuedBy(doc *openapi3.T, scheme string) (string, error) {
	id, _ := doc.Components.SecuritySchemes[scheme].Value.Extensions["x-issued-by"].(string)
	if id == "" {
		return "", fmt.Errorf("session security scheme %q needs x-issued-by: the operationId that issues the session", scheme)
	}
	return operationURL(doc, id)
}

// grantedBy reads the x-granted-by extension of an operation's AS-USER
// header parameter: the operation that grants the right to act as a
// principal, and the assignment it takes.
func grantedBy(doc *openapi3.T, op *openapi.Operation) (url, assignment string, err error) {
	oa := doc.Paths.Find(op.Path).GetOperation(op.Method)
	for _, p := range oa.Parameters {
		if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInHeader || !strings.EqualFold(p.Value.Name, openapi.AsUserHeader) {
			continue
		}
		g, _ := p.Value.Extensions["x-granted-by"].(map[string]any)
		id, _ := g["operation"].(string)
		assignment, _ = g["assignment"].(string)
		if id == "" || assignment == "" {
			break
		}
		url, err = operationURL(doc, id)
		return url, assignment, err
	}
	return "", "", fmt.Errorf("the %s header parameter needs x-granted-by: {operation, assignment}", openapi.AsUserHeader)
}

// operationURL is "METHOD <path>" of the operation with id in doc.
func operationURL(doc *openapi3.T, id string) (string, error) {
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			if o.OperationID == id {
				return method + " " + path, nil
			}
		}
	}
	return "", fmt.Errorf("no operation %q", id)
}

// SchemeKind is the credential kind an Authorization scheme word names
// (case-insensitive): ApiKey, Session or Bearer.
func SchemeKind(word string) (Kind, bool) {
	switch { // case-insensitive, without the allocation of ToLower
	case strings.EqualFold(word, "ApiKey"):
		return KindAPIKey, true
	case strings.EqualFold(word, "Session"):
		return KindSession, true
	case strings.EqualFold(word, "Bearer"):
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
func hint(kinds []Kind, tokenURL, sessionURL string) string {
	if tokenURL == "" {
		tokenURL = "the token endpoint"
	}
	var parts []string
	for _, k := range kinds {
		switch k {
		case KindAPIKey:
			parts = append(parts, "Authorization: ApiKey <key>")
		case KindSession:
			parts = append(parts, "Authorization: Session <sessionId> (from "+sessionURL+")")
		case KindBearer:
			parts = append(parts, "Authorization: Bearer <token> (from POST "+tokenURL+")")
		}
	}
	return strings.Join(parts, " or ")
}

// ignoredScopes reads a token endpoint's x-ignored-scopes: scopes a token
// request may name that are left out of the token. None when absent.
func ignoredScopes(doc *openapi3.T, op *openapi.Operation) ([]string, error) {
	item := doc.Paths.Find(op.Path)
	if item == nil || item.GetOperation(op.Method) == nil {
		return nil, nil
	}
	raw, ok := item.GetOperation(op.Method).Extensions["x-ignored-scopes"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	var out []string
	for _, v := range list {
		s, isString := v.(string)
		if !isString || s == "" {
			ok = false
			break
		}
		out = append(out, s)
	}
	if !ok {
		return nil, fmt.Errorf("x-ignored-scopes is a list of scope names")
	}
	return out, nil
}
