package mockserver

import (
	"bytes"
	"errors"
	"io"
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
		msg = re.Reason
		if hasSchema {
			msg = se.Reason
		} else if re.Err != nil {
			msg = strings.TrimSpace(msg + " " + re.Err.Error())
		}
		if msg == "" {
			msg = "is invalid"
		}
	case re.RequestBody != nil:
		if hasSchema {
			field = fieldPath(se.JSONPointer())
			msg = se.Reason
			if field == "" {
				field = "body"
			}
		} else {
			field = "body"
			msg = re.Reason
			if re.Err != nil {
				msg = strings.TrimSpace(msg + ": " + re.Err.Error())
			}
		}
	default:
		msg = re.Error()
	}
	return field, msg
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
