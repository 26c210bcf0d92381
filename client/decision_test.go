package client_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/internal/wire"
)

// stringConsts returns the string constants of a Go file: name → value,
// and name → declared type ("" when untyped).
func stringConsts(t *testing.T, path string) (values, types map[string]string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	require.NoError(t, err)
	values, types = map[string]string{}, map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				v, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				values[name.Name] = v
				if id, ok := vs.Type.(*ast.Ident); ok {
					types[name.Name] = id.Name
				}
			}
		}
	}
	return values, types
}

// Every outcome, step and code the mock can send (internal/wire) has a typed
// constant in package client with the same name and value, so the two cannot
// drift apart.
func TestDecisionConstantsMatchTheWire(t *testing.T) {
	t.Parallel()
	wireConsts, _ := stringConsts(t, "../internal/wire/wire.go")
	clientConsts, clientTypes := stringConsts(t, "decision.go")
	wantType := map[string]string{"Outcome": "Outcome", "Step": "Step", "Code": "DecisionCode"}
	n := 0
	for name, v := range wireConsts {
		for prefix, typ := range wantType {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			n++
			assert.Equal(t, v, clientConsts[name], "client.%s must equal wire.%s", name, name)
			assert.Equal(t, typ, clientTypes[name], "client.%s must be a %s", name, typ)
		}
	}
	assert.GreaterOrEqual(t, n, 20, "the wire constants were found")
	for name := range clientConsts {
		for prefix := range wantType {
			if strings.HasPrefix(name, prefix) {
				assert.Contains(t, wireConsts, name, "client.%s has no wire constant", name)
			}
		}
	}
}

// A decision header round-trips into the exported Decision with typed fields.
func TestDecisionFromHeader(t *testing.T) {
	t.Parallel()
	s := newServer(t, sequence(respond(403, ctJSON, `{"message":"Missing required oauth scopes: integrations","code":"missing.scopes","status":403}`,
		wire.DecisionHeader, wire.Decision{
			Operation: "listCredentials", Outcome: wire.OutcomeDeny, Step: wire.StepScope, Code: wire.CodeMissingScopes,
			Missing: []string{"integrations"}, Caller: &wire.Caller{Kind: "oauth_client", ID: "c1", User: 7},
			Reason: "no scope", Fix: "grant it",
		}.Encode())))
	c := newClient(t, s)
	_, err := c.Credentials.List(t.Context(), nil)
	var se *client.ScopeError
	require.ErrorAs(t, err, &se)
	require.NotNil(t, se.Decision)
	d := *se.Decision
	assert.Equal(t, client.OutcomeDeny, d.Outcome)
	assert.Equal(t, client.StepScope, d.Step)
	assert.Equal(t, client.CodeMissingScopes, d.Code)
	assert.Equal(t, &client.Caller{Kind: "oauth_client", ID: "c1", User: 7}, d.Caller)
	assert.Equal(t, "deny at scope (missing_scopes): no scope; fix: grant it", d.String())
}
