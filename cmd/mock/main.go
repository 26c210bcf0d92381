// Command mock serves a tenantkit mock tenant over HTTP: the data,
// credentials and relationship APIs and the admin API of package mockserver,
// with the embedded demo tenant or a fixture file as the default tenant.
//
//	go run ./cmd/mock                          # demo tenant on 127.0.0.1:8080
//	go run ./cmd/mock --addr :0 --fixture acme.yaml --log-format json
//
// Every flag has an environment variable (TENANTKIT_ADDR, TENANTKIT_FIXTURE,
// TENANTKIT_LOG_LEVEL, TENANTKIT_LOG_FORMAT, TENANTKIT_QUIET); `mock --help`
// documents them. At start it prints the URL, the default tenant's test
// credentials and a curl command per API; SIGINT or SIGTERM stops it
// gracefully.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tenantkit/tenantkit/internal/heapfloor"
	"github.com/tenantkit/tenantkit/internal/textlog"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// HTTP server limits: generous for local use, but a stalled client cannot
// hold a connection forever.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 5 * time.Second
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // cannot listen, or the server failed
	exitUsage = 2 // invalid flag, environment value or fixture
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command: it serves until ctx is done and returns the
// exit status. Errors are written to stderr in one line per problem,
// prefixed "mock: ".
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if cmd, ok := inspectCommand(args); ok {
		return runInspect(ctx, cmd, args[1:], getenv, stdout, stderr)
	}
	cfg, err := parseConfig(args, getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = io.WriteString(stdout, usage)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "mock: %v (see mock --help)\n", err)
		return exitUsage
	}

	// A small tenant's heap is let grow to heapfloor.Floor before the
	// collector runs, unless GOGC or GOMEMLIMIT says otherwise: the demo
	// tenant's few MB would otherwise be collected tens of times a second
	// under load.
	defer heapfloor.Keep(heapfloor.Floor, getenv)()

	// The log, and whatever else goes to stderr from here on, is buffered
	// (in order, at most textlog.FlushInterval late) and written out on return.
	lw := textlog.NewWriter(stderr)
	defer lw.Close()
	stderr = lw
	log := newLogger(cfg, stderr)
	apis, err := loadAPIs(cfg)
	if err != nil {
		printAPIError(stderr, cfg.fixture, err)
		return exitUsage
	}
	fixture, source, err := loadFixture(cfg.fixture, apis)
	if err != nil {
		printFixtureError(stderr, cfg.fixture, err)
		return exitUsage
	}
	// Flags that shape the tenant go into its fixture, so that a reset
	// (admin API) keeps them.
	if cfg.generate > 0 {
		fixture = tenant.WithGenerated(fixture, "Project", cfg.generate, 1)
	}
	if cfg.rateLimit != nil {
		fixture = tenant.WithRateLimit(fixture, *cfg.rateLimit)
	}
	if cfg.vendorLimits != nil {
		fixture = tenant.WithVendorRateLimits(fixture, *cfg.vendorLimits)
	}
	if plan, ok := cfg.faults(); ok {
		if err := plan.Validate(); err != nil {
			fmt.Fprintf(stderr, "mock: faults: %v\n", err)
			return exitUsage
		}
		fixture = tenant.WithFaults(fixture, plan)
	}
	opts := []mockserver.Option{mockserver.WithFixture(fixture), mockserver.WithLogger(log), mockserver.WithAllowedHosts(cfg.allowedHosts...),
		mockserver.WithMaxBodyBytes(cfg.maxBodyBytes), mockserver.WithMaxInFlight(cfg.maxInFlight, cfg.maxInFlightBytes),
		mockserver.WithRequestTimeout(writeTimeout)} // no query outlives the connection's write deadline
	for _, a := range apis.sources {
		opts = append(opts, mockserver.WithAPI(a))
	}
	srv, err := mockserver.New(opts...)
	if err != nil {
		printFixtureError(stderr, cfg.fixture, err)
		return exitUsage
	}
	t := srv.DefaultTenant()
	if cfg.check {
		fmt.Fprintf(stdout, "%s is valid: %s\n", source, summary(fixture))
		return exitOK
	}

	tlsCfg, err := setupTLS(cfg, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "mock: %v\n", err)
		return exitFail
	}
	defer tlsCfg.cleanup()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		fmt.Fprintf(stderr, "mock: %v\n", err)
		return exitFail
	}
	addr := ln.Addr().(*net.TCPAddr)
	baseURL := "http://" + dialAddr(addr)
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg.config)
		baseURL = "https://" + dialAddr(addr)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(srv.CloseStreams) // an open console page must not hold up the shutdown
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	// No credential in the logs: the banner on stdout is the one place the
	// fixture's test credentials are printed.
	log.LogAttrs(ctx, slog.LevelInfo, "serving",
		slog.String("addr", addr.String()), slog.String("url", baseURL),
		slog.String("tenant", t.ID()), slog.String("fixture", source))
	if rl := t.Settings().RateLimit; rl.Enabled() {
		log.LogAttrs(ctx, slog.LevelInfo, "rate limit", slog.Int("requests", rl.Requests), slog.Duration("window", rl.WindowOrDefault()))
	}
	if plan, _ := t.Faults(); len(plan.Rules) > 0 {
		log.LogAttrs(ctx, slog.LevelInfo, "injecting faults", slog.Int("rules", len(plan.Rules)), slog.Int64("seed", plan.Seed),
			slog.Float64("rate", cfg.faultRate), slog.Duration("latency", cfg.latency))
	}
	if !addr.IP.IsLoopback() {
		log.LogAttrs(ctx, slog.LevelWarn, "listening beyond loopback: the admin API is unauthenticated and the credentials are public test values",
			slog.String("addr", addr.String()))
	}
	if !cfg.quiet {
		var certFile string
		if tlsCfg != nil {
			certFile = tlsCfg.pemFile
		}
		if err := writeBanner(stdout, srv, t, baseURL, source, certFile); err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "cannot print the banner", slog.Any("error", err))
		}
	}

	select {
	case err := <-served:
		fmt.Fprintf(stderr, "mock: serve: %v\n", err)
		return exitFail
	case <-ctx.Done():
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "shutting down", slog.Duration("timeout", shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
		fmt.Fprintf(stderr, "mock: shutdown: %v\n", err)
		return exitFail
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "mock: serve: %v\n", err)
		return exitFail
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "stopped")
	return exitOK
}

