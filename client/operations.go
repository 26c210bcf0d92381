package client

import "slices"

//go:generate go run ../internal/cmd/genops -out operations.gen.go -readme ../README.md

// API names one of the three vendor surfaces.
type API string

// The vendor surfaces.
const (
	DataAPI         API = "data"         // entity query (Clarizen REST v2 shape)
	CredentialsAPI  API = "credentials"  // integration credentials (Genesys Cloud shape)
	RelationshipAPI API = "relationship" // proxy assignments and entry rows (DealCloud shape)
)

// Operation describes what one API operation requires, as declared in its
// OpenAPI spec. The table is generated from openapi/*.yaml.
type Operation struct {
	API    API
	ID     string // operationId in the spec
	Method string
	Path   string
	// Scopes lists acceptable OAuth scope sets: a token needs every scope of
	// one set. Empty when no scope applies (API keys, sessions, token calls).
	Scopes [][]string
	// Permissions lists role permissions, any one of which allows the call.
	Permissions []string
	// EntityTypeIn says where the call names its entity type (path, query,
	// body or czql), for object-level access and row-level sharing; "" if none.
	EntityTypeIn string
	// ReadOnly reports that the operation only reads (every GET, and the
	// POSTs the spec marks x-read-only), so the SDK may replay it after a
	// failure.
	ReadOnly bool
	// AsUser reports that the operation declares the AS-USER header: only
	// there can a call act on behalf of another user (AsUser, WithAsUser).
	// Elsewhere the client still sends the header when asked, and the
	// server ignores it: the call runs as the credential's own user.
	AsUser bool
}

// clone returns a copy of op that shares no slice with it.
func (op Operation) clone() Operation {
	op.Permissions = slices.Clone(op.Permissions)
	if op.Scopes != nil {
		scopes := make([][]string, len(op.Scopes))
		for i, set := range op.Scopes {
			scopes[i] = slices.Clone(set)
		}
		op.Scopes = scopes
	}
	return op
}

// Operations returns the operation table of all three APIs. It is a deep
// copy: changing it, or the slices in it, does not change the SDK's table.
func Operations() []Operation {
	out := make([]Operation, len(operationTable))
	for i, op := range operationTable {
		out[i] = op.clone()
	}
	return out
}

// LookupOperation finds an operation by API and operationId. The result is
// a copy, as in Operations.
func LookupOperation(api API, id string) (Operation, bool) {
	op, ok := lookupOperation(api, id)
	if !ok {
		return Operation{}, false
	}
	return op.clone(), true
}

// lookupOperation returns the table's own entry, for the SDK's read-only use.
func lookupOperation(api API, id string) (Operation, bool) {
	for _, op := range operationTable {
		if op.API == api && op.ID == id {
			return op, true
		}
	}
	return Operation{}, false
}
