package tenant

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User is a person or service account of the tenant.
type User struct {
	ID    int64
	Name  string
	Email string
	// Login is the user name for password logins: the email, with the
	// tenant's credential suffix in every tenant but the first.
	Login    string
	Password string
	Groups   []string
	Roles    []string
	Profile  string
	// Active is false for a deactivated user (the relationship API's user
	// reads report it; the mock still accepts the user's credentials).
	Active bool
	// Created and Modified are when the user was created and last changed,
	// as the relationship API's user reads report them (UTC).
	Created, Modified time.Time
}

// FirstName and LastName split a user's name at its first space, as the
// relationship API's user reads report them: "Carol Principal" is Carol
// and Principal, "API Service Account" API and Service Account, a name of
// one word a first name alone.
func (u User) FirstName() string {
	first, _, _ := strings.Cut(strings.TrimSpace(u.Name), " ")
	return first
}

// LastName: see FirstName.
func (u User) LastName() string {
	_, last, _ := strings.Cut(strings.TrimSpace(u.Name), " ")
	return strings.TrimSpace(last)
}

// Group is a named set of users that rows can be shared with. ID is its
// numeric id (the relationship API's user reads list groups by id).
type Group struct {
	ID          int64
	Name        string
	Description string
}

// Role grants permissions (patterns with `*` wildcards, see MatchPermission)
// and the entity types its users may read through the API (`*` = every type).
type Role struct {
	Name        string
	Permissions []string
	EntityTypes []string
}

// APIKey is a data-API key. Name identifies it in decisions and the audit
// log; Key is the secret value sent as `Authorization: ApiKey <key>`.
type APIKey struct {
	Name    string
	Key     string
	User    int64
	Revoked bool
	// API is the loaded API the key belongs to ("" for the data API's
	// keys): only that API accepts it.
	API string
	// ID numbers a loaded API's key in that API's answers (from 1, per
	// API: the fixture's in order, then those it issues); "" for a data
	// API key.
	ID string
	// Issued: an API made the key at run time (issue-key). Its value was
	// shown once, to the caller that made it; no report or admin answer
	// repeats it.
	Issued bool
}

// OAuthClient is a client-credentials grant bound to a user: its tokens carry
// that user's permissions, narrowed by the token's scopes.
type OAuthClient struct {
	ClientID string
	Secret   string
	User     int64
	Scopes   []string
}

// Token is an issued bearer token.
type Token struct {
	Value string
	// API names the API whose token endpoint issued the token (its spec's
	// name, such as "credentials"): only that API's operations accept it.
	API       string
	ClientID  string
	User      int64
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Session is a data-API login session.
type Session struct {
	ID   string
	User int64
	// ExpiresAt is when the session ends: its absolute lifetime, or sooner
	// when it was ended (logged out elsewhere, expired by the admin API, or
	// ended by a session limit). Session and UseSession report the
	// earlier of it and the idle timeout's end.
	ExpiresAt time.Time
	// Started and LastUsed are the login and the last request that used
	// the session.
	Started, LastUsed time.Time
	// EndReason says why the session ends at ExpiresAt, as Session and
	// UseSession report it: its lifetime, its idle timeout, or a limit.
	EndReason string
}

// ProxyAssignment lets ProxyUserID act (AS-USER) as each of UserIDs.
type ProxyAssignment struct {
	ProxyUserID int64
	UserIDs     []int64
}

// Field kinds of entity fields.
const (
	KindString = "string"
	KindNumber = "number"
	KindBool   = "bool"
	KindDate   = "date" // stored as an RFC 3339 string
	KindRef    = "ref"  // a Ref to another entity or a user
)

// FieldType is the declared type of an entity field.
type FieldType struct {
	Kind    string // one of the Kind constants
	RefType string // for KindRef: the referenced type ("User" for users)
}

// String renders the type as written in fixtures: "string", "ref:Project".
func (f FieldType) String() string {
	if f.Kind == KindRef {
		return KindRef + ":" + f.RefType
	}
	return f.Kind
}

// OwnerField is the implicit reference field holding an entity's owner.
const OwnerField = "Owner"

// UserType is the type name of user references (`/User/1001`).
const UserType = "User"

// EntityType describes a type of entity (a Clarizen entity type, a DealCloud
// entry type).
type EntityType struct {
	Name string
	// EntryTypeID is the numeric id the relationship API also accepts in
	// place of the name; 0 when none.
	EntryTypeID int64
	Fields      map[string]FieldType
	// SingularName and PluralName name the type in the relationship API's
	// schema (default: Name).
	SingularName, PluralName string
	// Schema is the type's fields as the relationship API's schema lists
	// them, Owner included, by name; nil for a type without an
	// EntryTypeID. Read-only once built.
	Schema []SchemaField
}

// SchemaField is one field of an entry type as the relationship API's
// schema describes it.
type SchemaField struct {
	Name        string
	ID          int64
	Type        FieldType
	Required    bool
	Key         bool
	MultiSelect bool
	// Choices, for a string field declared with choice values, make it a
	// choice field; rows still carry the chosen value as text.
	Choices []string
}

// Ref is a reference to an entity or user, rendered as `/Type/id`.
type Ref struct {
	Type string
	ID   int64
}

// String renders the entity id form `/Type/id`.
func (r Ref) String() string { return "/" + r.Type + "/" + strconv.FormatInt(r.ID, 10) }

// ParseRef reads `/Type/id`.
func ParseRef(s string) (Ref, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] != "" || parts[1] == "" {
		return Ref{}, fmt.Errorf("%q is not an entity id of the form /Type/n", s)
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id <= 0 {
		return Ref{}, fmt.Errorf("%q is not an entity id of the form /Type/n", s)
	}
	return Ref{Type: parts[1], ID: id}, nil
}

// Entity is one row. Field values are string, float64, bool, Ref or nil;
// dates are RFC 3339 strings. Owner, SharedGroups and SharedUsers decide row
// visibility.
type Entity struct {
	Type         string
	ID           int64
	Owner        int64
	SharedGroups []string
	SharedUsers  []int64
	Fields       map[string]any
}

// Ref returns the entity's reference.
func (e Entity) Ref() Ref { return Ref{Type: e.Type, ID: e.ID} }

// CredentialField is one field of a credential type.
type CredentialField struct {
	Name     string
	Title    string
	Secret   bool // redacted on read
	Required bool
}

// CredentialType describes the fields of an integration credential.
type CredentialType struct {
	Name   string
	Fields []CredentialField
}

// Field returns the named field.
func (c CredentialType) Field(name string) (CredentialField, bool) {
	for _, f := range c.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return CredentialField{}, false
}

// Credential is an integration credential. Fields hold the real values,
// secrets included; callers redact on read.
type Credential struct {
	ID       string
	Name     string
	Type     string
	Fields   map[string]string
	Created  time.Time
	Modified time.Time
}

func (c *Credential) clone() Credential {
	d := *c
	d.Fields = make(map[string]string, len(c.Fields))
	for k, v := range c.Fields {
		d.Fields[k] = v
	}
	return d
}
