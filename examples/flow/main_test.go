package main

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/internal/golden"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// The example runs against the in-process mock serving the Flow-shaped API,
// each key's requests sent by the mock's bearer client (responses checked
// against the spec). What it returns is checked against the fixture
// (openapi/apis/flow/fixture.yaml), what it prints against the golden file
// (the issued key's value, random, masked), and the mock's visibility diff
// for Dana is read in-process too.
func TestFlow(t *testing.T) {
	srv := mocktest.Start(t, mocktest.WithAPI("flow"))
	cfg := config{
		base:    srv.URL,
		withKey: func(key string) *http.Client { return srv.HTTPClientFor("flow", mocktest.Bearer(key)) },
		admin:   srv.HTTPClient(),
	}
	var out bytes.Buffer
	res, err := run(t.Context(), cfg, &out)
	require.NoError(t, err, out.String())

	// Every commit of both teams, three pages of two, in id order.
	assert.Equal(t, []int64{880101, 880102, 880103, 880201, 880202, 880203}, res.Commits)
	assert.Equal(t, 3, res.CommitPages)
	assert.Equal(t, 6, res.CommitCount)

	// Pull requests: Dana reads all four; Mateo's role has no API access to
	// the object, refused at the object step whatever the row.
	assert.Equal(t, 4, res.PullRequests)
	pr := res.PRRefusal
	assert.Equal(t, http.StatusForbidden, pr.Status)
	assert.Equal(t, "You do not have permission to perform this action.", pr.Detail)
	require.True(t, pr.Explain)
	assert.Equal(t, client.OutcomeDeny, pr.Decision.Outcome)
	assert.Equal(t, client.StepObject, pr.Decision.Step)
	assert.Equal(t, client.CodeObjectNotAccessible, pr.Decision.Code)
	assert.Equal(t, []string{"pull_requests"}, pr.Decision.Missing)
	assert.Equal(t, int64(6003), pr.Decision.EffectiveUser)

	// Metrics respect view rights: Dana's team only; Ada, in both teams,
	// reads both rows with the key just issued for her.
	assert.Equal(t, []string{"Platform"}, res.DanaMetrics)
	assert.Equal(t, []string{"Platform", "Mobile"}, res.AdaMetrics)

	// The new key: for user 6006, its value in the create answer only.
	assert.False(t, res.DeletedOldKey, "a fresh mock: no key of user 6006 yet")
	assert.Equal(t, int64(adaUser), res.NewKey.UserID)
	assert.NotEmpty(t, res.NewKey.Key)
	i := slices.IndexFunc(res.ListedKeys, func(k APIKey) bool { return k.ID == res.NewKey.ID })
	require.GreaterOrEqual(t, i, 0, "the key page lists the new key: %+v", res.ListedKeys)
	assert.Equal(t, int64(adaUser), res.ListedKeys[i].UserID)
	for _, k := range res.ListedKeys {
		assert.Empty(t, k.Key, "the key page shows no key's value: key %d", k.ID)
	}
	// A second key for the same user: 409, one active key per user.
	assert.Equal(t, http.StatusConflict, res.SecondKey.Status)
	assert.Equal(t, "user 6006 already has an active API key; revoke it before creating another", res.SecondKey.Detail)

	// The key page lists active keys only (Dana's deleted key is gone).
	for _, k := range res.ListedKeys {
		assert.NotEqual(t, "flow-dana-old", k.Name)
	}
	printed := strings.ReplaceAll(out.String(), res.NewKey.Key, "<the key, shown once>")
	golden.Check(t, printed, "testdata/output.txt")

	// The visibility diff, in-process: the UI shows Dana her team's 3
	// commits, her key reads all 6; for team metrics, the same row.
	commits, err := srv.Mock.Visibility("default", danaUser, "commits")
	require.NoError(t, err)
	assert.Equal(t, []string{"/commits/880101", "/commits/880102", "/commits/880103"}, commits.UI.IDs)
	require.Len(t, commits.Credentials, 1, "Dana's one active key")
	c := commits.Credentials[0]
	assert.Equal(t, "flow-dana", c.ID)
	assert.Equal(t, "listCommits", c.Operation)
	assert.Nil(t, c.Denied)
	assert.Equal(t, 6, c.Rows.Count)
	var apiOnly []string
	for _, d := range c.APIOnly {
		apiOnly = append(apiOnly, d.ID)
		assert.Contains(t, d.Reason, "ignoring view rights by design")
	}
	assert.Equal(t, []string{"/commits/880201", "/commits/880202", "/commits/880203"}, apiOnly)
	assert.Empty(t, c.UIOnly)

	tm, err := srv.Mock.Visibility("default", danaUser, "team_metrics")
	require.NoError(t, err)
	assert.Equal(t, []string{"/team_metrics/1"}, tm.UI.IDs)
	require.Len(t, tm.Credentials, 1)
	assert.Equal(t, "listTeamPeriodMetrics", tm.Credentials[0].Operation)
	assert.Equal(t, []string{"/team_metrics/1"}, tm.Credentials[0].Rows.IDs)
	assert.Empty(t, tm.Credentials[0].APIOnly)
	assert.Empty(t, tm.Credentials[0].UIOnly)
	var text bytes.Buffer
	require.NoError(t, commits.WriteText(&text))
	assert.Equal(t, text.String(), res.Visibility[0], "the admin API's text is the in-process diff's")

	// Run again against the same mock: it deletes the key it issued, issues
	// another (a new value), and is refused the second one again.
	var again bytes.Buffer
	res2, err := run(t.Context(), cfg, &again)
	require.NoError(t, err, again.String())
	assert.True(t, res2.DeletedOldKey)
	assert.NotEqual(t, res.NewKey.Key, res2.NewKey.Key)
	assert.Equal(t, []string{"Platform", "Mobile"}, res2.AdaMetrics, "the new key works at once")
	assert.Equal(t, http.StatusConflict, res2.SecondKey.Status)
	resp, err := cfg.withKey(res.NewKey.Key).Get(srv.URL + "/v3/customer/core/commits/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the deleted key is refused")
}
