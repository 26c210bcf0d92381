package data

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// An answer is kept only when its query comes again at the same version,
// served only at that version; the cache holds at most maxCachedPages
// queries and maxCachedBytes, oldest out first, and never an answer over
// maxCachedPage.
func TestPageCacheBounds(t *testing.T) {
	var c pageCache
	twice := func(key string, version uint64, body []byte) {
		c.put(key, version, body)
		c.put(key, version, body)
	}
	c.put("a", 7, []byte("A"))
	if _, ok := c.get("a", 7); ok {
		t.Fatal("an answer asked for once was kept")
	}
	c.put("a", 7, []byte("A"))
	if p, ok := c.get("a", 7); !ok || string(p.body) != "A" || p.length != "1" {
		t.Fatalf("get a@7 after a repeat: %v %v", p, ok)
	}
	if _, ok := c.get("a", 8); ok {
		t.Error("an answer read at version 7 was served at version 8")
	}
	c.put("a", 8, []byte("AA")) // a new version: seen once again
	if _, ok := c.get("a", 8); ok || c.bytes != 0 {
		t.Errorf("the answer at a new version was kept at its first sight (%d bytes)", c.bytes)
	}
	for i := range maxCachedPages + 10 {
		twice(fmt.Sprint("k", i), 1, []byte("x"))
	}
	if len(c.pages) != maxCachedPages || len(c.order) != maxCachedPages {
		t.Errorf("%d pages, %d keys kept; want %d", len(c.pages), len(c.order), maxCachedPages)
	}
	if _, ok := c.get("k0", 1); ok {
		t.Error("the oldest answer was kept")
	}
	if _, ok := c.get(fmt.Sprint("k", maxCachedPages+9), 1); !ok {
		t.Error("the newest answer was dropped")
	}
	big := bytes.Repeat([]byte("b"), maxCachedPage)
	for i := range maxCachedBytes/maxCachedPage + 2 {
		twice(fmt.Sprint("big", i), 1, big)
	}
	if c.bytes > maxCachedBytes {
		t.Errorf("%d bytes kept, over %d", c.bytes, maxCachedBytes)
	}
	twice("huge", 1, append(big, 'x'))
	if _, ok := c.get("huge", 1); ok {
		t.Error("an answer over maxCachedPage was kept")
	}
	// A kept answer is a copy: the caller's buffer goes back to its pool.
	buf := []byte("mutable")
	twice("copy", 1, buf)
	buf[0] = 'X'
	if p, _ := c.get("copy", 1); string(p.body) != "mutable" {
		t.Errorf("the cache kept the caller's buffer: %q", p.body)
	}
}

// A query whose string and body exceed maxCachedKey is never cached: the
// cache keeps a key for every query it has seen, so keys stay small.
func TestLongQueriesAreNotCached(t *testing.T) {
	// An entity query as the pipeline leaves it: routed, body read.
	prepared := func() *pipeline.Request {
		body := `{"typeName":"Project","paging":{"limit":1000}}`
		return &pipeline.Request{R: httptest.NewRequest(http.MethodPost, "/V2.0/services/data/entityQuery", strings.NewReader(body)),
			Body: []byte(body)}
	}
	long := prepared()
	long.Body = bytes.Repeat([]byte(" "), maxCachedKey+1)
	short := prepared()
	if cacheable(long) || !cacheable(short) {
		t.Errorf("cacheable: %d-byte body %v, %d-byte body %v", len(long.Body), cacheable(long), len(short.Body), cacheable(short))
	}
}
