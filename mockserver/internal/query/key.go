package query

import (
	"strconv"
)

// AppendKey appends a text that two conditions share exactly when they
// select the same rows by the same rules: the tree, fields, operators and
// values with their types. Where a condition was written (Pos, Path) is
// left out. It reports false, for a condition or a value of a type it
// does not know, when it cannot write such a text. Package tenant keys
// its result cache by it.
func AppendKey(b []byte, x Expr) ([]byte, bool) {
	ok := true
	switch e := x.(type) {
	case nil:
		b = append(b, '*')
	case True:
		b = append(b, 'T')
	case And:
		b, ok = appendKeys(append(b, "&("...), e)
	case Or:
		b, ok = appendKeys(append(b, "|("...), e)
	case Not:
		b, ok = AppendKey(append(b, "!("...), e.X)
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
				if b, ok = appendKeyValue(b, v); !ok {
					break
				}
			}
			b = append(b, ']')
		}
	default:
		ok = false
	}
	return b, ok
}

func appendKeys(b []byte, xs []Expr) ([]byte, bool) {
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = AppendKey(b, x); !ok {
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
