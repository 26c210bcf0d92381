package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/report"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The admin API (openapi/admin.yaml) lives under /_mock/. It is
// unauthenticated (the mock is a local tool) and answers only its own
// origin (origin.go).

func (s *Server) adminHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"landing":           s.adminLanding,
		"getSpec":           s.adminGetSpec,
		"healthz":           s.adminHealthz,
		"listTenants":       s.adminListTenants,
		"createTenant":      s.adminCreateTenant,
		"getTenant":         s.adminGetTenant,
		"deleteTenant":      s.adminDeleteTenant,
		"resetTenant":       s.adminResetTenant,
		"getSettings":       s.adminGetSettings,
		"updateSettings":    s.adminUpdateSettings,
		"getAudit":          s.adminGetAudit,
		"getFaults":         s.adminGetFaults,
		"setFaults":         s.adminSetFaults,
		"expireCredentials": s.adminExpireCredentials,
		"getReport":         s.adminGetReport,
		"getVisibility":     s.adminGetVisibility,
	}
}

func (s *Server) serveAdmin(rc *reqCtx) {
	rc.surface = surfaceAdmin
	if err := checkAdminOrigin(rc.r); err != nil {
		rc.writeError(surfaceAdmin, err)
		return
	}
	rt, kr, params, err := s.specs.findRoute(rc.r, true)
	if err != nil {
		if allow, ok := allowedMethods(err); ok {
			rc.w.Header().Set("Allow", strings.Join(allow, ", "))
			rc.writeError(surfaceAdmin, &apiError{status: http.StatusMethodNotAllowed, kind: kindMethodNotAllowed,
				msg: fmt.Sprintf("%s is not allowed on %s; use %s", rc.r.Method, rc.r.URL.Path, strings.Join(allow, " or "))})
			return
		}
		rc.writeError(surfaceAdmin, notFound("no admin operation matches %s %s", rc.r.Method, rc.r.URL.Path))
		return
	}
	rc.route, rc.kroute, rc.params = rt, kr, params
	if e := checkAdminContentType(rc.r, kr.Operation); e != nil {
		rc.writeError(surfaceAdmin, e)
		return
	}
	weight := s.bodyWeight(rc.r)
	ok := s.inflight.admit(weight)
	if !ok {
		rc.busy()
		return
	}
	defer s.inflight.release(weight)
	err = s.readBody(rc)
	if err == nil && !fixtureBody(rc) {
		err = s.validate(rc)
	}
	if err == nil {
		err = rt.handle(rc)
	}
	if err != nil {
		rc.fail(err)
	}
}

// fixtureBody reports whether the request carries a fixture to create a
// tenant from. The fixture checker (tenant.Parse) checks it instead of the
// schema validator: it enforces what the spec's Fixture schema states (a
// test keeps the two in step) and more, names the line and field of every
// problem, and reads YAML with YAML's rules (an unquoted date or number is
// text where the fixture wants text). An empty body is still the
// validator's to refuse.
func fixtureBody(rc *reqCtx) bool {
	return rc.route.op.ID == "createTenant" && len(bytes.TrimSpace(rc.body)) > 0
}

func (rc *reqCtx) adminFail(status int, code, format string, args ...any) error {
	rc.writeJSON(status, "application/json", &adminapi.Error{Error: code, Message: fmt.Sprintf(format, args...)})
	return nil
}

func (s *Server) adminTenant(rc *reqCtx) (*tenant.Tenant, bool) {
	t, ok := s.Tenant(rc.params["tenantId"])
	if !ok {
		_ = rc.adminFail(http.StatusNotFound, "not_found", "no tenant %q", rc.params["tenantId"])
	}
	return t, ok
}

