package credentials

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/credentialsapi"
)

func ptr[T any](v T) *T { return &v }

// appendErrorBody writes the bytes encoding/json writes for the model.
func TestAppendErrorBodyMatchesEncodingJSON(t *testing.T) {
	for _, e := range []credentialsapi.ErrorBody{
		{},
		{Code: "authentication.required", Message: "the request carries no credential", Status: 401,
			ContextId: ptr("c06de430-940a-43eb-85ad-2768ae5956ef"), Details: &[]credentialsapi.ErrorDetail{}},
		{Code: "missing.scopes", Message: "needs <scope> & \"more\"\n\t\u2028 é \xff\x01", Status: 403, ContextId: ptr(""),
			Details:       &[]credentialsapi.ErrorDetail{{}, {ErrorCode: ptr("invalid.value"), FieldName: ptr("name")}, {EntityId: ptr("1"), EntityName: ptr("x")}},
			MessageParams: &map[string]string{"scopes": "a b", "permissions": "c, d", "": "<>"}, MessageWithParams: ptr("Missing {scopes}")},
		{Code: "c", MessageParams: &map[string]string{}},
		{Code: "c", EntityId: ptr("e"), Errors: &[]credentialsapi.ErrorBody{{Code: "inner"}}},
	} {
		want, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendErrorBody(nil, &e); string(got) != string(want) {
			t.Errorf("appendErrorBody:\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzAppendErrorBody(f *testing.F) {
	f.Add("missing.scopes", "needs <a> & \u2028", "ctx", "field", "scopes", "a b", 403)
	f.Fuzz(func(t *testing.T, code, msg, ctx, field, key, val string, status int) {
		e := credentialsapi.ErrorBody{Code: code, Message: msg, Status: status, ContextId: &ctx,
			Details:       &[]credentialsapi.ErrorDetail{{ErrorCode: &code, FieldName: &field}},
			MessageParams: &map[string]string{key: val, val: key}, MessageWithParams: &msg}
		want, _ := json.Marshal(&e)
		if got := appendErrorBody(nil, &e); string(got) != string(want) {
			t.Errorf("appendErrorBody:\n got %s\nwant %s", got, want)
		}
	})
}

// appendErrorBody knows every field of the generated model: a field the
// spec adds must be written by it too (or it falls back to encoding/json).
func TestAppendErrorBodyKnowsEveryField(t *testing.T) {
	known := map[reflect.Type][]string{
		reflect.TypeFor[credentialsapi.ErrorBody](): {"Code", "ContextId", "Details", "EntityId", "EntityName", "Errors", "Limit",
			"Message", "MessageParams", "MessageWithParams", "Status"},
		reflect.TypeFor[credentialsapi.ErrorDetail](): {"EntityId", "EntityName", "ErrorCode", "FieldName"},
	}
	for typ, want := range known {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %v; appendErrorBody writes %v", typ, got, want)
		}
	}
}
