package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/mockserver"
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
	envHosts     = "TENANTKIT_ALLOWED_HOSTS"

	envRateLimit       = "TENANTKIT_RATE_LIMIT"
	envVendorLimits    = "TENANTKIT_VENDOR_RATE_LIMITS"
	envFaultRate       = "TENANTKIT_FAULT_RATE"
	envFaultSeed       = "TENANTKIT_FAULT_SEED"
	envFaultOperations = "TENANTKIT_FAULT_OPERATIONS"
	envLatency         = "TENANTKIT_LATENCY"

	envTLS        = "TENANTKIT_TLS"
	envTLSCert    = "TENANTKIT_TLS_CERT"
	envTLSKey     = "TENANTKIT_TLS_KEY"
	envTLSCertOut = "TENANTKIT_TLS_CERT_OUT"

	envMaxBodyBytes     = "TENANTKIT_MAX_BODY_BYTES"
	envMaxInFlight      = "TENANTKIT_MAX_IN_FLIGHT"
	envMaxInFlightBytes = "TENANTKIT_MAX_IN_FLIGHT_BYTES"

	// envAPIs holds --api values separated by semicolons.
	envAPIs = "TENANTKIT_APIS"
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
	// Host names the server answers for besides loopback and localhost:
	// --allowed-hosts, plus the --addr host when it names one.
	allowedHosts []string

	// Resilience testing; nil or zero keeps the fixture's own settings.
	rateLimit       *tenant.RateLimit
	vendorLimits    *bool // nil: the fixture's settings.vendorRateLimits
	faultRate       float64
	faultSeed       int64
	faultOperations []string
	latency         time.Duration

	// HTTPS: a certificate made at start (its PEM written to tlsCertOut,
	// or a temporary file), or tlsCert and tlsKey.
	tls                         bool
	tlsCert, tlsKey, tlsCertOut string

	// Server-wide bounds on hostile or bursty load.
	maxBodyBytes     int64
	maxInFlight      int
	maxInFlightBytes int64

	// apis are the --api values (or TENANTKIT_APIS's): NAME of a shipped
	// API, or NAME=spec.yaml[,policy.yaml].
	apis []string
}

// apiFlags is the repeatable --api flag.
type apiFlags []string

func (a *apiFlags) String() string { return strings.Join(*a, ";") }

func (a *apiFlags) Set(v string) error {
	*a = append(*a, v)
	return nil
}

