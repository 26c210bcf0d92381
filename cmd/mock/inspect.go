package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/adminapi"
)

// The inspection commands read a running mock through its admin API.
const (
	envURL     = "TENANTKIT_URL"
	defaultURL = "http://127.0.0.1:8080"
)

// inspectUsage is the --help text of the report and visibility commands.
const inspectUsage = `Usage: mock report [flags]
       mock visibility --user ID --type NAME [flags]

The inspection commands read a running mock through its admin API
(/_mock/) and print what they find.

mock report prints the least-privilege report: per API key and OAuth
client (and data-API sessions), the scopes, permissions and API entity types
granted, used, granted but never used, and needed but missing, from every
request since the tenant was built or reset (docs/guides/least-privilege.md).

mock visibility prints, for one user and entity type, the rows the UI shows
the user and the rows each of its API credentials reads under the tenant's
apiDataAccess setting, with the reason for every difference
(docs/guides/visibility.md).

Flags of both:
  --url URL            TENANTKIT_URL
        the mock's base URL (default "http://127.0.0.1:8080")
  --tenant ID          (default "default": the default tenant)
  --format FORMAT      text or json (default "text")

Flags of report:
  --manifest FILE      check the run against a grant manifest: print every
                       excess or shortfall, exit 1 if there is one
  --suggest            print the grant the run needed, as a manifest

Flags of visibility:
  --user ID            the user (required)
  --type NAME          the entity type name or entry type id (required)

Exit status: 0 on success; 1 when the mock cannot be reached, answers with
an error, or the manifest check finds a problem; 2 for invalid flags.
`

// runInspect runs "mock report" or "mock visibility".
func runInspect(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mock "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	base := fs.String("url", "", "")
	tenantID := fs.String("tenant", "default", "")
	format := fs.String("format", "text", "")
	manifest := fs.String("manifest", "", "")
	suggest := fs.Bool("suggest", false, "")
	user := fs.Int64("user", 0, "")
	typeName := fs.String("type", "", "")
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "mock %s: %s\n", cmd, fmt.Sprintf(format, args...))
		return code
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = io.WriteString(stdout, inspectUsage)
			return exitOK
		}
		return fail(exitUsage, "%v (see mock %s --help)", err, cmd)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	case *format != "text" && *format != "json":
		return fail(exitUsage, "--format %q: the format is text or json", *format)
	case cmd == "report" && (given["user"] || given["type"]):
		return fail(exitUsage, "--user and --type are flags of mock visibility")
	case cmd == "visibility" && (given["manifest"] || given["suggest"]):
		return fail(exitUsage, "--manifest and --suggest are flags of mock report")
	case cmd == "visibility" && (*user <= 0 || *typeName == ""):
		return fail(exitUsage, "--user (a user id) and --type (an entity type) are required")
	}
	if *base == "" {
		*base = getenv(envURL)
	}
	if *base == "" {
		*base = defaultURL
	}
	if u, err := url.Parse(*base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(exitUsage, "--url %q: an http(s) URL such as %s", *base, defaultURL)
	}
	admin, err := adminapi.NewClientWithResponses(strings.TrimRight(*base, "/"))
	if err != nil {
		return fail(exitUsage, "%v", err)
	}

	// The report as text or JSON, straight from the mock; the manifest
	// check and the suggested grant need the JSON form.
	wantJSON := *format == "json" || *manifest != "" || *suggest
	var body []byte
	var status int
	if cmd == "report" {
		p := &adminapi.GetReportParams{}
		if !wantJSON {
			f := adminapi.GetReportParamsFormat("text")
			p.Format = &f
		}
		r, err := admin.GetReportWithResponse(ctx, *tenantID, p)
		if err != nil {
			return fail(exitFail, "%v", err)
		}
		body, status = r.Body, r.StatusCode()
	} else {
		p := &adminapi.GetVisibilityParams{User: *user, EntityType: *typeName}
		if !wantJSON {
			f := adminapi.GetVisibilityParamsFormat("text")
			p.Format = &f
		}
		r, err := admin.GetVisibilityWithResponse(ctx, *tenantID, p)
		if err != nil {
			return fail(exitFail, "%v", err)
		}
		body, status = r.Body, r.StatusCode()
	}
	if status != http.StatusOK {
		var e adminapi.Error
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			return fail(exitFail, "%s", e.Message)
		}
		return fail(exitFail, "the mock answered %d %s", status, http.StatusText(status))
	}
	if !*suggest && *manifest == "" {
		_, _ = stdout.Write(body)
		return exitOK
	}

	var report mockserver.Report
	if err := json.Unmarshal(body, &report); err != nil {
		return fail(exitFail, "read the report: %v", err)
	}
	if *suggest {
		if err := report.Manifest().WriteYAML(stdout); err != nil {
			return fail(exitFail, "%v", err)
		}
	}
	if *manifest == "" {
		return exitOK
	}
	m, err := mockserver.LoadManifest(*manifest)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	problems := report.Check(m)
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: the run used exactly the declared grant\n", *manifest)
	return exitOK
}

// inspectCommand reports whether args name an inspection command.
func inspectCommand(args []string) (string, bool) {
	if len(args) > 0 && (args[0] == "report" || args[0] == "visibility") {
		return args[0], true
	}
	return "", false
}