func (s *Server) tenantInfo(t *tenant.Tenant) map[string]any {
	users := []map[string]any{}
	for _, u := range t.Users() {
		users = append(users, map[string]any{"id": u.ID, "name": u.Name, "login": u.Login})
	}
	keys := []map[string]any{}
	for _, k := range t.APIKeys() {
		keys = append(keys, map[string]any{"name": k.Name, "key": k.Key, "user": k.User, "revoked": k.Revoked})
	}
	clients := []map[string]any{}
	for _, c := range t.OAuthClients() {
		clients = append(clients, map[string]any{"clientId": c.ClientID, "user": c.User, "scopes": c.Scopes})
	}
	return map[string]any{
		"id":               t.ID(),
		"name":             t.Name(),
		"default":          t == s.DefaultTenant(),
		"organizationId":   t.OrganizationID(),
		"credentialSuffix": t.CredentialSuffix(),
		"users":            users,
		"apiKeys":          keys,
		"oauthClients":     clients,
	}
}

func (s *Server) adminHealthz(rc *reqCtx) error {
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{"status": "ok", "tenants": len(s.Tenants())})
	return nil
}

func (s *Server) adminListTenants(rc *reqCtx) error {
	list := []map[string]any{}
	for _, t := range s.Tenants() {
		list = append(list, s.tenantInfo(t))
	}
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{"tenants": list})
	return nil
}

func (s *Server) adminCreateTenant(rc *reqCtx) error {
	f, err := tenant.Parse("request body", rc.body)
	if err != nil {
		return rc.adminFail(http.StatusBadRequest, "bad_request", "%v", err)
	}
	t, err := s.CreateTenant(f)
	if err != nil {
		var fe *tenant.FixtureError
		if errors.As(err, &fe) {
			return rc.adminFail(http.StatusBadRequest, "bad_request", "%v", err)
		}
		return rc.adminFail(http.StatusConflict, "conflict", "%v", err)
	}
	rc.writeJSON(http.StatusCreated, "application/json", s.tenantInfo(t))
	return nil
}

func (s *Server) adminGetTenant(rc *reqCtx) error {
	if t, ok := s.adminTenant(rc); ok {
		rc.writeJSON(http.StatusOK, "application/json", s.tenantInfo(t))
	}
	return nil
}

func (s *Server) adminDeleteTenant(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	if err := s.DeleteTenant(t.ID()); err != nil {
		return rc.adminFail(http.StatusBadRequest, "bad_request", "%v", err)
	}
	rc.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) adminResetTenant(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	if err := t.Reset(); err != nil {
		return fmt.Errorf("reset tenant %s: %w", t.ID(), err)
	}
	rc.writeJSON(http.StatusOK, "application/json", s.tenantInfo(t))
	return nil
}

func settingsBody(st tenant.Settings) map[string]any {
	return map[string]any{
		"apiDataAccess":   string(st.APIDataAccess),
		"enforcement":     string(st.Enforcement),
		"tokenLifetime":   st.TokenLifetime.String(),
		"sessionLifetime": st.SessionLifetime.String(),
		"rateLimit": map[string]any{
			"requests": st.RateLimit.Requests,
			"window":   st.RateLimit.WindowOrDefault().String(),
		},
	}
}

func (s *Server) adminGetSettings(rc *reqCtx) error {
	if t, ok := s.adminTenant(rc); ok {
		rc.writeJSON(http.StatusOK, "application/json", settingsBody(t.Settings()))
	}
	return nil
}

func (s *Server) adminUpdateSettings(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	m := rc.bodyMap()
	durations := map[string]time.Duration{}
	for _, key := range []string{"tokenLifetime", "sessionLifetime"} {
		if v, ok := m[key].(string); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return rc.adminFail(http.StatusBadRequest, "bad_request", "%s: %q is not a duration (like 15m)", key, v)
			}
			durations[key] = d
		}
	}
	var limit *tenant.RateLimit
	if rl, ok := m["rateLimit"].(map[string]any); ok {
		limit = &tenant.RateLimit{}
		if n, ok := rl["requests"].(float64); ok {
			limit.Requests = int(n)
		}
		if v, ok := rl["window"].(string); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return rc.adminFail(http.StatusBadRequest, "bad_request", "rateLimit.window: %q is not a duration (like 1m)", v)
			}
			limit.Window = d
		}
	}
	st, err := t.UpdateSettings(func(st *tenant.Settings) {
		if limit != nil {
			st.RateLimit = *limit
		}
		if v, ok := m["apiDataAccess"].(string); ok {
			st.APIDataAccess = tenant.APIDataAccess(v)
		}
		if v, ok := m["enforcement"].(string); ok {
			st.Enforcement = tenant.Enforcement(v)
		}
		if d, ok := durations["tokenLifetime"]; ok {
			st.TokenLifetime = d
		}
		if d, ok := durations["sessionLifetime"]; ok {
			st.SessionLifetime = d
		}
	})
	if err != nil {
		return rc.adminFail(http.StatusBadRequest, "bad_request", "%v", err)
	}
	rc.writeJSON(http.StatusOK, "application/json", settingsBody(st))
	return nil
}

