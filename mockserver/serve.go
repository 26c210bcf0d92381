package mockserver

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/console"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const adminPrefix = "/_mock/"

// HealthPath answers 200 to GET and HEAD while the server is serving: a
// liveness and readiness probe for containers and orchestrators, outside
// the vendor APIs and the admin API (which has its own /_mock/healthz).
// Its requests are logged at debug level, so probes do not fill the log.
const HealthPath = "/healthz"

// reqCtx carries one request through routing, the authorization pipeline,
// validation and its handler.
type reqCtx struct {
	srv     *Server
	w       *recorder
	r       *http.Request
	vendor  bool
	surface *surface

	route  *route
	kroute *routers.Route
	params map[string]string

	body     []byte // the request body, normalised for the data API
	bodyJSON any    // body decoded as JSON, when it is JSON

	// subject is who is calling, resolved once (Server.subject); verdict
	// is what the decision function made of the request.
	subject    decide.Subject
	resolved   bool
	verdict    decide.Decision
	work       context.Context // workContext's
	cancelWork context.CancelFunc
	form       url.Values // a token request's form, parsed once (tokenForm)
	formErr    error

	tenant    *tenant.Tenant
	settings  tenant.Settings // the tenant's, read once with the subject
	sessionID string

	decision      wire.Decision
	explain       bool
	correlationID string

	target string // audit target: /Project/3, a credential id, a client id
	write  bool   // the request changed the tenant

	// row is set when a single-row request is answered 404 (hidden or
	// missing): the decision header then reads the same for both.
	row *rowMiss
	// invalid is the 400 of a request the pipeline had allowed: header and
	// audit log read deny at the validate step.
	invalid *apiError

	fault    string // the injected fault the request met, if any
	replayed bool   // answered from an earlier request with the same Idempotency-Key
	audited  bool   // the audit entry has been written

	state *tenantState // the resilience layer's state of the tenant, once runOperation runs

	validation openapi3filter.RequestValidationInput // validate's input, kept with the request
	rec        recorder                              // the real writer's recorder (w, unless a layer buffers)
}

// recorder remembers the status for logs and the audit log.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the connection's writer (the
// console's live stream flushes and sets write deadlines through it).
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP serves the vendor APIs and, under /_mock/, the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rc := &reqCtx{srv: s, r: r, correlationID: newCorrelationID(), surface: s.specs.surfaceFor(r.URL.Path)}
	rc.rec = recorder{ResponseWriter: w} // one allocation for both
	rec := &rc.rec
	rc.w = rec
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if !rec.wrote {
				if rc.decision.Outcome == "" {
					rc.decision.Outcome = wire.OutcomeDeny
				}
				rc.decision.Reason = "the mock failed while serving this request; see its log"
				rc.writeError(rc.surface, &apiError{status: http.StatusInternalServerError, kind: kindInternal, msg: "internal error"})
			}
			if rc.vendor && rc.route != nil {
				s.recordAudit(rc)
			}
		}
		s.logRequest(rc, time.Since(start))
	}()
	if r.URL.Path == HealthPath {
		s.serveHealth(rc)
		return
	}
	admin := strings.HasPrefix(r.URL.Path, adminPrefix)
	rc.vendor = !admin
	if err := s.checkHost(r); err != nil {
		rc.decision = wire.Decision{Outcome: wire.OutcomeDeny, Reason: err.msg}
		rc.writeError(rc.surface, err)
		return
	}
	if admin {
		s.serveAdmin(rc)
		return
	}
	if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		rc.vendor = false
		to := adminPrefix // the landing document
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			to = console.Prefix // a browser: the console
		}
		http.Redirect(rc.w, r, to, http.StatusFound)
		return
	}
	s.serveVendor(rc)
}

// serveHealth answers HealthPath.
func (s *Server) serveHealth(rc *reqCtx) {
	if rc.r.Method != http.MethodGet && rc.r.Method != http.MethodHead {
		rc.w.Header().Set("Allow", "GET, HEAD")
		rc.writeError(surfacePlain, &apiError{status: http.StatusMethodNotAllowed, kind: kindMethodNotAllowed,
			msg: fmt.Sprintf("%s is not allowed on %s", rc.r.Method, HealthPath)})
		return
	}
	rc.w.Header().Set("Cache-Control", "no-store")
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{"status": "ok", "tenants": len(s.Tenants())})
}

