package mocktest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// call makes one request through hc and decodes its JSON answer.
func call(t *testing.T, hc *http.Client, method, url string, body any) (int, map[string]any, client.Decision) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	}
	d, ok := client.DecisionOf(resp)
	require.True(t, ok, "every answer carries the mock's decision")
	return resp.StatusCode, out, d
}

// ids reads the ids of a Django-REST page's results.
func ids(t *testing.T, page map[string]any) []int64 {
	t.Helper()
	var out []int64
	for _, r := range page["results"].([]any) {
		out = append(out, int64(r.(map[string]any)["id"].(float64)))
	}
	return out
}

const flowCore = "/v3/customer/core/"

// A role without API access to pull requests is refused every pull
// request operation, in full; its other objects still answer.
func TestFlowObjectAccessRefusesAWholeObject(t *testing.T) {
	srv := mocktest.Start(t, mocktest.WithAPI("flow"))
	mateo := srv.HTTPClientFor("flow", mocktest.Bearer("flow-demo-key-mateo")) // role without pull_requests

	for _, path := range []string{"pull_requests/", "pull_requests/52101/", "pull_requests/52201/", "pull_requests/999999/"} {
		status, body, d := call(t, mateo, http.MethodGet, srv.URL+flowCore+path, nil)
		assert.Equal(t, http.StatusForbidden, status, path)
		assert.Equal(t, client.StepObject, d.Step, path)
		assert.Equal(t, []string{"pull_requests"}, d.Missing, path)
		assert.Equal(t, "You do not have permission to perform this action.", body["detail"], path)
	}
	status, _, _ := call(t, mateo, http.MethodGet, srv.URL+flowCore+"commits/", nil)
	assert.Equal(t, http.StatusOK, status)

	// The same key is no credential of the data API, nor a data API key
	// of Flow.
	status, _, _ = call(t, srv.HTTPClientFor("flow", mocktest.APIKey("flow-demo-key-mateo")), http.MethodPost, srv.URL+"/V2.0/services/data/entityQuery", map[string]any{"typeName": "Project"})
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _, d := call(t, srv.HTTPClientFor("flow", mocktest.Bearer("demo-key-service")), http.MethodGet, srv.URL+flowCore+"commits/", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, client.CodeUnknownCredential, d.Code)
	assert.Equal(t, "API key service belongs to the data API; listCommits accepts only keys of the flow API", d.Reason)
}

