// Package console is the mock's console in the browser, served at
// /_mock/ui/ by mockserver.Server: each tenant's users, roles and
// credentials, a live stream of the decisions its requests meet, the
// least-privilege report, the API-versus-UI visibility diff, and controls.
//
// Pages are rendered on the server from the tenant store and the reports
// (package report), so the pages that only read work with JavaScript off.
// The live stream is server-sent events fed by tenant.Watch, which never
// holds up a request: an entry that finds a slow page's buffer full is
// dropped, and the page is told how many. Controls call the admin API
// from the page (fetch, same origin), so they pass the admin API's Host,
// Origin and Content-Type checks like any other admin request; the console
// itself only reads. Everything it serves is embedded in the binary and
// loads nothing from the network.
//
// The console depends on the tenant store and the reports only; the
// server gives it a Source.
package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/report"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Prefix is the path the console is served under.
const Prefix = "/_mock/ui/"

// Source is what the console reads: the server's tenants and its reports,
// built as the admin API builds them.
type Source interface {
	Tenants() []*tenant.Tenant
	Tenant(id string) (*tenant.Tenant, bool)
	DefaultTenant() *tenant.Tenant
	LeastPrivilege(tenantID string) (*report.Report, error)
	Visibility(tenantID string, user int64, entityType string) (*report.VisibilityDiff, error)
}

//go:embed assets
var assets embed.FS

// Console serves the console's pages.
type Console struct {
	src   Source
	admin string // the admin API's path prefix, which the controls call
	pages map[string]*template.Template
	files http.Handler
	// heartbeat is how often an idle live stream sends a comment, so that
	// proxies and the browser keep it open.
	heartbeat time.Duration
	closed    chan struct{} // closed by Close: live streams end
	closeOnce sync.Once
}

// New builds the console over src, whose admin API is served under the
// path prefix admin (the controls call it).
func New(src Source, admin string) (*Console, error) {
	a, err := parsedAssets()
	if err != nil {
		return nil, err
	}
	return &Console{src: src, admin: admin, pages: a.pages, files: a.files, heartbeat: 15 * time.Second, closed: make(chan struct{})}, nil
}

// parsedAssets are the pages' templates and the static files' handler,
// parsed once a process and shared by every Console: a template is only
// read once parsed, and executes concurrently.
var parsedAssets = sync.OnceValues(func() (consoleAssets, error) {
	pages := map[string]*template.Template{}
	for _, name := range []string{"tenant", "live", "entry", "privilege", "visibility", "controls", "error"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "assets/layout.html", "assets/"+name+".html")
		if err != nil {
			return consoleAssets{}, fmt.Errorf("console: %w", err)
		}
		pages[name] = t
	}
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		return consoleAssets{}, err
	}
	return consoleAssets{pages, http.StripPrefix(Prefix+"static/", http.FileServerFS(static))}, nil
})

type consoleAssets struct {
	pages map[string]*template.Template
	files http.Handler
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string { return t.UTC().Format("15:04:05.000") },
	"outcomeClass": func(outcome string) string {
		switch outcome {
		case wire.OutcomeAllow:
			return "allow"
		case wire.OutcomeAuditDeny:
			return "audit"
		}
		return "deny"
	},
	"callerName": func(c *tenant.AuditCaller) string {
		if c == nil {
			return ""
		}
		return c.ID
	},
	"rowOf":   func(e tenant.AuditEntry, base string) rowView { return rowView{Entry: e, Base: base} },
	"grantOf": func(name string, g report.Grant) grantRow { return grantRow{Name: name, Grant: g} },
}

// IsStream reports whether path is a live stream's (which stays open
// while its page does).
func IsStream(path string) bool {
	return strings.HasPrefix(path, Prefix+"t/") && strings.HasSuffix(path, "/live/events")
}

// Close ends every live stream, now and later (an http.Server's Shutdown
// waits for open requests, and a stream stays open until its page goes).
func (c *Console) Close() { c.closeOnce.Do(func() { close(c.closed) }) }

