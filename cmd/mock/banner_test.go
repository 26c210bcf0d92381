package main

import (
	"bytes"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

var update = flag.Bool("update", false, "rewrite testdata/demo-banner.txt")

// The demo tenant's banner, as printed by `go run ./cmd/mock`, which the
// README quotes verbatim. When the demo fixture changes, run
// `go test ./cmd/mock -update` and paste the new banner into the README.
func TestDemoBanner(t *testing.T) {
	t.Parallel()
	srv, err := mockserver.New()
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, writeBanner(&b, srv, srv.DefaultTenant(), "http://127.0.0.1:8080", "the embedded demo fixture", ""))
	const golden = "testdata/demo-banner.txt"
	if *update {
		require.NoError(t, os.WriteFile(golden, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(), "the demo banner changed; run go test ./cmd/mock -update")
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), string(want), "README.md must quote the demo banner verbatim")

	// The curls act as one integration user: the service account's key and
	// client, and AS-USER Carol, who has no credential of her own.
	cmds := commandsOf(examples(srv, srv.DefaultTenant(), "http://127.0.0.1:8080"))
	require.Len(t, cmds, 4)
	assert.Contains(t, cmds[0], "'Authorization: ApiKey demo-key-service'")
	assert.Contains(t, cmds[1], "-u demo-integrator:demo-integrator-secret")
	assert.Contains(t, cmds[2], "-d client_id=demo-integrator -d client_secret=demo-integrator-secret -d scope=data")
	assert.Contains(t, cmds[2], "-H 'AS-USER: 6045' http://127.0.0.1:8080/api/rest/v4/data/entrydata/rows/Deals")
	assert.Equal(t, "curl -sS http://127.0.0.1:8080/_mock/healthz", cmds[3])
}

func commandsOf(exs []example) []string {
	out := make([]string, len(exs))
	for i, ex := range exs {
		out[i] = ex.command
	}
	return out
}

// Fixtures lacking what a command needs get no command for it, and every
// command printed works.
func TestExamplesFallBackWithoutBrokenCommands(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	const base = `
tenant: {name: Small}
groups: [{name: Staff}]
roles:
  - {name: Reader, permissions: [], entityTypes: [Note]}
  - {name: Nothing, permissions: [], entityTypes: []}
users:
  - {id: 1, name: Ann, email: ann@small.example, groups: [Staff], roles: [Reader]}
  - {id: 2, name: Ben, email: ben@small.example, roles: [Nothing]}
entityTypes:
  - {name: Note, fields: {Title: string}}
entities:
  - {type: Note, id: 1, owner: 2, sharedWithGroups: [Staff], fields: {Title: hello}}
`
	cases := []struct {
		name  string
		extra string
		want  []string // a fragment of each command, in order
	}{
		{"no credentials", "", []string{"/_mock/healthz"}},
		{"revoked key, key of a user who reads nothing", `
apiKeys:
  - {name: old, key: ann-old, user: 1, revoked: true}
  - {name: ben, key: ben-key, user: 2}
`, []string{"/_mock/healthz"}},
		{"API key only", `
apiKeys:
  - {name: ann, key: ann-key, user: 1}
`, []string{`ApiKey ann-key' -H 'Content-Type: application/json' -d '{"typeName":"Note"}'`, "/_mock/healthz"}},
		{"data-scoped client without proxy, no credentials scope", `
oauthClients:
  - {clientId: ann-app, secret: s, user: 1, scopes: [data]}
`, []string{"client_id=ann-app", "/_mock/healthz"}},
		{"credentials scope without the permission", `
oauthClients:
  - {clientId: ann-app, secret: s, user: 1, scopes: [integrations]}
`, []string{"/_mock/healthz"}},
		{"proxy to a principal who reads nothing", `
oauthClients:
  - {clientId: ann-app, secret: s, user: 1, scopes: [data]}
proxyAssignments:
  - {proxyUserId: 1, userIds: [2]}
`, []string{"client_id=ann-app", "/_mock/healthz"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := tenant.Parse("small.yaml", []byte(base+tc.extra))
			require.NoError(t, err)
			srv, err := mockserver.New(mockserver.WithFixture(f))
			require.NoError(t, err)
			ts := httptest.NewServer(srv)
			defer ts.Close()
			cmds := commandsOf(examples(srv, srv.DefaultTenant(), ts.URL))
			require.Len(t, cmds, len(tc.want), "%q", cmds)
			for i, cmd := range cmds {
				assert.Contains(t, cmd, tc.want[i])
				assert.NotContains(t, cmd, "AS-USER", "no proxy that shows rows")
				runCurl(t, cmd)
			}
			var b bytes.Buffer
			require.NoError(t, writeBanner(&b, srv, srv.DefaultTenant(), ts.URL, "fixture small.yaml", ""))
			assert.Contains(t, b.String(), "public test values of that fixture")
		})
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "http://127.0.0.1:8080/_mock/healthz", shellQuote("http://127.0.0.1:8080/_mock/healthz"))
	assert.Equal(t, "demo-key@t2", shellQuote("demo-key@t2"))
	assert.Equal(t, "'a b'", shellQuote("a b"))
	assert.Equal(t, `'it'\''s $HOME & more'`, shellQuote("it's $HOME & more"))
	assert.Equal(t, "''", shellQuote(""))
	out, err := exec.Command("sh", "-c", "printf %s "+shellQuote("it's $HOME & `x` \"q\" \\ ;")).Output()
	require.NoError(t, err)
	assert.Equal(t, "it's $HOME & `x` \"q\" \\ ;", string(out))

	assert.Equal(t, "-d scope=data", formArg("scope", "data"))
	assert.Equal(t, "--data-urlencode 'scope=data integrations'", formArg("scope", "data integrations"))
	assert.Equal(t, `"a b"`, display("a b"))
	assert.Equal(t, "demo-admin-secret", display("demo-admin-secret"))
}

func TestBannerListsTheFixturesCredentials(t *testing.T) {
	t.Parallel()
	f, err := tenant.LoadFile("testdata/acme.yaml")
	require.NoError(t, err)
	srv, err := mockserver.New(mockserver.WithFixture(f))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, writeBanner(&b, srv, srv.DefaultTenant(), "http://127.0.0.1:9999", "fixture testdata/acme.yaml", ""))
	out := b.String()
	for _, s := range []string{
		`Default tenant "Acme Corp" (id acme, organization 7001) from fixture testdata/acme.yaml.`,
		"public test values of that fixture",
		"  9  ETL Service     etl@acme.example   (no password: API access only)  roles: Integrator",
		"  acme-old-key  name old   user 7 Wile E. Coyote  (revoked)",
		`  acme-etl  secret "it's a s3cret & more"  user 9 ETL Service  scopes: integrations data user_management`,
		"  9 ETL Service may act as 7 Wile E. Coyote",
		"-H 'AS-USER: 7' http://127.0.0.1:9999/api/rest/v4/data/entrydata/rows/Widget",
	} {
		assert.Contains(t, out, s)
	}
	assert.NotContains(t, out, "demo-", "nothing of the demo tenant")
}