// Core objects bypass view rights by design (every commit of every team),
// the metrics respect them (the key user's teams alone), and the
// visibility diff says so, with reasons.
func TestFlowCoreObjectsBypassViewRightsAndMetricsDoNot(t *testing.T) {
	srv := mocktest.Start(t, mocktest.WithAPI("flow"))
	dana := srv.HTTPClientFor("flow", mocktest.Bearer("flow-demo-key-dana")) // user 6002, team-platform

	// Every commit, two per page, following next.
	var commits []int64
	next := srv.URL + flowCore + "commits/?limit=2"
	for pages := 0; next != "" && pages < 10; pages++ {
		status, page, _ := call(t, dana, http.MethodGet, next, nil)
		require.Equal(t, http.StatusOK, status)
		assert.EqualValues(t, 6, page["count"])
		commits = append(commits, ids(t, page)...)
		next, _ = page["next"].(string)
	}
	assert.Equal(t, []int64{880101, 880102, 880103, 880201, 880202, 880203}, commits)
	status, page, _ := call(t, dana, http.MethodGet, srv.URL+flowCore+"commits/?limit=2&offset=4", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Nil(t, page["next"])
	assert.Contains(t, page["previous"], "offset=2")
	req, err := http.NewRequest(http.MethodGet, srv.URL+flowCore+"commits/880201/", nil)
	require.NoError(t, err)
	req.Header.Set(client.ExplainHeader, "1")
	resp, err := dana.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another team's commit, read by id")
	d, _ := client.DecisionOf(resp)
	assert.Contains(t, d.Reason, "ignoring view rights by design", "the explanation says why")

	status, metrics, _ := call(t, dana, http.MethodGet, srv.URL+"/v3/customer/metrics/code_fundamentals/period_metrics/?start_date=2026-11-01", nil)
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 1, metrics["count"], "only the metrics of the key user's team")
	row := metrics["results"].([]any)[0].(map[string]any)
	assert.EqualValues(t, 7101, row["team_id"])

	diff, err := srv.Mock.Visibility("default", 6002, "commits")
	require.NoError(t, err)
	assert.Equal(t, 3, diff.UI.Count, "the UI shows Dana her team's commits")
	require.Len(t, diff.Credentials, 1)
	cv := diff.Credentials[0]
	assert.Equal(t, "flow-dana", cv.ID)
	assert.Equal(t, 6, cv.Rows.Count)
	require.Len(t, cv.APIOnly, 3)
	for _, r := range cv.APIOnly {
		assert.True(t, strings.HasPrefix(r.ID, "/commits/8802"), r.ID)
		assert.Contains(t, r.Reason, "rows: bypass")
		assert.Contains(t, r.Reason, "team-mobile")
	}
	diff, err = srv.Mock.Visibility("default", 6002, "team_metrics")
	require.NoError(t, err)
	require.Len(t, diff.Credentials, 1)
	assert.Empty(t, diff.Credentials[0].APIOnly)
	assert.Empty(t, diff.Credentials[0].UIOnly)
	assert.Equal(t, diff.UI.IDs, diff.Credentials[0].Rows.IDs)
}

// Managing keys needs Manage API keys; a user has one active key, shown
// once; a revoked key no longer authenticates.
func TestFlowKeyManagement(t *testing.T) {
	srv := mocktest.Start(t, mocktest.WithAPI("flow"))
	keys := srv.URL + "/ui/settings/api_keys/"
	lin := srv.HTTPClientFor("flow", mocktest.Bearer("flow-demo-key-lin")) // no Manage API keys
	status, _, d := call(t, lin, http.MethodPost, keys, map[string]any{"user_id": 6006})
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, client.StepPermission, d.Step)
	assert.Equal(t, []string{"Manage API keys"}, d.Missing)

	dana := srv.HTTPClientFor("flow", mocktest.Bearer("flow-demo-key-dana"))
	status, created, _ := call(t, dana, http.MethodPost, keys, map[string]any{"user_id": 6006, "name": "ada-reports"})
	require.Equal(t, http.StatusCreated, status)
	assert.Equal(t, "ada-reports", created["name"], "the key's label is the maker's")
	secret, _ := created["key"].(string)
	require.NotEmpty(t, secret, "the key is shown once, when made")
	assert.EqualValues(t, 6006, created["user_id"])

	status, body, _ := call(t, dana, http.MethodPost, keys, map[string]any{"user_id": 6006})
	assert.Equal(t, http.StatusConflict, status, "a second active key for the same user")
	assert.Contains(t, body["detail"], "already has an active API key")
	status, _, _ = call(t, dana, http.MethodPost, keys, nil)
	assert.Equal(t, http.StatusConflict, status, "Dana holds a key already")

	status, list, _ := call(t, dana, http.MethodGet, keys, nil)
	require.Equal(t, http.StatusOK, status)
	raw, _ := json.Marshal(list)
	assert.NotContains(t, string(raw), secret, "the list never shows a key's value")
	assert.Contains(t, string(raw), "ada-reports")
	assert.NotContains(t, string(raw), "flow-dana-old", "a revoked key is gone from the key page")

	rep, err := srv.Mock.LeastPrivilege("default")
	require.NoError(t, err)
	raw, _ = json.Marshal(rep)
	assert.NotContains(t, string(raw), secret, "nor the least-privilege report")
	resp, err := srv.HTTPClient().Get(srv.URL + "/_mock/tenants")
	require.NoError(t, err)
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(raw), "flow-demo-key-dana", "the admin API lists the fixture's public test keys")
	assert.NotContains(t, string(raw), secret, "and not a key made at run time")

	ada := srv.HTTPClientFor("flow", mocktest.Bearer(secret))
	status, _, d = call(t, ada, http.MethodGet, srv.URL+flowCore+"teams/", nil)
	require.Equal(t, http.StatusOK, status, "the new key works")
	assert.EqualValues(t, 6006, d.EffectiveUser)

	id := strconv.FormatFloat(created["id"].(float64), 'f', -1, 64)
	status, _, _ = call(t, dana, http.MethodDelete, keys+id+"/", nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _, d = call(t, ada, http.MethodGet, srv.URL+flowCore+"teams/", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, client.CodeRevokedCredential, d.Code)
	status, _, _ = call(t, dana, http.MethodPost, keys, map[string]any{"user_id": 6006})
	assert.Equal(t, http.StatusCreated, status, "after a revocation the user may have a new key")
}

