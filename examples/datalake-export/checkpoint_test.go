package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// interruptAfter returns hooks that make the server refuse every page
// request (entity query and entry rows) after the export's n-th page, with
// a Retry-After longer than the client waits: the export stops there.
func interruptAfter(srv *mocktest.Server, n int) *testHooks {
	h := impatient(srv)
	h.afterPage = func(pages int) {
		if pages == n {
			srv.SetFaults(refusePages)
		}
	}
	return h
}

// impatient returns hooks whose client gives up at once on a Retry-After
// longer than a second (refusePages asks for an hour).
func impatient(srv *mocktest.Server) *testHooks {
	h := hooks(srv)
	h.clientOpt = append(h.clientOpt, client.WithMaxRetryAfter(time.Second))
	return h
}

// refusePages refuses every page request for an hour.
var refusePages = tenant.Faults{Rules: []tenant.FaultRule{{
	Operations: []string{"entityQuery", "relationship.getRows"}, Kind: tenant.Fault503, Probability: 1, RetryAfter: time.Hour,
}}}

// An unfinished export is resumed only by the same tenant URL and the same
// credential identity (API key, login user, OAuth client and scopes): any
// other would see other rows, and the journal would mix two sets of rows.
// A refused resume leaves the journal and the checkpoint as they were, and
// the right command still resumes.
func TestResumeRefusesAnotherURLOrCredential(t *testing.T) {
	t.Parallel()
	other := mocktest.Start(t)
	cases := []struct {
		name   string
		first  []string
		others map[string][]string // resume attempt -> what the error names
		rows   int
	}{
		{
			name:  "api key",
			first: []string{"-api-key", "demo-key-service", "-type", "Project", "-page-size", "2"},
			others: map[string][]string{
				"another key": {"-api-key", "demo-key-other", "-type", "Project", "-page-size", "2"},
				"a login":     {"-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-page-size", "2"},
				"another url": {"-url", other.URL, "-api-key", "demo-key-service", "-type", "Project", "-page-size", "2"},
			},
			rows: 4,
		},
		{
			name:  "login",
			first: []string{"-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-page-size", "5"},
			others: map[string][]string{
				"another user": {"-user", "bob@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-page-size", "5"},
				"an api key":   {"-api-key", "demo-key-service", "-type", "Project"},
			},
			rows: 12,
		},
		{
			name:  "oauth client",
			first: []string{"-source", "rows", "-client-id", "demo-admin", "-client-secret", "demo-admin-secret", "-type", "Project", "-page-size", "5"},
			others: map[string][]string{
				"another client": {"-source", "rows", "-client-id", "demo-integrator", "-client-secret", "demo-integrator-secret", "-type", "Project", "-page-size", "5"},
				"other scopes":   {"-source", "rows", "-client-id", "demo-admin", "-client-secret", "demo-admin-secret", "-scope", "data admin", "-type", "Project"},
			},
			rows: 12,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "export")
			var stdout, stderr bytes.Buffer
			srv := mocktest.Start(t) // its own, for its own fault plan
			require.Error(t, run(t.Context(), exportArgs(srv, out, tc.first...), noEnv, &stdout, &stderr, interruptAfter(srv, 1)))
			journal, err := os.ReadFile(out + ".ndjson.part")
			require.NoError(t, err)
			cp, err := os.ReadFile(out + ".checkpoint.json")
			require.NoError(t, err)
			assert.NotContains(t, string(cp), "demo-key-service", "the checkpoint never holds the API key")
			assert.NotContains(t, string(cp), "secret")
			assert.NotContains(t, string(cp), "demo-password")
			srv.SetFaults(tenant.Faults{})

			for name, args := range tc.others {
				if !strings.HasPrefix(args[0], "-url") {
					args = exportArgs(srv, out, args...)
				} else {
					args = append([]string{"-out", out, "-progress=false"}, args...)
				}
				err := run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv))
				require.Error(t, err, name)
				assert.Contains(t, err.Error(), "cannot resume the unfinished export in "+out+".checkpoint.json", name)
				assert.Contains(t, err.Error(), "run it again with the same -url and credential to resume, or delete "+out+".checkpoint.json to start over", name)
				after, err := os.ReadFile(out + ".ndjson.part")
				require.NoError(t, err)
				assert.Equal(t, journal, after, "%s: the journal is untouched", name)
				cpAfter, err := os.ReadFile(out + ".checkpoint.json")
				require.NoError(t, err)
				assert.Equal(t, cp, cpAfter, "%s: the checkpoint is untouched", name)
			}

			// The same command resumes (a trailing slash is the same URL).
			stdout.Reset()
			same := append(exportArgs(srv, out, tc.first...), "-url", srv.URL+"/")
			require.NoError(t, run(context.Background(), same, noEnv, &stdout, &stderr, hooks(srv)))
			assert.Contains(t, stderr.String(), "resuming Project after ")
			assert.Contains(t, stdout.String(), "exported "+itoa(tc.rows)+" rows")
			ids := map[string]bool{}
			for _, r := range readNDJSON(t, out+".ndjson") {
				id := fmt.Sprint(r["id"], r["EntryId"])
				assert.False(t, ids[id], "row %s once", id)
				ids[id] = true
			}
			assert.Len(t, ids, tc.rows)
		})
	}
}

