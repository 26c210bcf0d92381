// Command datalake-export exports one entity type of a tenant to NDJSON and
// Parquet: entities through the data API's entity query, or entry rows
// through the relationship API (optionally acting as another user with
// AS-USER). A checkpoint written after every page lets an interrupted
// export resume where it stopped, without duplicates, with the same URL
// and credential. The rows go to PREFIX.ndjson.part until every page is in
// and the Parquet file is written; the outputs of an earlier run stay
// untouched until then.
//
//	go run ./examples/datalake-export -url http://127.0.0.1:8080 \
//	    -api-key demo-key-service -type Project -out project
//	go run ./examples/datalake-export -url http://127.0.0.1:8080 -source rows \
//	    -client-id demo-integrator -client-secret demo-integrator-secret \
//	    -type Deals -as-user 6045 -out deals
//
// -fields is checked against the type's fields (every field when not
// given): with -source data those describeEntities reports (the system
// fields CreatedOn and LastUpdatedOn included), with -source rows the entry
// type's schema; the Parquet columns take their field types.
//
// Incremental exports (-source data): every data export records in its
// checkpoint a watermark, the highest LastUpdatedOn it exported and the ids
// (with a hash of their content) of the rows at exactly that instant. A
// later run with -incremental and the same -out, -type, -fields, -url and
// credential exports only the rows changed since: LastUpdatedOn at or after
// the watermark, less the rows still exactly as the previous run exported
// them. The server's times are whole seconds, so a row changed within the
// watermark's second after the previous run read it is exported, and none
// twice unchanged.
// -since TIME exports the rows with LastUpdatedOn at or after TIME instead.
// The outputs then hold the changed rows alone (a delta to merge by id):
//
//	go run ./examples/datalake-export -api-key demo-key-service -type Project -out lake/project
//	go run ./examples/datalake-export -api-key demo-key-service -type Project -out lake/project -incremental
//	go run ./examples/datalake-export -api-key demo-key-service -type Project -out lake/project -since 2026-03-01T00:00:00Z
//
// Secrets may come from the environment instead of flags (a flag given on
// the command line wins): TENANTKIT_API_KEY (when neither -api-key nor
// -user is given), TENANTKIT_PASSWORD, TENANTKIT_CLIENT_SECRET.
//
// Exit status, for scripts:
//
//	0  the export is done (or -h)
//	1  stopped by something a rerun gets past (the network, 429 or 5xx
//	   answers the retries could not overcome, -timeout, Ctrl-C, a full
//	   disk): run the same command again to resume
//	2  a usage error (flags)
//	3  refused for good: the API answered 400, 401, 403 or 404 (a wrong
//	   credential, a missing scope or permission, an unknown type), or the
//	   checkpoint cannot be resumed; a rerun fails the same way until the
//	   cause is fixed (the checkpoint keeps the rows exported so far)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// Exit statuses (see the package documentation).
const (
	exitDone      = 0
	exitTransient = 1
	exitUsage     = 2
	exitPermanent = 3
)

// usageError is a flag or argument error.
type usageError struct{ error }

// permanentError is a failure a rerun would meet again.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// exitStatus reports err (if any) and returns the process's exit status.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitDone
	}
	fmt.Fprintln(stderr, "datalake-export:", err)
	var ue usageError
	var pe permanentError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &pe):
		return exitPermanent
	}
	return exitTransient
}

// Environment variables a secret is read from when its flag is not given.
const (
	envAPIKey       = "TENANTKIT_API_KEY"
	envPassword     = "TENANTKIT_PASSWORD"
	envClientSecret = "TENANTKIT_CLIENT_SECRET"
)

// config is what the flags say.
type config struct {
	baseURL  string
	source   string // data | rows
	typeName string
	fields   []string
	asUser   int64
	out      string // output path prefix
	formats  []string
	pageSize int
	progress bool
	timeout  time.Duration
	// since (-since) or incremental (-incremental): only rows changed
	// since then (-source data).
	since       *watermark
	incremental bool

	apiKey, user, password         string
	clientID, clientSecret, scopes string
}

