package query

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
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

// ParseWhere compiles a where condition with the package's default limits
// (see Limits.ParseWhere).
func ParseWhere(c *dataapi.Condition, path string) (Expr, error) {
	return Limits{}.ParseWhere(c, path)
}

// ParseWhere compiles a where condition of the data API (nil matches every
// row) within l. Its shape is the spec's and the server validated it
// against the spec (tags, operators, the members of each branch, value
// types, text length, list length); what remains here is what no schema
// says: the nesting limit, which expression a right side is (its _type
// against its members), In against a constant list and no other operator
// against one, the list's bound for callers that did not validate, the
// refusal of a query expression, and CZQL text. path names the condition
// in errors ("where").
func (l Limits) ParseWhere(c *dataapi.Condition, path string) (Expr, error) {
	if c == nil {
		return True{}, nil
	}
	return l.parseWhere(c, path, 0)
}

func (l Limits) parseWhere(c *dataapi.Condition, path string, depth int) (Expr, error) {
	if m := l.maxDepth(); depth >= m {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("conditions are nested more than %d levels deep; the limit is %d", m, m)}
	}
	switch c.UnderscoreType {
	case "compare":
		return l.parseCompare(c, path)
	case "and", "or":
		list := c.And
		if c.UnderscoreType == "or" {
			list = c.Or
		}
		if list == nil {
			return nil, &Error{Path: path + "." + c.UnderscoreType, Msg: "is required (a list of conditions)"}
		}
		out := make([]Expr, 0, len(list))
		for i := range list {
			x, err := l.parseWhere(&list[i], path+"."+c.UnderscoreType+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		if c.UnderscoreType == "and" {
			return And(out), nil
		}
		return Or(out), nil
	case "not":
		if c.Not == nil {
			return nil, &Error{Path: path + ".not", Msg: "is required (the condition to negate)"}
		}
		x, err := l.parseWhere(c.Not, path+".not", depth+1)
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	case "cZQLCondition":
		if c.Text == nil {
			return nil, &Error{Path: path + ".text", Msg: "is required (CZQL condition text)"}
		}
		var params map[string]any
		if c.Parameters != nil {
			params = *c.Parameters
		}
		x, err := l.ParseCondition(*c.Text, params)
		if err != nil {
			return nil, &Error{Path: path + ".text", Msg: err.Error()}
		}
		setPath(x, path+".text")
		return x, nil
	}
	return nil, &Error{Path: path + "._type", Msg: fmt.Sprintf("%q is not one of compare, and, or, not, cZQLCondition", c.UnderscoreType)}
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

func (l Limits) parseCompare(x *dataapi.Condition, path string) (Expr, error) {
	left, right := x.LeftExpression, x.RightExpression
	if left == nil || left.FieldName == nil || *left.FieldName == "" {
		return nil, &Error{Path: path + ".leftExpression.fieldName", Msg: "is required"}
	}
	if right == nil {
		return nil, &Error{Path: path + ".rightExpression", Msg: "is required"}
	}
	var op string
	if x.Operator != nil {
		op = string(*x.Operator)
	}
	if !operators[op] {
		return nil, &Error{Path: path + ".operator", Msg: fmt.Sprintf("%q is not an operator: one of %s", op, operatorList)}
	}
	rpath := path + ".rightExpression"
	kind, err := expressionKind(right, rpath)
	if err != nil {
		return nil, err
	}
	c := &Compare{Field: *left.FieldName, Op: op, Path: path}
	switch kind {
	case queryExpression:
		return nil, &Error{Path: rpath + ".query", Msg: "a query expression (a sub-query on the right of In) is not supported by this API; send the values as a constant list {values: [...]}"}
	case dataapi.ExpressionTypeFieldExpression:
		if op == OpIn {
			return nil, &Error{Path: rpath, Msg: "In compares with a constant list {values: [...]}, not a field"}
		}
		c.RightField = *right.FieldName
		return c, nil
	case dataapi.ExpressionTypeConstantListExpression:
		list, lpath := right.Values, rpath+".values"
		if list == nil {
			list, lpath = right.Value.([]any), rpath+".value"
		}
		if op != OpIn {
			return nil, &Error{Path: lpath, Msg: op + " wants a single value (only In takes a constant list)"}
		}
		if msg := l.checkList(len(list)); msg != "" {
			return nil, &Error{Path: lpath, Msg: msg}
		}
		c.List = normaliseList(list)
		for i, x := range c.List {
			if !scalar(x) {
				return nil, &Error{Path: lpath + "[" + strconv.Itoa(i) + "]", Msg: "must be a string, number, boolean, null or an entity reference {id}"}
			}
		}
		return c, nil
	}
	if op == OpIn {
		return nil, &Error{Path: rpath + ".values", Msg: "In wants a constant list {values: [...]}"}
	}
	c.Value = normalise(right.Value)
	if !scalar(c.Value) {
		return nil, &Error{Path: rpath + ".value", Msg: "must be a string, number, boolean, null or an entity reference {id}"}
	}
	return c, nil
}

// queryExpression is the vendor's sub-query expression: not one of the
// spec's _type values (the validator refuses it), and refused here too for
// callers that parse unvalidated conditions.
const queryExpression dataapi.ExpressionType = "queryExpression"

// expressionKind tells which expression e is: the _type it names, which
// must agree with its members, or, without one, the first of fieldName,
// values (or a list value), value and query it holds.
func expressionKind(e *dataapi.Expression, path string) (dataapi.ExpressionType, error) {
	_, listValue := e.Value.([]any)
	has := map[dataapi.ExpressionType]bool{
		dataapi.ExpressionTypeFieldExpression:        e.FieldName != nil,
		dataapi.ExpressionTypeConstantListExpression: e.Values != nil || listValue,
		dataapi.ExpressionTypeConstantExpression:     e.Value != nil && !listValue,
		queryExpression:                              e.Query != nil,
	}
	if e.UnderscoreType != nil {
		t := *e.UnderscoreType
		member := map[dataapi.ExpressionType]string{
			dataapi.ExpressionTypeFieldExpression: "fieldName", dataapi.ExpressionTypeConstantListExpression: "values",
			dataapi.ExpressionTypeConstantExpression: "value", queryExpression: "query",
		}[t]
		if member == "" {
			return "", &Error{Path: path + "._type", Msg: fmt.Sprintf("%q is not one of fieldExpression, constantExpression, constantListExpression, queryExpression", t)}
		}
		// A constant expression's value may be null, which decodes as
		// absent: the member is not required.
		if !has[t] && t != dataapi.ExpressionTypeConstantExpression {
			return "", &Error{Path: path + "." + member, Msg: "is required by _type " + string(t)}
		}
		return t, nil
	}
	for _, t := range []dataapi.ExpressionType{dataapi.ExpressionTypeFieldExpression, dataapi.ExpressionTypeConstantListExpression, dataapi.ExpressionTypeConstantExpression, queryExpression} {
		if has[t] {
			return t, nil
		}
	}
	// {value: null}: the constant null.
	return dataapi.ExpressionTypeConstantExpression, nil
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
