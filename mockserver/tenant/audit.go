package tenant

import (
	"errors"
	"slices"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
)

// AuditCapacity is how many entries a tenant's audit log keeps; older entries
// are dropped first.
const AuditCapacity = 10000

// AuditCaller is the credential a request came through: the one type for
// a caller, in decisions, the audit log and usage. ID is an API key's
// name, an OAuth client id, or "session"; User is the credential's own
// user.
type AuditCaller = wire.Caller

// AuditEntry records one decision, write or token issuance.
type AuditEntry struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	API       string    `json:"api"`
	Operation string    `json:"operation"`
	// Target names what was touched: /Project/3, a credential id, a client id.
	Target  string `json:"target,omitempty"`
	Outcome string `json:"outcome"`
	Step    string `json:"step,omitempty"`
	Code    string `json:"code,omitempty"`
	// Write is true for requests that changed the tenant.
	Write         bool         `json:"write,omitempty"`
	Status        int          `json:"status,omitempty"`
	EffectiveUser int64        `json:"effectiveUser,omitempty"`
	Principal     int64        `json:"principal,omitempty"`
	Caller        *AuditCaller `json:"caller,omitempty"`
	// Missing names what a refusing step lacked (scopes, permissions, an
	// entity type), Reason why the step decided as it did and Fix what
	// would allow the request.
	Missing []string `json:"missing,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Fix     string   `json:"fix,omitempty"`
	// Fault names the injected fault the request met (500, 503, 429,
	// latency, drop, truncate), if any.
	Fault string `json:"fault,omitempty"`
	// Replayed is true for a write answered from an earlier request with
	// the same Idempotency-Key (and not performed again).
	Replayed bool `json:"replayed,omitempty"`
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Operation     string
	Outcome       string
	EffectiveUser int64
	CallerID      string
	// Limit keeps only the newest Limit matches (0 = all).
	Limit int
}

func (f AuditFilter) match(e *AuditEntry) bool {
	if f.Operation != "" && e.Operation != f.Operation {
		return false
	}
	if f.Outcome != "" && e.Outcome != f.Outcome {
		return false
	}
	if f.EffectiveUser != 0 && e.EffectiveUser != f.EffectiveUser {
		return false
	}
	if f.CallerID != "" && (e.Caller == nil || e.Caller.ID != f.CallerID) {
		return false
	}
	return true
}

// Record appends an entry, stamping its sequence number (and time, when
// unset, from the tenant's clock).
func (t *Tenant) Record(e AuditEntry) {
	if e.Time.IsZero() {
		e.Time = t.now()
	}
	e.detach()
	t.auditMu.Lock()
	defer t.auditMu.Unlock()
	t.auditSeq++
	e.Seq = t.auditSeq
	for _, w := range t.watchers {
		w.send(e)
	}
	if len(t.audit) < AuditCapacity {
		t.audit = append(t.audit, e)
		return
	}
	// Full: overwrite the oldest entry; auditHead marks the oldest.
	t.audit[t.auditHead] = e
	t.auditHead = (t.auditHead + 1) % AuditCapacity
}

// detach gives e its own copies of what it points to, so that neither the
// recorder nor a reader can change an entry kept in the log.
func (e *AuditEntry) detach() {
	if e.Caller != nil {
		c := *e.Caller
		e.Caller = &c
	}
	if e.Missing != nil {
		e.Missing = slices.Clone(e.Missing)
	}
}

// AuditWatch receives the entries a tenant records after Watch returned
// it, in order, until it is stopped. It never slows the requests it
// watches: an entry that finds the channel full is dropped and counted.
type AuditWatch struct {
	t       *Tenant
	ch      chan AuditEntry
	dropped int64 // under t.auditMu
}

// Entries is the watch's channel; it is closed by Stop.
func (w *AuditWatch) Entries() <-chan AuditEntry { return w.ch }

// Dropped is how many entries found the channel full.
func (w *AuditWatch) Dropped() int64 {
	w.t.auditMu.Lock()
	defer w.t.auditMu.Unlock()
	return w.dropped
}

// send hands e over without waiting; under t.auditMu.
func (w *AuditWatch) send(e AuditEntry) {
	e.detach()
	select {
	case w.ch <- e:
	default:
		w.dropped++
	}
}

// Stop ends the watch and closes its channel; it may be called more than
// once.
func (w *AuditWatch) Stop() {
	w.t.auditMu.Lock()
	defer w.t.auditMu.Unlock()
	for i, x := range w.t.watchers {
		if x == w {
			w.t.watchers = append(w.t.watchers[:i:i], w.t.watchers[i+1:]...)
			close(w.ch)
			return
		}
	}
}

// MaxAuditWatches bounds the watches a tenant holds at once.
const MaxAuditWatches = 32

// ErrTooManyWatches is Watch's error when MaxAuditWatches are open.
var ErrTooManyWatches = errors.New("tenant: too many audit watches open")

// Watch starts delivering the entries recorded from now on, up to buffer
// of them waiting (at least 1). A tenant holds at most MaxAuditWatches.
func (t *Tenant) Watch(buffer int) (*AuditWatch, error) {
	w := &AuditWatch{t: t, ch: make(chan AuditEntry, max(buffer, 1))}
	t.auditMu.Lock()
	defer t.auditMu.Unlock()
	if len(t.watchers) >= MaxAuditWatches {
		return nil, ErrTooManyWatches
	}
	t.watchers = append(t.watchers, w)
	return w, nil
}

// Audit returns the matching entries, oldest first.
func (t *Tenant) Audit(f AuditFilter) []AuditEntry {
	t.auditMu.Lock()
	defer t.auditMu.Unlock()
	var out []AuditEntry
	n := len(t.audit)
	for k := range n {
		e := &t.audit[(t.auditHead+k)%n]
		if f.match(e) {
			c := *e
			c.detach()
			out = append(out, c)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out
}
