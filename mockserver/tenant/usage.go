package tenant

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/internal/wire"
)

// UsageEvent is what one request used, or was denied, through one
// credential. The mock server records one per vendor request whose
// credential it identified; the least-privilege report is built from them.
type UsageEvent struct {
	Caller    AuditCaller
	API       string
	Operation string
	// Outcome is the decision's: allow, deny or audit-deny.
	Outcome string
	// Scopes are the token scopes the request relied on: the scope set of
	// the operation that the token satisfied (OAuth callers only).
	Scopes []string
	// Permission is the permission that allowed the request ("" if the
	// operation needs none, or it was not allowed).
	Permission string
	// MorePermissions are permissions the request needed besides its
	// operation's, for what it asked (an upsert that creates rows), and that
	// allowed it.
	MorePermissions []string
	// EntityType is the entity type the request touched ("" if none).
	EntityType string
	// Principal is the AS-USER principal whose roles applied: 0 when the
	// request sent none, or the proxy step refused it (the caller's user's
	// roles applied then). Permissions and entity types of a proxied
	// request, used or missing, are the principal's, not the credential
	// user's.
	Principal int64
	// Denials lists the failed steps: one when the request was denied;
	// under enforcement: audit, every step that would have denied it.
	Denials []StepDenial
}

// StepDenial is one failed pipeline step.
type StepDenial struct {
	Step string `json:"step"`
	Code string `json:"code"`
	// Missing is what the step needed: scopes (all of them), permissions
	// (any one of them) or the entity type.
	Missing []string `json:"missing,omitempty"`
}

// CredentialUsage is what one credential used since the tenant was built
// or reset. Counts are requests.
type CredentialUsage struct {
	Caller      AuditCaller
	Requests    int
	Denied      int // denied, or allowed only by enforcement: audit
	Operations  map[string]int
	Scopes      map[string]int
	Permissions map[string]int
	EntityTypes map[string]int
	Principals  map[int64]int
	// AsUser is, per principal, what the requests made AS-USER that
	// principal used of the principal's grant.
	AsUser  map[int64]PrincipalUsage
	Denials []DenialCount
}

// PrincipalUsage is what one credential's requests AS-USER one principal
// used of the principal's roles. Counts are requests.
type PrincipalUsage struct {
	Requests    int
	Denied      int
	Permissions map[string]int
	EntityTypes map[string]int
}

// proxiedSteps are the steps judged with the effective user's rights: for
// a proxied request, their failures are the principal's.
var proxiedSteps = []string{wire.StepPermission, wire.StepObject, wire.StepRow}

// DenialCount is how often one operation failed one step the same way.
type DenialCount struct {
	Operation string `json:"operation"`
	StepDenial
	// Principal is the AS-USER principal whose rights the step judged (0:
	// the credential's own user's): what was missing is the principal's.
	Principal int64 `json:"principal,omitempty"`
	// Audit is true when the requests were allowed by enforcement: audit.
	Audit bool `json:"audit,omitempty"`
	Count int  `json:"count"`
}

type usageKey struct {
	kind, id string
	user     int64
}

type usageAgg struct {
	CredentialUsage
	denials map[denialKey]*DenialCount
}

// denialKey groups denials: the same operation, step, code, missing list
// (joined; one name, the usual case, costs no allocation), outcome and
// principal.
type denialKey struct {
	operation, step, code, missing, outcome string
	principal                               int64
}

