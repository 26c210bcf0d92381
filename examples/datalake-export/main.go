// Command datalake-export exports one entity type of a tenant to NDJSON and
// Parquet: entities through the data API's entity query, or entry rows
// through the relationship API (optionally acting as another user with
// AS-USER). A checkpoint written after every page lets an interrupted
// export resume where it stopped, without duplicates.
//
//	go run ./examples/datalake-export -url http://127.0.0.1:8080 \
//	    -api-key demo-key-service -type Project -out project
//	go run ./examples/datalake-export -url http://127.0.0.1:8080 -source rows \
//	    -client-id demo-integrator -client-secret demo-integrator-secret \
//	    -type Deals -as-user 6045 -out deals
//
// Secrets may come from the environment instead of flags:
// TENANTKIT_API_KEY, TENANTKIT_PASSWORD, TENANTKIT_CLIENT_SECRET.
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
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "datalake-export:", err)
		}
		os.Exit(2)
	}
}

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

	apiKey, user, password         string
	clientID, clientSecret, scopes string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("datalake-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var fields, formats string
	fs.StringVar(&c.baseURL, "url", "http://127.0.0.1:8080", "tenant base URL")
	fs.StringVar(&c.source, "source", "data", "data: entities through the data API's entity query; rows: entry rows through the relationship API")
	fs.StringVar(&c.typeName, "type", "", "entity type (data) or entry type (rows) to export (required)")
	fs.StringVar(&fields, "fields", "", "comma-separated fields to export (data source only; default: every field)")
	fs.Int64Var(&c.asUser, "as-user", 0, "act as this user id (AS-USER header; needs a proxy assignment)")
	fs.StringVar(&c.out, "out", "", "output path prefix: writes PREFIX.ndjson, PREFIX.parquet and PREFIX.checkpoint.json (default: the type name)")
	fs.StringVar(&formats, "format", "ndjson,parquet", "output formats: ndjson, parquet or both (NDJSON is always written: it is the export's journal)")
	fs.IntVar(&c.pageSize, "page-size", 100, "rows per request")
	fs.BoolVar(&c.progress, "progress", true, "show a progress bar on stderr")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up after this long (0: no limit); the checkpoint keeps what was exported")
	fs.StringVar(&c.apiKey, "api-key", os.Getenv("TENANTKIT_API_KEY"), "data API key (env TENANTKIT_API_KEY)")
	fs.StringVar(&c.user, "user", "", "data API login user name (with -password)")
	fs.StringVar(&c.password, "password", os.Getenv("TENANTKIT_PASSWORD"), "data API password (env TENANTKIT_PASSWORD)")
	fs.StringVar(&c.clientID, "client-id", "", "relationship API OAuth client id")
	fs.StringVar(&c.clientSecret, "client-secret", os.Getenv("TENANTKIT_CLIENT_SECRET"), "relationship API OAuth client secret (env TENANTKIT_CLIENT_SECRET)")
	fs.StringVar(&c.scopes, "scope", "data", "relationship API OAuth scopes, space-separated")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: datalake-export -type NAME [-source data|rows] [credentials] [flags]")
		fmt.Fprintln(fs.Output(), "Exports every row of one type visible to the credential to NDJSON and Parquet, resumably.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.typeName == "" {
		return nil, errors.New("-type is required")
	}
	if c.out == "" {
		c.out = c.typeName
	}
	if c.pageSize < 1 {
		return nil, errors.New("-page-size must be positive")
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
	switch c.source {
	case "data":
		if c.apiKey == "" && (c.user == "" || c.password == "") {
			return nil, errors.New("the data API needs -api-key, or -user and -password")
		}
	case "rows":
		if c.clientID == "" || c.clientSecret == "" {
			return nil, errors.New("the relationship API needs -client-id and -client-secret")
		}
	default:
		return nil, fmt.Errorf("-source: %q is not data or rows", c.source)
	}
	return &c, nil
}

// run parses args and exports; hooks is nil outside tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, hooks *testHooks) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	return export(ctx, c, stdout, stderr, hooks)
}
