package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Env is what the request path reads of the server: its logger, clock,
// limits, specs and tenants.
type Env struct {
	Log            *slog.Logger
	Clock          func() time.Time
	MaxBody        int64
	RequestTimeout time.Duration
	Tenants        Tenants
	// specs are the server's specs, replaced whole when an API is loaded
	// while the server runs (SetSpecs): a request reads them once, when it
	// starts, and keeps that set.
	specs atomic.Pointer[Specs]
}

// Specs are the server's specs at this moment.
func (env *Env) Specs() *Specs { return env.specs.Load() }

// SetSpecs replaces the server's specs; requests under way keep theirs.
func (env *Env) SetSpecs(sp *Specs) { env.specs.Store(sp) }

// Tenants finds the tenant a credential names (the server's tenants).
type Tenants interface {
	DefaultTenant() *tenant.Tenant
	// ForIdentifier finds the tenant of a credential identifier (API key
	// value, client id, login name): the tenant named by an "@<tenantID>"
	// suffix, else the default tenant.
	ForIdentifier(ident string) *tenant.Tenant
	// ForSecret finds the tenant of a token or session id, which starts
	// with "<tenantID>.".
	ForSecret(v string) (*tenant.Tenant, bool)
}

// NewRequest starts request r, answered on w, for the server env describes;
// the request and its recorder share one allocation, taken from a pool:
// the server hands it back with Release when the request is done.
func NewRequest(env *Env, w http.ResponseWriter, r *http.Request) *Request {
	rc := requests.Get().(*Request)
	rc.env, rc.R, rc.CorrelationID, rc.specs = env, r, newCorrelationID(), env.Specs()
	rc.Surface = rc.specs.SurfaceFor(r.URL.Path)
	rc.rec = Recorder{ResponseWriter: w}
	rc.W = &rc.rec
	return rc
}

// requests recycles the Requests of finished requests: a Request is about
// a kilobyte, and allocating one per request was the largest part of the
// mock's own garbage (and so of its collector's work) on a short answer.
var requests = sync.Pool{New: func() any { return new(Request) }}

// Release hands a top-level request (NewRequest's) back for reuse, once
// its answer is written, logged and audited: nothing the request path
// keeps (audit entries, usage, the idempotency store, the console's
// stream) holds the Request itself, only values copied from it. rc must
// not be used afterwards.
func Release(rc *Request) {
	*rc = Request{}
	requests.Put(rc)
}

// HeaderValue is h.Get(name) for a name already in canonical form (as
// net/http stores the names it reads), without Get's pass to canonicalize
// it on every request.
func HeaderValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Env is the server's part the request reads.
func (rc *Request) Env() *Env { return rc.env }

// Specs are the specs the request is served by: the server's when it
// started.
func (rc *Request) Specs() *Specs { return rc.specs }

// Request carries one request through routing, the authorization pipeline,
// validation and its handler.
type Request struct {
	env     *Env
	specs   *Specs // the server's specs when the request started
	W       *Recorder
	R       *http.Request
	Vendor  bool
	Surface *Surface

	Route  *Route
	KRoute *routers.Route
	Params map[string]string

	Body     []byte // the request body, normalised for the data API
	BodyJSON any    // body decoded as JSON, when it is JSON

	// subject is who is calling, resolved once (Request.Subject); verdict
	// is what the decision function made of the request.
	subject    decide.Subject
	resolved   bool
	Verdict    decide.Decision
	work       context.Context // WorkContext's
	cancelWork context.CancelFunc
	form       url.Values // a token request's form, parsed once (TokenForm)
	FormErr    error

	Tenant    *tenant.Tenant
	Settings  tenant.Settings // the tenant's, read once with the subject
	SessionID string

	Decision      wire.Decision
	Explain       bool
	CorrelationID string

	Target string // audit target: /Project/3, a credential id, a client id
	Write  bool   // the request changed the tenant

	// row is set when a single-row request is answered 404 (hidden or
	// missing): the decision header then reads the same for both.
	row *RowMiss
	// invalid is the 400 of a request the pipeline had allowed: header and
	// audit log read deny at the validate step.
	invalid *Error

	Fault    string // the injected fault the request met, if any
	Replayed bool   // answered from an earlier request with the same Idempotency-Key
	Audited  bool   // the audit entry has been written

	validation openapi3filter.RequestValidationInput // validate's input, kept with the request
	rec        Recorder                              // the real writer's recorder (w, unless a layer buffers)
}

// recorder remembers the status for logs and the audit log.
type Recorder struct {
	http.ResponseWriter
	Status int
	Wrote  bool
}