// RecordUsage adds one request to its credential's usage.
func (t *Tenant) RecordUsage(ev UsageEvent) {
	t.usageMu.Lock()
	defer t.usageMu.Unlock()
	k := usageKey{ev.Caller.Kind, ev.Caller.ID, ev.Caller.User}
	u := t.usage[k]
	if u == nil {
		u = &usageAgg{
			CredentialUsage: CredentialUsage{
				Caller: ev.Caller, Operations: map[string]int{}, Scopes: map[string]int{},
				Permissions: map[string]int{}, EntityTypes: map[string]int{}, Principals: map[int64]int{},
				AsUser: map[int64]PrincipalUsage{},
			},
			denials: map[denialKey]*DenialCount{},
		}
		if t.usage == nil {
			t.usage = map[usageKey]*usageAgg{}
		}
		t.usage[k] = u
	}
	u.Requests++
	u.Operations[ev.Operation]++
	if len(ev.Denials) > 0 {
		u.Denied++
	}
	var pu *PrincipalUsage
	if ev.Principal != 0 {
		// The principal's roles applied, not the credential user's.
		u.Principals[ev.Principal]++
		p, ok := u.AsUser[ev.Principal]
		if !ok {
			p = PrincipalUsage{Permissions: map[string]int{}, EntityTypes: map[string]int{}}
		}
		p.Requests++
		if len(ev.Denials) > 0 {
			p.Denied++
		}
		u.AsUser[ev.Principal] = p
		pu = &p
	}
	for _, d := range ev.Denials {
		var principal int64
		if ev.Principal != 0 && slices.Contains(proxiedSteps, d.Step) {
			principal = ev.Principal
		}
		key := denialKey{ev.Operation, d.Step, d.Code, strings.Join(d.Missing, " "), ev.Outcome, principal}
		dc := u.denials[key]
		if dc == nil {
			dc = &DenialCount{Operation: ev.Operation, StepDenial: StepDenial{Step: d.Step, Code: d.Code, Missing: slices.Clone(d.Missing)},
				Principal: principal, Audit: ev.Outcome == wire.OutcomeAuditDeny}
			u.denials[key] = dc
		}
		dc.Count++
	}
	if ev.Outcome == wire.OutcomeDeny && (len(ev.Denials) != 1 || ev.Denials[0].Step != wire.StepRow) {
		return // refused before anything was used (a hidden row still used the grant)
	}
	for _, s := range ev.Scopes {
		u.Scopes[s]++
	}
	perms, types := u.Permissions, u.EntityTypes
	if pu != nil { // maps: pu's are shared with u.AsUser's entry
		perms, types = pu.Permissions, pu.EntityTypes
	}
	if ev.Permission != "" {
		perms[ev.Permission]++
	}
	for _, p := range ev.MorePermissions {
		perms[p]++
	}
	if ev.EntityType != "" {
		types[ev.EntityType]++
	}
}

// Usage returns every credential's usage, by kind, id and user.
func (t *Tenant) Usage() []CredentialUsage {
	t.usageMu.Lock()
	defer t.usageMu.Unlock()
	out := make([]CredentialUsage, 0, len(t.usage))
	for _, u := range t.usage {
		c := u.CredentialUsage
		c.Operations = maps.Clone(u.Operations)
		c.Scopes = maps.Clone(u.Scopes)
		c.Permissions = maps.Clone(u.Permissions)
		c.EntityTypes = maps.Clone(u.EntityTypes)
		c.Principals = maps.Clone(u.Principals)
		c.AsUser = make(map[int64]PrincipalUsage, len(u.AsUser))
		for p, pu := range u.AsUser {
			pu.Permissions, pu.EntityTypes = maps.Clone(pu.Permissions), maps.Clone(pu.EntityTypes)
			c.AsUser[p] = pu
		}
		c.Denials = make([]DenialCount, 0, len(u.denials))
		for _, d := range u.denials {
			dc := *d
			dc.Missing = slices.Clone(d.Missing)
			c.Denials = append(c.Denials, dc)
		}
		slices.SortFunc(c.Denials, func(a, b DenialCount) int {
			return cmp.Or(strings.Compare(a.Operation, b.Operation), strings.Compare(a.Step, b.Step),
				strings.Compare(strings.Join(a.Missing, " "), strings.Join(b.Missing, " ")), cmp.Compare(a.Principal, b.Principal))
		})
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b CredentialUsage) int {
		return cmp.Or(strings.Compare(a.Caller.Kind, b.Caller.Kind), strings.Compare(a.Caller.ID, b.Caller.ID), cmp.Compare(a.Caller.User, b.Caller.User))
	})
	return out
}

// RoleGrants returns the permission patterns and API entity types the
// user's roles grant, each sorted and without duplicates.
func (t *Tenant) RoleGrants(user int64) (permissions, entityTypes []string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.eachRole(user, func(r *Role) bool {
		permissions = append(permissions, r.Permissions...)
		entityTypes = append(entityTypes, r.EntityTypes...)
		return false
	})
	slices.Sort(permissions)
	slices.Sort(entityTypes)
	return slices.Compact(permissions), slices.Compact(entityTypes)
}
