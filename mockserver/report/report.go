// Package report is the mock's reports room: the least-privilege report of
// a tenant (what each credential was granted, used and lacked), the grant
// manifest an integration declares and its check against a run, and the
// API-versus-UI visibility diff. Reports read the tenant's usage and the
// decision function's verdicts; they decide nothing themselves. The mock
// server serves them (Server.LeastPrivilege, Server.Visibility, the admin
// API) and package mockserver names the same types.
package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Report is the least-privilege report of one tenant: per credential, what
// it was granted, what it used, what it never used, and what it needed but
// did not hold. Its JSON form is stable (docs/guides/least-privilege.md).
type Report struct {
	Tenant      string             `json:"tenant"`
	Credentials []CredentialReport `json:"credentials"`
}

// CredentialReport is one credential's part of a Report. Kind and ID name
// the credential as the audit log does: an API key's name, an OAuth client
// id, or "session" for a user's data-API sessions.
type CredentialReport struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Key is an API key's value (a public test value of the fixture), for
	// API keys: reports and manifests name a key by ID, its name, and the
	// value is what a client sends.
	Key     string `json:"key,omitempty"`
	User    int64  `json:"user"`
	Revoked bool   `json:"revoked,omitempty"`
	// Requests counts the requests the pipeline judged for the credential
	// (one answered by the rate limit or an injected fault first is not
	// counted); Denied those refused (or allowed only by enforcement:
	// audit).
	Requests   int            `json:"requests"`
	Denied     int            `json:"denied"`
	Operations []OperationUse `json:"operations"`
	// Scopes applies to OAuth clients: granted is what the client may be
	// issued. API keys and sessions carry no scopes.
	Scopes Grant `json:"scopes"`
	// Permissions and EntityTypes are those of the credential's user's
	// roles; requests made AS-USER another principal use the principal's
	// roles, so what they used and lacked is under AsUser instead.
	Permissions Grant `json:"permissions"`
	EntityTypes Grant `json:"entityTypes"`
	// Principals lists the users the credential acted as (AS-USER, the
	// proxy step passed); AsUser says, per principal, what it used and
	// lacked of the principal's grant.
	Principals []int64           `json:"principals"`
	AsUser     []PrincipalReport `json:"asUser"`
	// Denials groups the refused requests by operation and failed step
	// (and principal: a proxied request's permission, object and row
	// denials are the principal's).
	Denials []tenant.DenialCount `json:"denials"`
}

// PrincipalReport is what a credential's requests AS-USER one principal
// used and lacked of the principal's roles. Unused is always empty: the
// principal's grant is the principal's, not the integration's to narrow.
type PrincipalReport struct {
	User        int64 `json:"user"`
	Requests    int   `json:"requests"`
	Denied      int   `json:"denied"`
	Permissions Grant `json:"permissions"`
	EntityTypes Grant `json:"entityTypes"`
}

// Grant compares what a credential holds with what it used and needed.
type Grant struct {
	Granted []string `json:"granted"`
	Used    []string `json:"used"`
	// Unused is granted and never used: a candidate for removal.
	Unused []string `json:"unused"`
	// Missing was needed by a refused request and not held. A permission
	// requirement that any one of several permissions would satisfy is
	// written "a|b".
	Missing []string `json:"missing"`
}

// OperationUse counts the requests one operation received.
type OperationUse struct {
	Operation string `json:"operation"`
	Requests  int    `json:"requests"`
	Denied    int    `json:"denied"`
}