// What the checkpoint says about the credential: who, never a secret.
func TestCheckpointCredentialIdentity(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{
		"-api-key demo-key-service":                                     "an API key (SHA-256 ",
		"-user alice@demo.tenantkit.dev -password pw":                   "user alice@demo.tenantkit.dev",
		"-source rows -client-id c -client-secret s -scope b\ta\tb":     `OAuth client c (scopes "a b")`,
		"-source rows -client-id c -client-secret s -scope data":        `OAuth client c (scopes "data")`,
		"-source rows -client-id demo-admin -client-secret demo-secret": `OAuth client demo-admin (scopes "data")`,
	} {
		c, err := parseFlags(append(strings.Split(args, " "), "-type", "X"), noEnv, &bytes.Buffer{})
		require.NoError(t, err, args)
		id := c.credential()
		assert.True(t, strings.HasPrefix(id.String(), want), "%s: %s", args, id)
		assert.NotContains(t, id.String()+id.APIKeySHA256, "demo-key-service")
		assert.NotContains(t, id.String(), "secret")
	}
	a, _ := parseFlags([]string{"-type", "X", "-api-key", "k1"}, noEnv, &bytes.Buffer{})
	b, _ := parseFlags([]string{"-type", "X", "-api-key", "k2"}, noEnv, &bytes.Buffer{})
	assert.False(t, a.credential().equal(b.credential()), "two keys, two identities")
	assert.True(t, a.credential().equal(a.credential()))
}

// An unfinished export whose journal is gone (moved to the lake, deleted)
// or shorter than its checkpoint counts is not resumed: extending it would
// leave a hole (NUL bytes) where the checkpointed rows were. The error says
// what to do; after deleting the checkpoint the export starts over.
func TestResumeRefusesMissingOrShortJournal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		damage func(path string) error
		what   string
		format string
	}{
		{"missing", os.Remove, "is missing", "ndjson,parquet"},
		{"missing, ndjson only", os.Remove, "is missing", "ndjson"},
		{"shorter", func(path string) error { return os.Truncate(path, 100) }, "has 100 bytes", "ndjson,parquet"},
		{"empty", func(path string) error { return os.Truncate(path, 0) }, "has 0 bytes", "ndjson"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := mocktest.Start(t)
			out := filepath.Join(t.TempDir(), "projects")
			args := exportArgs(srv, out, "-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-page-size", "5", "-format", tc.format)
			var stdout, stderr bytes.Buffer
			require.Error(t, run(t.Context(), args, noEnv, &stdout, &stderr, interruptAfter(srv, 2)))
			require.NoError(t, tc.damage(out+".ndjson.part"))
			before, _ := os.ReadFile(out + ".ndjson.part")
			srv.SetFaults(tenant.Faults{})

			err := run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv))
			require.Error(t, err)
			cpPath := out + ".checkpoint.json"
			assert.Contains(t, err.Error(), "cannot resume the unfinished export in "+cpPath+": the journal "+out+".ndjson.part "+tc.what)
			assert.Contains(t, err.Error(), "restore the journal to resume, or delete "+cpPath+" to start over")
			after, _ := os.ReadFile(out + ".ndjson.part")
			assert.Equal(t, before, after, "the journal is left as it was (never padded)")
			assert.NotContains(t, string(after), "\x00")

			require.NoError(t, os.Remove(cpPath))
			stdout.Reset()
			require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv)))
			assert.Contains(t, stdout.String(), "exported 12 rows of Project in 3 pages")
			nd := readNDJSON(t, out+".ndjson")
			require.Len(t, nd, 12)
			for i, r := range nd {
				assert.Equal(t, "/Project/"+itoa(i+1), r["id"], "row %d", i)
			}
		})
	}
}

// readCheckpoint reads the checkpoint of the export with output prefix out.
func readCheckpoint(t *testing.T, out string) checkpoint {
	t.Helper()
	b, err := os.ReadFile(out + ".checkpoint.json")
	require.NoError(t, err)
	var cp checkpoint
	require.NoError(t, json.Unmarshal(b, &cp))
	return cp
}

