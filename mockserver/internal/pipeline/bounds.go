package pipeline

// Hostile input is bounded before it costs anything: a request body's
// nesting is measured on its bytes before it is decoded, and the decoded
// body is checked against the limits its schema states (x-max-depth on a
// recursive schema, maxItems, maxLength) before schema validation, query
// parsing or planning. Every limit is read from the specs.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Extensions of the specs read here.
const (
	extMaxJSONDepth  = "x-max-json-depth"  // document: the nesting of any JSON request body
	extMaxJSONValues = "x-max-json-values" // document: the values any JSON request body holds
	ExtMaxDepth      = "x-max-depth"       // recursive schema: how deep it may nest
)

// extInt reads a whole-number extension.
func ExtInt(ext map[string]any, name string) (int, bool) {
	switch v := ext[name].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), v == float64(int(v))
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	case json.RawMessage:
		n, err := strconv.Atoi(string(v))
		return n, err == nil
	}
	return 0, false
}

// jsonLimits are a document's x-max-json-depth and x-max-json-values (0:
// none).
type jsonLimits struct{ depth, values int }

func jsonLimitsOf(doc *openapi3.T) jsonLimits {
	d, _ := ExtInt(doc.Extensions, extMaxJSONDepth)
	v, _ := ExtInt(doc.Extensions, extMaxJSONValues)
	return jsonLimits{depth: max(d, 0), values: max(v, 0)}
}

// check measures JSON text without decoding it, in one pass and with no
// allocation: nesting of objects and arrays, and values (array items and
// object members, counted by their separators). Text that is not JSON is
// left to the decoder.
func (l jsonLimits) check(b []byte) *Error {
	if l.depth <= 0 && l.values <= 0 {
		return nil
	}
	depth, values := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			values++
			if depth++; l.depth > 0 && depth > l.depth {
				return BadRequest("body", "the JSON body nests objects and arrays more than %d deep, the limit of this API", l.depth)
			}
		case ',':
			values++
		case '}', ']':
			depth--
		}
		if l.values > 0 && values > l.values {
			return BadRequest("body", "the JSON body holds more than %d values (array items and object members), the limit of this API", l.values)
		}
	}
	return nil
}

// tooLarge is the 413 for a body over the server's limit.
func TooLarge(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Kind: KindBadRequest,
		Msg: fmt.Sprintf("the request body is larger than the limit of %d bytes", limit)}
}

// checkBounds walks a decoded body with its schema and reports the first
// value over a limit the schema states: a recursive schema nested deeper
// than its x-max-depth, an array longer than maxItems, a string longer than
// maxLength. Each value is visited once, whatever oneOf, anyOf and allOf
// say about it, so the walk is linear in the body.
func checkBounds(schema *openapi3.Schema, v any) error {
	w := boundsWalk{depth: map[*openapi3.Schema]int{}}
	if e := w.walk(schema, v); e != nil {
		field := e.path.String()
		if field == "" {
			field = "body"
		}
		return BadRequest(field, "%s", e.msg)
	}
	return nil
}

type boundsWalk struct {
	depth map[*openapi3.Schema]int
}

type boundsError struct {
	path lazyPath
	msg  string
}

func (w *boundsWalk) walk(s *openapi3.Schema, v any) *boundsError {
	if s == nil {
		return nil
	}
	if limit, ok := ExtInt(s.Extensions, ExtMaxDepth); ok {
		w.depth[s]++
		defer func() { w.depth[s]-- }()
		if w.depth[s] > limit {
			return &boundsError{msg: fmt.Sprintf("is nested more than %d levels deep; the limit of this API is %d", limit, limit)}
		}
	}
	switch x := v.(type) {
	case string:
		if m := LimitOf(s, func(s *openapi3.Schema) *uint64 { return s.MaxLength }); m != nil && uint64(len(x)) > *m {
			if n := utf8.RuneCountInString(x); uint64(n) > *m {
				return &boundsError{msg: fmt.Sprintf("is %d characters long; the limit is %d", n, *m)}
			}
		}
	case []any:
		if m := LimitOf(s, func(s *openapi3.Schema) *uint64 { return s.MaxItems }); m != nil && uint64(len(x)) > *m {
			return &boundsError{msg: fmt.Sprintf("holds %d items; the limit is %d", len(x), *m)}
		}
		items := itemsOf(s)
		if items == nil {
			return nil
		}
		for i, e := range x {
			if err := w.walk(items, e); err != nil {
				err.path.pushIndex(i)
				return err
			}
		}
	case map[string]any:
		var keys []string
		for k := range x {
			if propertyOf(s, k) != nil {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := w.walk(propertyOf(s, k), x[k]); err != nil {
				err.path.push(k)
				return err
			}
		}
	}
	return nil
}

// eachBranch calls fn with the schemas that apply to a value with s: s,
// then its oneOf, anyOf and allOf members (one level; the specs do not nest
// them), until fn returns true.
func eachBranch(s *openapi3.Schema, fn func(*openapi3.Schema) bool) {
	if fn(s) {
		return
	}
	for _, list := range [...][]*openapi3.SchemaRef{s.OneOf, s.AnyOf, s.AllOf} {
		for _, r := range list {
			if r != nil && r.Value != nil && fn(r.Value) {
				return
			}
		}
	}
}

// limitOf returns the first limit any branch of s states.
func LimitOf(s *openapi3.Schema, get func(*openapi3.Schema) *uint64) (m *uint64) {
	eachBranch(s, func(b *openapi3.Schema) bool { m = get(b); return m != nil })
	return m
}

func itemsOf(s *openapi3.Schema) (items *openapi3.Schema) {
	eachBranch(s, func(b *openapi3.Schema) bool {
		if b.Items != nil && b.Items.Value != nil {
			items = b.Items.Value
		}
		return items != nil
	})
	return items
}

// propertyOf returns the schema of property k of an object of schema s: a
// declared property of any branch, else additionalProperties.
func propertyOf(s *openapi3.Schema, k string) (prop *openapi3.Schema) {
	eachBranch(s, func(b *openapi3.Schema) bool {
		if p := b.Properties[k]; p != nil && p.Value != nil {
			prop = p.Value
		}
		return prop != nil
	})
	if prop == nil {
		eachBranch(s, func(b *openapi3.Schema) bool {
			if ap := b.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
				prop = ap.Value
			}
			return prop != nil
		})
	}
	return prop
}
