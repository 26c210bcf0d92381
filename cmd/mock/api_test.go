package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A broken policy or a missing spec stops the mock with status 2, naming
// the file, the line and the field.
func TestAPILoadErrorsNameFileLineAndField(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runOnce(t, []string{"--api", "notes=testdata/apis/notes.yaml,testdata/apis/bad.policy.yaml"}, nil)
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "mock: testdata/apis/bad.policy.yaml:12: operations.listNotes.rows: \"sometimes\" is not one of enforce, bypass\n", stderr)

	code, _, stderr = runOnce(t, nil, env{envAPIs: "notes=testdata/apis/missing.yaml"})
	assert.Equal(t, 2, code)
	assert.Equal(t, "mock: cannot read testdata/apis/missing.yaml: no such file or directory\n", stderr)

	code, _, stderr = runOnce(t, []string{"--api", "nope"}, nil)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `no shipped API "nope" (shipped: flow, workiva)`)

	code, _, stderr = runOnce(t, []string{"--api", "Bad Name=x.yaml"}, nil)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "the name is lower-case letters")
}

// A fixture's apis section loads its APIs (files relative to the fixture)
// and its resource rows; the API's keys work on it alone, and lists hold
// the rows the key's user may see.
func TestFixtureAPIsSectionServesTheAPI(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runOnce(t, []string{"--check", "--fixture", "testdata/apis/notes-fixture.yaml"}, nil)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "is valid")

	s := start(t, []string{"--addr", "127.0.0.1:0", "--fixture", "testdata/apis/notes-fixture.yaml"}, nil)
	get := func(key, path string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	status, page := get("notes-key-nell", "/notes")
	require.Equal(t, http.StatusOK, status, "%v", page)
	var texts []string
	for _, r := range page["results"].([]any) {
		texts = append(texts, r.(map[string]any)["text"].(string))
	}
	assert.Equal(t, []string{"Nell's own note", "Otto's note, shared with writers"}, texts)
	status, _ = get("notes-key-nell", "/notes/3")
	assert.Equal(t, http.StatusNotFound, status, "a row not shared with the key's user")
	status, _ = get("demo-key-service", "/notes")
	assert.Equal(t, http.StatusUnauthorized, status)
}

// The shipped APIs load by name, from the flag or the variable, and their
// demo users join the embedded demo tenant.
func TestShippedAPIsLoadByName(t *testing.T) {
	t.Parallel()
	s := start(t, []string{"--addr", "127.0.0.1:0"}, env{envAPIs: "flow; workiva"})
	assert.Contains(t, s.stdout.String(), "flow-demo-key-dana")
	assert.Contains(t, s.stdout.String(), "wk-graph-reader")
	// The banner's commands for the loaded APIs work as printed.
	var ran int
	for _, c := range tryItCommands(t, s.stdout.String()) {
		if strings.Contains(c, "/v3/customer/") || strings.Contains(c, "/iam/v1/oauth2/token") {
			var body map[string]any
			require.NoError(t, json.Unmarshal(runCurl(t, c), &body), c)
			ran++
		}
	}
	assert.Equal(t, 2, ran, "one command per loaded API")
	req, err := http.NewRequest(http.MethodGet, s.url+"/v3/customer/core/teams/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer flow-demo-key-dana")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