// newLogger builds the stderr logger of cfg.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(textlog.NewHandler(w, opts))
}

// loadedAPIs are the APIs --api, TENANTKIT_APIS and the fixture's apis
// section load, and what they add to what the fixture may name.
type loadedAPIs struct {
	sources []mockserver.APISource
	vocab   *tenant.Vocabulary
}

// loadAPIs reads the APIs the configuration names: the --api values, then
// the fixture file's apis section (files relative to the fixture).
func loadAPIs(cfg config) (loadedAPIs, error) {
	var out loadedAPIs
	for _, v := range cfg.apis {
		src, err := mockserver.ParseAPIFlag(v, ".")
		if err != nil {
			return out, err
		}
		out.sources = append(out.sources, src)
	}
	if cfg.fixture != "" {
		b, err := os.ReadFile(cfg.fixture)
		if err != nil {
			return out, fmt.Errorf("read fixture: %w", err)
		}
		refs, err := tenant.FixtureAPIs(cfg.fixture, b)
		if err != nil {
			return out, err
		}
		for _, r := range refs {
			src, err := mockserver.APIFromRef(r.Name, r.Spec, r.Policy, filepath.Dir(cfg.fixture))
			if err != nil {
				return out, fmt.Errorf("%s: apis: %w", cfg.fixture, err)
			}
			out.sources = append(out.sources, src)
		}
	}
	var err error
	out.vocab, err = mockserver.Vocabulary(out.sources...)
	return out, err
}

