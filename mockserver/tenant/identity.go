package tenant

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"
)

func cloneUser(u *User) User {
	c := *u
	c.Groups = slices.Clone(u.Groups)
	c.Roles = slices.Clone(u.Roles)
	return c
}

// User returns a user by id.
func (t *Tenant) User(id int64) (User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u, ok := t.users[id]
	if !ok {
		return User{}, false
	}
	return cloneUser(u), true
}

// Users returns every user, by id.
func (t *Tenant) Users() []User {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]User, 0, len(t.users))
	for _, u := range t.users {
		out = append(out, cloneUser(u))
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Groups returns every group, in fixture order.
func (t *Tenant) Groups() []Group {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Group, 0, len(t.groupOrder))
	for _, name := range t.groupOrder {
		out = append(out, *t.groups[name])
	}
	return out
}

// UserByEmail finds a user by email (case-insensitive, without suffix).
func (t *Tenant) UserByEmail(email string) (User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, u := range t.users {
		if strings.EqualFold(u.Email, email) {
			return cloneUser(u), true
		}
	}
	return User{}, false
}

// CheckPassword returns the user whose login name and password match.
func (t *Tenant) CheckPassword(login, password string) (User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	id, ok := t.logins[strings.ToLower(login)]
	if !ok {
		return User{}, false
	}
	u := t.users[id]
	if u.Password == "" || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return User{}, false
	}
	return cloneUser(u), true
}

// HasLogin reports whether login names a user of this tenant.
func (t *Tenant) HasLogin(login string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, ok := t.logins[strings.ToLower(login)]
	return ok
}

// APIKey finds an API key by its secret value.
func (t *Tenant) APIKey(value string) (APIKey, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	k, ok := t.apiKeys[value]
	if !ok {
		return APIKey{}, false
	}
	return *k, true
}

// APIKeys returns every API key, by name.
func (t *Tenant) APIKeys() []APIKey {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]APIKey, 0, len(t.apiKeys))
	for _, k := range t.apiKeys {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b APIKey) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// OAuthClient finds a client by id.
func (t *Tenant) OAuthClient(id string) (OAuthClient, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, ok := t.clients[id]
	if !ok {
		return OAuthClient{}, false
	}
	d := *c
	d.Scopes = slices.Clone(c.Scopes)
	return d, true
}

// OAuthClients returns every client, by id.
func (t *Tenant) OAuthClients() []OAuthClient {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]OAuthClient, 0, len(t.clients))
	for _, c := range t.clients {
		d := *c
		d.Scopes = slices.Clone(c.Scopes)
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b OAuthClient) int { return strings.Compare(a.ClientID, b.ClientID) })
	return out
}

// newSecretValue returns a random token or session value that names this
// tenant: "<tenantID>.<random>", so values are unique across tenants and
// identify theirs.
func (t *Tenant) newSecretValue() string { return t.id + "." + rand.Text() }

// IssueToken runs the client-credentials grant of api's token endpoint: it
// checks the client id and secret, narrows the scopes (none requested =
// every allowed scope) and issues a token for api (Token.API) valid for
// lifetime. Errors: ErrInvalidClient, *ScopeError.
func (t *Tenant) IssueToken(api, clientID, secret string, requested []string, lifetime time.Duration) (Token, error) {
	if !t.ClientSecretMatches(clientID, secret) {
		return Token{}, ErrInvalidClient
	}
	return t.IssueTokenTo(api, clientID, requested, lifetime)
}