func (s *Server) logRequest(rc *reqCtx, d time.Duration) {
	level := slog.LevelInfo
	if rc.r.URL.Path == HealthPath {
		level = slog.LevelDebug
	}
	// The handler directly, as slog's wrappers do: Logger.LogAttrs would
	// walk the stack for a source location nobody asked for, on every
	// request.
	ctx, h := rc.r.Context(), s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	var buf [9]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", rc.r.Method),
		slog.String("path", rc.r.URL.Path),
		slog.Int("status", rc.w.status),
		slog.Duration("duration", d))
	if rc.route != nil {
		attrs = append(attrs, slog.String("operation", rc.route.op.ID))
	}
	if rc.decision.Outcome != "" {
		attrs = append(attrs, slog.String("outcome", rc.decision.Outcome))
	}
	if rc.decision.Step != "" {
		attrs = append(attrs, slog.String("step", rc.decision.Step), slog.String("code", rc.decision.Code))
	}
	if rc.tenant != nil {
		attrs = append(attrs, slog.String("tenant", rc.tenant.ID()))
	}
	rec := slog.NewRecord(time.Now(), level, "request", 0)
	rec.AddAttrs(attrs...)
	_ = h.Handle(ctx, rec)
}

func (s *Server) serveVendor(rc *reqCtx) {
	r := rc.r
	rt, kr, params, err := s.specs.findRoute(r, false)
	if err != nil {
		rc.decision = wire.Decision{Outcome: wire.OutcomeDeny,
			Reason: fmt.Sprintf("no operation of the data, credentials or relationship API matches %s %s", r.Method, r.URL.Path)}
		if allow, ok := allowedMethods(err); ok {
			rc.w.Header().Set("Allow", strings.Join(allow, ", "))
			rc.writeError(rc.surface, &apiError{status: http.StatusMethodNotAllowed, kind: kindMethodNotAllowed,
				msg: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))})
			return
		}
		rc.writeError(rc.surface, notFound("no operation matches %s %s", r.Method, r.URL.Path))
		return
	}
	rc.route, rc.kroute, rc.params, rc.surface = rt, kr, params, rt.surface
	rc.decision.Operation = rt.op.ID
	rc.explain = r.Header.Get(wire.ExplainHeader) != ""
	weight := s.bodyWeight(r)
	ok := s.inflight.admit(weight)
	if !ok {
		rc.busy()
		s.recordAudit(rc)
		return
	}
	defer s.inflight.release(weight)
	defer rc.stopWork()
	if err := s.readBody(rc); err != nil {
		rc.fail(err)
	} else {
		s.runResilient(rc) // rate limit and faults, then runOperation
	}
	if !rc.audited {
		s.recordAudit(rc)
	}
	s.recordUsage(rc)
}

// runOperation runs, in order: the authorization pipeline, request
// validation against the spec, and the handler (through the idempotency
// store for writes that carry an Idempotency-Key).
func (s *Server) runOperation(rc *reqCtx, st *tenantState) error {
	rt := rc.route
	rc.state = st
	switch {
	case rt.token:
		return rt.handle(rc) // token endpoints authenticate the client and validate themselves
	case len(rt.rule.Accepts) == 0: // public: login, getServerDefinition (they decide on the password)
		if err := s.validate(rc); err != nil {
			return err
		}
		return rt.handle(rc)
	}
	if err := s.authorize(rc); err != nil {
		return err
	}
	if err := s.validate(rc); err != nil {
		return err
	}
	if key := rc.r.Header.Get(IdempotencyKeyHeader); key != "" && rt.isWrite() {
		return s.runIdempotent(rc, st, key)
	}
	return rt.handle(rc)
}

