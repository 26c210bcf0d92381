package client

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
	// Idempotent reports whether the SDK may replay the request after a
	// failure: GETs and POSTs that only read.
	Idempotent bool
}

// Operations returns the operation table of all three APIs. The slice is a
// copy; change it freely.
func Operations() []Operation {
	out := make([]Operation, len(operationTable))
	copy(out, operationTable)
	return out
}

// LookupOperation finds an operation by API and operationId.
func LookupOperation(api API, id string) (Operation, bool) {
	for _, op := range operationTable {
		if op.API == api && op.ID == id {
			return op, true
		}
	}
	return Operation{}, false
}
