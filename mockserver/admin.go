package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tenantkit/tenantkit/mockserver/console"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/resilience"
	"github.com/tenantkit/tenantkit/mockserver/report"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The admin API (openapi/admin.yaml) lives under /_mock/. It is
// unauthenticated (the mock is a local tool) and answers only its own
// origin (origin.go).

func (s *Server) adminHandlers() map[string]pipeline.Handler {
	return map[string]pipeline.Handler{
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
		"listAPIs":          s.adminListAPIs,
		"loadAPI":           s.adminLoadAPI,
	}
}

func (s *Server) serveAdmin(rc *pipeline.Request) {
	rc.Surface = surfaceAdmin
	if err := checkAdminOrigin(rc.R); err != nil {
		rc.WriteError(surfaceAdmin, err)
		return
	}
	if strings.HasPrefix(rc.R.URL.Path, console.Prefix) {
		// The same Host and Origin rules as the admin API, and its bound on
		// requests at once; a live stream is bounded per tenant instead
		// (tenant.MaxAuditWatches), so open pages take no place here.
		if !console.IsStream(rc.R.URL.Path) {
			weight := resilience.BodyWeight(rc.R, s.env.MaxBody)
			if !s.inflight.Admit(weight) {
				s.inflight.Busy(rc)
				return
			}
			defer s.inflight.Release(weight)
		}
		s.console.ServeHTTP(rc.W, rc.R)
		return
	}
	rt, kr, params, err := rc.Specs().FindRoute(rc.R, true)
	if err != nil {
		if allow, ok := pipeline.AllowedMethods(err); ok {
			rc.W.Header().Set("Allow", strings.Join(allow, ", "))
			rc.WriteError(surfaceAdmin, &pipeline.Error{Status: http.StatusMethodNotAllowed, Kind: pipeline.KindMethodNotAllowed,
				Msg: fmt.Sprintf("%s is not allowed on %s; use %s", rc.R.Method, rc.R.URL.Path, strings.Join(allow, " or "))})
			return
		}
		rc.WriteError(surfaceAdmin, pipeline.NotFound("no admin operation matches %s %s", rc.R.Method, rc.R.URL.Path))
		return
	}
	rc.Route, rc.KRoute, rc.Params = rt, kr, params
	if e := checkAdminContentType(rc.R, kr.Operation); e != nil {
		rc.WriteError(surfaceAdmin, e)
		return
	}
	weight := resilience.BodyWeight(rc.R, s.env.MaxBody)
	ok := s.inflight.Admit(weight)
	if !ok {
		s.inflight.Busy(rc)
		return
	}
	defer s.inflight.Release(weight)
	err = rc.ReadBody()
	if err == nil && !fixtureBody(rc) {
		err = rc.Validate()
	}
	if err == nil {
		err = rt.Handle(rc)
	}
	if err != nil {
		rc.Fail(err)
	}
}

// fixtureBody reports whether the request carries a fixture to create a
// tenant from. The fixture checker (tenant.Parse) checks it instead of the
// schema validator: it enforces what the spec's Fixture schema states (a
// test keeps the two in step) and more, names the line and field of every
// problem, and reads YAML with YAML's rules (an unquoted date or number is
// text where the fixture wants text). An empty body is still the
// validator's to refuse.
func fixtureBody(rc *pipeline.Request) bool {
	return rc.Route.Op.ID == "createTenant" && len(bytes.TrimSpace(rc.Body)) > 0
}

func adminFail(rc *pipeline.Request, status int, code, format string, args ...any) error {
	rc.WriteJSON(status, "application/json", &adminapi.Error{Error: code, Message: fmt.Sprintf(format, args...)})
	return nil
}

func (s *Server) adminTenant(rc *pipeline.Request) (*tenant.Tenant, bool) {
	t, ok := s.Tenant(rc.Params["tenantId"])
	if !ok {
		_ = adminFail(rc, http.StatusNotFound, "not_found", "no tenant %q", rc.Params["tenantId"])
	}
	return t, ok
}

