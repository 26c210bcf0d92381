// Package rowfilter builds filters for the relationship API's rows reads
// (the `query` of RelationshipService.Rows and QueryRows): the vendor's
// filter operations ($eq, $not, $contains, $startswith, $endswith, $gt,
// $gte, $lt, $lte, $between, $in, $nin, $or, $and), written as strict
// JSON, so that whatever the builder makes parses on the real service and
// on the mock alike.
//
//	f := rowfilter.And(
//		rowfilter.In("Stage", "Proposal", "Negotiation"),
//		rowfilter.Gte("Amount", 100000),
//	)
//	page, err := c.Relationship.QueryRows(ctx, "Deals", nil, relationshipapi.RowsQuery{Query: client.Ptr(f.String())})
//
// Values are strings, booleans, numbers and time.Time (written in RFC
// 3339), as the type parameter Value says; Null and NotNull test for no
// value. A number that JSON cannot hold (NaN, ±Inf) makes the filter
// invalid: Err and Text report it.
package rowfilter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Value is what a filter compares a field with.
type Value interface {
	~string | ~bool | ~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64 | time.Time
}

// Filter is a rows filter. The zero Filter matches every row.
type Filter struct {
	text string
	err  error
}

// String returns the filter's JSON text, "{}" for the zero Filter. For an
// invalid filter (see Err) it returns text that no server accepts (it
// starts with "!"), never a filter that would match other rows.
func (f Filter) String() string {
	if f.err != nil {
		return "!invalid rowfilter: " + f.err.Error()
	}
	if f.text == "" {
		return "{}"
	}
	return f.text
}

// Text returns the filter's JSON text, or why the filter is invalid.
func (f Filter) Text() (string, error) {
	if f.err != nil {
		return "", f.err
	}
	return f.String(), nil
}

// Err reports why the filter is invalid (nil when it is valid).
func (f Filter) Err() error { return f.err }

// Eq matches rows whose field equals v ({"field": v}). Text compares
// case-insensitively.
func Eq[V Value](field string, v V) Filter { return op(field, "", v) }

// Ne matches rows whose field does not equal v, rows without a value
// included ($not).
func Ne[V Value](field string, v V) Filter { return op(field, "$not", v) }

// Null matches rows without a value in field ({"field": null}).
func Null(field string) Filter { return Filter{text: "{" + quote(field) + ":null}"} }

// NotNull matches rows with a value in field ({"field": {"$not": null}}).
func NotNull(field string) Filter {
	return Filter{text: "{" + quote(field) + `:{"$not":null}}`}
}

// Contains matches rows whose text field contains s, ignoring case
// ($contains).
func Contains(field, s string) Filter { return op(field, "$contains", s) }

// StartsWith matches rows whose text field starts with s, ignoring case
// ($startswith).
func StartsWith(field, s string) Filter { return op(field, "$startswith", s) }

// EndsWith matches rows whose text field ends with s, ignoring case
// ($endswith).
func EndsWith(field, s string) Filter { return op(field, "$endswith", s) }

// Gt matches rows whose field is greater than v ($gt).
func Gt[V Value](field string, v V) Filter { return op(field, "$gt", v) }

// Gte matches rows whose field is at least v ($gte).
func Gte[V Value](field string, v V) Filter { return op(field, "$gte", v) }

// Lt matches rows whose field is less than v ($lt).
func Lt[V Value](field string, v V) Filter { return op(field, "$lt", v) }

// Lte matches rows whose field is at most v ($lte).
func Lte[V Value](field string, v V) Filter { return op(field, "$lte", v) }

// Between matches rows whose field is from lo to hi, both included
// ($between).
func Between[V Value](field string, lo, hi V) Filter { return list(field, "$between", []V{lo, hi}) }

// In matches rows whose field equals one of vs ($in); with no vs, no row.
func In[V Value](field string, vs ...V) Filter { return list(field, "$in", vs) }

// NotIn matches rows whose field equals none of vs, rows without a value
// included ($nin).
func NotIn[V Value](field string, vs ...V) Filter { return list(field, "$nin", vs) }

// And matches rows that every one of fs matches ($and); with none, every
// row.
func And(fs ...Filter) Filter {
	switch len(fs) {
	case 0:
		return Filter{}
	case 1:
		return fs[0]
	}
	return combine("$and", fs)
}

// Or matches rows that any one of fs matches ($or); with none, no row.
func Or(fs ...Filter) Filter { return combine("$or", fs) }

func combine(name string, fs []Filter) Filter {
	var b strings.Builder
	b.WriteString(`{"` + name + `":[`)
	for i, f := range fs {
		if f.err != nil {
			return Filter{err: f.err}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.String())
	}
	b.WriteString("]}")
	return Filter{text: b.String()}
}

// op writes {"field": v}, or {"field": {name: v}}.
func op[V Value](field, name string, v V) Filter {
	s, err := value(v)
	if err != nil {
		return Filter{err: fmt.Errorf("rowfilter: %s: %w", field, err)}
	}
	if name == "" {
		return Filter{text: "{" + quote(field) + ":" + s + "}"}
	}
	return Filter{text: "{" + quote(field) + `:{"` + name + `":` + s + "}}"}
}

// list writes {"field": {name: [vs...]}}.
func list[V Value](field, name string, vs []V) Filter {
	var b strings.Builder
	b.WriteString("{" + quote(field) + `:{"` + name + `":[`)
	for i, v := range vs {
		s, err := value(v)
		if err != nil {
			return Filter{err: fmt.Errorf("rowfilter: %s: %w", field, err)}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	b.WriteString("]}}")
	return Filter{text: b.String()}
}

// value writes v as JSON by its kind, so that a named type's own
// MarshalJSON cannot put anything but a string, number or boolean in the
// filter.
func value[V Value](v V) (string, error) {
	if t, ok := any(v).(time.Time); ok {
		return quote(t.Format(time.RFC3339Nano)), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return quote(rv.String()), nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("%v is not a number JSON can hold", f)
		}
		bits := 64
		if rv.Kind() == reflect.Float32 {
			bits = 32
		}
		return strconv.FormatFloat(f, 'g', -1, bits), nil
	}
	panic("rowfilter: unreachable kind " + rv.Kind().String())
}

// quote writes s as a JSON string (invalid UTF-8 becomes U+FFFD).
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
