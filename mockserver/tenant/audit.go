package tenant

import (
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
	Reason        string       `json:"reason,omitempty"`
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
	if e.Caller != nil {
		c := *e.Caller
		e.Caller = &c
	}
	t.auditMu.Lock()
	defer t.auditMu.Unlock()
	t.auditSeq++
	e.Seq = t.auditSeq
	if len(t.audit) < AuditCapacity {
		t.audit = append(t.audit, e)
		return
	}
	// Full: overwrite the oldest entry; auditHead marks the oldest.
	t.audit[t.auditHead] = e
	t.auditHead = (t.auditHead + 1) % AuditCapacity
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
			if e.Caller != nil {
				caller := *e.Caller
				c.Caller = &caller
			}
			out = append(out, c)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out
}
