package tenant

import (
	"strconv"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
)

// A paged query asks the same condition once a page: an export of 100,000
// changed rows in pages of 1000 evaluates its LastUpdatedOn range a hundred
// times, and every page of any export unions the user's shares again. The
// result cache keeps the set of slots a condition selected for a user, with
// the tenant version it was computed at, so the next page only walks to its
// start. An entry is used only while the version holds: every write lock
// (rows, shares, memberships, settings, a reset) moves the version on, so a
// page never reads a set older than the tenant.
//
// Bounds: resultCacheEntries sets per tenant, keys of at most
// resultKeyMax bytes, sets of at most resultSetMax bytes (a set over a
// million slots is 128 KiB at most, as a bitmap).
const (
	resultCacheEntries = 8
	resultKeyMax       = 4 << 10
	resultSetMax       = 1 << 20
)

type resultEntry struct {
	version uint64
	key     string
	set     *roaring.Bitmap // only read once cached
}

type resultCache struct {
	mu      sync.Mutex
	entries [resultCacheEntries]resultEntry
	next    int // the entry replaced next (the oldest)
}

// resultKey is the cache's key for a query of tb by user, or false when the
// query is not cached (its condition too long, or of a kind the key does
// not spell).
func resultKey(tb *table, user int64, idField string, where query.Expr) (string, bool) {
	b := make([]byte, 0, 128)
	b = append(b, tb.et.Name...)
	b = append(b, 0)
	b = append(b, idField...)
	b = append(b, 0)
	b = strconv.AppendInt(b, user, 10)
	b = append(b, 0)
	b, ok := query.AppendKey(b, where, resultKeyMax)
	if !ok {
		return "", false
	}
	return string(b), true
}

func (c *resultCache) get(version uint64, key string) *roaring.Bitmap {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.entries {
		if e := &c.entries[i]; e.version == version && e.key == key && e.set != nil {
			return e.set
		}
	}
	return nil
}

func (c *resultCache) put(version uint64, key string, set *roaring.Bitmap) {
	if set.GetSizeInBytes() > resultSetMax {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.entries {
		if e := &c.entries[i]; e.version != version || e.key == key {
			// A stale entry (or this key's) goes first.
			*e = resultEntry{version: version, key: key, set: set}
			return
		}
	}
	c.entries[c.next] = resultEntry{version: version, key: key, set: set}
	c.next = (c.next + 1) % resultCacheEntries
}
