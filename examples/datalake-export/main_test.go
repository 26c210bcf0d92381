package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// readNDJSON returns the journal's rows.
func readNDJSON(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %q", sc.Text())
		rows = append(rows, m)
	}
	require.NoError(t, sc.Err())
	return rows
}

// readParquet reads every row of a Parquet file.
func readParquet(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquet.OpenFile(f, st.Size())
	require.NoError(t, err)
	r := parquet.NewGenericReader[map[string]any](f, pf.Schema())
	defer r.Close()
	rows := make([]map[string]any, r.NumRows())
	for i := range rows {
		rows[i] = map[string]any{}
	}
	n, err := r.Read(rows)
	if err != nil {
		require.ErrorIs(t, err, ioEOF)
	}
	require.Equal(t, len(rows), n)
	return rows
}

// sameValues checks that a Parquet row holds the NDJSON row's values.
func sameValues(t *testing.T, want, got map[string]any) {
	t.Helper()
	for k, v := range want {
		switch x := v.(type) {
		case map[string]any, []any:
			if n, ok := nameOf(x).(string); ok && got[k] == n {
				continue // a choice or the key field, stored by its name
			}
			b, _ := json.Marshal(x)
			assert.JSONEq(t, string(b), got[k].(string), "field %s", k)
		case float64:
			switch g := got[k].(type) {
			case int64:
				assert.Equal(t, int64(x), g, "field %s", k)
			default:
				assert.Equal(t, x, g, "field %s", k)
			}
		default:
			assert.Equal(t, v, got[k], "field %s", k)
		}
	}
}

func exportArgs(srv *mocktest.Server, out string, extra ...string) []string {
	return append([]string{"-url", srv.URL, "-out", out, "-progress=false"}, extra...)
}

func hooks(srv *mocktest.Server) *testHooks {
	return &testHooks{clientOpt: []client.Option{client.WithHTTPClient(srv.HTTPClient())}}
}

// The demo tenant's projects (data API, service account key) and deals
// (relationship API, acting as user 6045) to NDJSON and Parquet; the
// Parquet file reads back with the same rows and values.
func TestExportDemoTenantToNDJSONAndParquet(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		rows int
		id   string
	}{
		{"projects", []string{"-api-key", "demo-key-service", "-type", "Project", "-page-size", "3"}, 4, "id"},
		{"projects by login", []string{"-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-fields", "Name,State,Budget,Owner"}, 12, "id"},
		{"deals as user 6045", []string{"-source", "rows", "-client-id", "demo-integrator", "-client-secret", "demo-integrator-secret", "-type", "Deals", "-as-user", "6045", "-page-size", "2"}, 3, "EntryId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			var stdout, stderr bytes.Buffer
			require.NoError(t, run(t.Context(), exportArgs(srv, out, tc.args...), noEnv, &stdout, &stderr, hooks(srv)), "stderr: %s", stderr.String())
			assert.Contains(t, stdout.String(), "exported "+itoa(tc.rows)+" rows of ")

			nd := readNDJSON(t, out+".ndjson")
			require.Len(t, nd, tc.rows)
			pq := readParquet(t, out+".parquet")
			require.Len(t, pq, tc.rows, "the Parquet file has the same row count")
			for i := range nd {
				sameValues(t, nd[i], pq[i])
			}
			ids := map[any]bool{}
			for _, r := range nd {
				assert.False(t, ids[r[tc.id]], "row %v once", r[tc.id])
				ids[r[tc.id]] = true
			}
		})
	}
	// An output prefix in directories that do not exist yet makes them.
	out := filepath.Join(dir, "lake", "2026", "projects")
	require.NoError(t, run(t.Context(), exportArgs(srv, out, "-api-key", "demo-key-service", "-type", "Project"), noEnv, io.Discard, io.Discard, hooks(srv)))
	require.Len(t, readParquet(t, out+".parquet"), 4)

	// A reference field (Owner) is kept as JSON text.
	pq := readParquet(t, filepath.Join(dir, "projects-by-login.parquet"))
	assert.JSONEq(t, `{"id":"/User/1001","Name":"Alice Admin"}`, pq[0]["Owner"].(string))
}

