package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/oapi-codegen/runtime"
)

// Validate checks the request's parameters and body against its operation
// in the spec and fills in the defaults the spec declares. Authentication
// is the pipeline's job, so the validator's security check is a no-op. A
// JSON body is checked against the limits its schema states first
// (checkBounds), then validated as ReadBody decoded it, without decoding
// it again.
//
// Defaults: kin-openapi adds an omitted query parameter's default to the
// request URL's query (rc.R.URL.RawQuery, which handlers read through
// BindQuery; SentQuery is the query as the client sent it), and
// validateBody adds an omitted body property's default to rc.BodyJSON and
// re-encodes rc.Body, which handlers decode (DecodeBody).
func (rc *Request) Validate() error {
	r := rc.R
	mt := rc.jsonMediaType()
	// kin-openapi reads the body to validate it: an empty body, or one
	// validated below as ReadBody decoded it, is not handed to it at all.
	if len(rc.Body) == 0 || mt != nil {
		r.Body = http.NoBody
	} else {
		r.Body = io.NopCloser(bytes.NewReader(rc.Body))
	}
	opts := &validateOptions
	if mt != nil {
		opts = &validateOptionsNoBody
	}
	in := &rc.validation
	*in = openapi3filter.RequestValidationInput{Request: r, PathParams: rc.Params, Route: withoutSecurity(rc.KRoute), Options: opts}
	if r.URL.RawQuery != "" {
		// The query as sent, parsed once: kin-openapi decodes parameters
		// from it while it adds defaults to r.URL (see SentQuery).
		in.QueryParams = r.URL.Query()
	}
	// A body kin-openapi validates itself is not JSON (or not decodable):
	// it fills defaults only into JSON, so rc.Body stays the body.
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil && mt != nil {
		err = rc.validateJSONBody(in, mt)
	}
	if len(rc.Body) == 0 {
		r.Body = http.NoBody
	} else {
		r.Body = io.NopCloser(bytes.NewReader(rc.Body))
		r.ContentLength = int64(len(rc.Body))
	}
	if err == nil {
		return nil
	}
	if ae := (*Error)(nil); errors.As(err, &ae) {
		return err
	}
	field, msg := describeValidation(err)
	return BadRequest(field, "%s", msg)
}

// validateJSONBody checks the decoded JSON body against its schema's
// limits, then validates it; when that set defaults, rc.Body is encoded
// again from rc.BodyJSON, so that handlers decode what was validated.
func (rc *Request) validateJSONBody(in *openapi3filter.RequestValidationInput, mt *openapi3.MediaType) error {
	if err := checkBounds(mt.Schema.Value, rc.BodyJSON); err != nil {
		return err
	}
	filled, err := validateBody(in, mt, rc.BodyJSON)
	if err != nil || !filled {
		return err
	}
	b, err := json.Marshal(rc.BodyJSON)
	if err != nil {
		return err
	}
	rc.Body = b
	return nil
}

// The validator's options; it only reads them. Defaults are set (see
// validate).
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
func (rc *Request) jsonMediaType() *openapi3.MediaType {
	if rc.BodyJSON == nil || rc.KRoute == nil || rc.KRoute.Operation == nil {
		return nil
	}
	rb := rc.KRoute.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return nil
	}
	mt := rb.Value.Content.Get(rc.R.Header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	return mt
}

// validateBody validates a decoded JSON body as openapi3filter does, then
// sets the defaults of omitted properties in v (filled reports whether it
// set any). The request direction (readOnly properties refused) is applied
// only where the schema has readOnly properties: in that direction
// kin-openapi validates the matched oneOf branch twice, which doubles the
// cost at every level of a recursive schema such as the where Condition.
// Defaults are set by a second pass, only where the schema declares any:
// kin-openapi would give an explicit null its property's default, and the
// first pass refuses a null the schema does not allow.
func validateBody(in *openapi3filter.RequestValidationInput, mt *openapi3.MediaType, v any) (filled bool, err error) {
	facts := schemaFactsOf(mt.Schema.Value)
	var opts []openapi3.SchemaValidationOption
	if facts.readOnly {
		opts = append(opts, openapi3.VisitAsRequest())
	}
	if err := mt.Schema.Value.VisitJSON(v, opts...); err != nil {
		return false, &openapi3filter.RequestError{Input: in, RequestBody: in.Route.Operation.RequestBody.Value,
			Reason: "doesn't match schema", Err: err}
	}
	if facts.defaults {
		filled = fillDefaults(mt.Schema.Value, v, 0)
	}
	return filled, nil
}

