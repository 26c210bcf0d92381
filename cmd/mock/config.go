package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Defaults of the settings.
const (
	defaultAddr      = "127.0.0.1:8080"
	defaultLogLevel  = "info"
	defaultLogFormat = "text"
)

// Environment variables, one per setting that has one.
const (
	envAddr      = "TENANTKIT_ADDR"
	envFixture   = "TENANTKIT_FIXTURE"
	envLogLevel  = "TENANTKIT_LOG_LEVEL"
	envLogFormat = "TENANTKIT_LOG_FORMAT"
	envQuiet     = "TENANTKIT_QUIET"
	envGenerate  = "TENANTKIT_GENERATE_PROJECTS"
)

// config is the effective configuration: each value from its flag when the
// flag is given, else from its environment variable when set and not empty,
// else the default.
type config struct {
	addr      string
	fixture   string // "" = the embedded demo tenant
	logLevel  slog.Level
	logFormat string // text or json
	quiet     bool   // no banner
	check     bool   // validate the fixture and exit
	generate  int    // generated Projects added to the tenant
}

// usageError is an invalid flag, argument or environment value: one line,
// exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// newFlagSet declares the flags. Their help is the usage text, not the
// flag package's: values come from flags or environment variables, and the
// effective defaults are applied by parseConfig.
func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("mock", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, in one line
	fs.Usage = func() {}
	fs.String("addr", "", "listen address")
	fs.String("fixture", "", "fixture file")
	fs.String("log-level", "", "log level")
	fs.String("log-format", "", "log format")
	fs.Bool("quiet", false, "no banner")
	fs.Bool("check", false, "validate the fixture and exit")
	fs.String("generate-projects", "", "generated Projects")
	return fs
}

// parseConfig reads the flags in args and the environment through getenv.
// It returns flag.ErrHelp for -h and --help, and a *usageError for invalid
// input.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return config{}, usageErrorf("unexpected argument %q: mock takes flags only", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	// value returns the effective value of a setting and where it came from,
	// for error messages: `--addr "x"` or `TENANTKIT_ADDR="x"`.
	value := func(name, env, def string) (v, from string) {
		if given[name] {
			v = fs.Lookup(name).Value.String()
			return v, fmt.Sprintf("--%s %q", name, v)
		}
		if v = getenv(env); v != "" {
			return v, fmt.Sprintf("%s=%q", env, v)
		}
		return def, fmt.Sprintf("default %q", def)
	}

	cfg := config{check: fs.Lookup("check").Value.(flag.Getter).Get().(bool)}
	var from string
	cfg.addr, from = value("addr", envAddr, defaultAddr)
	if err := checkAddr(cfg.addr); err != nil {
		return config{}, usageErrorf("%s: %v", from, err)
	}
	cfg.fixture, _ = value("fixture", envFixture, "")

	level, from := value("log-level", envLogLevel, defaultLogLevel)
	switch strings.ToLower(level) {
	case "debug":
		cfg.logLevel = slog.LevelDebug
	case "info":
		cfg.logLevel = slog.LevelInfo
	case "warn":
		cfg.logLevel = slog.LevelWarn
	case "error":
		cfg.logLevel = slog.LevelError
	default:
		return config{}, usageErrorf("%s: the log level is one of debug, info, warn, error", from)
	}

	cfg.logFormat, from = value("log-format", envLogFormat, defaultLogFormat)
	cfg.logFormat = strings.ToLower(cfg.logFormat)
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return config{}, usageErrorf("%s: the log format is text or json", from)
	}

	quiet, from := value("quiet", envQuiet, "false")
	q, err := strconv.ParseBool(quiet)
	if err != nil {
		return config{}, usageErrorf("%s: not a boolean (true, false, 1, 0)", from)
	}
	cfg.quiet = q

	gen, from := value("generate-projects", envGenerate, "0")
	n, err := strconv.Atoi(gen)
	if err != nil || n < 0 || n > tenant.MaxGenerated {
		return config{}, usageErrorf("%s: the number of generated Projects is a whole number from 0 to %d", from, tenant.MaxGenerated)
	}
	cfg.generate = n
	return cfg, nil
}

// checkAddr accepts HOST:PORT with a numeric port from 0 to 65535; HOST may
// be empty (every interface).
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("the address is HOST:PORT, such as 127.0.0.1:8080, localhost:0 or :8080")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("the port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// usage is the --help text.
const usage = `Usage: mock [flags]
       mock report [flags]       least-privilege report of a running mock
       mock visibility [flags]   what a user sees in the UI versus the API
                                 (see mock report --help)

mock serves a tenantkit mock tenant on one HTTP listener: the data API
(/V2.0/services/...), the credentials API (/oauth/token,
/api/v2/integrations/credentials...) and the relationship API
(/api/rest/...), enforcing authentication, OAuth scopes, role permissions,
AS-USER proxying and row-level access. The default tenant is the embedded
demo tenant unless --fixture names a fixture file.

At start mock prints to stdout the URL, the default tenant's credentials
(public test values of its fixture) and a ready-to-paste curl command per
API. Logs go to stderr. SIGINT (Ctrl-C) or SIGTERM stops it gracefully:
requests in flight get up to 5s to finish.

Flags (each flag also reads its environment variable; the flag wins over
the variable, the variable over the default; an empty variable is unset):

  --addr HOST:PORT     TENANTKIT_ADDR
        listen address (default "127.0.0.1:8080"); port 0 picks a free
        port, and the address really used is printed
  --fixture FILE       TENANTKIT_FIXTURE
        YAML or JSON fixture for the default tenant (default: the embedded
        demo tenant); format: docs/fixtures.md. Errors name file, line and
        field, and mock exits with status 2
  --log-level LEVEL    TENANTKIT_LOG_LEVEL
        debug, info, warn or error (default "info"); info logs one line
        per request, debug adds the /healthz probes
  --log-format FORMAT  TENANTKIT_LOG_FORMAT
        text or json (default "text")
  --quiet              TENANTKIT_QUIET
        do not print the banner (default false; the variable takes true,
        false, 1 or 0)
  --generate-projects N
                       TENANTKIT_GENERATE_PROJECTS
        add N generated Projects to the tenant, for tests at realistic
        sizes (default 0; the fixture needs a Project type); see
        docs/performance.md
  --check              (no environment variable)
        load and validate the fixture, print a summary and exit without
        listening
  -h, --help
        print this help and exit

Paths on the listener:
  /V2.0/services/...     data API (Authorization: ApiKey <key> or Session <id>)
  /oauth/token, /api/v2/...
                         credentials API (client credentials, then Bearer)
  /api/rest/...          relationship API (client credentials with scope,
                         then Bearer; optional AS-USER: <userId>)
  /_mock/                admin API (openapi/admin.yaml): tenants, reset,
                         settings, audit log, /_mock/healthz
  /healthz               health probe: 200 to GET and HEAD while serving

The admin API is unauthenticated and every credential is a public test
value: keep the loopback address unless the network is private.

Exit status: 0 after a clean shutdown, --help, or --check of a valid
fixture; 1 when the server cannot listen or stops with an error; 2 for an
invalid flag, environment value or fixture.
`
