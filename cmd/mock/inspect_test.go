package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func inspect(t *testing.T, e env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, e.get, &out, &errb)
	return code, out.String(), errb.String()
}

// mock report and mock visibility read a running mock's admin API, as text
// or JSON; the report checks a manifest and suggests the needed grant.
func TestInspectionCommands(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	_, err := srv.Client(mocktest.ServiceKey).Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Project"})
	require.NoError(t, err)
	_, err = srv.Client(mocktest.ReportingOAuth).Relationship.ProxyAssignments(ctx, nil)
	require.Error(t, err)
	e := env{envURL: srv.URL}

	code, out, errOut := inspect(t, e, "report")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "API key service (demo-key-service, user 2001): 1 requests, 0 denied")
	assert.Contains(t, out, "denied:       getProxyAssignments at scope: user_management ×1")

	code, out, _ = inspect(t, env{}, "report", "--url", srv.URL, "--format", "json")
	require.Equal(t, exitOK, code)
	var r mockserver.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	c, ok := r.Credential("api_key", "service")
	require.True(t, ok)
	assert.Equal(t, []string{"Project"}, c.EntityTypes.Used)

	code, out, _ = inspect(t, e, "report", "--suggest")
	require.Equal(t, exitOK, code)
	assert.Equal(t, "credentials:\n  - id: service\n    permissions: []\n    entityTypes: [Project]\n  - id: demo-reporting\n    scopes: [user_management]\n    permissions: []\n    entityTypes: []\n", out)

	dir := t.TempDir()
	wide := filepath.Join(dir, "grant.yaml")
	require.NoError(t, os.WriteFile(wide, []byte("credentials:\n  - id: service\n    entityTypes: [Project, Deals]\n"), 0o644))
	code, out, _ = inspect(t, e, "report", "--manifest", wide)
	assert.Equal(t, exitFail, code)
	assert.Equal(t, "service: the manifest grants entity type Deals, which the run never used\n", out)
	exact := filepath.Join(dir, "exact.yaml")
	require.NoError(t, os.WriteFile(exact, []byte("credentials:\n  - id: service\n    entityTypes: [Project]\n"), 0o644))
	code, out, _ = inspect(t, e, "report", "--manifest", exact)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "the run used exactly the declared grant")

	srv.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	code, out, errOut = inspect(t, e, "visibility", "--user", "2001", "--type", "Project")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "The UI shows 4 rows: /Project/5 /Project/6 /Project/7 /Project/8")
	assert.Contains(t, out, "+ /Project/12 Executive Board Offsite: visible through apiDataAccess: bypass")

	code, _, errOut = inspect(t, e, "visibility", "--user", "77", "--type", "Project")
	assert.Equal(t, exitFail, code)
	assert.Equal(t, "mock visibility: tenant t1 has no user 77\n", errOut)
}

func TestInspectionCommandsRejectBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"visibility"}, "mock visibility: --user (a user id) and --type (an entity type) are required\n"},
		{[]string{"report", "--user", "1"}, "mock report: --user and --type are flags of mock visibility\n"},
		{[]string{"report", "--format", "xml"}, "mock report: --format \"xml\": the format is text or json\n"},
		{[]string{"report", "--url", "ftp://x"}, "mock report: --url \"ftp://x\": an http(s) URL such as http://127.0.0.1:8080\n"},
		{[]string{"report", "extra"}, "mock report: unexpected argument \"extra\"\n"},
		{[]string{"report", "--nope"}, "mock report: flag provided but not defined: -nope (see mock report --help)\n"},
	}
	for _, tc := range cases {
		code, out, errOut := inspect(t, env{}, tc.args...)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Empty(t, out)
		assert.Equal(t, tc.want, errOut)
	}
	code, out, _ := inspect(t, env{}, "visibility", "--help")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, inspectUsage, out)

	// No mock listening: one line, exit 1.
	code, _, errOut := inspect(t, env{envURL: "http://127.0.0.1:1"}, "report")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "mock report: ")
	assert.Contains(t, errOut, "connection refused")
}
