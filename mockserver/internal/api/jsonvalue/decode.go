// Package jsonvalue assigns a decoded JSON value (what encoding/json
// decodes into an any: map[string]any, []any, string, float64, bool, nil)
// to a generated model, so a request body decoded and validated once is
// read by its handler as the spec's type, not through type assertions.
//
// Object keys are matched to the json tag of a field exactly, unlike
// encoding/json, which also takes a key that differs in case: the value a
// handler reads is then the value the validator checked under that key.
package jsonvalue

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Decode assigns v to the value dst points to. Whole numbers go to integer
// fields, clamped to the field's range; a type that decodes itself
// (json.Unmarshaler, such as a generated union) gets v encoded again, which
// costs only the part of the body it holds.
func Decode(v any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("jsonvalue: Decode needs a non-nil pointer, got %T", dst)
	}
	if err := assign(v, rv.Elem()); err != nil {
		slices.Reverse(err.keys)
		var b strings.Builder
		for _, k := range err.keys {
			if !strings.HasPrefix(k, "[") && b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		}
		err.Path = b.String()
		return err
	}
	return nil
}

// Error names the field path of a value that does not fit its field.
type Error struct {
	Path string
	Msg  string
	keys []string // the path from the inside out, as the error returns
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// assign is Decode at one value; the path is added as an error returns, so
// values that fit cost none.
func assign(v any, dst reflect.Value) *Error {
	if dst.CanAddr() && dst.Addr().Type().Implements(unmarshalerType) {
		b, err := json.Marshal(v)
		if err != nil {
			return &Error{Msg: err.Error()}
		}
		if err := dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b); err != nil {
			return &Error{Msg: err.Error()}
		}
		return nil
	}
	if v == nil {
		dst.SetZero()
		return nil
	}
	switch dst.Kind() {
	case reflect.Interface:
		if dst.NumMethod() == 0 {
			dst.Set(reflect.ValueOf(v))
			return nil
		}
	case reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := assign(v, p.Elem()); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case reflect.String:
		if s, ok := v.(string); ok {
			dst.SetString(s)
			return nil
		}
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			dst.SetBool(b)
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f, ok := v.(float64); ok && f == math.Trunc(f) {
			dst.SetInt(saturate(f, dst.Type().Bits()))
			return nil
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := v.(float64); ok {
			dst.SetFloat(f)
			return nil
		}
	case reflect.Slice:
		if list, ok := v.([]any); ok {
			if len(list) == 0 {
				dst.Set(reflect.MakeSlice(dst.Type(), 0, 0)) // present: empty, not nil
				return nil
			}
			// Grown in place: MakeSlice would box a slice header too.
			dst.SetZero()
			dst.Grow(len(list))
			dst.SetLen(len(list))
			for i, x := range list {
				if err := assign(x, dst.Index(i)); err != nil {
					err.keys = append(err.keys, "["+strconv.Itoa(i)+"]")
					return err
				}
			}
			return nil
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok && dst.Type().Key().Kind() == reflect.String {
			if e := dst.Type().Elem(); e.Kind() == reflect.Interface && e.NumMethod() == 0 {
				dst.Set(reflect.ValueOf(m).Convert(dst.Type())) // the caller's data, as decoded: shared, not copied
				return nil
			}
			out := reflect.MakeMapWithSize(dst.Type(), len(m))
			for k, x := range m {
				e := reflect.New(dst.Type().Elem()).Elem()
				if err := assign(x, e); err != nil {
					err.keys = append(err.keys, k)
					return err
				}
				out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), e)
			}
			dst.Set(out)
			return nil
		}
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok {
			for _, f := range fieldsOf(dst.Type()) {
				x, has := m[f.name]
				if !has {
					continue
				}
				if err := assign(x, dst.Field(f.index)); err != nil {
					err.keys = append(err.keys, f.name)
					return err
				}
			}
			return nil
		}
	}
	return &Error{Msg: fmt.Sprintf("a JSON %s does not fit %s", kindOf(v), dst.Type())}
}

// saturate converts a whole number to a signed integer of the given size,
// clamping it to the type's range: a whole number is valid wherever the
// spec says integer, however large, and a position or count beyond the
// range is beyond every row too.
func saturate(f float64, bits int) int64 {
	top := int64(uint64(1)<<(bits-1) - 1)  // the largest value
	hi := float64(uint64(1) << (bits - 1)) // 2^(bits-1), exact in a float64
	switch {
	case f >= hi:
		return top
	case f < -hi:
		return -top - 1
	}
	return int64(f)
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

type field struct {
	name  string
	index int
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists a struct's fields that have a json name.
func fieldsOf(t reflect.Type) []field {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]field)
	}
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		out = append(out, field{name: name, index: i})
	}
	v, _ := fieldCache.LoadOrStore(t, out)
	return v.([]field)
}