// IssueTokenTo issues a token to a client whose secret the caller has
// checked (the mock's token endpoint, once the decision allowed the
// request); otherwise it is IssueToken.
func (t *Tenant) IssueTokenTo(api, clientID string, requested []string, lifetime time.Duration) (Token, error) {
	now := t.now()
	t.lock()
	defer t.mu.Unlock()
	c, ok := t.clients[clientID]
	if !ok {
		return Token{}, ErrInvalidClient
	}
	scopes := slices.Sorted(slices.Values(c.Scopes))
	if len(requested) > 0 {
		var bad []string
		for _, s := range requested {
			if !slices.Contains(c.Scopes, s) {
				bad = append(bad, s)
			}
		}
		if len(bad) > 0 {
			return Token{}, &ScopeError{NotAllowed: bad}
		}
		scopes = slices.Compact(slices.Sorted(slices.Values(requested)))
	}
	tok := &Token{Value: t.newSecretValue(), API: api, ClientID: c.ClientID, User: c.User, Scopes: scopes, IssuedAt: now, ExpiresAt: now.Add(lifetime)}
	t.tokenSweep = sweepExpired(t.tokens, t.tokenSweep, now, func(k *Token) time.Time { return k.ExpiresAt })
	t.tokens[tok.Value] = tok
	out := *tok
	out.Scopes = slices.Clone(tok.Scopes)
	return out, nil
}

// minSweep is the size at which a tenant first drops expired tokens or
// sessions.
const minSweep = 4096

// sweepExpired drops the expired entries of m once it holds at least at
// entries, and returns the size of the next sweep: twice what is left, so
// that sweeping costs O(1) per issued entry however many stay valid.
func sweepExpired[V any](m map[string]V, at int, now time.Time, expires func(V) time.Time) int {
	if len(m) < max(at, minSweep) {
		return at
	}
	for k, v := range m {
		if !now.Before(expires(v)) {
			delete(m, k)
		}
	}
	return max(2*len(m), minSweep)
}

// Token finds an issued token by value (expired tokens included; the
// caller checks ExpiresAt against its clock).
func (t *Tenant) Token(value string) (Token, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tok, ok := t.tokens[value]
	if !ok {
		return Token{}, false
	}
	out := *tok
	out.Scopes = slices.Clone(tok.Scopes)
	return out, true
}

// NewSession starts a data-API session for user, valid for the tenant's
// session lifetime (and, when the tenant sets an idle timeout, until it has
// not been used for that long). A login beyond the tenant's
// MaxSessionsPerUser ends the user's oldest live sessions, which are then
// answered as expired (SessionTimeout); a login beyond MaxTenantSessions
// drops the tenant's oldest session.
func (t *Tenant) NewSession(user int64) (Session, error) {
	now := t.now()
	t.lock()
	defer t.mu.Unlock()
	if _, ok := t.users[user]; !ok {
		return Session{}, fmt.Errorf("tenant %s: user %d: %w", t.id, user, ErrNotFound)
	}
	s := &Session{ID: t.newSecretValue(), User: user, ExpiresAt: now.Add(t.settings.SessionLifetime), Started: now, LastUsed: now}
	t.sessionSweep = sweepExpired(t.sessions, t.sessionSweep, now, t.sessionExpiry)
	for len(t.sessions) >= MaxTenantSessions && len(t.sessionOrder) > 0 {
		delete(t.sessions, t.sessionOrder[0])
		t.sessionOrder = t.sessionOrder[1:]
	}
	t.sessions[s.ID] = s
	t.sessionOrder = append(t.sessionOrder, s.ID)
	if len(t.sessionOrder) >= 2*len(t.sessions)+minSweep {
		t.sessionOrder = slices.DeleteFunc(t.sessionOrder, func(id string) bool { return t.sessions[id] == nil })
	}
	t.limitUserSessions(user, s.ID, now)
	return *s, nil
}