// readBody reads the size-limited body (413 over the limit), refuses JSON
// nested deeper or holding more values than the spec allows before
// decoding it, decodes JSON
// bodies once for the pipeline, validation and handlers, and camelCases
// data API keys in place (two keys that would become one are a 400).
func (s *Server) readBody(rc *reqCtx) error {
	r := rc.r
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if r.ContentLength > s.maxBody {
		return tooLarge(s.maxBody)
	}
	// Sized by the declared length: reading it costs the body once.
	buf := bytes.NewBuffer(make([]byte, 0, max(r.ContentLength, 0)+bytes.MinRead))
	_, err := buf.ReadFrom(http.MaxBytesReader(rc.w, r.Body, s.maxBody))
	b := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		return badRequest("", "cannot read the request body: %v", err)
	}
	rc.body = b
	if len(bytes.TrimSpace(b)) > 0 && isJSON(r.Header.Get("Content-Type")) {
		if rc.route != nil {
			if err := rc.route.spec.json.check(b); err != nil {
				return err
			}
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			if rc.route != nil && rc.route.normaliseBody {
				if err := camelKeys(v); err != nil { // PascalCase keys: validate what the handler reads
					return err
				}
			}
			rc.bodyJSON = v
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(rc.body))
	r.ContentLength = int64(len(rc.body))
	return nil
}

func isJSON(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// workContext is the request's context bounded by the server's request
// timeout (WithRequestTimeout), made when long work first asks for it: a
// query, injected latency, a wait for an earlier request with the same
// Idempotency-Key. Most requests never do, and need no timer.
func (rc *reqCtx) workContext() context.Context {
	if rc.work == nil {
		rc.work = rc.r.Context()
		if d := rc.srv.requestTimeout; d > 0 {
			rc.work, rc.cancelWork = context.WithTimeout(rc.work, d)
		}
	}
	return rc.work
}

// stopWork releases workContext's timer.
func (rc *reqCtx) stopWork() {
	if rc.cancelWork != nil {
		rc.cancelWork()
	}
}

// fail reports err in the surface's shape.
func (rc *reqCtx) fail(err error) {
	var ae *apiError
	if !errors.As(err, &ae) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away or the request's time ran out: whoever
		// still listens learns the work was stopped, not that it failed.
		ae = &apiError{status: http.StatusServiceUnavailable, kind: kindUnavailable,
			msg: "the request was stopped before it finished: it ran out of time or the client went away"}
	}
	if ae == nil {
		rc.srv.log.LogAttrs(rc.r.Context(), slog.LevelError, "handler failed",
			slog.String("path", rc.r.URL.Path), slog.Any("error", err))
		ae = &apiError{status: http.StatusInternalServerError, kind: kindInternal, msg: "internal error"}
	}
	if rc.w.wrote {
		rc.srv.log.LogAttrs(rc.r.Context(), slog.LevelError, "error after the response was written",
			slog.String("path", rc.r.URL.Path), slog.Any("error", err))
		return
	}
	// A failure before the pipeline decided (an unreadable body, a bad
	// token request) is a refusal. After it allowed the request, a missing
	// row keeps the decision allow (see headerDecision), and a malformed
	// request is refused at the validate step: the pipeline's own outcome
	// stays in rc.decision for usage, while the header and the audit log
	// say deny (invalidDecision).
	if rc.decision.Outcome == "" {
		rc.decision.Outcome = wire.OutcomeDeny
	} else if ae.kind == kindBadRequest && rc.decision.Outcome != wire.OutcomeDeny {
		rc.invalid = ae
	}
	if rc.decision.Outcome != wire.OutcomeAllow && rc.decision.Reason == "" {
		rc.decision.Reason = ae.msg
	}
	rc.writeError(rc.surface, ae)
}

// writeJSON writes a response with the mock's headers.
func (rc *reqCtx) writeJSON(status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		rc.srv.log.LogAttrs(rc.r.Context(), slog.LevelError, "cannot encode response", slog.Any("error", err))
		status, contentType = http.StatusInternalServerError, "application/json"
		b = []byte(`{"message":"internal error"}`)
	}
	rc.writeEncoded(status, contentType, b, strconv.Itoa(len(b)))
}

// writeRaw writes an encoded JSON body with the mock's headers.
func (rc *reqCtx) writeRaw(status int, contentType string, b []byte) {
	rc.writeEncoded(status, contentType, b, strconv.Itoa(len(b)))
}