// faults returns the fault plan the flags ask for, and whether they ask
// for one (a plan replaces the fixture's).
func (c config) faults() (tenant.Faults, bool) {
	if c.faultRate == 0 && c.latency == 0 {
		return tenant.Faults{}, false
	}
	f := tenant.MixedFaults(c.faultSeed, c.faultRate, time.Second, c.faultOperations...)
	if c.latency > 0 {
		f.Rules = append([]tenant.FaultRule{{Operations: c.faultOperations, Kind: tenant.FaultLatency, Probability: 1, Latency: c.latency}}, f.Rules...)
	}
	return f, true
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
	fs.String("allowed-hosts", "", "host names served besides loopback")
	fs.String("rate-limit", "", "per-credential budget")
	fs.Bool("vendor-rate-limits", false, "apply the vendors' documented limits")
	fs.String("fault-rate", "", "fraction of failing requests")
	fs.String("fault-seed", "", "fault seed")
	fs.String("fault-operations", "", "operations faults apply to")
	fs.String("latency", "", "added latency")
	fs.Bool("tls", false, "serve HTTPS")
	fs.String("tls-cert", "", "certificate file")
	fs.String("tls-key", "", "key file")
	fs.String("tls-cert-out", "", "where to write the certificate made at start")
	fs.String("max-body-bytes", "", "request body limit")
	fs.String("max-in-flight", "", "requests served at once")
	fs.String("max-in-flight-bytes", "", "request body bytes held at once")
	fs.Var(&apiFlags{}, "api", "an API loaded from a spec and a policy")
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
	if given["api"] {
		cfg.apis = *fs.Lookup("api").Value.(*apiFlags)
	} else if v := getenv(envAPIs); v != "" {
		for _, a := range strings.Split(v, ";") {
			if a = strings.TrimSpace(a); a != "" {
				cfg.apis = append(cfg.apis, a)
			}
		}
	}

	hosts, from := value("allowed-hosts", envHosts, "")
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.allowedHosts = append(cfg.allowedHosts, h)
		}
	}
	if err := mockserver.CheckAllowedHosts(cfg.allowedHosts...); err != nil {
		return config{}, usageErrorf("%s: %v", from, strings.TrimPrefix(err.Error(), "mockserver: "))
	}
	// Listening on a named address means answering to it (loopback and
	// localhost are always answered).
	if host, _, _ := net.SplitHostPort(cfg.addr); host != "" && !strings.EqualFold(host, "localhost") {
		if ip := net.ParseIP(host); ip == nil || !(ip.IsUnspecified() || ip.IsLoopback()) {
			cfg.allowedHosts = append(cfg.allowedHosts, host)
		}
	}

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

	tlsOn, from := value("tls", envTLS, "false")
	if cfg.tls, err = strconv.ParseBool(tlsOn); err != nil {
		return config{}, usageErrorf("%s: not a boolean (true, false, 1, 0)", from)
	}
	cfg.tlsCert, _ = value("tls-cert", envTLSCert, "")
	cfg.tlsKey, _ = value("tls-key", envTLSKey, "")
	cfg.tlsCertOut, _ = value("tls-cert-out", envTLSCertOut, "")
	switch {
	case (cfg.tlsCert == "") != (cfg.tlsKey == ""):
		return config{}, usageErrorf("%v", errTLSKeyPair)
	case cfg.tlsCert != "" && cfg.tlsCertOut != "":
		return config{}, usageErrorf("--tls-cert-out writes the certificate made at start; with --tls-cert there is none")
	}
	cfg.tls = cfg.tls || cfg.tlsCert != "" || cfg.tlsCertOut != ""

	gen, from := value("generate-projects", envGenerate, "0")
	n, err := strconv.Atoi(gen)
	if err != nil || n < 0 || n > tenant.MaxGenerated {
		return config{}, usageErrorf("%s: the number of generated Projects is a whole number from 0 to %d", from, tenant.MaxGenerated)
	}
	cfg.generate = n

	if v, from := value("rate-limit", envRateLimit, ""); v != "" {
		rl, err := parseRateLimit(v)
		if err != nil {
			return config{}, usageErrorf("%s: %v", from, err)
		}
		cfg.rateLimit = &rl
	}
	if v, from := value("vendor-rate-limits", envVendorLimits, ""); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return config{}, usageErrorf("%s: not a boolean (true, false, 1, 0)", from)
		}
		cfg.vendorLimits = &on
	}
	rate, from := value("fault-rate", envFaultRate, "0")
	cfg.faultRate, err = strconv.ParseFloat(rate, 64)
	if err != nil || math.IsNaN(cfg.faultRate) || cfg.faultRate < 0 || cfg.faultRate > 1 {
		return config{}, usageErrorf("%s: the fault rate is a fraction from 0 to 1, such as 0.2", from)
	}
	seed, from := value("fault-seed", envFaultSeed, "1")
	if cfg.faultSeed, err = strconv.ParseInt(seed, 10, 64); err != nil {
		return config{}, usageErrorf("%s: the fault seed is a whole number", from)
	}
	ops, from := value("fault-operations", envFaultOperations, "")
	for _, op := range strings.Split(ops, ",") {
		if op = strings.TrimSpace(op); op != "" {
			// A pattern of an API loaded with --api is checked once the
			// API is loaded (the fault plan's Validate, in run).
			api, _, _ := strings.Cut(op, ".")
			if slices.ContainsFunc(cfg.apis, func(a string) bool { n, _, _ := strings.Cut(a, "="); return strings.TrimSpace(n) == api }) {
				cfg.faultOperations = append(cfg.faultOperations, op)
				continue
			}
			if err := tenant.CheckOperationPattern(op); err != nil {
				return config{}, usageErrorf("%s: %v", from, err)
			}
			cfg.faultOperations = append(cfg.faultOperations, op)
		}
	}
	lat, from := value("latency", envLatency, "0s")
	if cfg.latency, err = time.ParseDuration(lat); err != nil || cfg.latency < 0 {
		return config{}, usageErrorf("%s: the latency is a duration such as 200ms", from)
	}
	whole := func(name, env string, def int64) (int64, error) {
		v, from := value(name, env, strconv.FormatInt(def, 10))
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return 0, usageErrorf("%s: a whole number of at least 1", from)
		}
		return n, nil
	}
	if cfg.maxBodyBytes, err = whole("max-body-bytes", envMaxBodyBytes, mockserver.DefaultMaxBodyBytes); err != nil {
		return config{}, err
	}
	inFlight, err := whole("max-in-flight", envMaxInFlight, mockserver.DefaultMaxInFlight)
	if err != nil {
		return config{}, err
	}
	cfg.maxInFlight = int(min(inFlight, math.MaxInt32))
	if cfg.maxInFlightBytes, err = whole("max-in-flight-bytes", envMaxInFlightBytes, mockserver.DefaultMaxInFlightBytes); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// parseRateLimit reads REQUESTS or REQUESTS/WINDOW ("180/1m"); 0 turns the
