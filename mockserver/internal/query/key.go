package query

import (
	"strconv"
)

// AppendKey appends a text that two conditions share exactly when they
// select the same rows by the same rules: the tree, fields, operators and
// values with their types. Where a condition was written (Pos, Path) is
// left out. It reports false, and stops, once b would grow past max bytes,
// or for a condition or a value of a type it does not know. Package
// tenant keys its result cache by it.
func AppendKey(b []byte, x Expr, max int) ([]byte, bool) {
	if len(b) > max {
		return b, false
	}
	ok := true
	switch e := x.(type) {
	case nil:
		b = append(b, '*')
	case True:
		b = append(b, 'T')
	case And:
		b, ok = appendKeys(append(b, "&("...), e, max)
	case Or:
		b, ok = appendKeys(append(b, "|("...), e, max)
	case Not:
		b, ok = AppendKey(append(b, "!("...), e.X, max)
		b = append(b, ')')
	case *Compare:
		b = append(b, 'c')
		b = strconv.AppendQuote(b, e.Field)
		b = strconv.AppendQuote(b, e.Op)
		b = strconv.AppendQuote(b, e.RightField)
		b, ok = appendKeyValue(b, e.Value)
		if ok && e.List != nil {
			b = append(b, '[')
			for _, v := range e.List {
				if b, ok = appendKeyValue(b, v); !ok || len(b) > max {
					ok = false
					break
				}
			}
			b = append(b, ']')
		}
	default:
		ok = false
	}
	return b, ok && len(b) <= max
}

func appendKeys(b []byte, xs []Expr, max int) ([]byte, bool) {
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = AppendKey(b, x, max); !ok {
			return b, false
		}
	}
	return append(b, ')'), true
}

func appendKeyValue(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, 'n'), true
	case string:
		return strconv.AppendQuote(append(b, 's'), v), true
	case float64:
		return strconv.AppendFloat(append(b, 'f'), v, 'g', -1, 64), true
	case bool:
		return strconv.AppendBool(append(b, 'b'), v), true
	}
	return b, false
}
