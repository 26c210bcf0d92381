package tenant_test

// The admin API's Fixture schema (openapi/admin.yaml) and the fixture
// checker (tenant.Parse, tenant.Fixture) describe one format. These tests
// fail when they drift apart: a key one knows and the other does not, a
// type that differs, a fixture one accepts and the other refuses.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

func fixtureSchema(t *testing.T) *openapi3.SchemaRef {
	t.Helper()
	doc, err := openapi.Load(openapi.Admin)
	require.NoError(t, err)
	ref := doc.Components.Schemas["Fixture"]
	require.NotNil(t, ref, "components/schemas/Fixture")
	return ref
}

// schemaCheck validates a decoded JSON value against the schema, formats
// included.
func schemaCheck(s *openapi3.SchemaRef, v any) error {
	return s.Value.VisitJSON(v, openapi3.EnableFormatValidation())
}

// asJSON turns a YAML document into the value its JSON form decodes to:
// what a client that converts its YAML fixture to JSON would send.
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(src, &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// Every field of tenant.Fixture, at every depth, is a property of the
// schema under the same name with a matching type, and the other way round;
// every struct (where the decoder refuses unknown keys) is a schema with
// additionalProperties: false.
func TestFixtureSchemaMatchesTheGoType(t *testing.T) {
	walkFixture(t, "", reflect.TypeFor[tenant.Fixture](), fixtureSchema(t))
}

func walkFixture(t *testing.T, path string, typ reflect.Type, ref *openapi3.SchemaRef) {
	t.Helper()
	where := path
	if where == "" {
		where = "(fixture)"
	}
	if !assert.NotNil(t, ref, "%s: no schema", where) || !assert.NotNil(t, ref.Value, where) {
		return
	}
	s := ref.Value
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	is := func(want string) {
		t.Helper()
		assert.True(t, s.Type.Is(want), "%s: Go %s, schema type %v, want %s", where, typ, s.Type, want)
	}
	switch typ.Kind() {
	case reflect.Struct:
		is("object")
		if assert.NotNil(t, s.AdditionalProperties.Has, "%s: the decoder refuses unknown keys: additionalProperties: false", where) {
			assert.False(t, *s.AdditionalProperties.Has, "%s: additionalProperties", where)
		}
		goKeys := map[string]reflect.Type{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			yname, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			jname, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if yname == "" || yname == "-" {
				continue
			}
			assert.Equal(t, yname, jname, "%s.%s: the YAML and JSON names differ", where, f.Name)
			goKeys[yname] = f.Type
		}
		schemaKeys := slices.Sorted(func(yield func(string) bool) {
			for k := range s.Properties {
				if !yield(k) {
					return
				}
			}
		})
		goNames := make([]string, 0, len(goKeys))
		for k := range goKeys {
			goNames = append(goNames, k)
		}
		slices.Sort(goNames)
		assert.Equal(t, goNames, schemaKeys, "%s: the Go fields (left) and the schema's properties (right) differ", where)
		for _, k := range goNames {
			walkFixture(t, join(path, k), goKeys[k], s.Properties[k])
		}
	case reflect.Slice:
		is("array")
		walkFixture(t, path+"[]", typ.Elem(), s.Items)
	case reflect.Map:
		is("object")
		if assert.NotNil(t, s.AdditionalProperties.Schema, "%s: a map's values need a schema", where) {
			walkFixture(t, path+".*", typ.Elem(), s.AdditionalProperties.Schema)
		}
	case reflect.Interface:
		// Entity field values: their type is the entity type's.
		assert.Nil(t, s.Type, "%s: any value", where)
	case reflect.String:
		is("string")
	case reflect.Bool:
		is("boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		is("integer")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		is("integer")
		if assert.NotNil(t, s.Min, "%s: unsigned", where) {
			assert.Zero(t, *s.Min, where)
		}
	case reflect.Float32, reflect.Float64:
		is("number")
	default:
		t.Errorf("%s: Go type %s has no schema counterpart in this test", where, typ)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// The fixtures the project ships (the demo tenant, the documentation's
// examples, every fixture in a testdata directory) load, and validate
// against the schema both as written (converted to JSON) and in the JSON
// form Go writes of them.
func TestShippedFixturesValidateAgainstTheSchema(t *testing.T) {
	schema := fixtureSchema(t)
	sources := map[string][]byte{}
	demo, err := os.ReadFile("demo.yaml")
	require.NoError(t, err)
	sources["demo.yaml"] = demo
	for _, dir := range []string{"../testdata", "../mocktest/testdata", "../../cmd/mock/testdata"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		require.NoError(t, err)
		for _, name := range files {
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			sources[name] = b
		}
	}
	doc, err := os.ReadFile("../../docs/fixtures.md")
	require.NoError(t, err)
	for i, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
		sources["docs/fixtures.md#"+string(rune('a'+i))] = m[1]
	}

	loaded := 0
	for name, src := range sources {
		f, err := tenant.Parse(name, src)
		if err != nil {
			// Broken on purpose (the cmd/mock and mocktest error cases),
			// a grant manifest, or a documentation fragment: the tests
			// below compare refusals.
			t.Logf("%s does not load, skipped: %v", name, firstLine(err))
			continue
		}
		loaded++
		assert.NoError(t, schemaCheck(schema, asJSON(t, src)), "%s as written", name)
		b, err := json.Marshal(f)
		require.NoError(t, err)
		var goForm any
		require.NoError(t, json.Unmarshal(b, &goForm))
		assert.NoError(t, schemaCheck(schema, goForm), "%s in Go's JSON form", name)
	}
	for _, name := range []string{"demo.yaml", "docs/fixtures.md#a", "../testdata/leaks.yaml", "../mocktest/testdata/small.yaml", "../../cmd/mock/testdata/acme.yaml"} {
		_, err := tenant.Parse(name, sources[name])
		assert.NoError(t, err, "%s is one of the fixtures this test must check", name)
	}
	assert.GreaterOrEqual(t, loaded, 5)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// Each constraint the fixture checker enforces on a single value, at its
// edges: the schema accepts what the checker accepts and refuses what it
// refuses. (References between parts, duplicates and entity field values
// are the checker's alone; the schema's description says so.)
func TestFixtureSchemaAndCheckerAgree(t *testing.T) {
	schema := fixtureSchema(t)
	const base = "users:\n  - {id: 1, name: Ann, email: ann@example.com}\n" +
		"entityTypes:\n  - {name: Widget, fields: {Name: string}}\n"
	const refs = "users:\n  - {id: 1, name: Ann, email: ann@example.com}\n" +
		"entityTypes:\n  - {name: Part, fields: {Of: 'ref:Part'}}\n"
	cases := []struct {
		name, yaml string
		ok         bool
	}{
		{"empty fixture", "{}", true},
		{"base", base, true},
		{"null sections", base + "groups: ~\nroles: ~\nsettings: ~\nfaults: ~\n", true},

		{"tenant id", "tenant: {id: acme-1, name: Acme, organizationId: 7}", true},
		{"tenant id of 32", "tenant: {id: " + strings.Repeat("a", 32) + "}", true},
		{"tenant id of 33", "tenant: {id: " + strings.Repeat("a", 33) + "}", false},
		{"tenant id upper-case", "tenant: {id: Acme}", false},
		{"tenant id dash first", "tenant: {id: -acme}", false},
		{"unknown top-level key", "tenants: {}", false},
		{"unknown nested key", "users:\n  - {id: 1, name: Ann, email: a@x, grups: []}", false},

		{"settings", "settings: {apiDataAccess: bypass, enforcement: audit, tokenLifetime: 15m, sessionLifetime: 1h30m}", true},
		{"apiDataAccess enum", "settings: {apiDataAccess: sometimes}", false},
		{"enforcement enum", "settings: {enforcement: maybe}", false},
		{"tokenLifetime zero", `settings: {tokenLifetime: "0"}`, true},
		{"tokenLifetime fraction", "settings: {tokenLifetime: 1.5h}", true},
		{"tokenLifetime micro", "settings: {tokenLifetime: 3µs}", true},
		{"tokenLifetime not a duration", "settings: {tokenLifetime: soon}", false},
		{"tokenLifetime without unit", "settings: {tokenLifetime: '15'}", false},
		{"tokenLifetime negative", "settings: {tokenLifetime: -1s}", false},
		{"sessionLifetime 1ns", "settings: {sessionLifetime: 1ns}", true},
		{"sessionLifetime 0.5s", "settings: {sessionLifetime: 0.5s}", true},
		{"sessionLifetime 0h1m", "settings: {sessionLifetime: 0h1m}", true},
		{"sessionLifetime zero", "settings: {sessionLifetime: 0s}", false},
		{"sessionLifetime 0m0s", "settings: {sessionLifetime: 0m0s}", false},
		{"rate limit", "settings: {rateLimit: {requests: 1000000000, window: 0s}}", true},
		{"rate limit window only", "settings: {rateLimit: {window: 10s}}", true},
		{"rate limit over max", "settings: {rateLimit: {requests: 1000000001}}", false},
		{"rate limit negative", "settings: {rateLimit: {requests: -1}}", false},
		{"rate limit window negative", "settings: {rateLimit: {requests: 1, window: -1m}}", false},
		{"rate limit window bad", "settings: {rateLimit: {requests: 1, window: a minute}}", false},

		{"fault rule", `faults: {seed: -3, rules: [{operations: [entityQuery, "data.*"], kind: "503", probability: 1, retryAfter: 2s, times: 2}]}`, true},
		{"fault latency", "faults: {rules: [{kind: latency, probability: 0.001, latency: 20ms}]}", true},
		{"fault kind", `faults: {rules: [{kind: "502", probability: 1}]}`, false},
		{"fault without kind", "faults: {rules: [{probability: 1}]}", false},
		{"fault probability 0", `faults: {rules: [{kind: "500", probability: 0}]}`, false},
		{"fault probability over 1", `faults: {rules: [{kind: "500", probability: 1.01}]}`, false},
		{"fault without probability", `faults: {rules: [{kind: "500"}]}`, false},
		{"fault times negative", `faults: {rules: [{kind: "500", probability: 1, times: -1}]}`, false},
		{"fault times at max", `faults: {rules: [{kind: "500", probability: 1, times: 1000000000}]}`, true},
		{"fault times over max", `faults: {rules: [{kind: "500", probability: 1, times: 3000000000}]}`, false},
		{"fault retryAfter bad", `faults: {rules: [{kind: "429", probability: 1, retryAfter: soon}]}`, false},
		{"fault retryAfter negative", `faults: {rules: [{kind: "429", probability: 1, retryAfter: -1s}]}`, false},
		{"fault blank operation", `faults: {rules: [{kind: "500", probability: 1, operations: [" "]}]}`, false},
		{"fault unknown key", `faults: {rules: [{kind: "500", probability: 1, when: always}]}`, false},

		{"group", "groups: [{name: Staff, description: Everyone}]", true},
		{"group without name", "groups: [{description: Nameless}]", false},
		{"group empty name", `groups: [{name: ""}]`, false},
		{"roles", `roles: [{name: R, permissions: ["*", "integrations:*", "data:entity:add", "a:"], entityTypes: ["*"]}]`, true},
		{"role without name", "roles: [{permissions: []}]", false},
		{"permission with ::", `roles: [{name: R, permissions: ["data::add"]}]`, false},
		{"permission with a space", `roles: [{name: R, permissions: ["Manage API keys"]}]`, true},
		{"permission with a trailing space", `roles: [{name: R, permissions: ["data "]}]`, false},
		{"permission with a leading space", `roles: [{name: R, permissions: [" data"]}]`, false},
		{"permission empty", `roles: [{name: R, permissions: [""]}]`, false},

		{"user id 0", "users: [{id: 0, name: Ann, email: a@x}]", false},
		{"user without id", "users: [{name: Ann, email: a@x}]", false},
		{"user without name", "users: [{id: 1, email: a@x}]", false},
		{"user without email", "users: [{id: 1, name: Ann}]", false},
		{"user id not a number", "users: [{id: one, name: Ann, email: a@x}]", false},

		{"api key", base + "apiKeys: [{name: k, key: k-1, user: 1, revoked: true}]", true},
		{"api key with space", base + `apiKeys: [{name: k, key: "k 1", user: 1}]`, false},
		{"api key with tab", base + "apiKeys: [{name: k, key: \"k\\t1\", user: 1}]", false},
		{"api key without name", base + "apiKeys: [{key: k-1, user: 1}]", false},
		{"api key without user", base + "apiKeys: [{name: k, key: k-1}]", false},
		{"oauth client", base + "oauthClients: [{clientId: c-1, secret: s, user: 1, scopes: [data, integrations, 'integrations:readonly', user_management]}]", true},
		{"oauth client id with colon", base + "oauthClients: [{clientId: 'c:1', secret: s, user: 1}]", false},
		{"oauth client without secret", base + "oauthClients: [{clientId: c, user: 1}]", false},
		{"oauth client unknown scope", base + "oauthClients: [{clientId: c, secret: s, user: 1, scopes: [admin]}]", false},
		{"proxy", "users: [{id: 1, name: A, email: a@x}, {id: 2, name: B, email: b@x}]\nproxyAssignments: [{proxyUserId: 1, userIds: [2]}]", true},
		{"proxy without proxy user", base + "proxyAssignments: [{userIds: [1]}]", false},

		{"entity type", "entityTypes: [{name: W_1, entryTypeId: 0, fields: {A: string, B: number, C: bool, D: date, E: 'ref:User', F: 'ref:W_1'}}]", true},
		{"entity type name digit first", "entityTypes: [{name: 1W}]", false},
		{"entity type name with dash", "entityTypes: [{name: W-1}]", false},
		{"entity type without name", "entityTypes: [{fields: {}}]", false},
		{"entity type negative entry id", "entityTypes: [{name: W, entryTypeId: -1}]", false},
		{"field type", "entityTypes: [{name: W, fields: {A: text}}]", false},
		{"field type ref without type", "entityTypes: [{name: W, fields: {A: 'ref:'}}]", false},
		{"entity", base + "entities: [{type: Widget, id: 1, owner: 1, sharedWithUsers: [1], fields: {Name: x}}]", true},
		{"entity reference", refs + "entities: [{type: Part, id: 2, owner: 1, fields: {Of: {ref: /Part/1}}}, {type: Part, id: 1, owner: 1, fields: {Of: {id: /Part/2}}}]", true},
		{"entity reference without ref", refs + "entities: [{type: Part, id: 1, owner: 1, fields: {Of: {to: /Part/1}}}]", false},
		{"entity reference not an id", refs + "entities: [{type: Part, id: 1, owner: 1, fields: {Of: {ref: Part}}}]", false},
		{"entity reference to id 0", refs + "entities: [{type: Part, id: 1, owner: 1, fields: {Of: {ref: /Part/0}}}]", false},
		{"entity id 0", base + "entities: [{type: Widget, id: 0, owner: 1}]", false},
		{"entity without owner", base + "entities: [{type: Widget, id: 1}]", false},
		{"entity without type", base + "entities: [{id: 1, owner: 1}]", false},

		{"credential", "credentialTypes: [{name: basic, fields: [{name: user, title: User, required: true}, {name: pw, secret: true}]}]\n" +
			"credentials: [{id: c1, name: DB, type: basic, fields: {user: u}, createdDate: '2026-01-10T08:00:00Z'}]", true},
		{"credential type without name", "credentialTypes: [{fields: []}]", false},
		{"credential field without name", "credentialTypes: [{name: t, fields: [{title: T}]}]", false},
		{"credential field empty name", `credentialTypes: [{name: t, fields: [{name: ""}]}]`, false},
		{"credential without id", "credentialTypes: [{name: t}]\ncredentials: [{name: DB, type: t}]", false},
		{"credential without name", "credentialTypes: [{name: t}]\ncredentials: [{id: c, type: t}]", false},
		{"credential created date", "credentialTypes: [{name: t}]\ncredentials: [{id: c, name: DB, type: t, createdDate: yesterday}]", false},

		{"generate", base + "generate: {type: Widget, count: 20000000, seed: 18446744073709551615}", true},
		{"generate over max", base + "generate: {type: Widget, count: 20000001}", false},
		{"generate negative", base + "generate: {type: Widget, count: -1}", false},
		{"generate negative seed", base + "generate: {type: Widget, count: 1, seed: -1}", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, goErr := tenant.Parse("case.yaml", []byte(c.yaml))
			schemaErr := schemaCheck(schema, asJSON(t, []byte(c.yaml)))
			if c.ok {
				assert.NoError(t, goErr, "the checker")
				assert.NoError(t, schemaErr, "the schema")
			} else {
				assert.Error(t, goErr, "the checker")
				assert.Error(t, schemaErr, "the schema")
			}
		})
	}
}

// The scopes a fixture's OAuth client may hold are the ones the vendor
// specs declare.
func TestFixtureSchemaScopesAreTheSpecsScopes(t *testing.T) {
	s := fixtureSchema(t).Value.Properties["oauthClients"].Value.Items.Value.Properties["scopes"].Value.Items.Value
	var enum []string
	for _, v := range s.Enum {
		enum = append(enum, v.(string))
	}
	slices.Sort(enum)
	assert.Equal(t, tenant.KnownScopes(), enum)
}
