package mockserver

import (
	"context"
	"fmt"
	"github.com/tenantkit/tenantkit/mockserver/console"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/resilience"
)

const adminPrefix = "/_mock/"

// HealthPath answers 200 to GET and HEAD while the server is serving: a
// liveness and readiness probe for containers and orchestrators, outside
// the vendor APIs and the admin API (which has its own /_mock/healthz).
// Its requests are logged at debug level, so probes do not fill the log.
const HealthPath = "/healthz"

// ServeHTTP serves the vendor APIs and, under /_mock/, the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rc := pipeline.NewRequest(&s.env, w, r)
	rec := rc.W
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			s.env.Log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if !rec.Wrote {
				if rc.Decision.Outcome == "" {
					rc.Decision.Outcome = wire.OutcomeDeny
				}
				rc.Decision.Reason = "the mock failed while serving this request; see its log"
				rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusInternalServerError, Kind: pipeline.KindInternal, Msg: "internal error"})
			}
			if rc.Vendor && rc.Route != nil {
				rc.RecordAudit()
			}
		}
		end := time.Now() // the log line's time, and the request's duration
		s.logRequest(rc, end, end.Sub(start))
		pipeline.Release(rc)
	}()
	if r.URL.Path == HealthPath {
		s.serveHealth(rc)
		return
	}
	admin := strings.HasPrefix(r.URL.Path, adminPrefix)
	rc.Vendor = !admin
	if err := s.checkHost(r); err != nil {
		rc.Decision = wire.Decision{Outcome: wire.OutcomeDeny, Reason: err.Msg}
		rc.WriteError(rc.Surface, err)
		return
	}
	if admin {
		s.serveAdmin(rc)
		return
	}
	if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		rc.Vendor = false
		to := adminPrefix // the landing document
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			to = console.Prefix // a browser: the console
		}
		http.Redirect(rc.W, r, to, http.StatusFound)
		return
	}
	s.serveVendor(rc)
}

// serveHealth answers HealthPath.
func (s *Server) serveHealth(rc *pipeline.Request) {
	if rc.R.Method != http.MethodGet && rc.R.Method != http.MethodHead {
		rc.W.Header().Set("Allow", "GET, HEAD")
		rc.WriteError(pipeline.SurfacePlain, &pipeline.Error{Status: http.StatusMethodNotAllowed, Kind: pipeline.KindMethodNotAllowed,
			Msg: fmt.Sprintf("%s is not allowed on %s", rc.R.Method, HealthPath)})
		return
	}
	rc.W.Header().Set("Cache-Control", "no-store")
	rc.WriteJSON(http.StatusOK, "application/json", map[string]any{"status": "ok", "tenants": len(s.Tenants())})
}

func (s *Server) logRequest(rc *pipeline.Request, t time.Time, d time.Duration) {
	level := slog.LevelInfo
	if rc.R.URL.Path == HealthPath {
		level = slog.LevelDebug
	}
	// The handler directly, as slog's wrappers do: Logger.LogAttrs would
	// walk the stack for a source location nobody asked for, on every
	// request.
	ctx, h := rc.R.Context(), s.env.Log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	var buf [9]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", rc.R.Method),
		slog.String("path", rc.R.URL.Path),
		slog.Int("status", rc.W.Status),
		slog.Duration("duration", d))
	if rc.Route != nil {
		attrs = append(attrs, slog.String("operation", rc.Route.Op.ID))
	}
	if rc.Decision.Outcome != "" {
		attrs = append(attrs, slog.String("outcome", rc.Decision.Outcome))
	}
	if rc.Decision.Step != "" {
		attrs = append(attrs, slog.String("step", rc.Decision.Step), slog.String("code", rc.Decision.Code))
	}
	if rc.Tenant != nil {
		attrs = append(attrs, slog.String("tenant", rc.Tenant.ID()))
	}
	if ah, ok := h.(attrsHandler); ok {
		_ = ah.HandleAttrs(ctx, t, level, "request", attrs...)
		return
	}
	rec := slog.NewRecord(t, level, "request", 0)
	rec.AddAttrs(attrs...)
	_ = h.Handle(ctx, rec)
}

// attrsHandler is a log handler that takes a record's parts without an
// slog.Record, as cmd/mock's text log does (textlog.Handler): the request
// line's seven or more attributes would not fit in a Record without an
// allocation.
type attrsHandler interface {
	HandleAttrs(ctx context.Context, t time.Time, l slog.Level, msg string, attrs ...slog.Attr) error
}