// Entry rows of any entry type, with fields chosen from its schema
// (ignoring case) or every field by default; the Parquet columns take the
// schema's field types: choices and the key field as their names, numbers
// as doubles, booleans, references and users as JSON text. A field the
// schema does not have is a usage error that lists the type's fields.
func TestRowsExportChoosesFieldsFromTheSchema(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	dir := t.TempDir()
	creds := []string{"-source", "rows", "-client-id", "demo-admin", "-client-secret", "demo-admin-secret"}
	out := filepath.Join(dir, "companies")
	args := exportArgs(srv, out, append(creds, "-type", "Companies", "-fields", "name, industry,Employees,PUBLIC,CoverageOwner", "-page-size", "4")...)
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, hooks(srv)), stderr.String())
	assert.Contains(t, stdout.String(), "exported 6 rows of Companies in 2 pages")

	nd := readNDJSON(t, out+".ndjson")
	require.Len(t, nd, 6)
	for _, r := range nd {
		assert.ElementsMatch(t, []string{"EntryId", "Name", "Industry", "Employees", "Public", "CoverageOwner"}, keys(r), "only the chosen fields, in declared case")
	}
	pq := readParquet(t, out+".parquet")
	require.Len(t, pq, 6)
	for i := range nd {
		sameValues(t, nd[i], pq[i])
	}
	assert.Equal(t, map[string]any{
		"EntryId": int64(1), "Name": "Adatum GmbH", "Industry": "Manufacturing", "Employees": float64(5200), "Public": true,
		"CoverageOwner": `{"entryListId":-1,"id":6045,"name":"Carol Principal","type":0,"url":"mailto:carol@demo.tenantkit.dev"}`,
	}, pq[0])
	types := map[string]string{}
	f, err := os.Open(out + ".parquet")
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquet.OpenFile(f, st.Size())
	require.NoError(t, err)
	for _, field := range pf.Schema().Fields() {
		types[field.Name()] = field.Type().String()
	}
	assert.Equal(t, map[string]string{"EntryId": "INT(64,true)", "Name": "STRING", "Industry": "STRING", "Employees": "DOUBLE", "Public": "BOOLEAN", "CoverageOwner": "STRING"}, types)

	// Every field of the schema by default, a column each even where no
	// visible row has a value (Contacts' Phone for some).
	out = filepath.Join(dir, "contacts")
	require.NoError(t, run(t.Context(), exportArgs(srv, out, append(creds, "-type", "Contacts")...), noEnv, io.Discard, io.Discard, hooks(srv)))
	pq = readParquet(t, out+".parquet")
	require.Len(t, pq, 8)
	assert.ElementsMatch(t, []string{"EntryId", "Name", "Company", "Title", "Email", "Phone", "ContactType", "LastContacted", "Owner"}, keys(pq[0]))
	assert.Equal(t, "Decision Maker", pq[0]["ContactType"])

	out = filepath.Join(dir, "unknown")
	err = run(t.Context(), exportArgs(srv, out, append(creds, "-type", "Companies", "-fields", "Name,Revenue")...), noEnv, io.Discard, io.Discard, hooks(srv))
	require.Error(t, err)
	assert.Equal(t, exitUsage, exitStatus(err, io.Discard))
	assert.Contains(t, err.Error(), `-fields: Companies has no field "Revenue" (its fields: ClientSince, Country, CoverageOwner, Employees, Industry, Name, Owner, Public, Region, Website)`)
	_, statErr := os.Stat(out + ".ndjson.part")
	assert.ErrorIs(t, statErr, os.ErrNotExist, "no journal for a refused export")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// At a realistic size (generated projects: every field kind, nulls,
// references, several Parquet batches), the Parquet file holds the NDJSON
// file's rows and values, from both sources.
func TestParquetMatchesNDJSONForGeneratedProjects(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t, mocktest.WithGeneratedProjects(2500, 7))
	for name, args := range map[string][]string{
		"data": {"-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-page-size", "1000"},
		"rows": {"-source", "rows", "-client-id", "demo-admin", "-client-secret", "demo-admin-secret", "-type", "Project", "-page-size", "1000"},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "projects")
			var stdout, stderr bytes.Buffer
			require.NoError(t, run(t.Context(), exportArgs(srv, out, args...), noEnv, &stdout, &stderr, hooks(srv)), stderr.String())
			nd := readNDJSON(t, out+".ndjson")
			require.Greater(t, len(nd), 2000)
			pq := readParquet(t, out+".parquet")
			require.Len(t, pq, len(nd))
			for i := range nd {
				sameValues(t, nd[i], pq[i])
				if t.Failed() {
					t.Fatalf("row %d: %v in NDJSON, %v in Parquet", i, nd[i], pq[i])
				}
			}
		})
	}
}

