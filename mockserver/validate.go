package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// validate checks the request's parameters and body against its operation
// in the spec. Authentication is the pipeline's job, so the validator's
// security check is a no-op.
func (s *Server) validate(rc *reqCtx) error {
	r := rc.r
	r.Body = io.NopCloser(bytes.NewReader(rc.body))
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: rc.params,
		Route:      rc.kroute,
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
		},
	}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	r.Body = io.NopCloser(bytes.NewReader(rc.body))
	if err != nil {
		field, msg := describeValidation(err)
		return badRequest(field, "%s", msg)
	}
	return nil
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
// typeName), recursively, except inside "parameters" and "value", whose
// keys and contents are the caller's data. It reports whether any key
// changed.
func camelKeys(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		changed := false
		out := make(map[string]any, len(x))
		for k, val := range x {
			ck := lowerFirst(k)
			changed = changed || ck != k
			if ck == "parameters" || ck == "value" {
				out[ck] = val
				continue
			}
			cv, c := camelKeys(val)
			out[ck] = cv
			changed = changed || c
		}
		return out, changed
	case []any:
		changed := false
		for i := range x {
			var c bool
			x[i], c = camelKeys(x[i])
			changed = changed || c
		}
		return x, changed
	}
	return v, false
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