// Build builds the least-privilege report of a tenant from what its
// credentials used since it was built or reset. Every API key and OAuth
// client is listed, used or not.
func Build(t *tenant.Tenant) *Report {
	usage := map[[2]string]tenant.CredentialUsage{}
	key := func(kind, id string, user int64) [2]string { return [2]string{kind, id + "\x00" + fmt.Sprint(user)} }
	for _, u := range t.Usage() {
		usage[key(u.Caller.Kind, u.Caller.ID, u.Caller.User)] = u
	}
	r := &Report{Tenant: t.ID(), Credentials: []CredentialReport{}}
	add := func(kind, id string, user int64, revoked bool, scopes []string) {
		k := key(kind, id, user)
		r.Credentials = append(r.Credentials, credentialReport(t, kind, id, user, revoked, scopes, usage[k]))
		delete(usage, k)
	}
	for _, k := range t.APIKeys() {
		add(decide.CallerAPIKey, k.Name, k.User, k.Revoked, nil)
		if !k.Issued { // a key an API issued at run time was shown once, to its maker
			r.Credentials[len(r.Credentials)-1].Key = k.Key
		}
	}
	for _, c := range t.OAuthClients() {
		add(decide.CallerClient, c.ClientID, c.User, false, c.Scopes)
	}
	for _, u := range usage { // sessions, and credentials changed since
		add(u.Caller.Kind, u.Caller.ID, u.Caller.User, false, nil)
	}
	slices.SortFunc(r.Credentials, func(a, b CredentialReport) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID), cmp.Compare(a.User, b.User))
	})
	return r
}

func credentialReport(t *tenant.Tenant, kind, id string, user int64, revoked bool, scopes []string, u tenant.CredentialUsage) CredentialReport {
	perms, types := t.RoleGrants(user)
	cr := CredentialReport{
		Kind: kind, ID: id, User: user, Revoked: revoked,
		Requests: u.Requests, Denied: u.Denied,
		Operations: []OperationUse{}, Principals: slices.Sorted(maps.Keys(u.Principals)), Denials: u.Denials,
	}
	if cr.Principals == nil {
		cr.Principals = []int64{}
	}
	if cr.Denials == nil {
		cr.Denials = []tenant.DenialCount{}
	}
	denied := map[string]int{}
	type lacked struct{ perms, types []string }
	missing := map[int64]*lacked{0: {}} // by principal; 0: the credential's user
	var missingScopes []string
	for _, d := range u.Denials {
		denied[d.Operation] += d.Count
		m := missing[d.Principal]
		if m == nil {
			m = &lacked{}
			missing[d.Principal] = m
		}
		switch d.Step {
		case wire.StepScope:
			missingScopes = append(missingScopes, d.Missing...)
		case wire.StepPermission:
			if d.Code == wire.CodeRowNotEditable {
				// A row's edit right is the row's sharing, not a role
				// permission a manifest could grant: the denial is
				// counted, and named among the denials only.
				break
			}
			m.perms = append(m.perms, strings.Join(d.Missing, "|"))
		case wire.StepObject:
			m.types = append(m.types, d.Missing...)
		}
	}
	missingPerms, missingTypes := missing[0].perms, missing[0].types
	cr.AsUser = []PrincipalReport{}
	for _, p := range slices.Sorted(maps.Keys(u.AsUser)) {
		pu := u.AsUser[p]
		pPerms, pTypes := t.RoleGrants(p)
		m := missing[p]
		if m == nil {
			m = &lacked{}
		}
		pr := PrincipalReport{User: p, Requests: pu.Requests, Denied: pu.Denied,
			Permissions: compareGrant(pPerms, slices.Collect(maps.Keys(pu.Permissions)), m.perms, tenant.MatchPermission),
			EntityTypes: compareGrant(pTypes, slices.Collect(maps.Keys(pu.EntityTypes)), m.types, tenant.MatchEntityType)}
		pr.Permissions.Unused, pr.EntityTypes.Unused = []string{}, []string{}
		cr.AsUser = append(cr.AsUser, pr)
	}
	for _, op := range slices.Sorted(maps.Keys(u.Operations)) {
		cr.Operations = append(cr.Operations, OperationUse{Operation: op, Requests: u.Operations[op], Denied: denied[op]})
	}
	cr.Scopes = compareGrant(scopes, slices.Collect(maps.Keys(u.Scopes)), missingScopes, func(g, u string) bool { return g == u })
	cr.Permissions = compareGrant(perms, slices.Collect(maps.Keys(u.Permissions)), missingPerms, tenant.MatchPermission)
	cr.EntityTypes = compareGrant(types, slices.Collect(maps.Keys(u.EntityTypes)), missingTypes, tenant.MatchEntityType)
	return cr
}

