package main

import (
	"bytes"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// ids lists the rows' ids, sorted.
func rowIDs(rows []map[string]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i], _ = r["id"].(string)
	}
	slices.Sort(out)
	return out
}

func numericID(t *testing.T, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(id[strings.LastIndex(id, "/")+1:], 10, 64)
	require.NoError(t, err)
	return n
}

// A full export records the watermark; after some rows change, an
// -incremental run exports exactly those, including one changed in the
// same second as the watermark after the full export read past it, and
// none that the full export already had; a run with nothing changed
// exports nothing and keeps the watermark. -since selects by a time given.
func TestIncrementalExportExportsExactlyTheChangedRows(t *testing.T) {
	t.Parallel()
	clock := mocktest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := mocktest.Start(t, mocktest.WithClock(clock))
	tn := srv.Tenant()
	const service = 2001 // demo-key-service's user
	created, err := tn.CreateEntity("Project", service, map[string]any{"Name": "Created before the full export"})
	require.NoError(t, err)

	out := filepath.Join(t.TempDir(), "lake", "project")
	args := exportArgs(srv, out, "-api-key", "demo-key-service", "-type", "Project", "-page-size", "2")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv)), "stderr: %s", stderr.String())
	full := readNDJSON(t, out+".ndjson")
	require.Len(t, full, 5)
	assert.Contains(t, full[0], "LastUpdatedOn", "the fields come from describeEntities, the system fields included")
	assert.Contains(t, full[0], "CreatedOn")
	cp := readCheckpoint(t, out)
	require.NotNil(t, cp.Watermark)
	assert.Equal(t, "2026-03-01T09:00:00Z", cp.Watermark.Time)
	assert.Equal(t, []string{created.Ref().String()}, slices.Collect(maps.Keys(cp.Watermark.Rows)))

	// Same second as the watermark: a row the full export read before it
	// changed. Then, a minute later, two more.
	ids := slices.DeleteFunc(rowIDs(full), func(id string) bool { return id == created.Ref().String() })
	sameSecond := ids[0]
	_, err = tn.UpdateEntity("Project", numericID(t, sameSecond), service, map[string]any{"State": "On Hold"})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	for _, id := range ids[1:3] {
		_, err = tn.UpdateEntity("Project", numericID(t, id), service, map[string]any{"Budget": 12345.0})
		require.NoError(t, err)
	}

	stdout.Reset()
	stderr.Reset()
	require.NoError(t, run(t.Context(), append(args, "-incremental"), noEnv, &stdout, &stderr, hooks(srv)), "stderr: %s", stderr.String())
	assert.Contains(t, stderr.String(), "changed since 2026-03-01T09:00:00Z")
	assert.Contains(t, stdout.String(), "exported 3 rows of Project changed since 2026-03-01T09:00:00Z")
	delta := readNDJSON(t, out+".ndjson")
	assert.ElementsMatch(t, []string{sameSecond, ids[1], ids[2]}, rowIDs(delta))
	require.Len(t, readParquet(t, out+".parquet"), 3)
	for _, r := range delta {
		if r["id"] != sameSecond {
			assert.Equal(t, 12345.0, r["Budget"])
			assert.Equal(t, "2026-03-01T09:01:00Z", r["LastUpdatedOn"])
		}
	}
	cp = readCheckpoint(t, out)
	assert.Equal(t, "2026-03-01T09:01:00Z", cp.Watermark.Time)
	assert.ElementsMatch(t, []string{ids[1], ids[2]}, slices.Collect(maps.Keys(cp.Watermark.Rows)))

	// Nothing changed: nothing exported, the watermark stays.
	stdout.Reset()
	require.NoError(t, run(t.Context(), append(args, "-incremental"), noEnv, &stdout, io.Discard, hooks(srv)))
	assert.Contains(t, stdout.String(), "exported 0 rows of Project changed since 2026-03-01T09:01:00Z")
	assert.Empty(t, readNDJSON(t, out+".ndjson"))
	assert.Equal(t, "2026-03-01T09:01:00Z", readCheckpoint(t, out).Watermark.Time)

	// A row changed again within the watermark's second, after the last
	// run read it, is exported again; the unchanged one is not.
	_, err = tn.UpdateEntity("Project", numericID(t, ids[1]), service, map[string]any{"Budget": 500.0})
	require.NoError(t, err)
	require.NoError(t, run(t.Context(), append(args, "-incremental"), noEnv, io.Discard, io.Discard, hooks(srv)))
	again := readNDJSON(t, out+".ndjson")
	assert.Equal(t, []string{ids[1]}, rowIDs(again))
	assert.Equal(t, 500.0, again[0]["Budget"])
	require.NoError(t, run(t.Context(), append(args, "-incremental"), noEnv, io.Discard, io.Discard, hooks(srv)))
	assert.Empty(t, readNDJSON(t, out+".ndjson"))

	// -since a time: the rows changed at or after it.
	since := filepath.Join(t.TempDir(), "since")
	require.NoError(t, run(t.Context(), exportArgs(srv, since, "-api-key", "demo-key-service", "-type", "Project", "-since", "2026-03-01T09:00:30Z"), noEnv, io.Discard, io.Discard, hooks(srv)))
	assert.ElementsMatch(t, []string{ids[1], ids[2]}, rowIDs(readNDJSON(t, since+".ndjson")))

	// Flags: -since takes a time; neither flag with -source rows; not both.
	for _, bad := range [][]string{
		{"-api-key", "k", "-type", "Project", "-since", "yesterday"},
		{"-api-key", "k", "-type", "Project", "-since", "2026-03-01", "-incremental"},
		{"-source", "rows", "-client-id", "c", "-client-secret", "s", "-type", "Deals", "-incremental"},
	} {
		err := run(t.Context(), exportArgs(srv, since, bad...), noEnv, io.Discard, io.Discard, nil)
		assert.Equal(t, exitUsage, exitStatus(err, io.Discard), "%v: %v", bad, err)
	}
}

// Generated projects carry spread-out LastUpdatedOn values: -since a
// date in their range exports a share of them.
func TestSinceSelectsAShareOfGeneratedProjects(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithFixture(tenant.WithGenerated(tenant.Demo(), "Project", 2000, 7)))
	dir := t.TempDir()
	var all, part bytes.Buffer
	require.NoError(t, run(t.Context(), exportArgs(srv, filepath.Join(dir, "all"), "-api-key", "demo-key-service", "-type", "Project", "-page-size", "500", "-format", "ndjson"), noEnv, &all, io.Discard, hooks(srv)))
	require.NoError(t, run(t.Context(), exportArgs(srv, filepath.Join(dir, "part"), "-api-key", "demo-key-service", "-type", "Project", "-page-size", "500", "-format", "ndjson", "-since", "2024-07-01"), noEnv, &part, io.Discard, hooks(srv)))
	n, m := len(readNDJSON(t, filepath.Join(dir, "all.ndjson"))), len(readNDJSON(t, filepath.Join(dir, "part.ndjson")))
	assert.Greater(t, m, n/5, "%d of %d", m, n)
	assert.Less(t, m, n*4/5, "%d of %d", m, n)
	for _, r := range readNDJSON(t, filepath.Join(dir, "part.ndjson")) {
		assert.GreaterOrEqual(t, r["LastUpdatedOn"], "2024-07-01T00:00:00Z")
	}
}
