package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Manifest is the grant an integration declares it needs: per credential,
// the OAuth scopes, role permissions and API entity types. Check compares
// it with what a test run used (docs/guides/least-privilege.md):
//
//	credentials:
//	  - id: demo-integrator            # OAuth client id, or API key name or value
//	    scopes: [integrations, data]
//	    permissions: [integrations:integration:view, integrations:integration:add]
//	    entityTypes: [Project]
//	    asUser:                        # what requests AS-USER a principal need of the principal's roles
//	      - user: 6045
//	        entityTypes: [Deals]
//
// A list left out is not checked.
type Manifest struct {
	Credentials []ManifestCredential `yaml:"credentials" json:"credentials"`
}

// ManifestCredential is one credential's declared grant. A nil list is not
// checked; an empty list declares that nothing is needed.
type ManifestCredential struct {
	ID          string   `yaml:"id" json:"id"`
	Scopes      []string `yaml:"scopes" json:"scopes"`
	Permissions []string `yaml:"permissions" json:"permissions"`
	EntityTypes []string `yaml:"entityTypes" json:"entityTypes"`
	// AsUser declares, per AS-USER principal, what the credential's
	// requests made as that principal need of the principal's roles. Nil
	// is not checked; an empty list declares that the credential acts as
	// nobody.
	AsUser []ManifestPrincipal `yaml:"asUser,omitempty" json:"asUser,omitempty"`
}

// ManifestPrincipal is what requests AS-USER one principal need of the
// principal's roles: permissions and API entity types (a nil list is not
// checked).
type ManifestPrincipal struct {
	User        int64    `yaml:"user" json:"user"`
	Permissions []string `yaml:"permissions" json:"permissions"`
	EntityTypes []string `yaml:"entityTypes" json:"entityTypes"`
}

// ParseManifest reads a manifest; errors name the source and line.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Manifest
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", name, strings.Join(te.Errors, "; "))
		}
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for i, c := range m.Credentials {
		if c.ID == "" {
			return nil, fmt.Errorf("%s: credentials[%d].id is required", name, i)
		}
	}
	return &m, nil
}

// LoadManifest reads a manifest file.
func LoadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseManifest(path, b)
}

// Check compares a declared grant with the report of a run. It returns one
// sentence per problem, none when the grant is exactly right: a declared
// scope, permission or entity type the run never used (the grant is wider
// than needed), and one the run used or was refused for lack of that is not
// declared (the grant is narrower than needed).
func (r *Report) Check(m *Manifest) []string {
	var problems []string
	for _, mc := range m.Credentials {
		c, ok := r.Credential("", mc.ID) // an API key by name or value
		if !ok || c.Requests == 0 {
			problems = append(problems, fmt.Sprintf("%s: declared, but the run never used it", mc.ID))
			continue
		}
		same := func(a, b string) bool { return a == b }
		problems = append(problems, checkGrant(mc.ID, "scope", mc.Scopes, c.Scopes, same)...)
		problems = append(problems, checkGrant(mc.ID, "permission", mc.Permissions, c.Permissions, tenant.MatchPermission)...)
		problems = append(problems, checkGrant(mc.ID, "entity type", mc.EntityTypes, c.EntityTypes, tenant.MatchEntityType)...)
		problems = append(problems, checkPrincipals(mc, c)...)
	}
	return problems
}

// checkPrincipals compares the declared AS-USER principals of one
// credential with those the run acted as.
func checkPrincipals(mc ManifestCredential, c CredentialReport) []string {
	if mc.AsUser == nil {
		return nil
	}
	var problems []string
	for _, p := range c.AsUser {
		if !slices.ContainsFunc(mc.AsUser, func(d ManifestPrincipal) bool { return d.User == p.User }) {
			problems = append(problems, fmt.Sprintf("%s: the run acted as user %d, which the manifest does not declare", mc.ID, p.User))
		}
	}
	for _, d := range mc.AsUser {
		i := slices.IndexFunc(c.AsUser, func(p PrincipalReport) bool { return p.User == d.User })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("%s: the manifest declares acting as user %d, which the run never did", mc.ID, d.User))
			continue
		}
		id := fmt.Sprintf("%s as user %d", mc.ID, d.User)
		problems = append(problems, checkGrant(id, "permission", d.Permissions, c.AsUser[i].Permissions, tenant.MatchPermission)...)
		problems = append(problems, checkGrant(id, "entity type", d.EntityTypes, c.AsUser[i].EntityTypes, tenant.MatchEntityType)...)
	}
	return problems
}

