package mockserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver"
)

// cost serves one request to srv in-process reps times and returns the
// allocations and bytes allocated per request. It must not run in
// parallel with other tests (they would be counted).
func cost(t *testing.T, srv *mockserver.Server, path string, body []byte, reps int) (allocs, bytesPer uint64) {
	t.Helper()
	serve := func() {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Host = "127.0.0.1" // httptest names example.com, a host the mock does not answer for
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "ApiKey demo-key-service")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	serve()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range reps {
		serve()
	}
	runtime.ReadMemStats(&after)
	return (after.Mallocs - before.Mallocs) / uint64(reps), (after.TotalAlloc - before.TotalAlloc) / uint64(reps)
}

// The deepest where tree the spec accepts (16 levels) is validated once
// per level: its allocations grow with its depth, not 2^depth.
func TestDeepestAcceptedWhereTreeCostsLinearly(t *testing.T) {
	srv, err := mockserver.New()
	if err != nil {
		t.Fatal(err)
	}
	body := func(levels int) []byte {
		b, _ := json.Marshal(map[string]any{"typeName": "Project", "where": notTree(levels - 1)})
		return b
	}
	a8, _ := cost(t, srv, entityQuery, body(8), 20)
	a16, _ := cost(t, srv, entityQuery, body(16), 20)
	t.Logf("allocations: 8 levels %d, 16 levels %d", a8, a16)
	if a16 > 2*a8+500 {
		t.Fatalf("16 levels: %d allocations, 8 levels %d: more than linear", a16, a8)
	}
}

// A JSON body is decoded once: a body of small values costs what
// encoding/json takes to decode it (about 55 times its size, most of it
// the growth of the []any), not the decode, copy, re-encode and second
// decode it used to (about 120 times).
func TestLargeBodyIsDecodedOnce(t *testing.T) {
	srv, err := mockserver.New()
	if err != nil {
		t.Fatal(err)
	}
	list := make([]any, 150000)
	for i := range list {
		list[i] = i % 10
	}
	b, _ := json.Marshal(map[string]any{"TypeName": "Project", "Note": list, "fields": []string{"Name"}})
	if len(b) > 1<<20 || !strings.HasPrefix(string(b), "{") {
		t.Fatalf("body of %d bytes", len(b))
	}
	_, per := cost(t, srv, entityQuery, b, 5)
	t.Logf("%d-byte body: %d bytes allocated per request (%.1fx)", len(b), per, float64(per)/float64(len(b)))
	if per > 80*uint64(len(b)) {
		t.Fatalf("a %d-byte body allocated %d bytes per request (%.1fx its size)", len(b), per, float64(per)/float64(len(b)))
	}
}
