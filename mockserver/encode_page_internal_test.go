package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	// The SDK's model, whose optional members are pointers: a member the
	// encoder left out would read as nil.
	"github.com/tenantkit/tenantkit/client/dataapi"
)

// The entity page is the one data API response not encoded from its
// generated model: what the encoder writes is a dataapi.EntityQueryResult
// (the SDK's, generated from the same spec), every member of it, and the
// same JSON as the model encodes.
func TestEntityPageIsTheGeneratedModel(t *testing.T) {
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"typeName":"Project","paging":{"limit":2}}`,
		`{"typeName":"Project","fields":["Name","Owner","Owner.Email"],"paging":{"from":1}}`,
		`{"typeName":"Project","paging":{"from":1000}}`,
	} {
		req := httptest.NewRequest(http.MethodPost, "/V2.0/services/data/entityQuery", strings.NewReader(body))
		req.Host = "127.0.0.1"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "ApiKey demo-key-service")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
		dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
		dec.DisallowUnknownFields()
		var page dataapi.EntityQueryResult
		if err := dec.Decode(&page); err != nil {
			t.Fatalf("%s: the page is not a dataapi.EntityQueryResult: %v\n%s", body, err, w.Body)
		}
		if page.Paging.From == nil || page.Paging.Limit == nil || page.Paging.HasMore == nil {
			t.Errorf("%s: paging lacks a member: %s", body, w.Body)
		}
		again, err := json.Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		_ = json.Unmarshal(w.Body.Bytes(), &a)
		_ = json.Unmarshal(again, &b)
		if !jsonEqual(a, b) {
			t.Errorf("%s: the model encodes\n%s\nthe encoder wrote\n%s", body, again, w.Body)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a) // maps encode with sorted keys
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