// ServeHTTP serves GET and HEAD (and POST of a manifest to check) under
// Prefix.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		c.fail(w, r, nil, http.StatusNotFound, "no console page at "+r.URL.Path)
		return
	}
	if strings.HasPrefix(rest, "static/") {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			c.methodNotAllowed(w, r, "GET, HEAD")
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		c.files.ServeHTTP(w, r)
		return
	}
	if rest == "" {
		// The tenant picker's form (without JavaScript) asks for ?t=ID.
		t := c.src.DefaultTenant()
		if id := r.URL.Query().Get("t"); id != "" {
			var ok bool
			if t, ok = c.src.Tenant(id); !ok {
				c.fail(w, r, nil, http.StatusNotFound, fmt.Sprintf("no tenant %q", id))
				return
			}
		}
		http.Redirect(w, r, Prefix+"t/"+url.PathEscape(t.ID())+"/", http.StatusSeeOther)
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 3 || parts[0] != "t" {
		c.fail(w, r, nil, http.StatusNotFound, "no console page at "+r.URL.Path)
		return
	}
	t, ok := c.src.Tenant(parts[1])
	if !ok {
		c.fail(w, r, nil, http.StatusNotFound, fmt.Sprintf("no tenant %q", parts[1]))
		return
	}
	page := strings.Join(parts[2:], "/")
	if page == "privilege" && r.Method == http.MethodPost {
		c.privilege(w, r, t)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		allow := "GET, HEAD"
		if page == "privilege" {
			allow += ", POST"
		}
		c.methodNotAllowed(w, r, allow)
		return
	}
	switch {
	case page == "":
		c.tenant(w, r, t)
	case page == "live":
		c.live(w, r, t)
	case page == "live/events":
		c.events(w, r, t)
	case strings.HasPrefix(page, "live/") && len(parts) == 4:
		c.entry(w, r, t, parts[3])
	case page == "privilege":
		c.privilege(w, r, t)
	case page == "privilege/manifest.yaml":
		c.manifest(w, r, t)
	case page == "visibility":
		c.visibility(w, r, t)
	case page == "controls":
		c.controls(w, r, t)
	default:
		c.fail(w, r, t, http.StatusNotFound, "no console page at "+r.URL.Path)
	}
}