// tenantInfo is the TenantInfo of t, with its actual credential
// identifiers.
func (s *Server) tenantInfo(t *tenant.Tenant) adminapi.TenantInfo {
	users := t.Users()
	keys := t.APIKeys()
	clients := t.OAuthClients()
	info := adminapi.TenantInfo{
		Id:               t.ID(),
		Name:             t.Name(),
		Default:          t == s.DefaultTenant(),
		OrganizationId:   t.OrganizationID(),
		CredentialSuffix: t.CredentialSuffix(),
		Users:            make([]adminapi.TenantUser, 0, len(users)),
		ApiKeys:          make([]adminapi.TenantAPIKey, 0, len(keys)),
		OauthClients:     make([]adminapi.TenantOAuthClient, 0, len(clients)),
	}
	for _, u := range users {
		info.Users = append(info.Users, adminapi.TenantUser{Id: u.ID, Name: u.Name, Login: u.Login})
	}
	for _, k := range keys {
		key := k.Key
		if k.Issued { // made at run time: its value was shown once, to its maker
			key = ""
		}
		var api *string
		if k.API != "" {
			api = &k.API
		}
		info.ApiKeys = append(info.ApiKeys, adminapi.TenantAPIKey{Name: k.Name, Key: key, User: k.User, Revoked: k.Revoked, Api: api})
	}
	for _, c := range clients {
		scopes := c.Scopes
		if scopes == nil {
			scopes = []string{} // a client that holds none
		}
		info.OauthClients = append(info.OauthClients, adminapi.TenantOAuthClient{ClientId: c.ClientID, User: c.User, Scopes: scopes})
	}
	return info
}

func (s *Server) adminHealthz(rc *pipeline.Request) error {
	rc.WriteJSON(http.StatusOK, "application/json", &adminapi.Health{Status: "ok", Tenants: len(s.Tenants())})
	return nil
}

func (s *Server) adminListTenants(rc *pipeline.Request) error {
	all := s.Tenants()
	list := adminapi.TenantList{Tenants: make([]adminapi.TenantInfo, 0, len(all))}
	for _, t := range all {
		list.Tenants = append(list.Tenants, s.tenantInfo(t))
	}
	rc.WriteJSON(http.StatusOK, "application/json", &list)
	return nil
}

func (s *Server) adminCreateTenant(rc *pipeline.Request) error {
	f, err := tenant.ParseWith("request body", rc.Body, s.apis().vocab)
	if err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	t, err := s.CreateTenant(f)
	if err != nil {
		var fe *tenant.FixtureError
		if errors.As(err, &fe) {
			return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
		}
		return adminFail(rc, http.StatusConflict, "conflict", "%v", err)
	}
	rc.WriteJSON(http.StatusCreated, "application/json", s.tenantInfo(t))
	return nil
}

func (s *Server) adminGetTenant(rc *pipeline.Request) error {
	if t, ok := s.adminTenant(rc); ok {
		rc.WriteJSON(http.StatusOK, "application/json", s.tenantInfo(t))
	}
	return nil
}

func (s *Server) adminDeleteTenant(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	if err := s.DeleteTenant(t.ID()); err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	rc.W.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) adminResetTenant(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	if err := t.Reset(); err != nil {
		return fmt.Errorf("reset tenant %s: %w", t.ID(), err)
	}
	rc.WriteJSON(http.StatusOK, "application/json", s.tenantInfo(t))
	return nil
}

// settingsBody is the Settings of st; the rate limit's window is the one
// in force (its default when unset).
func settingsBody(st tenant.Settings) *adminapi.Settings {
	window := st.RateLimit.WindowOrDefault().String()
	return &adminapi.Settings{
		ApiDataAccess:      adminapi.SettingsApiDataAccess(st.APIDataAccess),
		Enforcement:        adminapi.SettingsEnforcement(st.Enforcement),
		TokenLifetime:      st.TokenLifetime.String(),
		SessionLifetime:    st.SessionLifetime.String(),
		SessionIdleTimeout: st.SessionIdleTimeout.String(),
		MaxSessionsPerUser: st.MaxSessionsPerUser,
		RateLimit:          adminapi.RateLimit{Requests: st.RateLimit.Requests, Window: &window},
		VendorRateLimits:   st.VendorRateLimits,
	}
}

