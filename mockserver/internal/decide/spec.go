package decide

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

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
	if rule.Schemes, err = SchemesOf(doc); err != nil {
		return Operation{}, false, fmt.Errorf("%s %s: %w", op.API, op.ID, err)
	}
	rule.Known = rule.Schemes
	for _, name := range op.Schemes {
		kind, word, err := schemeKind(doc, name)
		if err != nil {
			return Operation{}, false, fmt.Errorf("%s %s: %w", op.API, op.ID, err)
		}
		if kind == KindClientSecret {
			token = true
			continue
		}
		if kind == KindAPIKey && word == "" { // a key in a header of its own
			rule.KeyHeader = doc.Components.SecuritySchemes[name].Value.Name
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
	rule.Hint = hint(rule.Schemes, rule.Accepts, rule.TokenURL, rule.SessionURL, rule.KeyHeader)
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
		if id == "" && assignment != "" {
			// No operation of the API grants it (an API loaded from a spec
			// and a policy): the tenant's fixture does.
			return "the fixture's proxyAssignments", assignment, nil
		}
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

// Scheme is an Authorization scheme word one of a spec's security schemes
// names ("ApiKey" in `Authorization: ApiKey <key>`), and the kind of
// credential its value is.
type Scheme struct {
	Word string
	Kind Kind
}

// Schemes are the Authorization scheme words of a spec, read from its
// security schemes by SchemesOf. The words are the spec's own: an apiKey
// scheme in the Authorization header states its word in
// x-authorization-prefix (and is a session when x-issued-by names the
// operation that issues it); an oauth2 or http bearer scheme's word is
// Bearer (RFC 6750, section 2.1).
type Schemes []Scheme

// Kind is the credential kind word names in s (case-insensitive, as HTTP
// authentication schemes are).
func (s Schemes) Kind(word string) (Kind, bool) {
	for _, sc := range s {
		if strings.EqualFold(sc.Word, word) {
			return sc.Kind, true
		}
	}
	return KindNone, false
}

// Word is the word s names credentials of kind k by ("" when none).
func (s Schemes) Word(k Kind) string {
	for _, sc := range s {
		if sc.Kind == k {
			return sc.Word
		}
	}
	return ""
}

// Words lists s's words, for a message: "ApiKey, Session or Bearer".
func (s Schemes) Words() string {
	var words []string
	for _, sc := range s {
		words = append(words, sc.Word)
	}
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// With is s and the words of t that s does not have.
func (s Schemes) With(t Schemes) Schemes {
	out := slices.Clip(s)
	for _, sc := range t {
		if _, ok := out.Kind(sc.Word); !ok {
			out = append(out, sc)
		}
	}
	return out
}

// SchemesOf reads the Authorization words of doc's security schemes, in
// the order of their names. Two schemes that give one word different kinds
// are an error.
func SchemesOf(doc *openapi3.T) (Schemes, error) {
	var out Schemes
	for _, name := range slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)) {
		kind, word, err := schemeKind(doc, name)
		if err != nil {
			return nil, err
		}
		if kind == KindClientSecret { // in a token request's Basic header or body, not a bearer of access
			continue
		}
		if word == "" { // an API key in a header of its own: no Authorization word
			continue
		}
		if k, ok := out.Kind(word); ok {
			if k != kind {
				return nil, fmt.Errorf("security scheme %q: the Authorization word %q already names another kind of credential", name, word)
			}
			continue
		}
		out = append(out, Scheme{Word: word, Kind: kind})
	}
	return out, nil
}

// bearerWord is the Authorization word of OAuth 2 access tokens (RFC 6750,
// section 2.1), for the oauth2 and http bearer security schemes.
const bearerWord = "Bearer"

// schemeKind reads how a security scheme authenticates, and the word its
// Authorization header starts with. The apiKey schemes of the data API
// differ only in their Authorization prefix, which the spec states in the
// scheme's x-authorization-prefix extension; one with x-issued-by carries
// a session. An apiKey scheme without a prefix is refused.
func schemeKind(doc *openapi3.T, name string) (Kind, string, error) {
	ref := doc.Components.SecuritySchemes[name]
	if ref == nil || ref.Value == nil {
		return KindNone, "", fmt.Errorf("unknown security scheme %q", name)
	}
	sc := ref.Value
	switch {
	case sc.Type == "oauth2":
		return KindBearer, bearerWord, nil
	case sc.Type == "http" && strings.EqualFold(sc.Scheme, "basic"):
		return KindClientSecret, sc.Scheme, nil
	case sc.Type == "http" && strings.EqualFold(sc.Scheme, bearerWord):
		// x-credential: api_key says the bearer values are API keys the
		// tenant issues, not OAuth tokens (an API loaded with a policy
		// that says so: its credentials section).
		if c, _ := sc.Extensions["x-credential"].(string); c == "api_key" {
			return KindAPIKey, bearerWord, nil
		}
		return KindBearer, bearerWord, nil
	case sc.Type == "apiKey" && sc.In == "header" && sc.Name != "" && !strings.EqualFold(sc.Name, "Authorization"):
		// A key in a header of its own (X-API-Key: <key>): its value is
		// the key, without a scheme word.
		return KindAPIKey, "", nil
	case sc.Type == "apiKey":
		prefix, _ := sc.Extensions["x-authorization-prefix"].(string)
		if sc.In != "header" || !strings.EqualFold(sc.Name, "Authorization") || prefix == "" || strings.ContainsFunc(prefix, unicode.IsSpace) {
			return KindNone, "", fmt.Errorf("apiKey security scheme %q: the mock takes API keys in a header of their own (in: header, name: X-API-Key) or in the Authorization header with x-authorization-prefix (the word before the value), got %s %q and prefix %q", name, sc.In, sc.Name, prefix)
		}
		if _, ok := sc.Extensions["x-issued-by"]; ok {
			return KindSession, prefix, nil
		}
		return KindAPIKey, prefix, nil
	}
	return KindNone, "", fmt.Errorf("security scheme %q (%s) is not supported by the mock", name, sc.Type)
}

// CheckScheme reports whether the mock can authenticate with the security
// scheme called name of doc (nil when it can), saying what it needs
// otherwise.
func CheckScheme(doc *openapi3.T, name string) error {
	_, _, err := schemeKind(doc, name)
	return err
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
func hint(words Schemes, kinds []Kind, tokenURL, sessionURL, keyHeader string) string {
	if tokenURL == "" {
		tokenURL = "the token endpoint"
	}
	var parts []string
	for _, k := range kinds {
		switch k {
		case KindAPIKey:
			if keyHeader != "" {
				parts = append(parts, keyHeader+": <key>")
			} else {
				parts = append(parts, "Authorization: "+words.Word(k)+" <key>")
			}
		case KindSession:
			parts = append(parts, "Authorization: "+words.Word(k)+" <sessionId> (from "+sessionURL+")")
		case KindBearer:
			parts = append(parts, "Authorization: "+words.Word(k)+" <token> (from POST "+tokenURL+")")
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