// checkGrant compares one declared list with a Grant; covers reports
// whether a declared entry covers a used one.
func checkGrant(id, noun string, declared []string, g Grant, covers func(declared, used string) bool) []string {
	if declared == nil {
		return nil
	}
	var problems []string
	var needed []string // used, and every alternative of what was missing
	needed = append(needed, g.Used...)
	for _, m := range g.Missing {
		needed = append(needed, strings.Split(m, "|")...)
	}
	var excess []string
	for _, d := range declared {
		if !slices.ContainsFunc(needed, func(u string) bool { return covers(d, u) }) {
			excess = append(excess, d)
		}
	}
	if len(excess) > 0 {
		problems = append(problems, fmt.Sprintf("%s: the manifest grants %s %s, which the run never used", id, plural(noun, len(excess)), strings.Join(excess, ", ")))
	}
	var short []string
	for _, u := range g.Used {
		if !slices.ContainsFunc(declared, func(d string) bool { return covers(d, u) }) {
			short = append(short, u)
		}
	}
	for _, m := range g.Missing { // "a|b": any one of them would do
		alts := strings.Split(m, "|")
		if !slices.ContainsFunc(declared, func(d string) bool {
			return slices.ContainsFunc(alts, func(a string) bool { return covers(d, a) })
		}) {
			short = append(short, strings.ReplaceAll(m, "|", " or "))
		}
	}
	if len(short) > 0 {
		problems = append(problems, fmt.Sprintf("%s: the run needed %s %s, which the manifest does not grant", id, plural(noun, len(short)), strings.Join(short, ", ")))
	}
	return problems
}

func plural(noun string, n int) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// Manifest returns the grant the run needed, as a manifest for the given
// credentials (every used credential when none is named): the scopes,
// permissions and entity types it used, plus those refused requests lacked
// (the first alternative, when any of several permissions would do).
func (r *Report) Manifest(ids ...string) *Manifest {
	m := &Manifest{Credentials: []ManifestCredential{}}
	for _, c := range r.Credentials {
		if c.Requests == 0 || len(ids) > 0 && !slices.ContainsFunc(ids, c.is) {
			continue
		}
		need := func(g Grant) []string {
			out := slices.Clone(g.Used)
			for _, miss := range g.Missing {
				first, _, _ := strings.Cut(miss, "|")
				out = append(out, first)
			}
			return sortedSet(out)
		}
		mc := ManifestCredential{ID: c.ID, Permissions: need(c.Permissions), EntityTypes: need(c.EntityTypes)}
		if c.Kind == decide.CallerClient {
			mc.Scopes = need(c.Scopes)
		}
		for _, p := range c.AsUser {
			mc.AsUser = append(mc.AsUser, ManifestPrincipal{User: p.User, Permissions: need(p.Permissions), EntityTypes: need(p.EntityTypes)})
		}
		m.Credentials = append(m.Credentials, mc)
	}
	return m
}

// WriteYAML writes the manifest in the format ParseManifest reads.
func (m *Manifest) WriteYAML(w io.Writer) error {
	var b strings.Builder
	b.WriteString("credentials:\n")
	list := func(indent, name string, l []string) {
		if l == nil {
			return
		}
		items := make([]string, len(l))
		for i, v := range l {
			items[i] = yamlScalar(v)
		}
		fmt.Fprintf(&b, "%s%s: [%s]\n", indent, name, strings.Join(items, ", "))
	}
	for _, c := range m.Credentials {
		fmt.Fprintf(&b, "  - id: %s\n", yamlScalar(c.ID))
		list("    ", "scopes", c.Scopes)
		list("    ", "permissions", c.Permissions)
		list("    ", "entityTypes", c.EntityTypes)
		if c.AsUser != nil {
			if len(c.AsUser) == 0 {
				b.WriteString("    asUser: []\n")
			} else {
				b.WriteString("    asUser:\n")
			}
		}
		for _, p := range c.AsUser {
			fmt.Fprintf(&b, "      - user: %d\n", p.User)
			list("        ", "permissions", p.Permissions)
			list("        ", "entityTypes", p.EntityTypes)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// yamlScalar quotes v unless it is a plain word of letters, digits and
// _ : . @ - (a scope, a permission without wildcards, an id).
func yamlScalar(v string) string {
	plain := v != "" && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_:.@-", r))
	}) < 0
	if plain && !strings.ContainsAny(v[:1], ":-@") {
		return v
	}
	return strconv.Quote(v)
}