// A loaded API goes through the same resilience layer: the rate limit,
// injected faults (named <api>.<operation>) and idempotent writes, each
// answered in the API's own error shape.
func TestLoadedAPIsShareTheResilienceLayer(t *testing.T) {
	t.Run("rate limit", func(t *testing.T) {
		srv := mocktest.Start(t, mocktest.WithAPI("flow"), mocktest.WithRateLimit(2, time.Minute))
		dana := srv.HTTPClientFor("flow", mocktest.Bearer("flow-demo-key-dana"))
		for range 2 {
			status, _, _ := call(t, dana, http.MethodGet, srv.URL+flowCore+"teams/", nil)
			require.Equal(t, http.StatusOK, status)
		}
		status, body, d := call(t, dana, http.MethodGet, srv.URL+flowCore+"teams/", nil)
		assert.Equal(t, http.StatusTooManyRequests, status)
		assert.NotEmpty(t, body["detail"], "the API's error shape")
		assert.Equal(t, client.CodeRateLimited, d.Code)
	})
	t.Run("faults", func(t *testing.T) {
		srv := mocktest.Start(t, mocktest.WithAPI("flow"), mocktest.WithFaults(tenant.Faults{Seed: 1, Rules: []tenant.FaultRule{
			{Operations: []string{"flow.listCommits"}, Kind: tenant.Fault503, Probability: 1, Times: 1}}}))
		dana := srv.HTTPClientFor("flow", mocktest.Bearer("flow-demo-key-dana"))
		status, body, _ := call(t, dana, http.MethodGet, srv.URL+flowCore+"commits/", nil)
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.NotEmpty(t, body["detail"])
		status, _, _ = call(t, dana, http.MethodGet, srv.URL+flowCore+"commits/", nil)
		assert.Equal(t, http.StatusOK, status, "the rule fired once")
		status, _, _ = call(t, dana, http.MethodGet, srv.URL+flowCore+"teams/", nil)
		assert.Equal(t, http.StatusOK, status)
	})
	t.Run("idempotency", func(t *testing.T) {
		srv := mocktest.Start(t, mocktest.WithAPI("workiva"))
		hc := srv.HTTPClientFor("workiva", mocktest.OAuth("wk-sheets-writer", "wk-sheets-writer-secret"))
		post := func() (*http.Response, map[string]any) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/files", strings.NewReader(`{"name":"Board pack","kind":"Document"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "create-board-pack-1")
			resp, err := hc.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			return resp, body
		}
		first, created := post()
		require.Equal(t, http.StatusCreated, first.StatusCode, "%v", created)
		again, replayed := post()
		assert.Equal(t, http.StatusCreated, again.StatusCode)
		assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, created["id"], replayed["id"], "the file was made once")
		status, page, _ := call(t, hc, http.MethodGet, srv.URL+"/files/"+created["id"].(string), nil)
		assert.Equal(t, http.StatusOK, status, "the creator owns and sees the new file: %v", page)
	})
}
