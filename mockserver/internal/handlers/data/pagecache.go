package data

import (
	"strconv"
	"strings"
	"sync"

	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// pageCache keeps the encoded answers of a tenant's recent queries, each
// with the tenant version its page was read at (tenant.PageInfo.Version).
// An answer is served again only while the tenant is still at that
// version, so a write, a share, a membership or settings change or a reset
// is seen by the very next query. Only the query and its encoding are
// saved: every request is still routed, decided, validated, audited,
// counted and logged. An answer is kept only when its query comes a
// second time at the same version (an export's pages, each asked once,
// are never copied), and the cache is bounded in entries and bytes; an
// answer larger than maxCachedPage is never kept.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]*cachedPage
	order []string // keys, oldest first: the first to go
	bytes int
}

type cachedPage struct {
	version uint64
	body    []byte // nil: the query was seen once at version, not kept
	length  string // len(body), formatted once
}

const (
	// maxCachedKey bounds the query string and body a cached query may
	// have: keys are kept for every query seen, and a polling query is
	// short.
	maxCachedKey   = 4 << 10
	maxCachedPages = 64
	maxCachedBytes = 8 << 20
	maxCachedPage  = 256 << 10
)

// cacheable reports whether the request's answer may be cached: its query
// string and body together are at most maxCachedKey bytes.
func cacheable(rc *pipeline.Request) bool {
	return len(rc.R.URL.RawQuery)+len(rc.Body) <= maxCachedKey
}

// pageKey names a query answer: the operation, the effective user, and the
// request's query string and body as sent (the answer depends on nothing
// else but the tenant's state, which the version covers).
func pageKey(rc *pipeline.Request) string {
	var b strings.Builder
	b.Grow(len(rc.Route.Op.ID) + len(rc.R.URL.RawQuery) + len(rc.Body) + 24)
	b.WriteString(rc.Route.Op.ID)
	b.WriteByte(0)
	b.WriteString(strconv.FormatInt(rc.Verdict.Effective, 10))
	b.WriteByte(0)
	b.WriteString(rc.R.URL.RawQuery)
	b.WriteByte(0)
	b.Write(rc.Body)
	return b.String()
}

// get returns the answer kept for key if the tenant is still at the
// version it was read at.
func (c *pageCache) get(key string, version uint64) (*cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pages[key]
	if !ok || p.version != version || p.body == nil {
		return nil, false
	}
	return p, true
}

// put notes that key was answered with body at version, and keeps a copy
// of body when key was already answered at that version before.
func (c *pageCache) put(key string, version uint64, body []byte) {
	if len(body) > maxCachedPage {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil {
		c.pages = map[string]*cachedPage{}
	}
	p := &cachedPage{version: version}
	old, seen := c.pages[key]
	if seen && old.version == version {
		p.body, p.length = append([]byte(nil), body...), strconv.Itoa(len(body))
	}
	if seen {
		c.bytes -= len(old.body)
	} else {
		c.order = append(c.order, key)
	}
	c.pages[key] = p
	c.bytes += len(p.body)
	for len(c.order) > 0 && (len(c.pages) > maxCachedPages || c.bytes > maxCachedBytes) {
		k := c.order[0]
		c.order = c.order[1:]
		if old, ok := c.pages[k]; ok {
			c.bytes -= len(old.body)
			delete(c.pages, k)
		}
	}
}
