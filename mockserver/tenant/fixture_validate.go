package tenant

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/openapi"
)

var tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// knownScopes reads the OAuth scopes declared by the vendor specs, once.
var knownScopes = sync.OnceValues(func() (map[string]bool, error) {
	out := map[string]bool{}
	for _, api := range openapi.VendorAPIs {
		doc, err := openapi.Load(api)
		if err != nil {
			return nil, err
		}
		for _, sc := range openapi.DeclaredScopes(doc) {
			out[sc] = true
		}
	}
	return out, nil
})

// KnownScopes lists the OAuth scopes the vendor specs declare, sorted.

// MaxChoices bounds a field's choice values: a choice's id is its field's
// id × 100 + its 1-based position, which stays distinct from the next
// field's choices up to 99.
const MaxChoices = 99

// ChoiceID is the id of a field's choice value at seq (1-based): the
// field's id × 100 + seq, as the relationship API's schema and rows show
// it and its writes take it.
func (sf *SchemaField) ChoiceID(seq int) int64 { return sf.ID*100 + int64(seq) }

func KnownScopes() []string {
	m, err := knownScopes()
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

type validator struct {
	f    *Fixture
	errs []*FieldError
}

func (v *validator) errf(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{File: v.f.file, Line: v.line(field), Field: field, Msg: fmt.Sprintf(format, args...)})
}

// line finds the line of field, or of its nearest recorded parent.
func (v *validator) line(field string) int { return NearestLine(v.f.lines, field) }