func (s *Server) adminGetSettings(rc *pipeline.Request) error {
	if t, ok := s.adminTenant(rc); ok {
		rc.WriteJSON(http.StatusOK, "application/json", settingsBody(t.Settings()))
	}
	return nil
}

// parseDuration reads the Duration v of the named field (nil: not sent).
func parseDuration(field, like string, v *string) (*time.Duration, error) {
	if v == nil {
		return nil, nil
	}
	d, err := time.ParseDuration(*v)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not a duration (like %s)", field, *v, like)
	}
	return &d, nil
}

func (s *Server) adminUpdateSettings(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	var patch adminapi.SettingsPatch
	if err := rc.DecodeBody(&patch); err != nil {
		return err
	}
	token, err := parseDuration("tokenLifetime", "15m", patch.TokenLifetime)
	if err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	session, err := parseDuration("sessionLifetime", "15m", patch.SessionLifetime)
	if err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	idle, err := parseDuration("sessionIdleTimeout", "30m", patch.SessionIdleTimeout)
	if err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	var limit *tenant.RateLimit
	if rl := patch.RateLimit; rl != nil {
		window, err := parseDuration("rateLimit.window", "1m", rl.Window)
		if err != nil {
			return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
		}
		limit = &tenant.RateLimit{Requests: rl.Requests}
		if window != nil {
			limit.Window = *window
		}
	}
	st, err := t.UpdateSettings(func(st *tenant.Settings) {
		if limit != nil {
			st.RateLimit = *limit
		}
		if v := patch.ApiDataAccess; v != nil {
			st.APIDataAccess = tenant.APIDataAccess(*v)
		}
		if v := patch.Enforcement; v != nil {
			st.Enforcement = tenant.Enforcement(*v)
		}
		if v := patch.VendorRateLimits; v != nil {
			st.VendorRateLimits = *v
		}
		if token != nil {
			st.TokenLifetime = *token
		}
		if session != nil {
			st.SessionLifetime = *session
		}
		if idle != nil {
			st.SessionIdleTimeout = *idle
		}
		if v := patch.MaxSessionsPerUser; v != nil {
			st.MaxSessionsPerUser = *v
		}
	})
	if err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	rc.WriteJSON(http.StatusOK, "application/json", settingsBody(st))
	return nil
}

func (s *Server) adminGetAudit(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	v := rc.R.URL.Query()
	f := tenant.AuditFilter{Operation: v.Get("operation"), Outcome: v.Get("outcome"), CallerID: v.Get("callerId")}
	f.EffectiveUser, _ = strconv.ParseInt(v.Get("effectiveUser"), 10, 64)
	f.Limit, _ = strconv.Atoi(v.Get("limit"))
	entries := t.Audit(f)
	log := adminapi.AuditLog{Entries: make([]adminapi.AuditEntry, 0, len(entries))}
	for i := range entries {
		log.Entries = append(log.Entries, auditEntry(&entries[i]))
	}
	rc.WriteJSON(http.StatusOK, "application/json", &log)
	return nil
}

// auditEntry is the AuditEntry of e; e's zero values are left out.
func auditEntry(e *tenant.AuditEntry) adminapi.AuditEntry {
	out := adminapi.AuditEntry{
		Seq: e.Seq, Time: e.Time, Api: e.API, Operation: e.Operation, Outcome: adminapi.AuditEntryOutcome(e.Outcome),
		Target: nonZero(e.Target), Step: nonZero(e.Step), Code: nonZero(e.Code), Write: nonZero(e.Write),
		Status: nonZero(e.Status), EffectiveUser: nonZero(e.EffectiveUser), Principal: nonZero(e.Principal),
		Reason: nonZero(e.Reason), Fault: nonZero(e.Fault), Replayed: nonZero(e.Replayed),
	}
	if c := e.Caller; c != nil {
		out.Caller = &adminapi.AuditCaller{Kind: adminapi.AuditCallerKind(c.Kind), Id: c.ID, User: c.User}
	}
	return out
}