// An export interrupted after two pages (the server starts refusing), with
// a half-written line left in the journal, resumes from its checkpoint:
// every row exactly once, in order, in both files.
func TestInterruptedExportResumesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	out := filepath.Join(t.TempDir(), "projects")
	args := exportArgs(srv, out, "-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project", "-page-size", "5")

	h := hooks(srv)
	h.clientOpt = append(h.clientOpt, client.WithMaxRetryAfter(time.Second))
	h.afterPage = func(pages int) {
		if pages == 2 {
			srv.SetFaults(tenant.Faults{Rules: []tenant.FaultRule{{Operations: []string{"entityQuery"}, Kind: tenant.Fault503, Probability: 1, RetryAfter: time.Hour}}})
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, noEnv, &stdout, &stderr, h)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "export stopped after 10 rows (2 pages; next page at 10)")
	assert.Contains(t, err.Error(), "run the same command again to resume")
	require.Len(t, readNDJSON(t, out+".ndjson.part"), 10, "the rows so far are in the journal")
	for _, p := range []string{out + ".ndjson", out + ".parquet"} {
		_, statErr := os.Stat(p)
		assert.ErrorIs(t, statErr, os.ErrNotExist, "no %s for an unfinished export", p)
	}

	// The process died while writing a row after its last checkpoint.
	f, err := os.OpenFile(out+".ndjson.part", os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"id":"/Project/11","Na`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	srv.SetFaults(tenant.Faults{})
	stdout.Reset()
	stderr.Reset()
	require.NoError(t, run(context.Background(), args, noEnv, &stdout, &stderr, hooks(srv)))
	assert.Contains(t, stderr.String(), "resuming Project after 10 rows (2 pages)")
	assert.Contains(t, stdout.String(), "exported 12 rows of Project in 3 pages")
	nd := readNDJSON(t, out+".ndjson")
	require.Len(t, nd, 12)
	for i, r := range nd {
		assert.Equal(t, "/Project/"+itoa(i+1), r["id"], "row %d", i)
	}
	_, statErr := os.Stat(out + ".ndjson.part")
	assert.ErrorIs(t, statErr, os.ErrNotExist, "the journal became the NDJSON file")
	pq := readParquet(t, out+".parquet")
	require.Len(t, pq, 12)
	for i := range nd {
		sameValues(t, nd[i], pq[i])
	}

	// Running a finished export again starts over (and still writes each row once).
	require.NoError(t, run(context.Background(), args, noEnv, &stdout, &stderr, hooks(srv)))
	require.Len(t, readNDJSON(t, out+".ndjson"), 12)

	// A finished checkpoint does not hold another export back; an unfinished one does.
	other := exportArgs(srv, out, "-api-key", "demo-key-service", "-type", "Deals")
	require.NoError(t, run(context.Background(), other, noEnv, &stdout, &stderr, hooks(srv)))
	require.NoError(t, os.WriteFile(out+".checkpoint.json", []byte(`{"source":"rows","type":"Deals","next":2,"rows":2,"pages":1}`), 0o644))
	err = run(context.Background(), other, noEnv, &stdout, &stderr, hooks(srv))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "belongs to another export (rows Deals); delete it or choose another -out")
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	for args, msg := range map[string]string{
		"":                                  "-type is required",
		"-type X":                           "the data API needs -api-key (or TENANTKIT_API_KEY), or -user and -password (or TENANTKIT_PASSWORD)",
		"-type X -source rows":              "the relationship API needs -client-id, and -client-secret or TENANTKIT_CLIENT_SECRET",
		"-type X -source rows -client-id c": "the relationship API needs -client-id, and -client-secret or TENANTKIT_CLIENT_SECRET",
		"-type X -source csv":               `-source: "csv" is not data or rows`,
		"-type X -api-key k -format avro":   `-format: unknown format "avro"`,
		"-type X -api-key k -page-size 0":   "-page-size 0: -source data takes 1 to 5000 rows per request",
		"-type X -api-key k extra":          "unexpected arguments: extra",
		"-type X -api-key k -url ftp://x/y": "scheme must be http or https",
		"-type X -user u":                   "a login needs -user, and -password or TENANTKIT_PASSWORD",
		"-type X -password p":               "a login needs -user",
		// Contradicting credentials are refused, not guessed between.
		"-type X -api-key k -user u -password p":                          "give -api-key, or -user and -password, not both",
		"-type X -api-key k -password p":                                  "give -api-key, or -user and -password, not both",
		"-type X -api-key k -client-id c -scope all":                      "-client-id, -scope: only for -source rows",
		"-type X -api-key k -as-user 6045":                                "-as-user: only for -source rows",
		"-type X -source rows -client-id c -client-secret s -user u":      "-user: only for -source data",
		"-type X -source rows -client-id c -client-secret s -api-key k":   "-api-key: only for -source data",
		"-type X -source rows -client-id c -client-secret s -password pw": "-password: only for -source data",
	} {
		var stderr bytes.Buffer
		err := run(t.Context(), strings.Fields(args), noEnv, &bytes.Buffer{}, &stderr, nil)
		require.Error(t, err, args)
		assert.Contains(t, err.Error(), msg, args)
	}
}