func (w *Recorder) WriteHeader(code int) {
	if !w.Wrote {
		w.Status, w.Wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the connection's writer (the
// console's live stream flushes and sets write deadlines through it).
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *Recorder) Write(b []byte) (int, error) {
	if !w.Wrote {
		w.Status, w.Wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// ReadBody reads the size-limited body (413 over the limit), refuses JSON
// nested deeper or holding more values than the spec allows before
// decoding it, decodes JSON
// bodies once for the pipeline, validation and handlers, and camelCases
// data API keys in place (two keys that would become one are a 400).
func (rc *Request) ReadBody() error {
	r := rc.R
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > rc.env.MaxBody {
		return TooLarge(rc.env.MaxBody)
	}
	// Sized by the declared length: reading it costs the body once.
	buf := bytes.NewBuffer(make([]byte, 0, max(r.ContentLength, 0)+bytes.MinRead))
	_, err := buf.ReadFrom(http.MaxBytesReader(rc.W, r.Body, rc.env.MaxBody))
	b := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return TooLarge(mbe.Limit)
		}
		return BadRequest("", "cannot read the request body: %v", err)
	}
	rc.Body = b
	if len(bytes.TrimSpace(b)) > 0 && isJSON(r.Header.Get("Content-Type")) {
		if rc.Route != nil {
			if err := rc.Route.Spec.json.check(b); err != nil {
				return err
			}
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			if rc.Route != nil && rc.Route.normaliseBody {
				if err := camelKeys(v); err != nil { // PascalCase keys: validate what the handler reads
					return err
				}
			}
			rc.BodyJSON = v
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(rc.Body))
	r.ContentLength = int64(len(rc.Body))
	return nil
}

func isJSON(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// WorkContext is the request's context bounded by the server's request
// timeout (WithRequestTimeout), made when long work first asks for it: a
// query, injected latency, a wait for an earlier request with the same
// Idempotency-Key. Most requests never do, and need no timer.
func (rc *Request) WorkContext() context.Context {
	if rc.work == nil {
		rc.work = rc.R.Context()
		if d := rc.env.RequestTimeout; d > 0 {
			rc.work, rc.cancelWork = context.WithTimeout(rc.work, d)
		}
	}
	return rc.work
}

// StopWork releases WorkContext's timer.
func (rc *Request) StopWork() {
	if rc.cancelWork != nil {
		rc.cancelWork()
	}
}

// Fail reports err in the surface's shape.
func (rc *Request) Fail(err error) {
	var ae *Error
	if !errors.As(err, &ae) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away or the request's time ran out: whoever
		// still listens learns the work was stopped, not that it failed.
		ae = &Error{Status: http.StatusServiceUnavailable, Kind: KindUnavailable,
			Msg: "the request was stopped before it finished: it ran out of time or the client went away"}
	}
	if ae == nil {
		rc.env.Log.LogAttrs(rc.R.Context(), slog.LevelError, "handler failed",
			slog.String("path", rc.R.URL.Path), slog.Any("error", err))
		ae = &Error{Status: http.StatusInternalServerError, Kind: KindInternal, Msg: "internal error"}
	}
	if rc.W.Wrote {
		rc.env.Log.LogAttrs(rc.R.Context(), slog.LevelError, "error after the response was written",
			slog.String("path", rc.R.URL.Path), slog.Any("error", err))
		return
	}
	// A failure before the pipeline decided (an unreadable body, a bad
	// token request) is a refusal. After it allowed the request, a missing
	// row keeps the decision allow (see headerDecision), and a malformed
	// request is refused at the validate step: the pipeline's own outcome
	// stays in rc.Decision for usage, while the header and the audit log
	// say deny (invalidDecision).
	if rc.Decision.Outcome == "" {
		rc.Decision.Outcome = wire.OutcomeDeny
	} else if ae.Kind == KindBadRequest && rc.Decision.Outcome != wire.OutcomeDeny {
		rc.invalid = ae
	}
	if rc.Decision.Outcome != wire.OutcomeAllow && rc.Decision.Reason == "" {
		rc.Decision.Reason = ae.Msg
	}
	rc.WriteError(rc.Surface, ae)
}

// WriteJSON writes a response with the mock's headers.
func (rc *Request) WriteJSON(status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		rc.env.Log.LogAttrs(rc.R.Context(), slog.LevelError, "cannot encode response", slog.Any("error", err))
		status, contentType = http.StatusInternalServerError, "application/json"
		b = []byte(`{"message":"internal error"}`)
	}
	rc.WriteEncoded(status, contentType, b, strconv.Itoa(len(b)))
}

// WriteRaw writes an encoded JSON body with the mock's headers.
func (rc *Request) WriteRaw(status int, contentType string, b []byte) {
	rc.WriteEncoded(status, contentType, b, strconv.Itoa(len(b)))
}

// jsonContentType is the header value of most answers, shared (net/http
// only reads it).
var jsonContentType = []string{"application/json"}

// WriteEncoded is writeRaw with the body's length already formatted.
func (rc *Request) WriteEncoded(status int, contentType string, b []byte, length string) {
	vals := rc.setHeadersWith(length)
	h := rc.W.Header()
	if contentType == jsonContentType[0] {
		h["Content-Type"] = jsonContentType
	} else {
		h.Set("Content-Type", contentType)
	}
	h["Content-Length"] = vals
	rc.W.WriteHeader(status)
	_, _ = rc.W.Write(b)
}

// NoContent writes a 204 with the mock's headers.
func (rc *Request) NoContent() {
	rc.SetHeaders()
	rc.W.WriteHeader(http.StatusNoContent)
}

func (rc *Request) SetHeaders() { rc.setHeadersWith("") }

// setHeadersWith sets the mock's headers and returns the value slice for a
// further header holding extra: the values share one allocation (each
// slice's capacity is its length, so appending to one cannot touch
// another).
func (rc *Request) setHeadersWith(extra string) []string {
	vals := &[3]string{2: extra}
	h := rc.W.Header()
	if rc.Vendor {
		if rc.Decision.Outcome == "" {
			rc.Decision.Outcome = wire.OutcomeAllow
		}
		if rc.Decision.Outcome == wire.OutcomeAllow && rc.Explain && rc.Decision.Reason == "" {
			rc.Decision.Reason = rc.allowReason()
		}
		vals[0] = rc.headerDecision().Encode()
		h[wire.DecisionHeader] = vals[0:1:1]
	}
	if name := rc.Surface.CorrelationHeader; name != "" {
		vals[1] = rc.CorrelationID
		h[name] = vals[1:2:2]
	}
	return vals[2:3:3]
}

// RecordAudit writes the request's decision to its tenant's audit log
// (the default tenant when the credential named none).
func (rc *Request) RecordAudit() {
	t := rc.Tenant
	if t == nil {
		t = rc.env.Tenants.DefaultTenant()
	}
	d := rc.invalidDecision()
	e := tenant.AuditEntry{
		API:           string(rc.Route.Op.API),
		Operation:     rc.Route.Op.ID,
		Target:        rc.Target,
		Outcome:       d.Outcome,
		Step:          d.Step,
		Code:          d.Code,
		Write:         rc.Write,
		Status:        rc.W.Status,
		EffectiveUser: rc.Decision.EffectiveUser,
		Principal:     rc.Decision.Principal,
	}
	e.Caller = rc.Decision.Caller // Record keeps a copy of its own
	if d.Outcome != wire.OutcomeAllow || d.Step != "" {
		e.Reason = d.Reason + rc.Verdict.AuditDetail
		e.Missing, e.Fix = d.Missing, d.Fix
	}
	e.Fault = rc.Fault
	e.Replayed = rc.Replayed
	t.Record(e)
	rc.Audited = true
}

// RecordUsage adds the request to its credential's usage, when the
// credential was identified (an unknown key or token has no usage).
func (rc *Request) RecordUsage() {
	if rc.Caller() == nil || rc.Tenant == nil {
		return
	}
	d := rc.Decision
	denials := rc.Verdict.Denials
	if len(denials) == 0 && d.Outcome != wire.OutcomeAllow && d.Step != "" { // a later failure: a hidden row, a token request
		denials = []tenant.StepDenial{{Step: d.Step, Code: d.Code, Missing: d.Missing}}
	}
	var principal int64 // whose roles applied, when AS-USER passed the proxy step
	if rc.Verdict.Principal != 0 && rc.Verdict.Effective == rc.Verdict.Principal {
		principal = rc.Verdict.Principal
	}
	rc.Tenant.RecordUsage(tenant.UsageEvent{
		Caller:          *rc.Caller(),
		API:             string(rc.Route.Op.API),
		Operation:       rc.Route.Op.ID,
		Outcome:         d.Outcome,
		Scopes:          rc.Verdict.UsedScopes,
		Permission:      rc.Verdict.Permission,
		EntityType:      rc.Verdict.EntityType,
		MorePermissions: rc.Verdict.MorePermissions,
		Principal:       principal,
		Denials:         denials,
	})
}

// newCorrelationID returns a random UUID-shaped id (version 4). It names
// a request in logs and error bodies and guards nothing, so it comes from
// math/rand/v2's generator (ChaCha8, seeded from the system) rather than a
// system call per request.
func newCorrelationID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
