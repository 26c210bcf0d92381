package query

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a semantic error in a query, located by a field path such as
// where.and[1].operator.
type Error struct {
	Path string
	Msg  string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// ParseWhere compiles a decoded JSON where condition (`_type` compare, and,
// or, not, cZQLCondition). path names the condition in errors ("where").
func ParseWhere(v any, path string) (Expr, error) {
	if v == nil {
		return True{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Path: path, Msg: "a condition is an object with _type"}
	}
	typ, _ := m["_type"].(string)
	switch strings.ToLower(typ) {
	case "compare":
		return parseCompare(m, path)
	case "and", "or":
		key := strings.ToLower(typ)
		list, ok := m[key].([]any)
		if !ok {
			return nil, &Error{Path: path + "." + key, Msg: "want a list of conditions"}
		}
		out := make([]Expr, 0, len(list))
		for i, c := range list {
			x, err := ParseWhere(c, path+"."+key+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		if key == "and" {
			return And(out), nil
		}
		return Or(out), nil
	case "not":
		x, err := ParseWhere(m["not"], path+".not")
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	case "czqlcondition":
		text, _ := m["text"].(string)
		params, _ := m["parameters"].(map[string]any)
		x, err := ParseCondition(text, params)
		if err != nil {
			return nil, &Error{Path: path + ".text", Msg: err.Error()}
		}
		return x, nil
	}
	return nil, &Error{Path: path + "._type", Msg: fmt.Sprintf("%q is not one of compare, and, or, not, cZQLCondition", typ)}
}

func parseCompare(m map[string]any, path string) (Expr, error) {
	left, _ := m["leftExpression"].(map[string]any)
	field, _ := left["fieldName"].(string)
	if field == "" {
		return nil, &Error{Path: path + ".leftExpression.fieldName", Msg: "is required"}
	}
	op, _ := m["operator"].(string)
	op = canonicalOp(op)
	if !operators[op] {
		return nil, &Error{Path: path + ".operator", Msg: fmt.Sprintf("%q is not a known operator", m["operator"])}
	}
	right, _ := m["rightExpression"].(map[string]any)
	if _, isField := right["fieldName"]; isField {
		return nil, &Error{Path: path + ".rightExpression", Msg: "comparing two fields is not supported by the mock; use a constant {value}"}
	}
	val, has := right["value"]
	if !has {
		return nil, &Error{Path: path + ".rightExpression.value", Msg: "is required"}
	}
	c := &Compare{Field: field, Op: op}
	if op == OpIn {
		list, ok := val.([]any)
		if !ok {
			return nil, &Error{Path: path + ".rightExpression.value", Msg: "In wants a list of values"}
		}
		c.List = normaliseList(list)
		return c, nil
	}
	if _, isList := val.([]any); isList {
		return nil, &Error{Path: path + ".rightExpression.value", Msg: op + " wants a single value"}
	}
	c.Value = normalise(val)
	return c, nil
}

func canonicalOp(op string) string {
	for k := range operators {
		if strings.EqualFold(k, op) {
			return k
		}
	}
	return op
}

// normalise turns JSON numbers of any Go type into float64 and reference
// objects {id} into their id.
func normalise(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case map[string]any:
		if id, ok := x["id"].(string); ok {
			return id
		}
	}
	return v
}

func normaliseList(l []any) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = normalise(v)
	}
	return out
}
