package mockserver

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// Same-origin rules. The mock serves public test credentials and an
// unauthenticated admin API, so a web page the developer happens to open
// must not be able to use it:
//
//   - Host: every request but the /healthz probe must name a host the
//     server answers for: a loopback address (127.0.0.0/8, ::1), localhost
//     or a name under .localhost (which browsers resolve to loopback
//     themselves), or one given with WithAllowedHosts. A DNS-rebinding page
//     reaches the mock under its own name and is answered 421.
//   - Origin: an admin request that carries an Origin header must come
//     from the server's own origin (scheme aside, the Origin's host and
//     port are the request's Host); "null" and foreign origins are 403.
//     Browsers send Origin on every cross-origin request but a top-level
//     GET, and on every POST, PUT, PATCH and DELETE.
//   - Sec-Fetch-Site: an admin write a browser marks cross-site or
//     same-site is 403.
//   - Content type: an admin write (POST, PUT, PATCH, DELETE) is sent with
//     Content-Type: application/json (or another type its request body
//     declares in admin.yaml: a fixture may be YAML), or with no body and no
//     Content-Type at all (415 otherwise). None of these is a type an HTML
//     form or a "simple" cross-origin request may send, so a browser cannot
//     send such a write to another origin without a CORS preflight, which
//     the mock never answers.

// hostPolicy is the set of Host values the server answers for.
type hostPolicy struct {
	any     bool            // "*": every host (the DNS-rebinding check is off)
	names   map[string]bool // exact names, lower case
	domains []string        // ".example.test": the name and every name under it
}

// newHostPolicy reads WithAllowedHosts entries: host names or IP addresses
// without a port, ".domain" for a domain and its subdomains, or "*".
func newHostPolicy(entries []string) (hostPolicy, error) {
	p := hostPolicy{names: map[string]bool{}}
	for _, e := range entries {
		h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(e), "."))
		switch {
		case h == "":
			continue
		case h == "*":
			p.any = true
			continue
		case strings.ContainsAny(h, "/@?# \t") || (strings.Contains(h, ":") && net.ParseIP(strings.Trim(h, "[]")) == nil):
			return hostPolicy{}, fmt.Errorf("mockserver: allowed host %q: give a host name or IP address without scheme, port or path (such as mock, 10.0.0.5 or .example.test), or *", e)
		}
		if strings.HasPrefix(h, ".") {
			p.domains = append(p.domains, h)
			continue
		}
		p.names[strings.Trim(h, "[]")] = true
	}
	return p, nil
}

// CheckAllowedHosts reports the first WithAllowedHosts entry New would
// refuse, for programs that validate their configuration before starting.
func CheckAllowedHosts(hosts ...string) error {
	_, err := newHostPolicy(hosts)
	return err
}

// allows reports whether hostport, a request's Host, is one the server
// answers for.
func (p hostPolicy) allows(hostport string) bool {
	if p.any {
		return true
	}
	h := hostOnly(hostport)
	if h == "" {
		return false
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || p.names[h] {
		return true
	}
	if ip, err := netip.ParseAddr(h); err == nil && ip.Zone() == "" && ip.IsLoopback() {
		return true // netip, not net.ParseIP: no allocation per request
	}
	for _, d := range p.domains {
		if h == d[1:] || strings.HasSuffix(h, d) {
			return true
		}
	}
	return false
}

// hostOnly returns the host of a Host value, lower case, without port,
// brackets or a trailing dot.
func hostOnly(hostport string) string {
	h := strings.ToLower(hostport)
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.Trim(h, "[]"), ".")
}

// checkHost applies the Host rule to any request.
func (s *Server) checkHost(r *http.Request) *pipeline.Error {
	// The policy never changes, and a client sends one Host value on
	// every request: the last one allowed is remembered.
	if last := s.hostAllowed.Load(); last != nil && *last == r.Host {
		return nil
	}
	if s.hosts.allows(r.Host) {
		host := r.Host
		s.hostAllowed.Store(&host)
		return nil
	}
	return &pipeline.Error{Status: http.StatusMisdirectedRequest, Kind: pipeline.KindMisdirected,
		Msg: fmt.Sprintf("this mock does not answer for host %q: it answers for loopback addresses and localhost; "+
			"to reach it under another name, start it with --allowed-hosts (TENANTKIT_ALLOWED_HOSTS) or mockserver.WithAllowedHosts", hostOnly(r.Host))}
}

// checkAdminOrigin applies the Origin, Sec-Fetch-Site and content-type
// rules to an admin request (whose Host has been checked).
func checkAdminOrigin(r *http.Request) *pipeline.Error {
	forbidden := func(format string, args ...any) *pipeline.Error {
		return &pipeline.Error{Status: http.StatusForbidden, Kind: pipeline.KindForbiddenOrigin, Msg: fmt.Sprintf(format, args...)}
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if o == "null" || err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return forbidden("the admin API answers only pages of its own origin; this request comes from %q", o)
		}
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return forbidden("the admin API refuses writes a browser sends from another site (Sec-Fetch-Site: %s)", site)
	}
	return nil
}

// checkAdminContentType applies the content-type rule to an admin write:
// application/json or another media type its operation's request body
// declares (a fixture may be YAML), or no body and no Content-Type.
func checkAdminContentType(r *http.Request, op *openapi3.Operation) *pipeline.Error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return nil
	}
	accepted := []string{"application/json"}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for mt := range op.RequestBody.Value.Content {
			if mt != "application/json" {
				accepted = append(accepted, mt)
			}
		}
		slices.Sort(accepted[1:])
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && slices.Contains(accepted, mt) {
		return nil
	}
	got := "no Content-Type"
	if ct != "" {
		got = fmt.Sprintf("Content-Type %q", ct)
	}
	return &pipeline.Error{Status: http.StatusUnsupportedMediaType, Kind: pipeline.KindUnsupportedMedia,
		Msg: fmt.Sprintf("%s %s takes Content-Type %s (or no body and no Content-Type); this request has %s",
			r.Method, r.URL.Path, strings.Join(accepted, " or "), got)}
}