// view is what every page's layout reads.
type view struct {
	Title   string
	Page    string // the nav entry to mark
	Tenant  *tenant.Tenant
	Tenants []*tenant.Tenant
	Base    string // /_mock/ui/t/<id>/
	Admin   string // /_mock/tenants/<id>
	Data    any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, title string, t *tenant.Tenant, data any) {
	v := view{Title: title, Page: name, Tenant: t, Tenants: c.src.Tenants(), Data: data}
	if t != nil {
		v.Base = Prefix + "t/" + url.PathEscape(t.ID()) + "/"
		v.Admin = c.admin + "tenants/" + url.PathEscape(t.ID())
	}
	var b bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&b, "layout", v); err != nil {
		http.Error(w, "console: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Everything the page loads is the mock's own; the page may be framed
	// by nothing.
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, t *tenant.Tenant, status int, msg string) {
	c.render(w, r, status, "error", http.StatusText(status), t, msg)
}

func (c *Console) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	c.fail(w, r, nil, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use "+allow)
}

// tenantView is the tenant page: who is in the tenant and what each
// credential and role grants.
type tenantView struct {
	Users    []userRow
	Groups   []tenant.GroupFixture
	Roles    []tenant.RoleFixture
	APIKeys  []tenant.APIKey
	Clients  []tenant.OAuthClient
	Proxies  []tenant.ProxyAssignment
	Settings tenant.Settings
	Names    map[int64]string
}

type userRow struct {
	tenant.User
	Keys, Clients []string
}

func (c *Console) tenant(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) {
	f := t.Fixture()
	v := tenantView{Groups: f.Groups, Roles: f.Roles, APIKeys: t.APIKeys(), Clients: t.OAuthClients(),
		Proxies: t.ProxyAssignments(), Settings: t.Settings(), Names: map[int64]string{}}
	for _, u := range t.Users() {
		row := userRow{User: u}
		for _, k := range v.APIKeys {
			if k.User == u.ID {
				row.Keys = append(row.Keys, k.Name)
			}
		}
		for _, cl := range v.Clients {
			if cl.User == u.ID {
				row.Clients = append(row.Clients, cl.ClientID)
			}
		}
		v.Users = append(v.Users, row)
		v.Names[u.ID] = u.Name
	}
	c.render(w, r, http.StatusOK, "tenant", "Tenant "+t.Name(), t, v)
}

// liveFilter selects entries by credential, outcome, API and operation
// (the live page's form; the page applies it to streamed rows too).
type liveFilter struct {
	Credential, Outcome, API, Operation string
}

func filterOf(q url.Values) liveFilter {
	return liveFilter{Credential: q.Get("credential"), Outcome: q.Get("outcome"), API: q.Get("api"), Operation: q.Get("operation")}
}

func (f liveFilter) match(e *tenant.AuditEntry) bool {
	return (f.Credential == "" || e.Caller != nil && e.Caller.ID == f.Credential) &&
		(f.Outcome == "" || e.Outcome == f.Outcome) &&
		(f.API == "" || e.API == f.API) &&
		(f.Operation == "" || e.Operation == f.Operation)
}

// liveRows is how many entries the live page starts with.
const liveRows = 200

type liveView struct {
	Filter  liveFilter
	Entries []tenant.AuditEntry
	// Choices for the filter's lists, from the tenant and its log.
	Credentials, APIs, Operations []string
	Outcomes                      []string
}

func (c *Console) live(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) {
	f := filterOf(r.URL.Query())
	all := t.Audit(tenant.AuditFilter{})
	v := liveView{Filter: f, Outcomes: []string{wire.OutcomeAllow, wire.OutcomeDeny, wire.OutcomeAuditDeny}}
	for _, k := range t.APIKeys() {
		v.Credentials = append(v.Credentials, k.Name)
	}
	for _, cl := range t.OAuthClients() {
		v.Credentials = append(v.Credentials, cl.ClientID)
	}
	v.Credentials = append(v.Credentials, "session")
	for i := len(all) - 1; i >= 0; i-- { // newest first
		e := &all[i]
		if e.API != "" && !slices.Contains(v.APIs, e.API) {
			v.APIs = append(v.APIs, e.API)
		}
		if e.Operation != "" && !slices.Contains(v.Operations, e.Operation) {
			v.Operations = append(v.Operations, e.Operation)
		}
		if len(v.Entries) < liveRows && f.match(e) {
			v.Entries = append(v.Entries, *e)
		}
	}
	slices.Sort(v.APIs)
	slices.Sort(v.Operations)
	c.render(w, r, http.StatusOK, "live", "Live requests", t, v)
}

// events streams the tenant's new audit entries as server-sent events,
// each a rendered table row ("entry"), plus "dropped" when the page fell
// behind. It ends when the page goes away.
func (c *Console) events(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) {
	select {
	case <-c.closed:
		http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
		return
	default:
	}
	watch, err := t.Watch(256)
	if errors.Is(err, tenant.ErrTooManyWatches) {
		w.Header().Set("Retry-After", "5")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer watch.Stop()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(b []byte) bool {
		// A stream outlives the server's write timeout: each write gets its
		// own deadline, so a page that stops reading ends only its stream.
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send([]byte(": tenantkit live requests\nretry: 2000\n\n")) {
		return
	}
	row := c.pages["live"]
	tick := time.NewTicker(c.heartbeat)
	defer tick.Stop()
	var dropped int64
	var b, html bytes.Buffer
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.closed:
			return
		case <-tick.C:
			if !send([]byte(": keep-alive\n\n")) {
				return
			}
		case e, open := <-watch.Entries():
			if !open {
				return
			}
			b.Reset()
			html.Reset()
			if err := row.ExecuteTemplate(&html, "row", rowView{Entry: e, Base: Prefix + "t/" + url.PathEscape(t.ID()) + "/"}); err != nil {
				return
			}
			fmt.Fprintf(&b, "event: entry\nid: %d\n", e.Seq)
			// A carriage return ends an event's line too: none may come
			// from an entry's text (a client id, a reason) into the frame.
			text := strings.ReplaceAll(strings.TrimRight(html.String(), "\n"), "\r", "\n")
			for line := range strings.SplitSeq(text, "\n") {
				b.WriteString("data: ")
				b.WriteString(line)
				b.WriteByte('\n')
			}
			b.WriteByte('\n')
			if n := watch.Dropped(); n != dropped {
				fmt.Fprintf(&b, "event: dropped\ndata: %d\n\n", n)
				dropped = n
			}
			if !send(b.Bytes()) {
				return
			}
		}
	}
}

// grantRow is one row of a credential's grant table.
type grantRow struct {
	Name  string
	Grant report.Grant
}

// rowView is one row of the live table.
type rowView struct {
	Entry tenant.AuditEntry
	Base  string
}

func (c *Console) entry(w http.ResponseWriter, r *http.Request, t *tenant.Tenant, seqText string) {
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq <= 0 {
		c.fail(w, r, t, http.StatusNotFound, fmt.Sprintf("%q is not an audit entry number", seqText))
		return
	}
	for _, e := range t.Audit(tenant.AuditFilter{}) {
		if e.Seq == seq {
			c.render(w, r, http.StatusOK, "entry", fmt.Sprintf("Request %d", seq), t, e)
			return
		}
	}
	c.fail(w, r, t, http.StatusNotFound, fmt.Sprintf("audit entry %d is not in the log (it keeps the newest %d)", seq, tenant.AuditCapacity))
}

type privilegeView struct {
	Report   *report.Report
	Manifest string   // the pasted manifest, when one was checked
	Problems []string // what the check found
	Checked  bool
	Error    string
}

// maxManifest bounds a pasted manifest.
const maxManifest = 64 << 10

func (c *Console) privilege(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) {
	rep, err := c.src.LeastPrivilege(t.ID())
	if err != nil {
		c.fail(w, r, t, http.StatusNotFound, err.Error())
		return
	}
	v := privilegeView{Report: rep}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxManifest)
		text := ""
		if err := r.ParseForm(); err != nil {
			v.Error, status = "the manifest could not be read: "+err.Error(), http.StatusBadRequest
		} else {
			text = r.PostForm.Get("manifest")
		}
		v.Manifest = text
		if v.Error == "" {
			m, err := report.ParseManifest("manifest", []byte(text))
			if err != nil {
				v.Error, status = err.Error(), http.StatusBadRequest
			} else {
				v.Problems, v.Checked = rep.Check(m), true
			}
		}
	}
	c.render(w, r, status, "privilege", "Least privilege", t, v)
}

