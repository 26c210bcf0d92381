package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// validate checks the request's parameters and body against its operation
// in the spec. Authentication is the pipeline's job, so the validator's
// security check is a no-op. A JSON body is checked against the limits its
// schema states first (checkBounds), then validated as readBody decoded
// it, without decoding it again.
func (s *Server) validate(rc *reqCtx) error {
	r := rc.r
	mt := rc.jsonMediaType()
	// kin-openapi reads the body to validate it: an empty body, or one
	// validated below as readBody decoded it, is not handed to it at all.
	if len(rc.body) == 0 || mt != nil {
		r.Body = http.NoBody
	} else {
		r.Body = io.NopCloser(bytes.NewReader(rc.body))
	}
	opts := &validateOptions
	if mt != nil {
		opts = &validateOptionsNoBody
	}
	in := &rc.validation
	*in = openapi3filter.RequestValidationInput{Request: r, PathParams: rc.params, Route: withoutSecurity(rc.kroute), Options: opts}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if len(rc.body) == 0 {
		r.Body = http.NoBody
	} else {
		r.Body = io.NopCloser(bytes.NewReader(rc.body))
	}
	if err == nil && mt != nil {
		if err = checkBounds(mt.Schema.Value, rc.bodyJSON); err != nil {
			return err
		}
		err = validateBody(in, mt, rc.bodyJSON)
	}
	if err != nil {
		field, msg := describeValidation(err)
		return badRequest(field, "%s", msg)
	}
	return nil
}

// The validator's options; it only reads them.
var (
	validateOptions = openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	}
	validateOptionsNoBody = openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		ExcludeRequestBody: true,
	}
)

var noSecurityRoutes sync.Map // *routers.Route -> *routers.Route

// withoutSecurity returns route with its operation's security requirements
// emptied, made once per route. Authentication and scopes are the
// pipeline's (it ran before validation); with them kin-openapi would only
// walk each requirement with a no-op function, reading the body for it.
func withoutSecurity(route *routers.Route) *routers.Route {
	if route == nil || route.Operation == nil {
		return route
	}
	if v, ok := noSecurityRoutes.Load(route); ok {
		return v.(*routers.Route)
	}
	op := *route.Operation
	op.Security = &openapi3.SecurityRequirements{} // not nil: nil means the document's
	c := *route
	c.Operation = &op
	v, _ := noSecurityRoutes.LoadOrStore(route, &c)
	return v.(*routers.Route)
}

// jsonMediaType returns the operation's media type for the request's
// decoded JSON body, or nil when the body is not one (none, not JSON, not
// decodable: the validator reports those).
func (rc *reqCtx) jsonMediaType() *openapi3.MediaType {
	if rc.bodyJSON == nil || rc.kroute == nil || rc.kroute.Operation == nil {
		return nil
	}
	rb := rc.kroute.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return nil
	}
	mt := rb.Value.Content.Get(rc.r.Header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	return mt
}

// validateBody validates a decoded JSON body as openapi3filter does. The
// request direction (readOnly properties refused) is applied only where
// the schema has readOnly properties: in that direction kin-openapi
// validates the matched oneOf branch twice, which doubles the cost at every
// level of a recursive schema such as the where Condition.
func validateBody(in *openapi3filter.RequestValidationInput, mt *openapi3.MediaType, v any) error {
	var opts []openapi3.SchemaValidationOption
	if hasReadOnly(mt.Schema.Value) {
		opts = append(opts, openapi3.VisitAsRequest())
	}
	if err := mt.Schema.Value.VisitJSON(v, opts...); err != nil {
		return &openapi3filter.RequestError{Input: in, RequestBody: in.Route.Operation.RequestBody.Value,
			Reason: "doesn't match schema", Err: err}
	}
	return nil
}

var readOnlyCache sync.Map // *openapi3.Schema -> bool

// hasReadOnly reports whether a schema declares a readOnly property
// anywhere within it.
func hasReadOnly(s *openapi3.Schema) bool {
	if v, ok := readOnlyCache.Load(s); ok {
		return v.(bool)
	}
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.Schema) bool
	walk = func(s *openapi3.Schema) bool {
		if s == nil || seen[s] {
			return false
		}
		seen[s] = true
		if s.ReadOnly {
			return true
		}
		refs := append(append(append([]*openapi3.SchemaRef{s.Items}, s.OneOf...), s.AnyOf...), s.AllOf...)
		refs = append(refs, s.AdditionalProperties.Schema)
		for _, p := range s.Properties {
			refs = append(refs, p)
		}
		for _, r := range refs {
			if r != nil && walk(r.Value) {
				return true
			}
		}
		return false
	}
	v := walk(s)
	readOnlyCache.Store(s, v)
	return v
}