// limitUserSessions records id as user's newest session and, when the
// tenant limits sessions per user, ends the oldest live ones beyond the
// limit. A user's list of session ids is pruned of ended ones at every
// login under a limit, else whenever it has doubled, so it stays in
// proportion to the user's live sessions.
func (t *Tenant) limitUserSessions(user int64, id string, now time.Time) {
	ids := append(t.userSessions[user], id)
	limit := t.settings.MaxSessionsPerUser
	if limit > 0 || len(ids) >= 2*t.userSessionsPruned[user]+minSweep {
		ids = slices.DeleteFunc(ids, func(id string) bool {
			s := t.sessions[id]
			return s == nil || !now.Before(t.sessionExpiry(s))
		})
		if limit > 0 && len(ids) > limit {
			for _, old := range ids[:len(ids)-limit] {
				s := t.sessions[old]
				s.ExpiresAt = now
				s.EndReason = fmt.Sprintf("ended by a later login of the same user: the tenant allows %d sessions per user (maxSessionsPerUser)", limit)
			}
			ids = slices.Clone(ids[len(ids)-limit:])
		}
		t.userSessionsPruned[user] = len(ids)
	}
	t.userSessions[user] = ids
}

// sessionExpiry is when s ends under the current settings: its ExpiresAt,
// or sooner when it has been idle for the idle timeout.
func (t *Tenant) sessionExpiry(s *Session) time.Time {
	end, _ := t.sessionEnd(s)
	return end
}

// sessionEnd is sessionExpiry and why the session ends then.
func (t *Tenant) sessionEnd(s *Session) (time.Time, string) {
	if idle := t.settings.SessionIdleTimeout; idle > 0 {
		if end := s.LastUsed.Add(idle); end.Before(s.ExpiresAt) {
			return end, fmt.Sprintf("unused for %s, the tenant's sessionIdleTimeout", idle)
		}
	}
	if s.EndReason != "" {
		return s.ExpiresAt, s.EndReason
	}
	return s.ExpiresAt, fmt.Sprintf("%s after its login, the tenant's sessionLifetime", s.ExpiresAt.Sub(s.Started).Round(time.Second))
}

// reported is the session as Session and UseSession report it.
func (t *Tenant) reported(s *Session) Session {
	out := *s
	out.ExpiresAt, out.EndReason = t.sessionEnd(s)
	return out
}

// Session finds a session by id (ended sessions included; ExpiresAt is
// when it ends or ended, the idle timeout counted). It does not count as a
// use of the session.
func (t *Tenant) Session(id string) (Session, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.sessions[id]
	if !ok {
		return Session{}, false
	}
	return t.reported(s), true
}

// UseSession is Session for a request that sends the session: a session
// that has not ended counts as used now, which restarts its idle timeout.
// The Session returned is as it was before this use (the caller checks
// ExpiresAt against its clock).
func (t *Tenant) UseSession(id string) (Session, bool) {
	now := t.now()
	t.mu.Lock() // a use changes nothing a reader of the tenant sees: no new version
	defer t.mu.Unlock()
	s, ok := t.sessions[id]
	if !ok {
		return Session{}, false
	}
	out := t.reported(s)
	if now.Before(out.ExpiresAt) {
		s.LastUsed = now
	}
	return out, true
}

// SessionCount is how many sessions the tenant holds (ended ones included
// until they are dropped); at most MaxTenantSessions.
func (t *Tenant) SessionCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.sessions)
}

// EndSession ends a session; false when there was none.
func (t *Tenant) EndSession(id string) bool {
	t.lock()
	defer t.mu.Unlock()
	_, ok := t.sessions[id]
	delete(t.sessions, id)
	return ok
}

// CanProxy reports whether proxyUser holds a proxy assignment for principal.
// Acting as oneself is always allowed.
func (t *Tenant) CanProxy(proxyUser, principal int64) bool {
	if proxyUser == principal {
		return true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Contains(t.proxies[proxyUser], principal)
}

// ProxyAssignments returns every assignment, by proxy user.
func (t *Tenant) ProxyAssignments() []ProxyAssignment {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]ProxyAssignment, 0, len(t.proxies))
	for p, users := range t.proxies {
		out = append(out, ProxyAssignment{ProxyUserID: p, UserIDs: slices.Clone(users)})
	}
	slices.SortFunc(out, func(a, b ProxyAssignment) int { return cmp.Compare(a.ProxyUserID, b.ProxyUserID) })
	return out
}

