package tenant

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// parseFieldType reads a fixture field type: string, number, bool, date or
// ref:<Type>.
func parseFieldType(s string) (FieldType, error) {
	switch s {
	case KindString, KindNumber, KindBool, KindDate:
		return FieldType{Kind: s}, nil
	}
	if rt, ok := strings.CutPrefix(s, KindRef+":"); ok && rt != "" {
		return FieldType{Kind: KindRef, RefType: rt}, nil
	}
	return FieldType{}, fmt.Errorf("type %q is not one of string, number, bool, date, ref:<Type>", s)
}

// convertValue checks v against ft and returns the stored form: string,
// float64, bool, Ref, or nil. It accepts both decoded YAML and decoded JSON
// values; references may be written "/Type/n", {ref: "/Type/n"} or
// {id: "/Type/n"}.
func convertValue(ft FieldType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch ft.Kind {
	case KindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case KindNumber:
		switch n := v.(type) {
		case int:
			return float64(n), nil
		case int64:
			return float64(n), nil
		case uint64:
			return float64(n), nil
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return nil, fmt.Errorf("%v is not a finite number", n)
			}
			return n, nil
		case json.Number:
			f, err := n.Float64()
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", n)
			}
			return f, nil
		}
	case KindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case KindDate:
		switch d := v.(type) {
		case time.Time:
			return d.UTC().Format(time.RFC3339), nil
		case string:
			return parseDate(d)
		}
	case KindRef:
		var s string
		switch r := v.(type) {
		case string:
			s = r
		case Ref:
			s = r.String()
		case map[string]any:
			id, ok := r["ref"]
			if !ok {
				id = r["id"]
			}
			s, _ = id.(string)
		}
		if s == "" {
			return nil, fmt.Errorf("want a reference /%s/<id> (or {id: ...})", ft.RefType)
		}
		ref, err := ParseRef(s)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(ref.Type, ft.RefType) {
			return nil, fmt.Errorf("%s refers to a %s, want a %s", s, ref.Type, ft.RefType)
		}
		ref.Type = ft.RefType
		return ref, nil
	}
	return nil, fmt.Errorf("%v (%T) is not a %s", v, v, ft)
}

func parseDate(s string) (string, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339), nil
		}
	}
	return "", fmt.Errorf("%q is not a date (RFC 3339 or YYYY-MM-DD)", s)
}
