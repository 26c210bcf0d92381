package mocktest_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// recordedRequest is one request of the relationship vendor's Python SDK,
// as examples/dealcloud-sdk/conftest.py records it (TENANTKIT_RECORD).
type recordedRequest struct {
	Test    string            `json:"test"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Status  int               `json:"status"`
}

// sdkRecording is the request sequence of dealcloud-sdk 1.0.18 running
// examples/dealcloud-sdk/test_vendor_sdk.py against cmd/mock; to record it
// again, from the repository's root (a Python with
// examples/dealcloud-sdk/requirements.txt: bash .ci/vendor-sdk-env prints one):
//
//	go build -o /tmp/tenantkit-mock ./cmd/mock
//	cd examples/dealcloud-sdk && TENANTKIT_MOCK=/tmp/tenantkit-mock \
//	  TENANTKIT_RECORD=../../mockserver/mocktest/testdata/dealcloud-sdk-1.0.18.jsonl \
//	  python -m pytest -q -p no:cacheprovider
const sdkRecording = "testdata/dealcloud-sdk-1.0.18.jsonl"

var tokenPlaceholder = regexp.MustCompile(`\{token:(\d+)\}`)

// The vendor's Python SDK's requests, replayed byte for byte (method, path
// and query, the headers it sends, its body) against a mock whose
// responses are validated against the spec: constructing the client (token,
// schema entry types and all fields, users), reading Deals with fields,
// reading AS-USER 6045 (Carol's 3 deals, nothing else), a refused proxy
// (401), inserting, upserting and deleting entries, and a data-only token
// reading proxy assignments (403 naming user_management). Every answer has
// the status the SDK was given when the sequence was recorded; the tenant is
// reset between the SDK's tests, as the Python suite resets it.
func TestVendorPythonSDKSequenceReplays(t *testing.T) {
	t.Parallel()
	f, err := os.Open(sdkRecording)
	require.NoError(t, err)
	defer f.Close()
	var recs []recordedRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r recordedRequest
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "%s", sc.Bytes())
		recs = append(recs, r)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, recs)

	srv := mocktest.Start(t)
	var tokens []string
	seen := map[string]bool{}
	test := ""
	for i, rec := range recs {
		if rec.Test != test {
			srv.Reset()
			test = rec.Test
		}
		label := strconv.Itoa(i) + " " + rec.Test + ": " + rec.Method + " " + rec.Path
		req, err := http.NewRequestWithContext(t.Context(), rec.Method, srv.URL+rec.Path, strings.NewReader(rec.Body))
		require.NoError(t, err, label)
		for k, v := range rec.Headers {
			req.Header.Set(k, tokenPlaceholder.ReplaceAllStringFunc(v, func(m string) string {
				n, _ := strconv.Atoi(tokenPlaceholder.FindStringSubmatch(m)[1])
				require.Less(t, n, len(tokens), "%s: a token answered before", label)
				return tokens[n]
			}))
		}
		resp, err := srv.HTTPClient().Do(req)
		require.NoError(t, err, label)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err, label)
		require.Equal(t, rec.Status, resp.StatusCode, "%s: %s", label, body)

		path, _, _ := strings.Cut(rec.Path, "?")
		switch {
		case strings.HasSuffix(path, "/oauth/token") && resp.StatusCode == http.StatusOK:
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			require.NoError(t, json.Unmarshal(body, &tok), label)
			tokens = append(tokens, tok.AccessToken)
		case rec.Headers["as-user"] == "6045" && strings.Contains(path, "/entrydata/rows/"):
			var page struct {
				Rows []struct {
					EntryID int64 `json:"EntryId"`
				} `json:"rows"`
				TotalRecords *int `json:"totalRecords"`
			}
			require.NoError(t, json.Unmarshal(body, &page), label)
			var ids []int64
			for _, r := range page.Rows {
				ids = append(ids, r.EntryID)
			}
			slices.Sort(ids)
			assert.Equal(t, []int64{1, 2, 3}, ids, "%s: Carol's deals, exactly", label)
			seen["as-user"] = true
		case rec.Headers["as-user"] != "" && resp.StatusCode == http.StatusUnauthorized:
			seen["refused proxy"] = true
		case strings.HasSuffix(path, "/management/user/proxy") && resp.StatusCode == http.StatusForbidden:
			assert.Contains(t, string(body), "user_management", label)
			seen["scope"] = true
		case path == "/api/rest/v4/schema/allfields":
			seen["schema"] = true
		case rec.Method == http.MethodPost && strings.Contains(path, "/entrydata/rows/") && !strings.Contains(path, "/rows/query/"):
			seen["insert"] = true
		case rec.Method == http.MethodPut && strings.Contains(path, "/entrydata/rows/"):
			seen["upsert"] = true
		case rec.Method == http.MethodDelete:
			seen["delete"] = true
		case strings.Contains(path, "/entrydata/rows/") && strings.Contains(rec.Path, "fields="):
			seen["fields"] = true
		}
	}
	for _, step := range []string{"schema", "fields", "as-user", "refused proxy", "insert", "upsert", "delete", "scope"} {
		assert.True(t, seen[step], "the recording has the SDK's %s step", step)
	}
}