func (s *Server) serveVendor(rc *pipeline.Request) {
	r := rc.R
	rt, kr, params, err := rc.Specs().FindRoute(r, false)
	if err != nil {
		rc.Decision = wire.Decision{Outcome: wire.OutcomeDeny,
			Reason: fmt.Sprintf("no operation of the APIs the mock serves matches %s %s", r.Method, r.URL.Path)}
		if allow, ok := pipeline.AllowedMethods(err); ok {
			rc.W.Header().Set("Allow", strings.Join(allow, ", "))
			rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusMethodNotAllowed, Kind: pipeline.KindMethodNotAllowed,
				Msg: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))})
			return
		}
		rc.WriteError(rc.Surface, pipeline.NotFound("no operation matches %s %s", r.Method, r.URL.Path))
		return
	}
	rc.Route, rc.KRoute, rc.Params, rc.Surface = rt, kr, params, rt.Surface
	rc.Decision.Operation = rt.Op.ID
	rc.Explain = pipeline.HeaderValue(r.Header, wire.ExplainHeader) != ""
	weight := resilience.BodyWeight(r, s.env.MaxBody)
	ok := s.inflight.Admit(weight)
	if !ok {
		s.inflight.Busy(rc)
		rc.RecordAudit()
		return
	}
	defer s.inflight.Release(weight)
	defer rc.StopWork()
	if err := rc.ReadBody(); err != nil {
		rc.Fail(err)
	} else {
		// The resilience layer (rate limit and faults), then runOperation.
		id := resilience.Identify(rc)
		resilience.Run(rc, id, &s.stateFor(rc.Tenant).resilience, s.operation)
	}
	if !rc.Audited {
		rc.RecordAudit()
	}
	rc.RecordUsage()
}

// runOperation runs, in order: the authorization pipeline, request
// validation against the spec, and the handler (through the idempotency
// store for writes that carry an Idempotency-Key).
func (s *Server) runOperation(rc *pipeline.Request, st *resilience.State) error {
	rt := rc.Route
	switch {
	case rt.Token:
		return rt.Handle(rc) // token endpoints authenticate the client and validate themselves
	case len(rt.Rule.Accepts) == 0: // public: login, getServerDefinition (they decide on the password)
		if err := rc.Validate(); err != nil {
			return err
		}
		return rt.Handle(rc)
	}
	if err := rc.Authorize(); err != nil {
		return err
	}
	if err := rc.Validate(); err != nil {
		return err
	}
	if key := pipeline.HeaderValue(rc.R.Header, IdempotencyKeyHeader); key != "" && rt.IsWrite() {
		return resilience.RunIdempotent(rc, st, key)
	}
	return rt.Handle(rc)
}

// runSub runs one sub-request of a bulk call (outer) through the request
// path a top-level request of the same API walks, after the resilience
// layer (which the outer call alone passes): routing against the outer
// call's API, the decision for the subject resolved once for the outer
// call, validation, the handler, and the sub-request's own audit entry and
// usage. Its answer is what the operation would answer alone.
func (s *Server) runSub(outer *pipeline.Request, method, target string, body []byte) pipeline.SubResponse {
	const base = "/V2.0/services"
	rc, bad := outer.Sub(base, method, target, body)
	if bad != nil {
		rc.Decision = wire.Decision{Outcome: wire.OutcomeDeny, Reason: bad.Msg}
		rc.WriteError(rc.Surface, bad)
		return rc.Result()
	}
	rt, kr, params, err := rc.Specs().FindRoute(rc.R, false)
	switch {
	case err != nil:
		rc.Decision = wire.Decision{Outcome: wire.OutcomeDeny,
			Reason: fmt.Sprintf("no operation of the data API matches %s %s", rc.R.Method, rc.R.URL.Path)}
		if allow, ok := pipeline.AllowedMethods(err); ok {
			rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusMethodNotAllowed, Kind: pipeline.KindMethodNotAllowed,
				Msg: fmt.Sprintf("%s is not allowed on %s; use %s", rc.R.Method, rc.R.URL.Path, strings.Join(allow, " or "))})
		} else {
			rc.WriteError(rc.Surface, pipeline.NotFound("no operation matches %s %s", rc.R.Method, rc.R.URL.Path))
		}
		return rc.Result()
	case rt.Spec.API != outer.Route.Spec.API:
		rc.Decision = wire.Decision{Outcome: wire.OutcomeDeny, Reason: "a bulk sub-request names an operation of another API"}
		rc.WriteError(rc.Surface, pipeline.NotFound("no operation matches %s %s", rc.R.Method, rc.R.URL.Path))
		return rc.Result()
	}
	rc.Route, rc.KRoute, rc.Params = rt, kr, params
	rc.Decision.Operation = rt.Op.ID
	if rt.NoBulk {
		// Judged first where it takes a credential, as validation follows
		// the decision: the audit entry names the caller either way.
		err := error(pipeline.BadRequest("url", "%s cannot run inside a bulk request", rt.Op.ID))
		if len(rt.Rule.Accepts) > 0 && !rt.Token {
			if denied := rc.Authorize(); denied != nil {
				err = denied
			}
		}
		rc.Fail(err)
	} else if err := rc.ReadBody(); err != nil {
		rc.Fail(err)
	} else if err := s.runOperation(rc, nil); err != nil {
		rc.Fail(err)
	}
	rc.RecordAudit()
	rc.RecordUsage()
	return rc.Result()
}