// manifest is the suggested manifest: the grant the run needed, for one
// credential (credential=ID) or all.
func (c *Console) manifest(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) {
	rep, err := c.src.LeastPrivilege(t.ID())
	if err != nil {
		c.fail(w, r, t, http.StatusNotFound, err.Error())
		return
	}
	var ids []string
	if id := r.URL.Query().Get("credential"); id != "" {
		ids = []string{id}
	}
	var b bytes.Buffer
	if err := rep.Manifest(ids...).WriteYAML(&b); err != nil {
		c.fail(w, r, t, http.StatusInternalServerError, err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/yaml; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="manifest.yaml"`)
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

type visibilityView struct {
	Users       []tenant.User
	EntityTypes []string
	User        int64
	EntityType  string
	Diff        *report.VisibilityDiff
	Error       string
}

func (c *Console) visibility(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) {
	q := r.URL.Query()
	v := visibilityView{Users: t.Users(), EntityType: q.Get("entityType")}
	for _, et := range t.EntityTypes() {
		v.EntityTypes = append(v.EntityTypes, et.Name)
	}
	v.EntityTypes = append(v.EntityTypes, t.ResourceTypes()...) // the loaded APIs' types
	status := http.StatusOK
	if s := q.Get("user"); s != "" || v.EntityType != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			v.Error, status = fmt.Sprintf("user: %q is not a user id", s), http.StatusBadRequest
		case v.EntityType == "":
			v.User, v.Error, status = id, "pick an entity type", http.StatusBadRequest
		default:
			v.User = id
			if v.Diff, err = c.src.Visibility(t.ID(), id, v.EntityType); err != nil {
				v.Error, status = err.Error(), http.StatusBadRequest
			}
		}
	}
	c.render(w, r, status, "visibility", "Visibility", t, v)
}

type controlsView struct {
	Settings tenant.Settings
}

func (c *Console) controls(w http.ResponseWriter, r *http.Request, t *tenant.Tenant) {
	c.render(w, r, http.StatusOK, "controls", "Controls", t, controlsView{Settings: t.Settings()})
}