// describeValidation turns a kin-openapi validation error into the field at
// fault and a short message.
func describeValidation(err error) (field, msg string) {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return "", err.Error()
	}
	var se *openapi3.SchemaError
	hasSchema := errors.As(re.Err, &se)
	switch {
	case re.Parameter != nil:
		field = re.Parameter.Name
		var pe *openapi3filter.ParseError
		switch {
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			msg = fmt.Sprintf("the %s parameter is required", re.Parameter.In)
		case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
			msg = fmt.Sprintf("the %s parameter may not be empty", re.Parameter.In)
		case errors.As(re.Err, &pe) && pe.Kind == openapi3filter.KindInvalidFormat && re.Parameter.Schema != nil && re.Parameter.Schema.Value != nil:
			msg = fmt.Sprintf("%s is not %s", quoteValue(pe.Value), typeWords(re.Parameter.Schema.Value))
		case hasSchema:
			msg = se.Reason
		default:
			msg = joinReasons(re.Reason, re.Err)
		}
		if msg == "" {
			msg = "is invalid"
		}
	case re.RequestBody != nil:
		switch {
		case errors.Is(re.Err, io.EOF), errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			field, msg = "body", "the request body is empty; this operation needs one"
		case hasSchema:
			field = fieldPath(se.JSONPointer())
			msg = se.Reason
			if d := se.Schema.Discriminator; d != nil && len(d.Mapping) > 0 {
				v, _ := se.Value.(string)
				if m, ok := se.Value.(map[string]any); ok {
					v, _ = m[d.PropertyName].(string)
				}
				keys := slices.Sorted(maps.Keys(d.Mapping))
				field = strings.TrimPrefix(field+"."+d.PropertyName, ".")
				msg = fmt.Sprintf("%q is not one of %s", v, strings.Join(keys, ", "))
			} else if name, ok := strings.CutPrefix(se.Reason, "property "); ok && strings.HasSuffix(name, " is missing") {
				// A missing required property is named by the path.
				msg = "the field is required"
			}
			if field == "" {
				field = "body"
			}
		default:
			field = "body"
			msg = joinReasons(re.Reason, re.Err)
		}
	default:
		msg = re.Error()
	}
	return field, msg
}

// typeWords names a scalar schema's type for messages.
func typeWords(s *openapi3.Schema) string {
	switch {
	case s.Type.Is("integer"):
		return "a whole number"
	case s.Type.Is("number"):
		return "a number"
	case s.Type.Is("boolean"):
		return "true or false"
	}
	return "valid here"
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// joinReasons joins a validator's reason and its cause into one phrase,
// leaving out what is empty or already said ("value is required but
// missing value is required but missing").
func joinReasons(reason string, cause any) string {
	c := ""
	switch v := cause.(type) {
	case error:
		if v != nil {
			c = v.Error()
		}
	case string:
		c = v
	}
	reason, c = strings.TrimSpace(reason), strings.TrimSpace(c)
	switch {
	case c == "" || strings.Contains(reason, c):
		return reason
	case reason == "" || strings.Contains(c, reason):
		return c
	}
	return reason + ": " + c
}

// camelKeys lower-cases the first letter of every object key (TypeName ->
// typeName), in place and recursively, except inside "parameters" and
// "value", whose keys and contents are the caller's data. Two keys that
// differ only in the case of their first letter would be merged in no
// particular order, so they are a 400 naming both.
func camelKeys(v any) error {
	if c := camelKeysIn(v); c != nil {
		return badRequest(c.path.String(), "the keys %q and %q differ only in the case of their first letter, which this API ignores; send one of them", c.kept, c.other)
	}
	return nil
}

type keyCollision struct {
	path        lazyPath
	kept, other string
}

func camelKeysIn(v any) *keyCollision {
	switch x := v.(type) {
	case map[string]any:
		var rename []string
		for k, val := range x {
			if ck := lowerFirst(k); ck != k {
				rename = append(rename, k)
			} else if k == "parameters" || k == "value" {
				continue
			} else if c := camelKeysIn(val); c != nil {
				c.path.push(k)
				return c
			}
		}
		slices.Sort(rename)
		for _, k := range rename {
			ck := lowerFirst(k)
			if _, taken := x[ck]; taken {
				c := &keyCollision{kept: ck, other: k}
				c.path.push(ck)
				return c
			}
			val := x[k]
			delete(x, k)
			x[ck] = val
			if ck == "parameters" || ck == "value" {
				continue
			}
			if c := camelKeysIn(val); c != nil {
				c.path.push(ck)
				return c
			}
		}
	case []any:
		for i := range x {
			if c := camelKeysIn(x[i]); c != nil {
				c.path.pushIndex(i)
				return c
			}
		}
	}
	return nil
}

// lazyPath is a field path built from the inside out as an error returns,
// so that values that are fine cost no path: where.and[1].operator.
type lazyPath []string

func (p *lazyPath) push(key string) { *p = append(*p, key) }
func (p *lazyPath) pushIndex(i int) { *p = append(*p, "["+strconv.Itoa(i)+"]") }

func (p lazyPath) String() string {
	var b strings.Builder
	for i := len(p) - 1; i >= 0; i-- {
		if !strings.HasPrefix(p[i], "[") && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p[i])
	}
	return b.String()
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// fieldPath renders a JSON pointer as a field path: paging.limit, [0].userIds.
func fieldPath(ptr []string) string {
	var b strings.Builder
	for _, p := range ptr {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
