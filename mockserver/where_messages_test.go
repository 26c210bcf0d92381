package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A where condition with a known _type and a bad member is refused at the
// member, with the member's path; only an unknown _type is reported as
// one.
func TestWhereErrorsNameTheMemberAtFault(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, c := range []struct{ where, message string }{
		{`{"_type":"compare","leftExpression":{},"operator":"Equal","rightExpression":{"value":1}}`,
			"where.leftExpression.fieldName: the field is required"},
		{`{"_type":"compare","leftExpression":{"fieldName":"Name"},"operator":"Bogus","rightExpression":{"value":1}}`,
			"where.operator: value is not one of the allowed values"},
		{`{"_type":"and","and":[{"_type":"not","not":{"_type":"compare","leftExpression":{"fieldName":""},"operator":"Equal","rightExpression":{"value":1}}}]}`,
			"where.and[0].not.leftExpression.fieldName: "},
		{`{"_type":"Bogus"}`, `where._type: "Bogus" is not one of and, cZQLCondition, compare, not, or`},
	} {
		r := h.do(http.MethodPost, "/V2.0/services/data/entityQuery", `{"typeName":"Project","where":`+c.where+`}`, apiKey("demo-key-service")...)
		if assert.Equal(t, http.StatusBadRequest, r.status, c.where) {
			msg, _ := r.object(t)["message"].(string)
			assert.Contains(t, msg, c.message, c.where)
		}
	}
}