// limit off.
func parseRateLimit(v string) (tenant.RateLimit, error) {
	n, w, hasWindow := strings.Cut(v, "/")
	var rl tenant.RateLimit
	var err error
	if rl.Requests, err = strconv.Atoi(strings.TrimSpace(n)); err != nil || rl.Requests < 0 || rl.Requests > tenant.MaxRateLimitRequests {
		return rl, fmt.Errorf("the rate limit is REQUESTS or REQUESTS/WINDOW, such as 180/1m, with REQUESTS from 0 to %d", tenant.MaxRateLimitRequests)
	}
	if hasWindow {
		if rl.Window, err = time.ParseDuration(strings.TrimSpace(w)); err != nil || rl.Window <= 0 {
			return rl, errors.New("the rate limit window is a positive duration, such as 1m")
		}
	}
	return rl, nil
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
(/api/rest/...), and any API loaded with --api from an OpenAPI spec and a
policy file, enforcing authentication, OAuth scopes, role permissions,
object access, AS-USER proxying and row-level access. The default tenant
is the embedded demo tenant unless --fixture names a fixture file.

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
  --api NAME[=SPEC[,POLICY]]
                       TENANTKIT_APIS (values separated by ;)
        serve one more API (repeatable): NAME alone is an API this module
        ships (workiva, flow), with its demo users, grants and rows added
        to the embedded demo tenant; NAME=spec.yaml,policy.yaml loads your
        own OpenAPI 3 spec and policy file (docs/guides/any-openapi.md).
        A fixture's apis section names more, and the admin API's POST
        /_mock/apis loads one while mock runs. Errors name file, line and
        field, and mock exits with status 2
  --allowed-hosts LIST TENANTKIT_ALLOWED_HOSTS
        comma-separated host names or IP addresses (no port) the mock
        answers for besides loopback addresses, localhost and *.localhost,
        such as mock,10.0.0.5; .example.test names a domain and its
        subdomains, * any host. The --addr host is added when it names one.
        Any other Host header is answered 421, so a web page cannot reach
        the mock through DNS rebinding (default: none)
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
  --rate-limit N[/WINDOW]
                       TENANTKIT_RATE_LIMIT
        per-credential budget: each API key, OAuth client and logged-in
        user may make N requests per WINDOW (default window 1m); the next
        is answered 429 with Retry-After. 0 turns it off. Replaces the
        fixture's settings.rateLimit
  --vendor-rate-limits TENANTKIT_VENDOR_RATE_LIMITS
        apply the vendors' documented limits the specs declare
        (x-rate-limit: the relationship API's Schema APIs, 5 calls per
        second per credential; the data API's call quota, 25 calls per
        second for the whole tenant; 429 with Retry-After). Replaces the
        fixture's settings.vendorRateLimits (default: the fixture's, off
        in the demo tenant; the variable takes true, false, 1 or 0)
  --fault-rate P       TENANTKIT_FAULT_RATE
        fraction of requests (0 to 1) that fail on purpose, spread over
        503 and 429 (with Retry-After: 1), 500, dropped connections and
        truncated bodies; none of them takes effect except a truncated
        answer, whose request was served (default 0). With --latency,
        replaces the fixture's faults; docs/resilience.md has the full
        fault plans of fixtures and the admin API
  --fault-seed N       TENANTKIT_FAULT_SEED
        seed of the faults: the same requests in the same order meet the
        same faults (default 1)
  --fault-operations LIST
                       TENANTKIT_FAULT_OPERATIONS
        comma-separated operation patterns the faults and latency apply
        to, such as entityQuery,create* or relationship.* (default: every
        operation)
  --latency D          TENANTKIT_LATENCY
        add D (such as 200ms) to every request the faults apply to
        (default 0s)
  --tls                TENANTKIT_TLS
        serve HTTPS instead of HTTP, for clients that only speak https
        (the relationship vendor's SDKs build https:// URLs). The mock
        makes a certificate at start for 127.0.0.1, ::1, localhost and the
        --allowed-hosts names, valid 30 days, and prints where its PEM is:
        trust it with SSL_CERT_FILE or REQUESTS_CA_BUNDLE (Python),
        NODE_EXTRA_CA_CERTS (Node) or curl --cacert (default false; the
        variable takes true, false, 1 or 0)
  --tls-cert-out FILE  TENANTKIT_TLS_CERT_OUT
        write the certificate made at start to FILE (implies --tls;
        default: a temporary file, removed when mock stops)
  --tls-cert FILE      TENANTKIT_TLS_CERT
  --tls-key FILE       TENANTKIT_TLS_KEY
        serve HTTPS with this PEM certificate and key instead (implies
        --tls; both or neither)
  --max-body-bytes N   TENANTKIT_MAX_BODY_BYTES
        largest request body accepted (default 1048576); a larger one is
        answered 413 in the API's error shape
  --max-in-flight N    TENANTKIT_MAX_IN_FLIGHT
        API requests served at once (default 256)
  --max-in-flight-bytes N
                       TENANTKIT_MAX_IN_FLIGHT_BYTES
        request body bytes those requests may hold at once (default
        8388608; a body without a Content-Length counts as
        --max-body-bytes). Beyond either bound a request is answered 503
        with Retry-After: 1 at once, so memory stays bounded under a
        burst. Nesting, sort keys and text operands have limits of their
        own, stated in the specs (README, "Security notes")
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
  /_mock/ui/             the console in a browser: tenants, live requests
                         and their decisions, least privilege, visibility,
                         controls (a browser at / is sent there)
  /_mock/                admin API (openapi/admin.yaml): tenants, reset,
                         settings, audit log, least-privilege report,
                         visibility diff, faults, credential expiry,
                         /_mock/healthz
  /healthz               health probe: 200 to GET and HEAD while serving

The admin API is unauthenticated and every credential is a public test
value: keep the loopback address unless the network is private. The admin
API answers only its own origin: a request with a foreign Origin header, a
write a browser marks cross-site or same-site (Sec-Fetch-Site) and a write
whose body is not Content-Type: application/json are refused.

Memory: while the live heap is under 32 MiB, mock lets the heap grow to
64 MiB before the garbage collector runs (fewer collections under load);
a larger tenant is collected at Go's default pace. GOGC or GOMEMLIMIT in
the environment turns this off and is obeyed as usual.

Exit status: 0 after a clean shutdown, --help, or --check of a valid
fixture; 1 when the server cannot listen or stops with an error; 2 for an
invalid flag, environment value or fixture.
`