// NearestLine is the line of a field path (users[1].roles[0]) in lines (as
// DecodeYAML records them), or of its nearest recorded parent; 0 when none.
func NearestLine(lines map[string]int, field string) int {
	for p := field; p != ""; {
		if l, ok := lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func at(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }

// Validate checks the fixture's references, ids, enum values and field
// values. Errors name the field path (and file and line when the fixture
// came from Parse); the error is a *FixtureError.
func (f *Fixture) Validate() error { return f.ValidateWith(nil) }

// ValidateWith is Validate for a server that loads more APIs than the
// built-in ones: their scopes, names and resource types (vocab) are known.
func (f *Fixture) ValidateWith(vocab *Vocabulary) error {
	v := &validator{f: f} // f.lines may be nil (a fixture built in Go): no line numbers
	if f.Tenant.ID != "" && !tenantIDPattern.MatchString(f.Tenant.ID) {
		v.errf("tenant.id", "%q is not a tenant id (lower-case letters, digits, dashes; at most 32)", f.Tenant.ID)
	}
	if f.Generate != nil {
		if msg := f.Generate.validate(f); msg != "" {
			v.errf("generate", "%s", msg)
		}
	}
	if _, err := f.settings(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		v.errf("settings."+field, "%s", msg)
	}
	if _, err := f.faults(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		v.errf("faults."+field, "%s", msg)
	}

	groups := map[string]bool{}
	groupIDs := map[int64]bool{}
	for i, g := range f.Groups {
		p := at("groups", i)
		switch {
		case g.Name == "":
			v.errf(p+".name", "is required")
		case groups[g.Name]:
			v.errf(p+".name", "duplicate group %q", g.Name)
		}
		groups[g.Name] = true
		switch id := f.groupID(i); {
		case id <= 0:
			v.errf(p+".id", "must be a positive integer")
		case groupIDs[id]:
			v.errf(p+".id", "duplicate group id %d (a group without id takes its position, from 1)", id)
		default:
			groupIDs[id] = true
		}
	}

	types := map[string]bool{}
	entryIDs := map[int64]bool{}
	for i, et := range f.EntityTypes {
		p := at("entityTypes", i)
		switch {
		case et.Name == "":
			v.errf(p+".name", "is required")
		case !typeNamePattern.MatchString(et.Name):
			v.errf(p+".name", "%q is not a type name (letters, digits, _)", et.Name)
		case types[strings.ToLower(et.Name)] || strings.EqualFold(et.Name, UserType):
			v.errf(p+".name", "duplicate entity type %q", et.Name)
		}
		types[strings.ToLower(et.Name)] = true
		if et.EntryTypeID != 0 {
			if entryIDs[et.EntryTypeID] || et.EntryTypeID < 0 {
				v.errf(p+".entryTypeId", "duplicate or negative entry type id %d", et.EntryTypeID)
			}
			entryIDs[et.EntryTypeID] = true
		}
	}
	currencies := map[string]bool{}
	for i, c := range f.Currencies {
		if !currencyPattern.MatchString(c) || currencies[c] {
			v.errf(at("currencies", i), "%q is not a currency code (three capital letters) or is a duplicate", c)
		}
		currencies[c] = true
	}
	fieldIDs := map[int64]bool{}
	for i, et := range f.EntityTypes {
		p := at("entityTypes", i)
		seen := map[string]string{} // lower-case name → declared name
		for _, name := range slices.Sorted(maps.Keys(et.Fields)) {
			ts := et.Fields[name]
			fp := p + ".fields." + name
			if strings.EqualFold(name, OwnerField) || strings.EqualFold(name, "id") || IsSystemField(name) {
				v.errf(fp, "%s is implicit and cannot be declared", name)
				continue
			}
			// Field names are matched case-insensitively in queries, so
			// two that differ only in case would be ambiguous.
			if other, dup := seen[strings.ToLower(name)]; dup {
				v.errf(fp, "differs from field %q only in case", other)
				continue
			}
			seen[strings.ToLower(name)] = name
			ft, err := parseFieldType(ts)
			if err != nil {
				v.errf(fp, "%v", err)
				continue
			}
			if ft.Kind == KindRef && ft.RefType != UserType && !types[strings.ToLower(ft.RefType)] {
				v.errf(fp, "refers to unknown entity type %q", ft.RefType)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(et.FieldOptions)) {
			o := et.FieldOptions[name]
			fp := p + ".fieldOptions." + name
			ts, ok := et.Fields[name]
			if !ok {
				v.errf(fp, "names no field of %s (fieldOptions are for its declared fields)", et.Name)
				continue
			}
			ft, _ := parseFieldType(ts)
			if o.ID < 0 || o.ID != 0 && fieldIDs[o.ID] {
				v.errf(fp+".id", "duplicate or negative field id %d", o.ID)
			}
			fieldIDs[o.ID] = o.ID != 0
			if len(o.Choices) > 0 && ft.Kind != KindString {
				v.errf(fp+".choices", "choice values need a string field, not %s", ts)
			}
			if len(o.Choices) > MaxChoices {
				v.errf(fp+".choices", "%d choice values; a field has at most %d (a choice's id is its field's id × 100 + its position)", len(o.Choices), MaxChoices)
			}
			seen := map[string]bool{}
			for j, c := range o.Choices {
				if c == "" || seen[c] {
					v.errf(at(fp+".choices", j), "empty or duplicate choice value %q", c)
				}
				seen[c] = true
			}
			if o.MultiSelect && len(o.Choices) == 0 && ft.Kind != KindRef {
				v.errf(fp+".multiSelect", "only choice and reference fields are multi-select")
			}
		}
	}

	roles := map[string]bool{}
	for i, r := range f.Roles {
		p := at("roles", i)
		switch {
		case r.Name == "":
			v.errf(p+".name", "is required")
		case roles[r.Name]:
			v.errf(p+".name", "duplicate role %q", r.Name)
		}
		roles[r.Name] = true
		for j, perm := range r.Permissions {
			if strings.TrimSpace(perm) != perm || perm == "" || strings.Contains(perm, "::") {
				v.errf(at(p+".permissions", j), "%q is not a permission (domain:entity:action or a name such as \"Manage API keys\", * wildcards; no leading or trailing spaces)", perm)
			}
		}
		for j, t := range r.EntityTypes {
			if _, resource := vocab.resource(t); t != "*" && !types[strings.ToLower(t)] && !resource {
				v.errf(at(p+".entityTypes", j), "unknown entity type %q", t)
			}
		}
	}

	users := map[int64]bool{}
	logins := map[string]bool{}
	for i, u := range f.Users {
		p := at("users", i)
		if u.ID <= 0 {
			v.errf(p+".id", "must be a positive integer")
		} else if users[u.ID] {
			v.errf(p+".id", "duplicate user id %d", u.ID)
		}
		users[u.ID] = true
		if u.Name == "" {
			v.errf(p+".name", "is required")
		}
		switch {
		case u.Email == "":
			v.errf(p+".email", "is required")
		case logins[strings.ToLower(u.Email)]:
			v.errf(p+".email", "duplicate email %q", u.Email)
		}
		logins[strings.ToLower(u.Email)] = true
		if created, modified, err := u.dates(); err != nil {
			field, msg, _ := strings.Cut(err.Error(), ": ")
			v.errf(p+"."+field, "%s", msg)
		} else if modified.Before(created) {
			v.errf(p+".modifiedDate", "is before createdDate")
		}
		for j, g := range u.Groups {
			if !groups[g] {
				v.errf(at(p+".groups", j), "unknown group %q", g)
			}
		}
		for j, r := range u.Roles {
			if !roles[r] {
				v.errf(at(p+".roles", j), "unknown role %q", r)
			}
		}
	}

	keyNames, keyValues := map[string]bool{}, map[string]bool{}
	for i, k := range f.APIKeys {
		p := at("apiKeys", i)
		switch {
		case k.Name == "":
			v.errf(p+".name", "is required")
		case keyNames[k.Name]:
			v.errf(p+".name", "duplicate API key name %q", k.Name)
		}
		keyNames[k.Name] = true
		switch {
		case k.Key == "" || strings.ContainsAny(k.Key, " \t"):
			v.errf(p+".key", "is required and holds no spaces")
		case keyValues[k.Key]:
			v.errf(p+".key", "duplicate API key value")
		}
		keyValues[k.Key] = true
		if !users[k.User] {
			v.errf(p+".user", "unknown user %d", k.User)
		}
		if k.API != "" && !vocab.hasAPI(k.API) {
			v.errf(p+".api", "unknown API %q (load it with cmd/mock --api or mocktest.WithAPI)", k.API)
		}
	}

	scopes, serr := knownScopes()
	clients := map[string]bool{}
	for i, c := range f.OAuthClients {
		p := at("oauthClients", i)
		switch {
		case c.ClientID == "" || strings.ContainsAny(c.ClientID, " :\t"):
			v.errf(p+".clientId", "is required and holds no spaces or colons")
		case clients[c.ClientID]:
			v.errf(p+".clientId", "duplicate client id %q", c.ClientID)
		}
		clients[c.ClientID] = true
		if c.Secret == "" {
			v.errf(p+".secret", "is required")
		}
		if !users[c.User] {
			v.errf(p+".user", "unknown user %d", c.User)
		}
		for j, s := range c.Scopes {
			if serr == nil && !scopes[s] && !vocab.hasScope(s) {
				known := KnownScopes()
				if vocab != nil {
					known = slices.Sorted(slices.Values(append(known, vocab.Scopes...)))
				}
				v.errf(at(p+".scopes", j), "unknown scope %q (known: %s)", s, strings.Join(known, ", "))
			}
		}
	}

	proxies := map[int64]bool{}
	for i, pa := range f.ProxyAssignments {
		p := at("proxyAssignments", i)
		if !users[pa.ProxyUserID] {
			v.errf(p+".proxyUserId", "unknown user %d", pa.ProxyUserID)
		} else if proxies[pa.ProxyUserID] {
			v.errf(p+".proxyUserId", "duplicate proxy user %d (list every principal in one entry)", pa.ProxyUserID)
		}
		proxies[pa.ProxyUserID] = true
		for j, u := range pa.UserIDs {
			if !users[u] {
				v.errf(at(p+".userIds", j), "unknown user %d", u)
			}
		}
	}

	// Entities: ids first, so references can be checked in any order.
	typeDefs := map[string]EntityTypeFixture{}
	for _, et := range f.EntityTypes {
		typeDefs[strings.ToLower(et.Name)] = et
	}
	ids := map[string]bool{}
	for i, e := range f.Entities {
		p := at("entities", i)
		et, ok := typeDefs[strings.ToLower(e.Type)]
		if !ok {
			v.errf(p+".type", "unknown entity type %q", e.Type)
			continue
		}
		ref := Ref{Type: et.Name, ID: e.ID}
		if e.ID <= 0 {
			v.errf(p+".id", "must be a positive integer")
		} else if ids[strings.ToLower(ref.String())] {
			v.errf(p+".id", "duplicate entity %s", ref)
		}
		ids[strings.ToLower(ref.String())] = true
	}
	for i, e := range f.Entities {
		p := at("entities", i)
		et, ok := typeDefs[strings.ToLower(e.Type)]
		if !ok {
			continue
		}
		if !users[e.Owner] {
			v.errf(p+".owner", "unknown user %d", e.Owner)
		}
		v.sharing(p, "sharedWith", e.SharedWithUsers, e.SharedWithGroups, users, groups)
		for name, val := range e.Fields {
			fp := p + ".fields." + name
			ts, ok := et.Fields[name]
			if n, sys := systemName(name); sys {
				ts, ok = systemFieldType.String(), true
				if n != name {
					v.errf(fp, "the system field is spelled %s", n)
					continue
				}
			}
			if !ok {
				v.errf(fp, "unknown field %q of %s", name, et.Name)
				continue
			}
			ft, err := parseFieldType(ts)
			if err != nil {
				continue // reported on the type
			}
			cv, err := convertValue(ft, val)
			if err != nil {
				v.errf(fp, "%v", err)
				continue
			}
			if r, ok := cv.(Ref); ok {
				if r.Type == UserType && !users[r.ID] || r.Type != UserType && !ids[strings.ToLower(r.String())] {
					v.errf(fp, "refers to unknown %s", r)
				}
			}
		}
	}

	ctypes := map[string]CredentialTypeFixture{}
	for i, ct := range f.CredentialTypes {
		p := at("credentialTypes", i)
		if ct.Name == "" {
			v.errf(p+".name", "is required")
		} else if _, dup := ctypes[ct.Name]; dup {
			v.errf(p+".name", "duplicate credential type %q", ct.Name)
		}
		ctypes[ct.Name] = ct
		seen := map[string]bool{}
		for j, fd := range ct.Fields {
			if fd.Name == "" || seen[fd.Name] {
				v.errf(at(p+".fields", j)+".name", "missing or duplicate field name %q", fd.Name)
			}
			seen[fd.Name] = true
		}
	}
	creds := map[string]bool{}
	for i, c := range f.Credentials {
		p := at("credentials", i)
		switch {
		case c.ID == "":
			v.errf(p+".id", "is required")
		case creds[c.ID]:
			v.errf(p+".id", "duplicate credential id %q", c.ID)
		}
		creds[c.ID] = true
		if c.Name == "" {
			v.errf(p+".name", "is required")
		}
		if c.CreatedDate != "" {
			if _, err := time.Parse(time.RFC3339Nano, c.CreatedDate); err != nil {
				v.errf(p+".createdDate", "%q is not an RFC 3339 time", c.CreatedDate)
			}
		}
		ct, ok := ctypes[c.Type]
		if !ok {
			v.errf(p+".type", "unknown credential type %q", c.Type)
			continue
		}
		for name := range c.Fields {
			if _, ok := (CredentialType{Fields: credFields(ct)}).Field(name); !ok {
				v.errf(p+".fields."+name, "unknown field %q of credential type %s", name, ct.Name)
			}
		}
		for _, fd := range ct.Fields {
			if fd.Required && c.Fields[fd.Name] == "" {
				v.errf(p+".fields", "required field %q is missing", fd.Name)
			}
		}
	}

	v.validateResources(vocab, users, groups)
	for i, a := range f.APIs {
		if !vocab.hasAPI(a.Name) {
			v.errf(at("apis", i)+".name", "the server does not serve the API %q (load it with cmd/mock --api, mocktest.WithAPI or the admin API's POST /_mock/apis)", a.Name)
		}
	}

	if len(v.errs) > 0 {
		return &FixtureError{Errs: v.errs}
	}
	return nil
}

var typeNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// settings converts the settings section, with defaults.
func (f *Fixture) settings() (Settings, error) {
	s := Settings{
		APIDataAccess:      APIDataAccess(f.Settings.APIDataAccess),
		Enforcement:        Enforcement(f.Settings.Enforcement),
		SessionLifetime:    DefaultSessionLifetime,
		SessionIdleTimeout: DefaultSessionIdleTimeout,
		MaxSessionsPerUser: f.Settings.MaxSessionsPerUser,
		VendorRateLimits:   f.Settings.VendorRateLimits,
	}
	if s.APIDataAccess == "" {
		s.APIDataAccess = DataAccessEnforce
	}
	if s.Enforcement == "" {
		s.Enforcement = EnforcementEnforce
	}
	if f.Settings.TokenLifetime != "" {
		d, err := time.ParseDuration(f.Settings.TokenLifetime)
		if err != nil {
			return s, fmt.Errorf("tokenLifetime: %q is not a duration (like 15m)", f.Settings.TokenLifetime)
		}
		s.TokenLifetime = d
	}
	if f.Settings.SessionLifetime != "" {
		d, err := time.ParseDuration(f.Settings.SessionLifetime)
		if err != nil {
			return s, fmt.Errorf("sessionLifetime: %q is not a duration (like 8h)", f.Settings.SessionLifetime)
		}
		s.SessionLifetime = d
	}
	if f.Settings.SessionIdleTimeout != "" {
		d, err := time.ParseDuration(f.Settings.SessionIdleTimeout)
		if err != nil {
			return s, fmt.Errorf("sessionIdleTimeout: %q is not a duration (like 30m, or 0 for none)", f.Settings.SessionIdleTimeout)
		}
		s.SessionIdleTimeout = d
	}
	if rl := f.Settings.RateLimit; rl != nil {
		s.RateLimit.Requests = rl.Requests
		if rl.Window != "" {
			d, err := time.ParseDuration(rl.Window)
			if err != nil {
				return s, fmt.Errorf("rateLimit.window: %q is not a duration (like 1m)", rl.Window)
			}
			s.RateLimit.Window = d
		}
	}
	return s, s.Validate()
}

// groupID is the id of the fixture's i-th group: its id, or its position
// from 1.
func (f *Fixture) groupID(i int) int64 {
	if id := f.Groups[i].ID; id != 0 {
		return id
	}
	return int64(i + 1)
}

// faults converts the faults section.
func (f *Fixture) faults() (Faults, error) {
	if f.Faults == nil {
		return Faults{}, nil
	}
	return f.Faults.Faults()
}

func credFields(ct CredentialTypeFixture) []CredentialField {
	out := make([]CredentialField, len(ct.Fields))
	for i, fd := range ct.Fields {
		out[i] = CredentialField(fd)
	}
	return out
}