// compareGrant fills a Grant; covers reports whether a granted entry (a
// pattern, for permissions and entity types) covers a used one.
func compareGrant(granted, used, missing []string, covers func(granted, used string) bool) Grant {
	g := Grant{Granted: sortedSet(granted), Used: sortedSet(used), Unused: []string{}, Missing: sortedSet(missing)}
	for _, p := range g.Granted {
		if !slices.ContainsFunc(g.Used, func(u string) bool { return covers(p, u) }) {
			g.Unused = append(g.Unused, p)
		}
	}
	return g
}

func sortedSet(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Credential returns the report of the credential with that id (an API key
// name or value, or an OAuth client id; kind "" matches any kind).
func (r *Report) Credential(kind, id string) (CredentialReport, bool) {
	for _, c := range r.Credentials {
		if c.is(id) && (kind == "" || c.Kind == kind) {
			return c, true
		}
	}
	return CredentialReport{}, false
}

// WriteText writes the report for people: one block per credential, used
// credentials first.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Least-privilege report for tenant %s\n", r.Tenant)
	var unused []string
	for _, c := range r.Credentials {
		if c.Requests == 0 {
			unused = append(unused, c.name())
			continue
		}
		fmt.Fprintf(&b, "\n%s: %d requests, %d denied\n", c.name(), c.Requests, c.Denied)
		ops := make([]string, 0, len(c.Operations))
		for _, o := range c.Operations {
			ops = append(ops, fmt.Sprintf("%s ×%d", o.Operation, o.Requests))
		}
		fmt.Fprintf(&b, "  operations:   %s\n", strings.Join(ops, ", "))
		if c.Kind == decide.CallerClient {
			writeGrant(&b, "  ", "scopes", c.Scopes)
		}
		writeGrant(&b, "  ", "permissions", c.Permissions)
		writeGrant(&b, "  ", "entity types", c.EntityTypes)
		if len(c.Principals) > 0 {
			fmt.Fprintf(&b, "  acted as:     %s (their roles applied)\n", joinInts(c.Principals))
		}
		for _, p := range c.AsUser {
			fmt.Fprintf(&b, "  as user %d: %d requests, %d denied (the principal's roles applied)\n", p.User, p.Requests, p.Denied)
			writeGrant(&b, "    ", "permissions", p.Permissions)
			writeGrant(&b, "    ", "entity types", p.EntityTypes)
		}
		for _, d := range c.Denials {
			audit := ""
			if d.Principal != 0 {
				audit = fmt.Sprintf(" (as user %d)", d.Principal)
			}
			if d.Audit {
				audit += " (allowed by enforcement: audit)"
			}
			missing := ""
			if len(d.Missing) > 0 {
				missing = ": " + strings.Join(d.Missing, " | ")
			}
			fmt.Fprintf(&b, "  denied:       %s at %s%s ×%d%s\n", d.Operation, d.Step, missing, d.Count, audit)
		}
	}
	if len(unused) > 0 {
		fmt.Fprintf(&b, "\nNever used:\n  %s\n", strings.Join(unused, "\n  "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeGrant(b *strings.Builder, indent, name string, g Grant) {
	rows := []struct {
		label string
		list  []string
		keep  bool
	}{{"granted", g.Granted, true}, {"used", g.Used, true}, {"unused", g.Unused, false}, {"missing", g.Missing, false}}
	for i, r := range rows {
		if len(r.list) == 0 && !r.keep {
			continue
		}
		head := ""
		if i == 0 {
			head = name
		}
		v := strings.Join(r.list, " ")
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(b, "%s%-13s %-8s %s\n", indent, head, r.label+":", v)
	}
}

// is reports whether id names the credential: its id, or an API key's
// value.
func (c CredentialReport) is(id string) bool { return c.ID == id || c.Key != "" && c.Key == id }

// name names the credential for people: "API key service
// (demo-key-service, user 2001)", "OAuth client demo-reporting (user
// 2001)", "sessions of user 1002".
func (c CredentialReport) name() string {
	if c.Key != "" {
		return fmt.Sprintf("%s %s (%s, user %d)", decide.KindName(c.Kind), c.ID, c.Key, c.User)
	}
	return decide.CallerName(c.Kind, c.ID, c.User)
}

func joinInts(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, " ")
}

// MergeReports combines the reports of several runs (several mock servers
// of one test package, say) into one: a credential's counts are added and
// what it used, missed and was denied is united, by kind, id and user.
// The merged report names the first report's tenant.
func MergeReports(reports ...*Report) *Report {
	out := &Report{Credentials: []CredentialReport{}}
	index := map[string]int{}
	for _, r := range reports {
		if r == nil {
			continue
		}
		if out.Tenant == "" {
			out.Tenant = r.Tenant
		}
		for _, c := range r.Credentials {
			k := fmt.Sprintf("%s\x00%s\x00%d", c.Kind, c.ID, c.User)
			i, ok := index[k]
			if !ok {
				index[k] = len(out.Credentials)
				out.Credentials = append(out.Credentials, c)
				continue
			}
			out.Credentials[i] = mergeCredential(out.Credentials[i], c)
		}
	}
	slices.SortFunc(out.Credentials, func(a, b CredentialReport) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.ID, b.ID), cmp.Compare(a.User, b.User))
	})
	return out
}

func mergeCredential(a, b CredentialReport) CredentialReport {
	a.Revoked = a.Revoked || b.Revoked
	a.Requests += b.Requests
	a.Denied += b.Denied
	ops := map[string]OperationUse{}
	for _, o := range append(slices.Clone(a.Operations), b.Operations...) {
		m := ops[o.Operation]
		m.Operation, m.Requests, m.Denied = o.Operation, m.Requests+o.Requests, m.Denied+o.Denied
		ops[o.Operation] = m
	}
	a.Operations = make([]OperationUse, 0, len(ops))
	for _, name := range slices.Sorted(maps.Keys(ops)) {
		a.Operations = append(a.Operations, ops[name])
	}
	merge := func(x, y Grant, covers func(string, string) bool) Grant {
		return compareGrant(append(slices.Clone(x.Granted), y.Granted...), append(slices.Clone(x.Used), y.Used...),
			append(slices.Clone(x.Missing), y.Missing...), covers)
	}
	a.Scopes = merge(a.Scopes, b.Scopes, func(g, u string) bool { return g == u })
	a.Permissions = merge(a.Permissions, b.Permissions, tenant.MatchPermission)
	a.EntityTypes = merge(a.EntityTypes, b.EntityTypes, tenant.MatchEntityType)
	a.Principals = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(a.Principals), b.Principals...))))
	asUser := map[int64]PrincipalReport{}
	for _, p := range append(slices.Clone(a.AsUser), b.AsUser...) {
		m, ok := asUser[p.User]
		if !ok {
			asUser[p.User] = p
			continue
		}
		m.Requests += p.Requests
		m.Denied += p.Denied
		m.Permissions = merge(m.Permissions, p.Permissions, tenant.MatchPermission)
		m.EntityTypes = merge(m.EntityTypes, p.EntityTypes, tenant.MatchEntityType)
		m.Permissions.Unused, m.EntityTypes.Unused = []string{}, []string{}
		asUser[p.User] = m
	}
	a.AsUser = make([]PrincipalReport, 0, len(asUser))
	for _, u := range slices.Sorted(maps.Keys(asUser)) {
		a.AsUser = append(a.AsUser, asUser[u])
	}
	denials := map[string]tenant.DenialCount{}
	for _, d := range append(slices.Clone(a.Denials), b.Denials...) {
		k := strings.Join([]string{d.Operation, d.Step, d.Code, strings.Join(d.Missing, " "), fmt.Sprint(d.Audit), fmt.Sprint(d.Principal)}, "\x00")
		m, ok := denials[k]
		if !ok {
			m = d
			m.Count = 0
		}
		m.Count += d.Count
		denials[k] = m
	}
	a.Denials = make([]tenant.DenialCount, 0, len(denials))
	for _, k := range slices.Sorted(maps.Keys(denials)) {
		a.Denials = append(a.Denials, denials[k])
	}
	return a
}