// UnknownUserError reports a proxy assignment that names a user the tenant
// does not have: the proxy user, or the principal at Index of the list.
type UnknownUserError struct {
	Principal bool
	Index     int
	User      int64
}

// Error implements error.
func (e *UnknownUserError) Error() string {
	if e.Principal {
		return fmt.Sprintf("users[%d]: unknown user %d", e.Index, e.User)
	}
	return fmt.Sprintf("proxyUserId: unknown user %d", e.User)
}

// SetProxyAssignment replaces the principals of one proxy user with
// a.UserIDs (none: the proxy user keeps no assignment) and returns the
// assignment as stored, principals by id. Every user must exist (else a
// *UnknownUserError and nothing changes); other proxy users' assignments
// are unchanged.
func (t *Tenant) SetProxyAssignment(a ProxyAssignment) (ProxyAssignment, error) {
	t.lock()
	defer t.mu.Unlock()
	if _, ok := t.users[a.ProxyUserID]; !ok {
		return ProxyAssignment{}, &UnknownUserError{User: a.ProxyUserID}
	}
	for j, u := range a.UserIDs {
		if _, ok := t.users[u]; !ok {
			return ProxyAssignment{}, &UnknownUserError{Principal: true, Index: j, User: u}
		}
	}
	ids := slices.Compact(slices.Sorted(slices.Values(a.UserIDs)))
	if len(ids) == 0 {
		delete(t.proxies, a.ProxyUserID)
	} else {
		t.proxies[a.ProxyUserID] = ids
	}
	return ProxyAssignment{ProxyUserID: a.ProxyUserID, UserIDs: slices.Clone(ids)}, nil
}

// eachRole calls fn with each role of a user until fn returns true, and
// reports whether it did; the caller holds t.mu. It does not allocate.
func (t *Tenant) eachRole(user int64, fn func(*Role) bool) bool {
	u, ok := t.users[user]
	if !ok {
		return false
	}
	for _, name := range u.Roles {
		if r, ok := t.roles[name]; ok && fn(r) {
			return true
		}
	}
	return false
}

// GrantedPermissions returns which of perms the user's roles grant.
func (t *Tenant) GrantedPermissions(user int64, perms []string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for _, p := range perms {
		if t.hasPermission(user, p) {
			out = append(out, p)
		}
	}
	return out
}

// FirstGrantedPermission returns the first of perms the user's roles
// grant; ok is false when they grant none.
func (t *Tenant) FirstGrantedPermission(user int64, perms []string) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, p := range perms {
		if t.hasPermission(user, p) {
			return p, true
		}
	}
	return "", false
}

func (t *Tenant) hasPermission(user int64, perm string) bool {
	return t.eachRole(user, func(r *Role) bool {
		for _, pat := range r.Permissions {
			if MatchPermission(pat, perm) {
				return true
			}
		}
		return false
	})
}

// CanReadType reports whether the user's roles let it read typeName through
// the API.
func (t *Tenant) CanReadType(user int64, typeName string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.canReadType(user, typeName)
}

// canReadType is CanReadType for callers holding t.mu.
func (t *Tenant) canReadType(user int64, typeName string) bool {
	return t.eachRole(user, func(r *Role) bool {
		for _, p := range r.EntityTypes {
			if MatchEntityType(p, typeName) {
				return true
			}
		}
		return false
	})
}

// SeesAllRows reports whether row-level sharing does not apply to the user:
// users holding a role with the permission `*` (Admin) see every row.
func (t *Tenant) SeesAllRows(user int64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.seesAll(user)
}

func (t *Tenant) seesAll(user int64) bool {
	return t.eachRole(user, func(r *Role) bool { return slices.Contains(r.Permissions, "*") })
}

// ClientSecretMatches reports whether secret is the secret of OAuth client
// id (compared in constant time).
func (t *Tenant) ClientSecretMatches(id, secret string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, ok := t.clients[id]
	return ok && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) == 1
}
