package mocktest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// endT is a testing.TB whose test "ends" when end is called: it runs the
// cleanups then, and records test errors instead of failing.
type endT struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	errs     []string
}

func (e *endT) Helper()          {}
func (e *endT) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }
func (e *endT) Errorf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

func (e *endT) end() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// syncCredentials is a small integration: with the demo integrator client
// it fetches a token, reads credential types and deal rows, and creates a
// credential: 4 requests.
func syncCredentials(t testing.TB, srv *mocktest.Server) {
	c := srv.Client(mocktest.IntegratorOAuth)
	_, err := c.Credentials.Types(t.Context())
	require.NoError(t, err)
	_, err = c.Relationship.Rows(t.Context(), "Deals", nil)
	require.NoError(t, err)
	name := "basicAuth"
	_, err = c.Credentials.Create(t.Context(), credentialsapi.Credential{Name: ptr("ERP"), Type: credentialsapi.CredentialType{Name: &name},
		CredentialFields: &map[string]string{"userName": "u", "password": "p"}})
	require.NoError(t, err)
}

// A manifest that grants more than the run used fails the test when it
// ends, and the failure names the excess; the exact grant passes.
func TestGrantManifestFailsOnExcess(t *testing.T) {
	t.Parallel()
	et := &endT{TB: t}
	syncCredentials(t, mocktest.Start(et, mocktest.WithGrantManifest("testdata/grant-wide.yaml")))
	et.end()
	require.Len(t, et.errs, 1, "%q", et.errs)
	assert.Equal(t, "mocktest: grant check: demo-integrator: the manifest grants scope user_management, which the run never used", et.errs[0])

	et = &endT{TB: t}
	syncCredentials(t, mocktest.Start(et, mocktest.WithGrantManifest("testdata/grant-exact.yaml")))
	et.end()
	assert.Empty(t, et.errs)
}

// The report is written when the test ends, as JSON or text by extension,
// and a report set merges the reports of several servers.
func TestReportFilesAndSets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	set := mocktest.NewReportSet()
	et := &endT{TB: t}
	a := mocktest.Start(et, mocktest.WithReportFile(filepath.Join(dir, "a.json")), mocktest.WithReportSet(set))
	b := mocktest.Start(et, mocktest.WithReportFile(filepath.Join(dir, "b.txt")), mocktest.WithReportSet(set))
	syncCredentials(t, a)
	syncCredentials(t, b)
	_, err := b.Client(mocktest.ServiceKey).Data.GetSessionInfo(t.Context())
	require.NoError(t, err)
	et.end()
	require.Empty(t, et.errs)

	raw, err := os.ReadFile(filepath.Join(dir, "a.json"))
	require.NoError(t, err)
	var ra mockserver.Report
	require.NoError(t, json.Unmarshal(raw, &ra))
	ca, _ := ra.Credential("oauth_client", "demo-integrator")
	assert.Equal(t, 5, ca.Requests) // a token per API (credentials, relationship) and three calls

	text, err := os.ReadFile(filepath.Join(dir, "b.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(text), "API key service (demo-key-service, user 2001): 1 requests, 0 denied")

	merged := set.Report()
	cm, _ := merged.Credential("oauth_client", "demo-integrator")
	assert.Equal(t, 10, cm.Requests)
	assert.Equal(t, []string{"data", "integrations"}, cm.Scopes.Used)
	assert.Equal(t, []string{"user_management"}, cm.Scopes.Unused)
	sk, _ := merged.Credential("api_key", "service")
	assert.Equal(t, 1, sk.Requests)

	problems, err := set.Check("testdata/grant-no-types.yaml")
	require.NoError(t, err)
	assert.Equal(t, []string{"demo-integrator: the run needed entity type Deals, which the manifest does not grant"}, problems)
}

// The helper's smaller knobs: options for every client, switching response
// validation off, the visibility diff, a rate limit set mid-test, and a
// report set written as JSON.
func TestHelperOptions(t *testing.T) {
	t.Parallel()
	var sawUA atomic.Bool
	ua := client.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		sawUA.Store(r.Header.Get("User-Agent") == "nightly-sync/1.0")
		return nil
	})
	set := mocktest.NewReportSet()
	et := &endT{TB: t}
	srv := mocktest.Start(et, mocktest.WithClientOptions(client.WithUserAgent("nightly-sync/1.0"), ua),
		mocktest.WithoutResponseValidation(), mocktest.WithReportSet(set))
	c := srv.Client(mocktest.ServiceKey)
	_, err := c.Data.GetSessionInfo(t.Context())
	require.NoError(t, err)
	assert.True(t, sawUA.Load(), "WithClientOptions applies to every client")

	d := srv.Visibility(mocktest.ServiceID, "Project")
	assert.Equal(t, 4, d.UI.Count)

	srv.SetRateLimit(1, 10*time.Minute) // a Retry-After over the SDK's cap: no wait
	_, err = c.Data.GetSessionInfo(t.Context())
	require.NoError(t, err, "a new limit starts a new window")
	_, err = c.Data.GetSessionInfo(t.Context())
	var rl *client.RateLimitError
	require.ErrorAs(t, err, &rl, "the second request of the window is over the budget")

	et.end()
	require.Empty(t, et.errs)
	path := filepath.Join(t.TempDir(), "lp.json")
	require.NoError(t, set.WriteFile(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var r mockserver.Report
	require.NoError(t, json.Unmarshal(raw, &r))
	key, ok := r.Credential("api_key", "service")
	require.True(t, ok)
	assert.Equal(t, 2, key.Requests, "the request the rate limit refused never reached the pipeline")
}
