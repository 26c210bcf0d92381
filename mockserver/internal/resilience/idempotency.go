package resilience

import (
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// IdempotencyKeyHeader marks a write the client may send more than once: the
// mock performs the first request with a given key and answers every repeat
// (same caller, same operation, same request) with the first answer.
const IdempotencyKeyHeader = "Idempotency-Key"

// IdempotentReplayedHeader is set on an answer repeated from an earlier
// request with the same Idempotency-Key.
const IdempotentReplayedHeader = "Idempotent-Replayed"

// Bounds of a tenant's idempotency records.
const (
	maxIdempotencyRecords = 10000
	idempotencyTTL        = 24 * time.Hour
)

// idempotencyStore remembers the answers of writes sent with an
// Idempotency-Key, per tenant (a reset replaces the store, State).
// Only successful answers are kept: a write that failed may be sent again
// with the same key and is performed then.
type idempotencyStore struct {
	mu      sync.Mutex
	records map[string]*idemRecord
	order   []idemEntry // records in the order they began, oldest first, for eviction
}

// idemEntry is a record in the eviction order. The entry is stale when its
// scope now holds another record (or none), and is then dropped.
type idemEntry struct {
	scope string
	rec   *idemRecord
}

type idemRecord struct {
	op      string
	request [32]byte // hash of method, path, query and body
	created time.Time
	done    chan struct{} // closed when the first request has finished

	ok     bool // the first request succeeded and its answer is kept
	status int
	header http.Header
	body   []byte
	target string
}

// begin returns the record for scope, and whether the caller is the first
// to use it (and must run the request and call finish).
func (st *idempotencyStore) begin(scope, op string, request [32]byte, now time.Time) (*idemRecord, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.records == nil {
		st.records = map[string]*idemRecord{}
	}
	if rec, ok := st.records[scope]; ok && now.Sub(rec.created) < idempotencyTTL {
		return rec, false
	}
	st.evict(now)
	rec := &idemRecord{op: op, request: request, created: now, done: make(chan struct{})}
	st.records[scope] = rec
	st.order = append(st.order, idemEntry{scope, rec})
	return rec, true
}

// evict drops expired records and, at capacity, the oldest ones, and keeps
// the eviction order at most twice the records' number; the caller holds
// st.mu.
func (st *idempotencyStore) evict(now time.Time) {
	for len(st.order) > 0 {
		e := st.order[0]
		current := st.records[e.scope] == e.rec
		if current && len(st.records) < maxIdempotencyRecords && now.Sub(e.rec.created) < idempotencyTTL {
			break
		}
		if current {
			delete(st.records, e.scope)
		}
		st.order = st.order[1:]
	}
	if len(st.order) > 2*len(st.records)+64 { // failed writes left stale entries behind a live one
		st.order = slices.DeleteFunc(st.order, func(e idemEntry) bool { return st.records[e.scope] != e.rec })
	}
}

// finish stores the first request's answer, or forgets the record when the
// request failed, and wakes requests waiting for it.
func (st *idempotencyStore) finish(scope string, rec *idemRecord, buf *bufferedWriter, target string) {
	st.mu.Lock()
	if buf.status >= 200 && buf.status <= 299 {
		rec.ok, rec.status, rec.body, rec.target = true, buf.status, buf.body.Bytes(), target
		rec.header = http.Header{}
		for _, k := range []string{"Content-Type", "Location"} {
			if v := buf.header.Get(k); v != "" {
				rec.header.Set(k, v)
			}
		}
	} else if st.records[scope] == rec {
		delete(st.records, scope)
	}
	st.mu.Unlock()
	close(rec.done)
}

// unprintable: a control character, which no Idempotency-Key may hold.
func unprintable(r rune) bool { return r < 0x20 || r == 0x7f }

// RunIdempotent runs a write that carries an Idempotency-Key: the first
// request with the key is performed, and repeats get its answer, marked
// Idempotent-Replayed: true, without being performed again. A key reused
// for a different request is a 400; a repeat that arrives while the first
// is still being served waits for it.
func RunIdempotent(rc *pipeline.Request, st *State, key string) error {
	if n := rc.Route.Spec.MaxIdempotencyKey; len(key) > n || strings.ContainsFunc(key, unprintable) {
		return pipeline.BadRequest(IdempotencyKeyHeader, "must be at most %d printable characters", n)
	}
	h := sha256.New()
	asUser := "" // part of the request only where the operation declares it
	if rc.Route.Op.AsUser {
		asUser = rc.R.Header.Get(pipeline.AsUserHeader)
	}
	for _, part := range []string{rc.R.Method, rc.R.URL.Path, rc.R.URL.RawQuery, asUser} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(rc.Body)
	var request [32]byte
	copy(request[:], h.Sum(nil))
	scope := rc.Caller().Kind + "\x00" + rc.Caller().ID + "\x00" + strconv.FormatInt(rc.Caller().User, 10) + "\x00" + key

	for {
		rec, first := st.idem.begin(scope, rc.Route.Op.ID, request, rc.Env().Clock())
		if rec.op != rc.Route.Op.ID || rec.request != request {
			return pipeline.BadRequest(IdempotencyKeyHeader, "%q was already used for a different request (%s); use a new key for a new request", key, rec.op)
		}
		if first {
			real := rc.W
			buf := newBufferedWriter(real.Header().Clone())
			rc.W = &pipeline.Recorder{ResponseWriter: buf}
			finished := false
			defer func() {
				if !finished { // the handler panicked: answer on the real writer, forget the record, wake the waiters
					rc.W = real
					st.idem.finish(scope, rec, &bufferedWriter{status: http.StatusInternalServerError}, "")
				}
			}()
			if err := rc.Route.Handle(rc); err != nil {
				rc.Fail(err)
			}
			rc.W = real
			st.idem.finish(scope, rec, buf, rc.Target)
			finished = true
			for k, v := range buf.header {
				real.Header()[k] = v
			}
			buf.copyTo(real)
			return nil
		}
		select {
		case <-rec.done:
		case <-rc.WorkContext().Done():
			return nil // the client is gone
		}
		if !rec.ok {
			continue // the first request failed and was forgotten: perform this one
		}
		rc.Replayed = true
		rc.Target = rec.target
		rc.SetHeaders()
		out := rc.W.Header()
		for k, v := range rec.header {
			out[k] = v
		}
		out.Set(IdempotentReplayedHeader, "true")
		out.Set("Content-Length", strconv.Itoa(len(rec.body)))
		rc.W.WriteHeader(rec.status)
		_, _ = rc.W.Write(rec.body)
		return nil
	}
}