// Secrets in the environment fill in only the flags that were not given: an
// API key in TENANTKIT_API_KEY does not replace an explicit -user and
// -password, and an explicit secret flag wins over its variable.
func TestSecretsFromTheEnvironmentOnlyWhenTheFlagIsNotGiven(t *testing.T) {
	t.Parallel()
	allSet := env(map[string]string{"TENANTKIT_API_KEY": "env-key", "TENANTKIT_PASSWORD": "env-password", "TENANTKIT_CLIENT_SECRET": "env-secret"})
	cases := []struct {
		args   string
		getenv func(string) string
		want   config // only the credential fields
	}{
		{"-type X", allSet, config{apiKey: "env-key"}},
		{"-type X -api-key flag-key", allSet, config{apiKey: "flag-key"}},
		{"-type X -user u -password flag-password", allSet, config{user: "u", password: "flag-password"}},
		{"-type X -user u", allSet, config{user: "u", password: "env-password"}},
		{"-type X -source rows -client-id c", allSet, config{clientID: "c", clientSecret: "env-secret", scopes: "data"}},
		{"-type X -source rows -client-id c -client-secret flag-secret", allSet, config{clientID: "c", clientSecret: "flag-secret", scopes: "data"}},
		{"-type X -api-key flag-key", noEnv, config{apiKey: "flag-key"}},
	}
	for _, tc := range cases {
		c, err := parseFlags(strings.Fields(tc.args), tc.getenv, io.Discard)
		require.NoError(t, err, tc.args)
		got := config{apiKey: c.apiKey, user: c.user, password: c.password, clientID: c.clientID, clientSecret: c.clientSecret}
		if c.source == "rows" {
			got.scopes = c.scopes
		}
		assert.Equal(t, tc.want, got, tc.args)
	}
}

// The export with an explicit login uses it even though TENANTKIT_API_KEY
// names another credential: alice (Admin) sees all 12 projects, the service
// account's key only 4.
func TestExplicitLoginWinsOverAPIKeyInTheEnvironment(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	out := filepath.Join(t.TempDir(), "projects")
	getenv := env(map[string]string{"TENANTKIT_API_KEY": "demo-key-service"})
	var stdout, stderr bytes.Buffer
	args := exportArgs(srv, out, "-user", "alice@demo.tenantkit.dev", "-password", "demo-password", "-type", "Project")
	require.NoError(t, run(t.Context(), args, getenv, &stdout, &stderr, hooks(srv)), stderr.String())
	assert.Contains(t, stdout.String(), "exported 12 rows of Project")

	// Without flags, the key from the environment is used.
	stdout.Reset()
	require.NoError(t, run(t.Context(), exportArgs(srv, out, "-type", "Project"), getenv, &stdout, &stderr, hooks(srv)), stderr.String())
	assert.Contains(t, stdout.String(), "exported 4 rows of Project")
}

// runMainEnv makes the test binary run the command's main (see TestMain),
// so that exit statuses and what the process prints can be checked.
const runMainEnv = "DATALAKE_EXPORT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// -h and flag errors print the flags' defaults; secrets from the
// environment are never among them. -h exits 0, a flag error 2; the help
// names the variables a secret is read from.
func TestHelpAndFlagErrorsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"key-from-env-5d1c", "password-from-env-93ab", "secret-from-env-0f7e"}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-h"}, 0},
		{[]string{"-help"}, 0},
		{[]string{"-type", "X", "-no-such-flag"}, 2},
		{[]string{"-type", "X", "-page-size", "many"}, 2},
	} {
		cmd := exec.Command(os.Args[0], tc.args...)
		cmd.Env = append(os.Environ(), runMainEnv+"=1",
			"TENANTKIT_API_KEY="+secrets[0], "TENANTKIT_PASSWORD="+secrets[1], "TENANTKIT_CLIENT_SECRET="+secrets[2])
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, tc.code, code, "exit status of %v", tc.args)
		for _, s := range secrets {
			assert.NotContains(t, output.String(), s, "%v", tc.args)
		}
		for _, v := range []string{"TENANTKIT_API_KEY", "TENANTKIT_PASSWORD", "TENANTKIT_CLIENT_SECRET"} {
			assert.Contains(t, output.String(), v, "the help names %s", v)
		}
	}
}

