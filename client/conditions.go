package client

import (
	"fmt"
	"reflect"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

// Compare builds the where condition "field op value" for an entity query,
// e.g. Compare("State", dataapi.Equal, "Active"). For dataapi.In, value is a
// slice, sent as the vendor's constant list {values: [...]} (see In). It
// panics if value cannot be encoded as JSON (a programming error, like
// regexp.MustCompile).
func Compare(field string, op dataapi.Operator, value any) dataapi.Condition {
	if op == dataapi.In {
		if rv := reflect.ValueOf(value); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			list := make([]any, rv.Len())
			for i := range list {
				list[i] = rv.Index(i).Interface()
			}
			return In(field, list...)
		}
	}
	return CompareExpr(dataapi.Expression{FieldName: ptr(field)}, op, dataapi.Expression{Value: value})
}

// In builds the where condition "field In (values...)": a constant list
// expression {values: [...]}, as the vendor documents it. No values match no
// row. The mock takes at most 1000 values.
func In(field string, values ...any) dataapi.Condition {
	if values == nil {
		values = []any{}
	}
	vs := []dataapi.Constant(values)
	return CompareExpr(dataapi.Expression{FieldName: ptr(field)}, dataapi.In, dataapi.Expression{Values: &vs})
}

// CompareFields builds the where condition "left op right" between two fields.
func CompareFields(left string, op dataapi.Operator, right string) dataapi.Condition {
	return CompareExpr(dataapi.Expression{FieldName: ptr(left)}, op, dataapi.Expression{FieldName: ptr(right)})
}

// CompareExpr builds a compare condition from two expressions.
func CompareExpr(left dataapi.Expression, op dataapi.Operator, right dataapi.Expression) dataapi.Condition {
	var c dataapi.Condition
	must(c.FromCompareCondition(dataapi.CompareCondition{LeftExpression: left, Operator: op, RightExpression: right}))
	return c
}

// And builds a condition that holds when every one of conds holds.
func And(conds ...dataapi.Condition) dataapi.Condition {
	var c dataapi.Condition
	must(c.FromAndCondition(dataapi.AndCondition{And: nonNil(conds)}))
	return c
}

// Or builds a condition that holds when any one of conds holds.
func Or(conds ...dataapi.Condition) dataapi.Condition {
	var c dataapi.Condition
	must(c.FromOrCondition(dataapi.OrCondition{Or: nonNil(conds)}))
	return c
}

// Not negates a condition.
func Not(cond dataapi.Condition) dataapi.Condition {
	var c dataapi.Condition
	must(c.FromNotCondition(dataapi.NotCondition{Not: cond}))
	return c
}

// CZQL builds a condition from CZQL text such as "Name LIKE :name", with
// named parameters (params may be nil).
func CZQL(text string, params map[string]any) dataapi.Condition {
	cz := dataapi.CZQLCondition{Text: text}
	if params != nil {
		p := dataapi.QueryParameters(params)
		cz.Parameters = &p
	}
	var c dataapi.Condition
	must(c.FromCZQLCondition(cz))
	return c
}

// Where returns a pointer to cond, for EntityQueryRequest.Where.
func Where(cond dataapi.Condition) *dataapi.Condition { return &cond }

// nonNil makes an empty list encode as [] rather than null.
func nonNil(conds []dataapi.Condition) []dataapi.Condition {
	if conds == nil {
		return []dataapi.Condition{}
	}
	return conds
}

func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("tenantkit: condition cannot be encoded: %v", err))
	}
}