// fillDefaults sets the declared default of each omitted property of the
// objects in v, following properties, array items, additionalProperties
// and allOf, in one linear pass over the validated body. A oneOf or anyOf
// (the where condition) is not entered: which branch applies is the
// validator's to say, and kin-openapi's own defaults pass validates the
// matched branch twice at every level of a recursive schema. An explicit
// null keeps its null. depth stops at the JSON nesting bound.
func fillDefaults(s *openapi3.Schema, v any, depth int) (filled bool) {
	if s == nil || depth > 64 {
		return false
	}
	for _, a := range s.AllOf {
		if a != nil && fillDefaults(a.Value, v, depth+1) {
			filled = true
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for name, p := range s.Properties {
			if p == nil || p.Value == nil {
				continue
			}
			if x, ok := v[name]; ok {
				if fillDefaults(p.Value, x, depth+1) {
					filled = true
				}
				continue
			}
			if p.Value.Default != nil {
				v[name] = p.Value.Default
				filled = true
			}
		}
		if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
			for name, x := range v {
				if _, declared := s.Properties[name]; !declared && fillDefaults(ap.Value, x, depth+1) {
					filled = true
				}
			}
		}
	case []any:
		if s.Items != nil && s.Items.Value != nil {
			for _, x := range v {
				if fillDefaults(s.Items.Value, x, depth+1) {
					filled = true
				}
			}
		}
	}
	return filled
}

// schemaFacts says what a request body schema declares anywhere within it.
type schemaFacts struct {
	readOnly bool // a readOnly property
	defaults bool // a default
}

var schemaFactsCache sync.Map // *openapi3.Schema -> schemaFacts

func schemaFactsOf(s *openapi3.Schema) schemaFacts {
	if v, ok := schemaFactsCache.Load(s); ok {
		return v.(schemaFacts)
	}
	var f schemaFacts
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		f.readOnly = f.readOnly || s.ReadOnly
		f.defaults = f.defaults || s.Default != nil
		refs := append(append(append([]*openapi3.SchemaRef{s.Items}, s.OneOf...), s.AnyOf...), s.AllOf...)
		refs = append(refs, s.AdditionalProperties.Schema)
		for _, p := range s.Properties {
			refs = append(refs, p)
		}
		for _, r := range refs {
			if r != nil {
				walk(r.Value)
			}
		}
	}
	walk(s)
	schemaFactsCache.Store(s, f)
	return f
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
			msg = schemaReason(se)
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
			se = innermost(se)
			field = fieldPath(se.JSONPointer())
			msg = schemaReason(se)
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

// innermost follows a oneOf whose discriminator names one of its branches
// into that branch's own error, and an allOf into its failing member's, so
// a where condition with a known _type and a bad member is reported at the
// member, not as an unknown _type.
func innermost(se *openapi3.SchemaError) *openapi3.SchemaError {
	for range 64 {
		if se.Origin == nil {
			return se
		}
		if d := se.Schema.Discriminator; se.SchemaField != "allOf" { // every allOf applies: its failing member says more
			if d == nil {
				return se
			}
			m, _ := se.Value.(map[string]any)
			v, _ := m[d.PropertyName].(string)
			if _, known := d.Mapping[v]; !known {
				return se
			}
		}
		var inner *openapi3.SchemaError
		if !errors.As(se.Origin, &inner) || inner == se {
			return se
		}
		se = inner
	}
	return se
}

