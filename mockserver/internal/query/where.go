package query

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Error is a semantic error in a query, located by a field path such as
// where.and[1].operator, by a 1-based position in CZQL text, or both.
type Error struct {
	Path string
	Pos  int
	Msg  string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	if e.Pos > 0 {
		b.WriteString("at position " + strconv.Itoa(e.Pos) + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ParseWhere compiles a decoded JSON where condition: `_type` compare, and,
// or, not, cZQLCondition (the tag is matched case-insensitively, and
// inferred from the keys when absent, as some clients omit it). path names
// the condition in errors ("where").
func ParseWhere(v any, path string) (Expr, error) {
	return parseWhere(v, path, 0)
}

func parseWhere(v any, path string, depth int) (Expr, error) {
	if v == nil {
		return True{}, nil
	}
	if l := CurrentLimits(); depth >= l.MaxDepth {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("conditions are nested more than %d levels deep; the limit is %d", l.MaxDepth, l.MaxDepth)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Path: path, Msg: "a condition is an object with _type (compare, and, or, not, cZQLCondition)"}
	}
	typ, has := m["_type"]
	name, isString := typ.(string)
	if has && !isString {
		return nil, &Error{Path: path + "._type", Msg: "must be a string"}
	}
	if !has {
		name = inferType(m)
	}
	switch strings.ToLower(name) {
	case "compare":
		return parseCompare(m, path)
	case "and", "or":
		key := strings.ToLower(name)
		list, ok := m[key].([]any)
		if !ok {
			return nil, &Error{Path: path + "." + key, Msg: "want a list of conditions"}
		}
		out := make([]Expr, 0, len(list))
		for i, c := range list {
			x, err := parseWhere(c, path+"."+key+"["+strconv.Itoa(i)+"]", depth+1)
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
		if m["not"] == nil {
			return nil, &Error{Path: path + ".not", Msg: "is required (the condition to negate)"}
		}
		x, err := parseWhere(m["not"], path+".not", depth+1)
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	case "czqlcondition":
		text, ok := m["text"].(string)
		if !ok {
			return nil, &Error{Path: path + ".text", Msg: "is required (CZQL condition text)"}
		}
		params, _ := m["parameters"].(map[string]any)
		if p, has := m["parameters"]; has && p != nil && params == nil {
			return nil, &Error{Path: path + ".parameters", Msg: "must be an object of named values"}
		}
		x, err := ParseCondition(text, params)
		if err != nil {
			return nil, &Error{Path: path + ".text", Msg: err.Error()}
		}
		setPath(x, path+".text")
		return x, nil
	case "":
		return nil, &Error{Path: path + "._type", Msg: "is required: one of compare, and, or, not, cZQLCondition"}
	}
	return nil, &Error{Path: path + "._type", Msg: fmt.Sprintf("%q is not one of compare, and, or, not, cZQLCondition", name)}
}

// inferType guesses the tag of an untagged condition from its keys.
func inferType(m map[string]any) string {
	for _, k := range []string{"leftExpression", "and", "or", "not", "text"} {
		if _, ok := m[k]; ok {
			switch k {
			case "leftExpression":
				return "compare"
			case "text":
				return "cZQLCondition"
			}
			return k
		}
	}
	return ""
}

// setPath records the JSON path of CZQL conditions embedded in JSON.
func setPath(x Expr, path string) {
	switch e := x.(type) {
	case *Compare:
		e.Path = path
	case And:
		for _, y := range e {
			setPath(y, path)
		}
	case Or:
		for _, y := range e {
			setPath(y, path)
		}
	case Not:
		setPath(e.X, path)
	}
}

func parseCompare(m map[string]any, path string) (Expr, error) {
	left, ok := m["leftExpression"].(map[string]any)
	if !ok {
		return nil, &Error{Path: path + ".leftExpression", Msg: "is required: a field expression {fieldName}"}
	}
	field, _ := left["fieldName"].(string)
	if field == "" {
		if _, isConst := left["value"]; isConst {
			return nil, &Error{Path: path + ".leftExpression", Msg: "must be a field expression {fieldName}; put the constant on the right"}
		}
		return nil, &Error{Path: path + ".leftExpression.fieldName", Msg: "is required"}
	}
	rawOp, _ := m["operator"].(string)
	op := canonicalOp(rawOp)
	if !operators[op] {
		if rawOp == "" {
			return nil, &Error{Path: path + ".operator", Msg: "is required: one of " + operatorList}
		}
		return nil, &Error{Path: path + ".operator", Msg: fmt.Sprintf("%q is not an operator: one of %s", rawOp, operatorList)}
	}
	right, ok := m["rightExpression"].(map[string]any)
	if !ok {
		return nil, &Error{Path: path + ".rightExpression", Msg: "is required: {value}, {value: [...]} or {fieldName}"}
	}
	c := &Compare{Field: field, Op: op, Path: path}
	if rf, isField := right["fieldName"]; isField {
		name, _ := rf.(string)
		if name == "" {
			return nil, &Error{Path: path + ".rightExpression.fieldName", Msg: "must be a field name"}
		}
		if op == OpIn {
			return nil, &Error{Path: path + ".rightExpression", Msg: "In compares with a constant list {value: [...]}, not a field"}
		}
		c.RightField = name
		return c, nil
	}
	if _, isQuery := right["query"]; isQuery {
		return nil, &Error{Path: path + ".rightExpression", Msg: "sub-queries (queryExpression) are not supported by the mock"}
	}
	val, has := right["value"]
	if !has {
		return nil, &Error{Path: path + ".rightExpression.value", Msg: "is required"}
	}
	if op == OpIn {
		list, ok := val.([]any)
		if !ok {
			return nil, &Error{Path: path + ".rightExpression.value", Msg: "In wants a list of values"}
		}
		c.List = normaliseList(list)
		for i, x := range c.List {
			if !scalar(x) {
				return nil, &Error{Path: path + ".rightExpression.value[" + strconv.Itoa(i) + "]", Msg: "must be a string, number, boolean or null"}
			}
			if err := checkText(x); err != "" {
				return nil, &Error{Path: path + ".rightExpression.value[" + strconv.Itoa(i) + "]", Msg: err}
			}
		}
		return c, nil
	}
	if _, isList := val.([]any); isList {
		return nil, &Error{Path: path + ".rightExpression.value", Msg: op + " wants a single value (only In takes a list)"}
	}
	c.Value = normalise(val)
	if !scalar(c.Value) {
		return nil, &Error{Path: path + ".rightExpression.value", Msg: "must be a string, number, boolean or null"}
	}
	if err := checkText(c.Value); err != "" {
		return nil, &Error{Path: path + ".rightExpression.value", Msg: err}
	}
	return c, nil
}

// scalar reports whether v is a constant the engine can compare with.
func scalar(v any) bool {
	switch v.(type) {
	case nil, string, float64, bool:
		return true
	}
	return false
}

var operatorList = strings.Join([]string{OpEqual, OpNotEqual, OpLessThan, OpGreaterThan, OpLessThanOrEqual,
	OpGreaterThanOrEqual, OpBeginsWith, OpEndsWith, OpContains, OpDoesNotContain, OpIn, OpLike}, ", ")

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
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	case map[string]any:
		if id, ok := x["id"].(string); ok {
			return id
		}
		if id, ok := x["id"].(float64); ok {
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
