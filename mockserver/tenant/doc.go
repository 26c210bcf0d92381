// Package tenant is the mock server's in-memory tenant model: users, groups,
// roles, API keys, OAuth clients, issued tokens and sessions, proxy
// assignments, entities with row-level sharing, integration credentials and
// their types, settings, and an audit log.
//
// A Tenant is safe for concurrent use: its state is guarded by one
// sync.RWMutex (the audit log by its own mutex). Methods return copies, so
// callers may keep and change what they get.
//
// # Access rules
//
// Roles grant permissions, matched with wildcards by MatchPermission (`*`
// grants everything; `integrations:*` and `integrations:integration:*` match
// by segment), and list the entity types their users may read through the
// API (`*` = every type). A row is visible to a user who owns it, who is in
// one of the groups it is shared with, or with whom it is shared directly.
// Users holding a role with the permission `*` (Admin) see every row. With
// the setting `apiDataAccess: bypass` API reads ignore row-level sharing for
// everyone (object-type access still applies); updates and deletes follow it
// whatever the setting. A written reference must name a row the writer may
// read (a type its roles may read, a row visible to it), and Rows.RefName
// and Tenant.RefName report a hidden row like a missing one.
//
// # Credential identifiers
//
// Config.CredentialSuffix is appended to every credential identifier of the
// fixture: API key values, OAuth client ids and login user names. The mock
// server gives its first tenant no suffix and every later tenant
// "@<tenantID>", so tenants in one process never share a credential.
// Secrets and passwords are unchanged. Token values and session ids are
// random and start with "<tenantID>.", so they identify their tenant.
//
// # Fixture format
//
// A fixture is a YAML (or JSON) document describing a whole tenant; Parse
// and LoadFile validate it and report every problem with file, line and
// field path (`demo.yaml:41: users[2].roles[0]: unknown role "Admn"`):
// unknown keys, unknown user, group, role, type and entity references,
// duplicate ids and names, bad enum values and badly typed field values.
// docs/fixtures.md has a complete example; demo.yaml (Demo) is the default
// tenant. The sections, all optional:
//
//	tenant:            # name, organizationId, optional id (lower-case, digits, dashes)
//	settings:          # apiDataAccess: enforce|bypass, enforcement: enforce|audit,
//	                   # tokenLifetime (Go duration; unset = vendor defaults),
//	                   # sessionLifetime (default 8h), sessionIdleTimeout (default
//	                   # 30m, 0 = none), maxSessionsPerUser (default 0 = no limit),
//	                   # rateLimit: {requests, window} per credential (none by default),
//	                   # vendorRateLimits: apply the specs' x-rate-limit (default false)
//	groups:            # - {id (default: position from 1), name, description}
//	roles:             # - {name, permissions: [...], entityTypes: [...]}
//	users:             # - {id, name, email (the login name), password, groups, roles, profile,
//	                   #    active (default true), createdDate, modifiedDate}
//	apiKeys:           # - {name, key, user, revoked}
//	oauthClients:      # - {clientId, secret, user, scopes: [...]} (scopes declared by the specs)
//	proxyAssignments:  # - {proxyUserId, userIds: [...]}
//	entityTypes:       # - {name, entryTypeId, fields: {Field: string|number|bool|date|ref:<Type>}}
//	entities:          # - {type, id, owner, sharedWithGroups, sharedWithUsers,
//	                   #    fields: {Field: value, Ref: {ref: /Type/n}}}
//	credentialTypes:   # - {name, fields: [{name, title, secret, required}]}
//	credentials:       # - {id, name, type, fields: {...}, createdDate}
//	faults:            # {seed, rules: [{operations, kind, probability, retryAfter,
//	                   #    latency, afterWrite, times}]} (see Faults)
//
// Every entity type has an implicit Owner field (a reference to the owning
// user). Dates are stored as RFC 3339 strings; YYYY-MM-DD is accepted.
package tenant