// parseFlags parses args; a secret whose flag is not given is read from the
// environment through getenv. Flag defaults never hold a secret, so that -h
// and flag errors cannot print one.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	maxPage, err := maxPageSizes()
	if err != nil {
		return nil, err
	}
	fs := flag.NewFlagSet("datalake-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var fields, formats, since string
	fs.StringVar(&c.baseURL, "url", "http://127.0.0.1:8080", "tenant base URL")
	fs.StringVar(&c.source, "source", "data", "data: entities through the data API's entity query; rows: entry rows through the relationship API")
	fs.StringVar(&c.typeName, "type", "", "entity type (data) or entry type (rows) to export (required)")
	fs.StringVar(&fields, "fields", "", "comma-separated fields to export (default: every field; -source rows checks them against the entry type's schema, whose field types make the Parquet columns)")
	fs.Int64Var(&c.asUser, "as-user", 0, "act as this user id (AS-USER header; needs a proxy assignment; -source rows only, the data API has no AS-USER)")
	fs.StringVar(&c.out, "out", "", "output path prefix: writes PREFIX.ndjson, PREFIX.parquet and PREFIX.checkpoint.json; rows go to PREFIX.ndjson.part until the export is finished; missing directories are made (default: the type name)")
	fs.StringVar(&formats, "format", "ndjson,parquet", "output formats: ndjson, parquet or both (NDJSON is always written: it is the export's journal; with ndjson alone, a PREFIX.parquet of an earlier run is removed)")
	fs.IntVar(&c.pageSize, "page-size", 100, fmt.Sprintf("rows per request, at most the API's maximum (-source data: %d, rows: %d)", maxPage["data"], maxPage["rows"]))
	fs.StringVar(&since, "since", "", "-source data: export only the rows whose LastUpdatedOn is at or after this time (RFC 3339, or a date for midnight UTC)")
	fs.BoolVar(&c.incremental, "incremental", false, "-source data: export only the rows changed since the previous finished export to the same -out (the watermark in PREFIX.checkpoint.json: its highest LastUpdatedOn); every row when there is none")
	fs.BoolVar(&c.progress, "progress", true, "show a progress bar on stderr")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up after this long (0: no limit); the checkpoint keeps what was exported")
	fs.StringVar(&c.apiKey, "api-key", "", "data API key (if neither this nor -user is given: env "+envAPIKey+")")
	fs.StringVar(&c.user, "user", "", "data API login user name (with -password)")
	fs.StringVar(&c.password, "password", "", "data API password (if not given: env "+envPassword+")")
	fs.StringVar(&c.clientID, "client-id", "", "relationship API OAuth client id")
	fs.StringVar(&c.clientSecret, "client-secret", "", "relationship API OAuth client secret (if not given: env "+envClientSecret+")")
	fs.StringVar(&c.scopes, "scope", "data", "relationship API OAuth scopes, space-separated")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: datalake-export -type NAME [-source data|rows] [credentials] [flags]")
		fmt.Fprintln(fs.Output(), "Exports every row of one type visible to the credential to NDJSON and Parquet, resumably;")
		fmt.Fprintln(fs.Output(), "with -incremental (or -since), only the rows changed since the previous export's watermark.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.typeName == "" {
		return nil, errors.New("-type is required")
	}
	if c.out == "" {
		c.out = c.typeName
	}
	if m, ok := maxPage[c.source]; ok && (c.pageSize < 1 || c.pageSize > m) {
		return nil, fmt.Errorf("-page-size %d: -source %s takes 1 to %d rows per request", c.pageSize, c.source, m)
	}
	for _, f := range strings.Split(fields, ",") {
		if f = strings.TrimSpace(f); f != "" {
			c.fields = append(c.fields, f)
		}
	}
	for _, f := range strings.Split(formats, ",") {
		switch f = strings.TrimSpace(f); f {
		case "ndjson", "parquet":
			c.formats = append(c.formats, f)
		case "":
		default:
			return nil, fmt.Errorf("-format: unknown format %q (ndjson, parquet)", f)
		}
	}
	if err := c.credentials(set, getenv); err != nil {
		return nil, err
	}
	if set["since"] || c.incremental {
		switch {
		case c.source != "data":
			return nil, errors.New("-since and -incremental: only for -source data (the data API's LastUpdatedOn)")
		case set["since"] && c.incremental:
			return nil, errors.New("give -since or -incremental, not both (-incremental takes its time from the previous export)")
		case set["since"]:
			if c.since, err = parseSince(since); err != nil {
				return nil, err
			}
		}
	}
	return &c, nil
}

// credentials checks the credential flags of the source and fills in the
// secrets that were not given from the environment. Flags given on the
// command line win over the environment; flags that contradict each other,
// or belong to the other source, are refused rather than guessed between.
func (c *config) credentials(set map[string]bool, getenv func(string) string) error {
	given := func(names ...string) []string {
		var out []string
		for _, n := range names {
			if set[n] {
				out = append(out, "-"+n)
			}
		}
		return out
	}
	switch c.source {
	case "data":
		// AS-USER too: the data API ignores it, so the export would run as
		// the credential's own user, not the one asked for.
		if g := given("client-id", "client-secret", "scope", "as-user"); len(g) > 0 {
			return fmt.Errorf("%s: only for -source rows (the relationship API)", strings.Join(g, ", "))
		}
		switch {
		case set["api-key"] && (set["user"] || set["password"]):
			return errors.New("give -api-key, or -user and -password, not both")
		case set["api-key"]:
			if c.apiKey == "" {
				return errors.New("-api-key is empty")
			}
		case set["user"] || set["password"]:
			if !set["password"] {
				c.password = getenv(envPassword)
			}
			if c.user == "" || c.password == "" {
				return errors.New("a login needs -user, and -password or " + envPassword)
			}
		default:
			c.apiKey = getenv(envAPIKey)
			if c.apiKey == "" {
				return errors.New("the data API needs -api-key (or " + envAPIKey + "), or -user and -password (or " + envPassword + ")")
			}
		}
	case "rows":
		if g := given("api-key", "user", "password"); len(g) > 0 {
			return fmt.Errorf("%s: only for -source data (the data API)", strings.Join(g, ", "))
		}
		if !set["client-secret"] {
			c.clientSecret = getenv(envClientSecret)
		}
		if c.clientID == "" || c.clientSecret == "" {
			return errors.New("the relationship API needs -client-id, and -client-secret or " + envClientSecret)
		}
	default:
		return fmt.Errorf("-source: %q is not data or rows", c.source)
	}
	return nil
}

// run parses args and exports; hooks is nil outside tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, hooks *testHooks) error {
	c, err := parseFlags(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	return export(ctx, c, stdout, stderr, hooks)
}