// nonZero is a pointer to v, or nil for v's zero value: a member the body
// leaves out.
func nonZero[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// nonEmpty is a pointer to list, or nil for an empty one.
func nonEmpty[T any](list []T) *[]T {
	if len(list) == 0 {
		return nil
	}
	return &list
}

// convert maps each element of in with f; nil stays nil.
func convert[S, T any](in []S, f func(S) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// textWriter is what the report and the visibility diff write as text.
type textWriter interface{ WriteText(io.Writer) error }

// writeReport answers with body, v's generated model, as JSON, or with v
// as text when format=text.
func writeReport(rc *pipeline.Request, v textWriter, body func() any) error {
	if rc.R.URL.Query().Get("format") != "text" {
		rc.WriteJSON(http.StatusOK, "application/json", body())
		return nil
	}
	var b strings.Builder
	if err := v.WriteText(&b); err != nil {
		return err
	}
	rc.SetHeaders()
	rc.W.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rc.W.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(rc.W, b.String())
	return nil
}

func (s *Server) adminGetReport(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	r := report.Build(t)
	return writeReport(rc, r, func() any { return reportBody(r) })
}

// reportBody is the Report of r.
func reportBody(r *report.Report) *adminapi.Report {
	return &adminapi.Report{Tenant: r.Tenant, Credentials: convert(r.Credentials, credentialReport)}
}

func credentialReport(c report.CredentialReport) adminapi.CredentialReport {
	return adminapi.CredentialReport{
		Kind: adminapi.CredentialReportKind(c.Kind), Id: c.ID, Key: nonZero(c.Key), User: c.User, Revoked: nonZero(c.Revoked),
		Requests: c.Requests, Denied: c.Denied,
		Operations: convert(c.Operations, func(o report.OperationUse) adminapi.OperationUse {
			return adminapi.OperationUse{Operation: o.Operation, Requests: o.Requests, Denied: o.Denied}
		}),
		Scopes: grant(c.Scopes), Permissions: grant(c.Permissions), EntityTypes: grant(c.EntityTypes),
		Principals: c.Principals,
		AsUser: convert(c.AsUser, func(p report.PrincipalReport) adminapi.PrincipalReport {
			return adminapi.PrincipalReport{User: p.User, Requests: p.Requests, Denied: p.Denied,
				Permissions: grant(p.Permissions), EntityTypes: grant(p.EntityTypes)}
		}),
		Denials: convert(c.Denials, func(d tenant.DenialCount) adminapi.DenialCount {
			return adminapi.DenialCount{Operation: d.Operation, Step: d.Step, Code: d.Code, Missing: nonEmpty(d.Missing),
				Principal: nonZero(d.Principal), Audit: nonZero(d.Audit), Count: d.Count}
		}),
	}
}

func grant(g report.Grant) adminapi.Grant {
	return adminapi.Grant{Granted: g.Granted, Used: g.Used, Unused: g.Unused, Missing: g.Missing}
}

func (s *Server) adminGetVisibility(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	v := rc.R.URL.Query()
	user, _ := strconv.ParseInt(v.Get("user"), 10, 64) // validated against the spec
	d, err := s.Visibility(t.ID(), user, v.Get("entityType"))
	if err != nil {
		return adminFail(rc, http.StatusNotFound, "not_found", "%s", strings.TrimPrefix(err.Error(), "mockserver: "))
	}
	return writeReport(rc, d, func() any { return visibilityBody(d) })
}

// visibilityBody is the VisibilityDiff of d.
func visibilityBody(d *report.VisibilityDiff) *adminapi.VisibilityDiff {
	return &adminapi.VisibilityDiff{
		Tenant: d.Tenant, User: d.User, UserName: d.UserName, EntityType: d.EntityType,
		ApiDataAccess: adminapi.VisibilityDiffApiDataAccess(d.APIDataAccess), Ui: rowSet(d.UI),
		Credentials: convert(d.Credentials, func(c report.CredentialView) adminapi.CredentialView {
			v := adminapi.CredentialView{Kind: adminapi.CredentialViewKind(c.Kind), Id: c.ID, Operation: c.Operation, Rows: rowSet(c.Rows),
				ApiOnly: convert(c.APIOnly, rowDifference), UiOnly: convert(c.UIOnly, rowDifference)}
			if sd := c.Denied; sd != nil {
				v.Denied = &adminapi.StepDenial{Step: sd.Step, Code: sd.Code, Missing: nonEmpty(sd.Missing)}
			}
			return v
		}),
	}
}

func rowSet(r report.RowSet) adminapi.RowSet { return adminapi.RowSet{Count: r.Count, Ids: r.IDs} }

func rowDifference(r report.RowDifference) adminapi.RowDifference {
	return adminapi.RowDifference{Id: r.ID, Name: nonZero(r.Name), Reason: r.Reason}
}

func (s *Server) adminGetFaults(rc *pipeline.Request) error {
	if t, ok := s.adminTenant(rc); ok {
		f, _ := t.Faults()
		rc.WriteJSON(http.StatusOK, "application/json", faultsBody(f.Fixture()))
	}
	return nil
}

// faultsBody is the Faults of a plan in fixture form; the seed is always
// there, a rule's zero values are left out.
func faultsBody(ff tenant.FaultsFixture) *adminapi.Faults {
	return &adminapi.Faults{Seed: &ff.Seed, Rules: convert(ff.Rules, func(r tenant.FaultRuleFixture) adminapi.FaultRule {
		return adminapi.FaultRule{Operations: nonEmpty(r.Operations), Kind: adminapi.FaultRuleKind(r.Kind), Probability: r.Probability,
			RetryAfter: nonZero(r.RetryAfter), Latency: nonZero(r.Latency), AfterWrite: nonZero(r.AfterWrite), Times: nonZero(r.Times)}
	})}
}

func (s *Server) adminSetFaults(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	var body adminapi.Faults
	if err := rc.DecodeBody(&body); err != nil {
		return err
	}
	ff := tenant.FaultsFixture{Seed: pipeline.Deref(body.Seed), Rules: convert(body.Rules, func(r adminapi.FaultRule) tenant.FaultRuleFixture {
		return tenant.FaultRuleFixture{Operations: pipeline.Deref(r.Operations), Kind: string(r.Kind), Probability: r.Probability,
			RetryAfter: pipeline.Deref(r.RetryAfter), Latency: pipeline.Deref(r.Latency), AfterWrite: pipeline.Deref(r.AfterWrite), Times: pipeline.Deref(r.Times)}
	})}
	f, err := ff.Faults()
	if err == nil {
		err = t.SetFaults(f)
	}
	if err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	cur, _ := t.Faults()
	rc.WriteJSON(http.StatusOK, "application/json", faultsBody(cur.Fixture()))
	return nil
}

func (s *Server) adminExpireCredentials(rc *pipeline.Request) error {
	t, ok := s.adminTenant(rc)
	if !ok {
		return nil
	}
	var req adminapi.ExpireRequest // no body: every token and session
	if len(bytes.TrimSpace(rc.Body)) > 0 {
		if err := rc.DecodeBody(&req); err != nil {
			return err
		}
	}
	only := pipeline.Deref(req.Only)
	tokens, sessions, err := t.ExpireCredentials(tenant.ExpireFilter{
		ClientID: pipeline.Deref(req.ClientId), User: pipeline.Deref(req.User),
		TokensOnly: only == adminapi.Tokens, SessionsOnly: only == adminapi.Sessions,
	})
	if err != nil {
		return adminFail(rc, http.StatusBadRequest, "bad_request", "%v", err)
	}
	rc.WriteJSON(http.StatusOK, "application/json", &adminapi.ExpireResult{Tokens: tokens, Sessions: sessions})
	return nil
}

// surfaceAdmin is the admin API's wire format: {error, message}.
var surfaceAdmin = &pipeline.Surface{
	Name: "admin",
	WriteError: func(rc *pipeline.Request, e *pipeline.Error) {
		rc.WriteJSON(e.Status, "application/json", &adminapi.Error{Error: pipeline.PlainCode(e), Message: e.Msg})
	},
}

// decodeJSON is a small helper for handlers of the layer's admin API.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	// The spec has validated the body: what is left is a value out of the
	// Go type's range. Name the field, not the Go type.
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: %s is out of range", te.Field, te.Value)
	}
	return err
}