// loadFixture loads the fixture file at path, or the embedded demo fixture
// (with the demo sections of the shipped APIs loaded) when path is empty.
// source describes it for the banner and the logs.
func loadFixture(path string, apis loadedAPIs) (f *tenant.Fixture, source string, err error) {
	if path == "" {
		f, err := mockserver.DemoFixture(apis.sources...)
		return f, "the embedded demo fixture", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("tenant: read fixture: %w", err)
	}
	f, err = tenant.ParseWith(filepath.Base(path), b, apis.vocab)
	if err != nil {
		return nil, "", err
	}
	return f, "fixture " + path, nil
}

// printFixtureError writes a fixture problem to stderr, one line per
// problem, each naming the file as given on the command line, the line and
// the field.
func printFixtureError(w io.Writer, path string, err error) {
	var fe *tenant.FixtureError
	if errors.As(err, &fe) {
		for _, e := range fe.Errs {
			c := *e
			if path != "" {
				c.File = path
			}
			fmt.Fprintf(w, "mock: %s\n", oneLine(c.Error()))
		}
		return
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		fmt.Fprintf(w, "mock: cannot read fixture %s: %v\n", path, pe.Err)
		return
	}
	fmt.Fprintf(w, "mock: %s\n", oneLine(err.Error()))
}

// printAPIError writes a problem of the loaded APIs to stderr: one line per
// problem of a spec or a policy, each naming file, line and field; a file
// that cannot be read by its path.
func printAPIError(w io.Writer, fixture string, err error) {
	var le *mockserver.LoadError
	var fe *tenant.FixtureError
	var pe *fs.PathError
	switch {
	case errors.As(err, &le):
		for _, e := range le.Errs {
			fmt.Fprintf(w, "mock: %s\n", oneLine(e.Error()))
		}
	case errors.As(err, &fe):
		printFixtureError(w, fixture, err)
	case errors.As(err, &pe) && pe.Path == fixture:
		fmt.Fprintf(w, "mock: cannot read fixture %s: %v\n", pe.Path, pe.Err)
	case errors.As(err, &pe):
		fmt.Fprintf(w, "mock: cannot read %s: %v\n", pe.Path, pe.Err)
	default:
		fmt.Fprintf(w, "mock: %s\n", oneLine(strings.TrimPrefix(err.Error(), "mockserver: ")))
	}
}

// oneLine keeps a message that quotes a multi-line source on one line.
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// summary counts what a fixture holds, for --check.
func summary(f *tenant.Fixture) string {
	name := f.Tenant.Name
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("tenant %q: %s, %s, %s, %s, %s, %s", name,
		count(len(f.Users), "user", "users"), count(len(f.APIKeys), "API key", "API keys"),
		count(len(f.OAuthClients), "OAuth client", "OAuth clients"),
		count(len(f.ProxyAssignments), "proxy assignment", "proxy assignments"),
		count(len(f.EntityTypes), "entity type", "entity types"), count(len(f.Entities), "entity", "entities")) + generated(f) + resources(f)
}

// resources counts the rows of loaded APIs' resource types, when there
// are any.
func resources(f *tenant.Fixture) string {
	if len(f.Resources) == 0 {
		return ""
	}
	return ", " + count(len(f.Resources), "resource row", "resource rows")
}

func generated(f *tenant.Fixture) string {
	if f.Generate == nil || f.Generate.Count == 0 {
		return ""
	}
	typ := f.Generate.Type
	if typ == "" {
		typ = "Project"
	}
	return fmt.Sprintf(", and %d generated %s rows", f.Generate.Count, typ)
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// dialAddr is the host:port a client on this machine uses to reach a
// listener on addr: loopback for the unspecified address.
func dialAddr(addr *net.TCPAddr) string {
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, fmt.Sprint(addr.Port))
}