// schemaReason is a schema error's reason; a value that does not match a
// pattern is described by the schema's x-pattern-message, when the spec
// gives one, instead of by the regular expression.
func schemaReason(se *openapi3.SchemaError) string {
	if se.SchemaField == "pattern" && se.Schema != nil {
		if m, ok := se.Schema.Extensions["x-pattern-message"].(string); ok && m != "" {
			if v, ok := se.Value.(string); ok && len(v) <= 64 {
				return strconv.Quote(v) + " is not " + m
			}
			return "the value is not " + m
		}
	}
	return se.Reason
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
// "value", whose keys and contents are the caller's data, and "body" (a
// bulk sub-request's body, normalised as its own operation's when it runs). Two keys that
// differ only in the case of their first letter would be merged in no
// particular order, so they are a 400 naming both.
func camelKeys(v any) error {
	if c := camelKeysIn(v); c != nil {
		return BadRequest(c.path.String(), "the keys %q and %q differ only in the case of their first letter, which this API ignores; send one of them", c.kept, c.other)
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
			} else if k == "parameters" || k == "value" || k == "body" {
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
			if ck == "parameters" || ck == "value" || ck == "body" {
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

// Typed requests: handlers read a validated request into the models and
// parameter types generated from its spec (mockserver/internal/api).

// BindQuery binds the request's query parameters, as validated and
// default-filled, into params, a generated *Params struct whose fields name
// their parameter in a form tag. A parameter sent more than once is read
// as kin-openapi validates it: its first non-empty value.
func (rc *Request) BindQuery(params any) error {
	dst := reflect.ValueOf(params).Elem()
	q := rc.R.URL.Query()
	for _, list := range rc.operationParameters() {
		for _, ref := range list {
			p := ref.Value
			if p == nil || p.In != openapi3.ParameterInQuery {
				continue
			}
			if isArrayParam(p) {
				// An array sent as the parameter repeated (form style,
				// explode: fields=A&fields=B) or comma-separated
				// (explode: false), as the spec declares it.
				if len(q[p.Name]) == 0 {
					continue
				}
				f, ok := formField(dst, p.Name)
				if !ok {
					return fmt.Errorf("mockserver: %s has no field for query parameter %s", dst.Type(), p.Name)
				}
				explode := p.Explode == nil || *p.Explode
				if err := runtime.BindRawQueryParameter("form", explode, false, p.Name, rc.R.URL.RawQuery, f.Addr().Interface()); err != nil {
					return BadRequest(p.Name, "%s is not valid here: %v", p.Name, err)
				}
				continue
			}
			raw, ok := validatedValue(q[p.Name])
			if !ok {
				continue
			}
			f, ok := formField(dst, p.Name)
			if !ok {
				return fmt.Errorf("mockserver: %s has no field for query parameter %s", dst.Type(), p.Name)
			}
			if err := runtime.BindStringToObject(raw, f.Addr().Interface()); err != nil {
				return BadRequest(p.Name, "%s is not valid here: %v", strconv.Quote(raw), err)
			}
		}
	}
	return nil
}

// isArrayParam reports whether a query parameter's schema is an array.
func isArrayParam(p *openapi3.Parameter) bool {
	return p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type.Is(openapi3.TypeArray)
}

// operationParameters lists the parameters of the request's operation and
// of its path.
func (rc *Request) operationParameters() [2]openapi3.Parameters {
	var out [2]openapi3.Parameters
	if rc.KRoute != nil && rc.KRoute.Operation != nil {
		out[0] = rc.KRoute.Operation.Parameters
	}
	if rc.KRoute != nil && rc.KRoute.PathItem != nil {
		out[1] = rc.KRoute.PathItem.Parameters
	}
	return out
}

// validatedValue is the value of a query parameter kin-openapi validates:
// the first non-empty one, or "" when every one is empty (an empty value of
// a parameter that is not a string counts as absent).
func validatedValue(values []string) (string, bool) {
	for _, v := range values {
		if v != "" {
			return v, true
		}
	}
	return "", len(values) > 0
}

// formField finds the field of a generated parameter struct whose form
// tag names the parameter.
func formField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("form"), ","); tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// SentQuery is the request's query as the client sent it, without the
// defaults validation added to rc.R.URL.
func (rc *Request) SentQuery() url.Values {
	if q := rc.validation.QueryParams; q != nil {
		return q
	}
	return rc.R.URL.Query() // empty when sent, and then only defaults could differ: none were decoded
}

// DecodeBody decodes the validated JSON body (defaults filled) into v, a
// generated request model. It reads object keys exactly as the schema and
// the validator do: a key that differs from a declared property only in
// case is another member (which encoding/json would fold into the
// property), and is left out. Numbers the schema accepts as integers in
// another spelling (1e3, 2.0) are read as the integers they are, and one
// beyond the range of the model's int (a paging position such as skip
// 1e19, which the schema does not bound) as the nearest int: past every row
// either way.
func (rc *Request) DecodeBody(v any) error {
	mt := rc.jsonMediaType()
	src := rc.Body
	if mt != nil && dropFoldedKeys(mt.Schema.Value, rc.BodyJSON) {
		b, err := json.Marshal(rc.BodyJSON)
		if err != nil {
			return err
		}
		src = b
	}
	err := json.Unmarshal(src, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") && mt != nil {
		clampIntegers(mt.Schema.Value, rc.BodyJSON)
		if b, merr := json.Marshal(rc.BodyJSON); merr == nil && json.Unmarshal(b, v) == nil {
			return nil
		}
	}
	return BadRequest("body", "%v", err)
}

// Bounds of an int, as JSON numbers.
var (
	maxIntNumber = json.Number(strconv.Itoa(math.MaxInt))
	minIntNumber = json.Number(strconv.Itoa(math.MinInt))
)

// clampIntegers replaces, along schema s, every whole number of v that an
// int cannot hold with the nearest one it can.
func clampIntegers(s *openapi3.Schema, v any) any {
	if s == nil {
		return v
	}
	switch x := v.(type) {
	case float64:
		switch {
		case !s.Type.Is(openapi3.TypeInteger):
		case x >= math.MaxInt: // float64(math.MaxInt) rounds up, beyond it
			return maxIntNumber
		case x < math.MinInt:
			return minIntNumber
		}
	case map[string]any:
		for k, val := range x {
			if p := s.Properties[k]; p != nil {
				x[k] = clampIntegers(p.Value, val)
			} else if ap := s.AdditionalProperties.Schema; ap != nil {
				x[k] = clampIntegers(ap.Value, val)
			}
		}
	case []any:
		if s.Items != nil {
			for i := range x {
				x[i] = clampIntegers(s.Items.Value, x[i])
			}
		}
	}
	return v
}

// dropFoldedKeys deletes, along schema s, every object key of v that is
// not a declared property but equals one ignoring case; it reports whether
// it deleted any.
func dropFoldedKeys(s *openapi3.Schema, v any) bool {
	if s == nil {
		return false
	}
	dropped := false
	switch x := v.(type) {
	case map[string]any:
		if len(s.Properties) == 0 {
			return false
		}
		for k, val := range x {
			if p, ok := s.Properties[k]; ok {
				if p != nil && dropFoldedKeys(p.Value, val) {
					dropped = true
				}
				continue
			}
			for name := range s.Properties {
				if strings.EqualFold(name, k) {
					delete(x, k)
					dropped = true
					break
				}
			}
		}
	case []any:
		if s.Items == nil {
			return false
		}
		for _, item := range x {
			if dropFoldedKeys(s.Items.Value, item) {
				dropped = true
			}
		}
	}
	return dropped
}

// Filled dereferences a parameter or property that the validator has
// given its default; a nil p means the spec declares no default for it.
func Filled[T any](name string, p *T) (T, error) {
	if p == nil {
		var zero T
		return zero, fmt.Errorf("mockserver: %s has no value: the spec declares no default for it", name)
	}
	return *p, nil
}

// PageParams reads the default-filled pageSize and pageNumber of a
// numbered listing.
func PageParams(size, number *int) (int, int, error) {
	sz, err := Filled("pageSize", size)
	if err != nil {
		return 0, 0, err
	}
	n, err := Filled("pageNumber", number)
	return sz, n, err
}

// deref is the value of an optional field, the zero value when absent.
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// TokenLifetime reads the default token lifetime a token endpoint's spec
// states: the default of expires_in (seconds) in its 200 response.
func TokenLifetime(op *openapi3.Operation) (time.Duration, error) {
	if r := op.Responses.Status(http.StatusOK); r != nil && r.Value != nil {
		if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			if p := mt.Schema.Value.Properties["expires_in"]; p != nil && p.Value != nil {
				if n, ok := p.Value.Default.(float64); ok && n > 0 && n == float64(int64(n)) {
					return time.Duration(n) * time.Second, nil
				}
			}
		}
	}
	return 0, errors.New("the spec states no default token lifetime (a positive whole default for expires_in in its token response)")
}