// capLimit is a transport that lowers the relationship API's limit
// parameter to max, as a server with its own page cap would.
type capLimit struct {
	base http.RoundTripper
	max  int
}

func (c capLimit) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > c.max {
		req = req.Clone(req.Context())
		q.Set("limit", strconv.Itoa(c.max))
		req.URL.RawQuery = q.Encode()
	}
	return c.base.RoundTrip(req)
}

// A relationship API that answers fewer rows than -page-size asks for: the
// next page starts after the rows received, so short pages lose nothing.
func TestRowsExportWithShortPagesExportsEveryRow(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	out := filepath.Join(t.TempDir(), "projects")
	h := &testHooks{clientOpt: []client.Option{client.WithHTTPClient(&http.Client{Transport: capLimit{srv.HTTPClient().Transport, 3}})}}
	args := exportArgs(srv, out, "-source", "rows", "-client-id", "demo-admin", "-client-secret", "demo-admin-secret", "-type", "Project", "-page-size", "5")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), args, noEnv, &stdout, &stderr, h), stderr.String())
	assert.Contains(t, stdout.String(), "exported 12 rows of Project in 4 pages")
	nd := readNDJSON(t, out+".ndjson")
	require.Len(t, nd, 12)
	for i, r := range nd {
		assert.EqualValues(t, i+1, r["EntryId"], "row %d", i)
	}
}

// A failure the API would answer again (a wrong password, a type the user
// may not read) is permanent: exit 3, no advice to rerun, and no empty
// journal left behind. A failure a rerun gets past exits 1; flags exit 2.
func TestExitStatusTellsPermanentFromTransient(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong password", []string{"-user", "alice@demo.tenantkit.dev", "-password", "wrong", "-type", "Project"}, "401"},
		// The fields come from describeEntities, which answers a type the
		// caller may not read exactly like one that does not exist.
		{"type not readable", []string{"-api-key", "demo-key-bob", "-type", "Task"}, `400 InvalidArgument: typeNames: unknown entity type "Task"`},
		{"unknown type", []string{"-api-key", "demo-key-service", "-type", "Spaceship"}, "400"},
		{"wrong client secret", []string{"-source", "rows", "-client-id", "demo-integrator", "-client-secret", "wrong", "-type", "Deals"}, "invalid_client"},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), exportArgs(srv, out, tc.args...), noEnv, &stdout, &stderr, hooks(srv))
		require.Error(t, err, tc.name)
		assert.Equal(t, exitPermanent, exitStatus(err, io.Discard), "%s: %v", tc.name, err)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.Contains(t, err.Error(), "running it again fails the same way", tc.name)
		assert.NotContains(t, err.Error(), "run the same command again to resume", tc.name)
		_, statErr := os.Stat(out + ".ndjson.part")
		assert.ErrorIs(t, statErr, os.ErrNotExist, "%s: no empty journal is left", tc.name)
	}

	// Interrupted by a fault the retries could not overcome: exit 1.
	out := filepath.Join(dir, "transient")
	h := hooks(srv)
	h.clientOpt = append(h.clientOpt, client.WithMaxRetryAfter(time.Second))
	srv.SetFaults(tenant.Faults{Rules: []tenant.FaultRule{{Operations: []string{"entityQuery"}, Kind: tenant.Fault503, Probability: 1, RetryAfter: time.Hour}}})
	err := run(t.Context(), exportArgs(srv, out, "-api-key", "demo-key-service", "-type", "Project"), noEnv, io.Discard, io.Discard, h)
	require.Error(t, err)
	assert.Equal(t, exitTransient, exitStatus(err, io.Discard))
	assert.Contains(t, err.Error(), "run the same command again to resume")

	// A page size over the spec's maximum is a usage error naming it.
	err = run(t.Context(), exportArgs(srv, out, "-api-key", "demo-key-service", "-type", "Project", "-page-size", "5001"), noEnv, io.Discard, io.Discard, h)
	require.Error(t, err)
	assert.Equal(t, exitUsage, exitStatus(err, io.Discard))
	assert.Contains(t, err.Error(), "-page-size 5001: -source data takes 1 to 5000 rows per request")
	var help bytes.Buffer
	assert.ErrorIs(t, run(t.Context(), []string{"-h"}, noEnv, io.Discard, &help, nil), flag.ErrHelp)
	assert.Contains(t, help.String(), "at most the API's maximum (-source data: 5000, rows: 10000)")
}