// jsonContentType is the header value of most answers, shared (net/http
// only reads it).
var jsonContentType = []string{"application/json"}

// writeEncoded is writeRaw with the body's length already formatted.
func (rc *reqCtx) writeEncoded(status int, contentType string, b []byte, length string) {
	vals := rc.setHeadersWith(length)
	h := rc.w.Header()
	if contentType == jsonContentType[0] {
		h["Content-Type"] = jsonContentType
	} else {
		h.Set("Content-Type", contentType)
	}
	h["Content-Length"] = vals
	rc.w.WriteHeader(status)
	_, _ = rc.w.Write(b)
}

// noContent writes a 204 with the mock's headers.
func (rc *reqCtx) noContent() {
	rc.setHeaders()
	rc.w.WriteHeader(http.StatusNoContent)
}

func (rc *reqCtx) setHeaders() { rc.setHeadersWith("") }

// setHeadersWith sets the mock's headers and returns the value slice for a
// further header holding extra: the values share one allocation (each
// slice's capacity is its length, so appending to one cannot touch
// another).
func (rc *reqCtx) setHeadersWith(extra string) []string {
	vals := &[3]string{2: extra}
	h := rc.w.Header()
	if rc.vendor {
		if rc.decision.Outcome == "" {
			rc.decision.Outcome = wire.OutcomeAllow
		}
		if rc.decision.Outcome == wire.OutcomeAllow && rc.explain && rc.decision.Reason == "" {
			rc.decision.Reason = rc.allowReason()
		}
		vals[0] = rc.headerDecision().Encode()
		h[wire.DecisionHeader] = vals[0:1:1]
	}
	if name := rc.surface.correlationHeader; name != "" {
		vals[1] = rc.correlationID
		h[name] = vals[1:2:2]
	}
	return vals[2:3:3]
}

// recordAudit writes the request's decision to its tenant's audit log
// (the default tenant when the credential named none).
func (s *Server) recordAudit(rc *reqCtx) {
	t := rc.tenant
	if t == nil {
		t = s.DefaultTenant()
	}
	d := rc.invalidDecision()
	e := tenant.AuditEntry{
		API:           string(rc.route.op.API),
		Operation:     rc.route.op.ID,
		Target:        rc.target,
		Outcome:       d.Outcome,
		Step:          d.Step,
		Code:          d.Code,
		Write:         rc.write,
		Status:        rc.w.status,
		EffectiveUser: rc.decision.EffectiveUser,
		Principal:     rc.decision.Principal,
	}
	if c := rc.decision.Caller; c != nil {
		caller := *c
		e.Caller = &caller
	}
	if d.Outcome != wire.OutcomeAllow || d.Step != "" {
		e.Reason = d.Reason + rc.verdict.AuditDetail
		e.Missing, e.Fix = d.Missing, d.Fix
	}
	e.Fault = rc.fault
	e.Replayed = rc.replayed
	t.Record(e)
	rc.audited = true
}

// recordUsage adds the request to its credential's usage, when the
// credential was identified (an unknown key or token has no usage).
func (s *Server) recordUsage(rc *reqCtx) {
	if rc.caller() == nil || rc.tenant == nil {
		return
	}
	d := rc.decision
	denials := rc.verdict.Denials
	if len(denials) == 0 && d.Outcome != wire.OutcomeAllow && d.Step != "" { // a later failure: a hidden row, a token request
		denials = []tenant.StepDenial{{Step: d.Step, Code: d.Code, Missing: d.Missing}}
	}
	var principal int64 // whose roles applied, when AS-USER passed the proxy step
	if rc.verdict.Principal != 0 && rc.verdict.Effective == rc.verdict.Principal {
		principal = rc.verdict.Principal
	}
	rc.tenant.RecordUsage(tenant.UsageEvent{
		Caller:     *rc.caller(),
		API:        string(rc.route.op.API),
		Operation:  rc.route.op.ID,
		Outcome:    d.Outcome,
		Scopes:     rc.verdict.UsedScopes,
		Permission: rc.verdict.Permission,
		EntityType: rc.verdict.EntityType,
		Principal:  principal,
		Denials:    denials,
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