func (s *Server) adminGetAudit(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	v := rc.r.URL.Query()
	f := tenant.AuditFilter{Operation: v.Get("operation"), Outcome: v.Get("outcome"), CallerID: v.Get("callerId")}
	f.EffectiveUser, _ = strconv.ParseInt(v.Get("effectiveUser"), 10, 64)
	f.Limit, _ = strconv.Atoi(v.Get("limit"))
	entries := t.Audit(f)
	if entries == nil {
		entries = []tenant.AuditEntry{}
	}
	rc.writeJSON(http.StatusOK, "application/json", map[string]any{"entries": entries})
	return nil
}

// textWriter is what the report and the visibility diff write as text.
type textWriter interface{ WriteText(io.Writer) error }

// writeReport answers with v as JSON, or as text when format=text.
func (rc *reqCtx) writeReport(v textWriter) error {
	if rc.r.URL.Query().Get("format") != "text" {
		rc.writeJSON(http.StatusOK, "application/json", v)
		return nil
	}
	var b strings.Builder
	if err := v.WriteText(&b); err != nil {
		return err
	}
	rc.setHeaders()
	rc.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rc.w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(rc.w, b.String())
	return nil
}

func (s *Server) adminGetReport(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	return rc.writeReport(report.Build(t))
}

func (s *Server) adminGetVisibility(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	v := rc.r.URL.Query()
	user, _ := strconv.ParseInt(v.Get("user"), 10, 64) // validated against the spec
	d, err := s.Visibility(t.ID(), user, v.Get("entityType"))
	if err != nil {
		return rc.adminFail(http.StatusNotFound, "not_found", "%s", strings.TrimPrefix(err.Error(), "mockserver: "))
	}
	return rc.writeReport(d)
}

func (s *Server) adminGetFaults(rc *reqCtx) error {
	if t, ok := s.adminTenant(rc); ok {
		f, _ := t.Faults()
		rc.writeJSON(http.StatusOK, "application/json", f.Fixture())
	}
	return nil
}

func (s *Server) adminSetFaults(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	var ff tenant.FaultsFixture
	if err := decodeJSON(rc.body, &ff); err != nil {
		return rc.adminFail(http.StatusBadRequest, "bad_request", "the body is not a fault plan: %v", err)
	}
	f, err := ff.Faults()
	if err == nil {
		err = t.SetFaults(f)
	}
	if err != nil {
		return rc.adminFail(http.StatusBadRequest, "bad_request", "%v", err)
	}
	cur, _ := t.Faults()
	rc.writeJSON(http.StatusOK, "application/json", cur.Fixture())
	return nil
}

func (s *Server) adminExpireCredentials(rc *reqCtx) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	var req struct {
		ClientID string `json:"clientId"`
		User     int64  `json:"user"`
		Only     string `json:"only"`
	}
	if len(bytes.TrimSpace(rc.body)) > 0 {
		if err := decodeJSON(rc.body, &req); err != nil {
			return rc.adminFail(http.StatusBadRequest, "bad_request", "the body is not an expire request: %v", err)
		}
	}
	tokens, sessions, err := t.ExpireCredentials(tenant.ExpireFilter{
		ClientID: req.ClientID, User: req.User,
		TokensOnly: req.Only == "tokens", SessionsOnly: req.Only == "sessions",
	})
	if err != nil {
		return rc.adminFail(http.StatusBadRequest, "bad_request", "%v", err)
	}
	rc.writeJSON(http.StatusOK, "application/json", map[string]int{"tokens": tokens, "sessions": sessions})
	return nil
}
