package tenant_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const base = `tenant: {name: Test}
groups:
  - name: Staff
roles:
  - name: Reader
    permissions: [data:entity:view]
    entityTypes: [Widget]
users:
  - id: 1
    name: Ann
    email: ann@example.com
    groups: [Staff]
    roles: [Reader]
entityTypes:
  - name: Widget
    fields: {Name: string, Parent: "ref:Widget"}
entities:
  - {type: Widget, id: 1, owner: 1, fields: {Name: a}}
`

// fieldErrors parses src and returns its field errors.
func fieldErrors(t *testing.T, src string) []*tenant.FieldError {
	t.Helper()
	_, err := tenant.Parse("t.yaml", []byte(src))
	require.Error(t, err)
	var fe *tenant.FixtureError
	require.True(t, errors.As(err, &fe), "%T %v", err, err)
	return fe.Errs
}

func TestFixtureErrorsNameFileLineAndField(t *testing.T) {
	_, err := tenant.Parse("t.yaml", []byte(base))
	require.NoError(t, err)

	cases := []struct {
		name    string
		src     string
		line    int
		field   string
		message string
	}{
		{"unknown top-level key", base + "extras: 1\n", 19, "extras", `unknown key "extras"`},
		{"unknown nested key", strings.Replace(base, "    groups: [Staff]", "    grups: [Staff]", 1), 12, "users[0].grups", `unknown key "grups"`},
		{"unknown group", strings.Replace(base, "groups: [Staff]", "groups: [Staf]", 1), 12, "users[0].groups[0]", `unknown group "Staf"`},
		{"unknown role", strings.Replace(base, "roles: [Reader]", "roles: [Writer]", 1), 13, "users[0].roles[0]", `unknown role "Writer"`},
		{"duplicate user", strings.Replace(base, "\nentityTypes:", "\n  - {id: 1, name: Bo, email: bo@example.com}\nentityTypes:", 1), 14, "users[1].id", "duplicate user id 1"},
		{"duplicate entity", base + "  - {type: Widget, id: 1, owner: 1}\n", 19, "entities[1].id", "duplicate entity /Widget/1"},
		{"unknown owner", strings.Replace(base, "owner: 1,", "owner: 9,", 1), 18, "entities[0].owner", "unknown user 9"},
		{"bad enum", "settings: {apiDataAccess: sometimes}\n", 1, "settings.apiDataAccess", `"sometimes" is not one of enforce, bypass`},
		{"bad field type", strings.Replace(base, "Name: string,", "Name: text,", 1), 16, "entityTypes[0].fields.Name", `type "text" is not one of`},
		{"bad value", strings.Replace(base, "fields: {Name: a}", "fields: {Name: a, Parent: {ref: /Widget/7}}", 1), 18, "entities[0].fields.Parent", "refers to unknown /Widget/7"},
		{"unknown field", strings.Replace(base, "fields: {Name: a}", "fields: {Colour: red}", 1), 18, "entities[0].fields.Colour", `unknown field "Colour"`},
		{"unknown scope", base + "oauthClients:\n  - {clientId: c, secret: s, user: 1, scopes: [everything]}\n", 20, "oauthClients[0].scopes[0]", `unknown scope "everything"`},
		{"wrong type", "users:\n  - id: abc\n", 2, "users[0].id", `want a whole number, got "abc"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := fieldErrors(t, tc.src)
			var found *tenant.FieldError
			for _, e := range errs {
				if strings.Contains(e.Msg, tc.message) {
					found = e
				}
			}
			require.NotNil(t, found, "want %q among %v", tc.message, errs)
			assert.Equal(t, "t.yaml", found.File)
			if tc.field != "" {
				assert.Equal(t, tc.field, found.Field)
			}
			if tc.line != 0 {
				assert.Equal(t, tc.line, found.Line, found.Error())
			}
			assert.True(t, strings.HasPrefix(found.Error(), "t.yaml:"), found.Error())
		})
	}
}

// A value of the wrong type is reported at its own field, every time, in
// flow-style YAML (where every field of an entry shares one line), block
// YAML and JSON.
func TestWrongTypeNamesItsOwnField(t *testing.T) {
	docs := map[string]string{
		"flow":  base + "apiKeys:\n  - {name: wile, key: acme-key, user: seven, revoked: true}\n",
		"block": base + "apiKeys:\n  - name: wile\n    key: acme-key\n    user: seven\n    revoked: true\n",
		"json": `{"users": [{"id": 1, "name": "Ann", "email": "ann@example.com"}],
		  "apiKeys": [{"name": "wile", "key": "acme-key", "user": "seven", "revoked": true}]}`,
	}
	lines := map[string]int{"flow": 20, "block": 22, "json": 2}
	for name, src := range docs {
		t.Run(name, func(t *testing.T) {
			for range 50 { // the old lookup by line picked a field of that line at random
				errs := fieldErrors(t, src)
				require.Len(t, errs, 1, "%v", errs)
				assert.Equal(t, "apiKeys[0].user", errs[0].Field)
				assert.Equal(t, `want a whole number, got "seven"`, errs[0].Msg)
				assert.Equal(t, lines[name], errs[0].Line)
			}
		})
	}
	for _, tc := range []struct{ src, field, msg string }{
		{"users:\n  - {id: 1, name: A, email: a@b, groups: Staff}\n", "users[0].groups", `want a list, got "Staff"`},
		{"users: {id: 1}\n", "users", "want a list, got a mapping"},
		{"apiKeys:\n  - {name: k, key: k, user: 1, revoked: sometimes}\n", "apiKeys[0].revoked", `want true or false, got "sometimes"`},
		{"apiKeys:\n  - {name: [a], key: k, user: 1}\n", "apiKeys[0].name", "want text, got a list"},
		{"settings: {rateLimit: {requests: {n: 1}}}\n", "settings.rateLimit.requests", "want a whole number, got a mapping"},
	} {
		errs := fieldErrors(t, tc.src)
		require.NotEmpty(t, errs)
		assert.Equal(t, tc.field, errs[0].Field, "%v", errs)
		if tc.msg != "" {
			assert.Equal(t, tc.msg, errs[0].Msg)
		}
	}
}

func TestEmptyFixture(t *testing.T) {
	for _, src := range []string{"", "  \n", "# nothing\n"} {
		_, err := tenant.Parse("t.yaml", []byte(src))
		require.Error(t, err)
		assert.Equal(t, "t.yaml: the fixture is empty; it is a mapping (tenant:, users:, ...), see docs/fixtures.md", err.Error())
	}
}

func TestLoadFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acme.yaml")
	require.NoError(t, os.WriteFile(path, []byte("users:\n  - {id: 1, name: A, email: a@b, roles: [Ghost]}\n"), 0o600))
	_, err := tenant.LoadFile(path)
	require.Error(t, err)
	assert.Equal(t, `acme.yaml:2: users[0].roles[0]: unknown role "Ghost"`, err.Error())
}

func TestFixtureInGoIsValidatedToo(t *testing.T) {
	f := &tenant.Fixture{Users: []tenant.UserFixture{{ID: 1, Name: "A", Email: "a@b", Groups: []string{"nope"}}}}
	_, err := tenant.New(f, tenant.Config{ID: "x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `users[0].groups[0]: unknown group "nope"`)
}

// The full example in docs/fixtures.md is a valid fixture.
func TestDocsExampleFixture(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "fixtures.md"))
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(doc), "## Full example")
	require.True(t, ok)
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	require.True(t, ok)
	src, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	f, err := tenant.Parse("fixtures.md", []byte(src))
	require.NoError(t, err)
	tn, err := tenant.New(f, tenant.Config{ID: "acme"})
	require.NoError(t, err)
	plan, _ := tn.Faults()
	assert.Empty(t, plan.Rules, "a copy of the full example answers every request as written")

	// The fault plan of the next section is valid on top of it.
	_, faults, ok := strings.Cut(string(doc), "## Fault injection")
	require.True(t, ok)
	_, faults, ok = strings.Cut(faults, "```yaml\n")
	require.True(t, ok)
	faults, _, ok = strings.Cut(faults, "```")
	require.True(t, ok)
	withFaults, err := tenant.Parse("fixtures.md", []byte(src+faults))
	require.NoError(t, err)
	ft, err := tenant.New(withFaults, tenant.Config{ID: "acme"})
	require.NoError(t, err)
	plan, _ = ft.Faults()
	assert.Len(t, plan.Rules, 3)
	rows, err := tn.Entities("Order", 7)
	require.NoError(t, err)
	assert.Len(t, rows, 1, "shared with user 7 directly")
	rows, err = tn.Entities("Widget", 7)
	require.NoError(t, err)
	assert.Len(t, rows, 1, "Widget 2 is not shared")
	assert.Equal(t, []string{"data:entity:delete"}, tn.GrantedPermissions(7, []string{"data:entity:delete"}))
}

// Fixtures with YAML aliases to themselves, or aliases of aliases that
// would expand to billions of nodes, are refused promptly.
func TestFixtureAliasesCannotExhaustTheParser(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("entities:\n  - type: Project\n    id: 1\n    owner: 1\n    fields:\n")
	bomb.WriteString("      a: &a {x: 1}\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		fmt.Fprintf(&bomb, "      %s: &%s [", name, name)
		for j := range 9 {
			if j > 0 {
				bomb.WriteString(", ")
			}
			bomb.WriteString("*" + prev)
		}
		bomb.WriteString("]\n")
		prev = name
	}
	docs := map[string]string{
		"self":  "entities:\n  - {type: Project, id: 1, owner: 1, fields: &x {a: *x}}\n",
		"bomb":  bomb.String(),
		"users": "users:\n  - &u {id: 1, name: A, email: a@x, roles: [*u]}\n",
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := tenant.Parse(name+".yaml", []byte(doc))
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.Contains(t, err.Error(), name+".yaml")
			case <-time.After(10 * time.Second):
				t.Fatal("Parse did not return")
			}
		})
	}
}
