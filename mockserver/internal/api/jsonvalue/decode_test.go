package jsonvalue_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/jsonvalue"
)

type inner struct {
	N    *int    `json:"n,omitempty"`
	Name *string `json:"name,omitempty"`
}

type outer struct {
	TypeName string           `json:"typeName"`
	Fields   *[]string        `json:"fields,omitempty"`
	Inner    *inner           `json:"inner,omitempty"`
	List     []inner          `json:"list"`
	Any      interface{}      `json:"any,omitempty"`
	Params   *map[string]any  `json:"params,omitempty"`
	Raw      *json.RawMessage `json:"raw,omitempty"`
	Skipped  string           `json:"-"`
}

func decoded(t *testing.T, s string) any {
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

// A decoded body reads as encoding/json would decode its text, except that
// keys match exactly and whole numbers are clamped to an integer's range.
func TestDecode(t *testing.T) {
	var o outer
	require.NoError(t, jsonvalue.Decode(decoded(t, `{"typeName":"Project","TYPENAME":"Task","typename":"Task","fields":["a","b"],
		"inner":{"n":5.0,"name":"x"},"list":[{"n":1e30},{"n":-1e30}],"any":[1,"x",null],"params":{"P":{"id":"/P/1"}},"raw":{"a":1}}`), &o))
	assert.Equal(t, "Project", o.TypeName, "a key that differs in case is another key")
	assert.Equal(t, []string{"a", "b"}, *o.Fields)
	assert.Equal(t, 5, *o.Inner.N)
	assert.Equal(t, "x", *o.Inner.Name)
	assert.Equal(t, math.MaxInt, *o.List[0].N)
	assert.Equal(t, math.MinInt, *o.List[1].N)
	assert.Equal(t, []any{1.0, "x", nil}, o.Any)
	assert.Equal(t, map[string]any{"P": map[string]any{"id": "/P/1"}}, *o.Params)
	assert.JSONEq(t, `{"a":1}`, string(*o.Raw), "a json.Unmarshaler gets its part of the body")

	var none outer
	require.NoError(t, jsonvalue.Decode(decoded(t, `{"typeName":"P","inner":null}`), &none))
	assert.Nil(t, none.Inner)
	assert.Nil(t, none.Fields)
}

func TestDecodeErrorsNameThePath(t *testing.T) {
	for body, want := range map[string]string{
		`{"typeName":5}`:                         "typeName: a JSON number does not fit string",
		`{"typeName":"P","list":[{},{"n":1.5}]}`: "list[1].n: a JSON number does not fit int",
		`{"typeName":"P","fields":["a",{}]}`:     "fields[1]: a JSON object does not fit string",
		`[]`:                                     "a JSON array does not fit jsonvalue_test.outer",
	} {
		var o outer
		err := jsonvalue.Decode(decoded(t, body), &o)
		var je *jsonvalue.Error
		require.ErrorAs(t, err, &je, body)
		assert.Equal(t, want, je.Error(), body)
	}
	assert.Error(t, jsonvalue.Decode(map[string]any{}, outer{}), "not a pointer")
}