// Ctrl-C (or -timeout) after the last page stops the Parquet conversion:
// the run fails, no Parquet file is left, and the checkpoint says every page
// is fetched but the export is not done. The next run writes the Parquet
// file without fetching a page (the server refuses every page by then).
func TestStoppedParquetConversionIsRedoneWithoutFetching(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	out := filepath.Join(t.TempDir(), "projects")
	args := exportArgs(srv, out, "-api-key", "demo-key-service", "-type", "Project", "-page-size", "2")
	ctx, cancel := context.WithCancel(t.Context())
	h := hooks(srv)
	h.afterPage = func(pages int) {
		if pages == 2 { // the last page: 4 projects
			cancel()
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, noEnv, &stdout, &stderr, h)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "all 4 rows are in "+out+".ndjson.part, but writing "+out+".parquet stopped: context canceled")
	assert.Contains(t, err.Error(), "run the same command again to write it (no page is fetched again)")
	assert.Empty(t, stdout.String(), "no success is reported")
	for _, p := range []string{out + ".ndjson", out + ".parquet", out + ".parquet.tmp"} {
		_, statErr := os.Stat(p)
		assert.ErrorIs(t, statErr, os.ErrNotExist, p)
	}
	cp := readCheckpoint(t, out)
	assert.True(t, cp.Fetched, "every page is in the journal")
	assert.False(t, cp.Done, "the export is not done without its Parquet file")

	srv.SetFaults(refusePages) // a page request would now fail the run at once
	stdout.Reset()
	stderr.Reset()
	require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, impatient(srv)), stderr.String())
	assert.Contains(t, stderr.String(), "every page of Project was fetched earlier (4 rows, 2 pages); writing the outputs")
	assert.Equal(t, "exported 4 rows of Project in 2 pages to "+out+".ndjson and "+out+".parquet\n", stdout.String())
	nd := readNDJSON(t, out+".ndjson")
	pq := readParquet(t, out+".parquet")
	require.Len(t, nd, 4)
	require.Len(t, pq, 4)
	for i := range nd {
		sameValues(t, nd[i], pq[i])
	}
	assert.True(t, readCheckpoint(t, out).Done)
}

// Running a finished export again leaves its NDJSON and Parquet files as
// they are until the new run is finished: a run whose first page fails
// changes nothing, and one interrupted later keeps its rows in the journal
// (PREFIX.ndjson.part) until it is resumed and finishes.
func TestRerunKeepsEarlierOutputsUntilItFinishes(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	out := filepath.Join(t.TempDir(), "projects")
	args := exportArgs(srv, out, "-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-page-size", "5")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv)))
	read := func() (nd, pq, cp []byte) {
		nd, _ = os.ReadFile(out + ".ndjson")
		pq, _ = os.ReadFile(out + ".parquet")
		cp, _ = os.ReadFile(out + ".checkpoint.json")
		return
	}
	nd, pq, cp := read()
	require.NotEmpty(t, nd)
	require.NotEmpty(t, pq)

	// The first page fails: nothing changes, the checkpoint still says done.
	srv.SetFaults(refusePages)
	err := run(t.Context(), args, noEnv, &stdout, &stderr, impatient(srv))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "export stopped after 0 rows")
	nd2, pq2, cp2 := read()
	assert.Equal(t, nd, nd2, "the NDJSON file of the finished export is kept")
	assert.Equal(t, pq, pq2, "the Parquet file of the finished export is kept")
	assert.Equal(t, cp, cp2)

	// Interrupted after a page: the earlier outputs are still whole.
	srv.SetFaults(tenant.Faults{})
	require.Error(t, run(t.Context(), args, noEnv, &stdout, &stderr, interruptAfter(srv, 1)))
	nd2, pq2, _ = read()
	assert.Equal(t, nd, nd2)
	assert.Equal(t, pq, pq2)
	require.Len(t, readNDJSON(t, out+".ndjson.part"), 5)

	srv.SetFaults(tenant.Faults{})
	stdout.Reset()
	require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv)))
	assert.Contains(t, stdout.String(), "exported 12 rows of Project in 3 pages")
	nd2, _, _ = read()
	assert.Equal(t, nd, nd2, "the same rows again")
	require.Len(t, readParquet(t, out+".parquet"), 12)
	_, statErr := os.Stat(out + ".ndjson.part")
	assert.ErrorIs(t, statErr, os.ErrNotExist)
}

// -format ndjson after an export that wrote Parquet too removes the old
// Parquet file, which would not match the new NDJSON, and says so.
func TestNDJSONOnlyExportRemovesAnEarlierParquetFile(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	out := filepath.Join(t.TempDir(), "projects")
	args := exportArgs(srv, out, "-api-key", "demo-key-service", "-type", "Project")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv)))
	require.FileExists(t, out+".parquet")

	stdout.Reset()
	stderr.Reset()
	require.NoError(t, run(t.Context(), append(args, "-format", "ndjson"), noEnv, &stdout, &stderr, hooks(srv)))
	assert.NoFileExists(t, out+".parquet")
	assert.Contains(t, stderr.String(), "removed "+out+".parquet of an earlier export (-format ndjson writes none)")
	assert.Contains(t, stdout.String(), "exported 4 rows of Project in 1 page to "+out+".ndjson (")
	require.Len(t, readNDJSON(t, out+".ndjson"), 4)
}
