package client

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

var pageSamples = []string{
	`{"entities":[{"id":"/Project/5","Billable":false,"Budget":250000,"Client":"Internal","DueDate":"2026-09-30T00:00:00Z","Owner":{"id":"/User/1001","Name":"Alice Admin"},"PercentComplete":35.5,"Tags":["a",1,null,{"x":[]}],"Note":null}],"paging":{"from":1,"limit":1000,"hasMore":true}}`,
	` { "Paging" : { "From" : 0 } , "Entities" : [ ] , "extra" : [1, 2e3, -0.5E-2] } `,
	`{"entities":[{"id":"/P/1","Name":"tab\t\"quoted\" \\ \/ \u00e9\ud83d\ude00 \ud800 x","K\u00e9y":"v"},{"Name":"no id"}],"paging":{}}`,
	"{\"entities\":[{\"id\":\"/P/1\",\"Name\":\"bad \xff utf8\"}]}",
	`{"entities":null,"paging":null}`,
	`{"entities":[{"id":"/P/1","id":"/P/2","a":1,"a":2}]}`,
}

func checkPage(t *testing.T, body []byte) {
	fast, ok := decodeEntityPage(body)
	var want dataapi.EntityQueryResult
	err := json.Unmarshal(body, &want)
	if !ok {
		return // the generated decoder answers
	}
	if err != nil {
		t.Fatalf("fast decoder accepted %q, encoding/json says %v", body, err)
	}
	if !reflect.DeepEqual(*fast, want) {
		t.Fatalf("decoding %q:\n fast %#v\n want %#v", body, *fast, want)
	}
}

func TestDecodeEntityPageMatchesEncodingJSON(t *testing.T) {
	for _, s := range pageSamples {
		if _, ok := decodeEntityPage([]byte(s)); !ok {
			t.Errorf("fast decoder refused %q", s)
		}
		checkPage(t, []byte(s))
	}
	for _, bad := range []string{`{"entities":[{"id":1}]}`, `{"entities":[}`, `{"paging":{"from":1.5}}`, `{} x`, `{"entities":[{"a":01}]}`} {
		if _, ok := decodeEntityPage([]byte(bad)); ok {
			t.Errorf("fast decoder accepted %q", bad)
		}
	}
}

// FuzzDecodeEntityPage: whatever the fast decoder accepts, it decodes as
// encoding/json and the generated types do.
//
//	go test -run '^$' -fuzz FuzzDecodeEntityPage -fuzztime 10s ./client
func FuzzDecodeEntityPage(f *testing.F) {
	for _, s := range pageSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkPage(t, body) })
}
