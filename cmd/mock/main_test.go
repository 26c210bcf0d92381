package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/heapfloor"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// syncBuffer is a bytes.Buffer that run may write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a getenv over a map.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// runOnce runs a command that returns by itself (--help, --check, errors).
func runOnce(t *testing.T, args []string, e env) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	code = run(ctx, args, e.get, &out, &errOut)
	return code, out.String(), errOut.String()
}

// serving is run() serving in the background.
type serving struct {
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   context.CancelFunc
	done   chan int
}

var bannerURL = regexp.MustCompile(`(?m)^tenantkit mock server: (https?://\S+)$`)

// start runs the command until the test stops it, and waits for the
// banner (or, with --quiet, the "serving" log line).
func start(t *testing.T, args []string, e env) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &serving{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, args, e.get, s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("run did not return after its context was cancelled")
		}
	})
	logURL := regexp.MustCompile(`url=(https?://\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := bannerURL.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = m[1]
			return s
		}
		if m := logURL.FindStringSubmatch(s.stderr.String()); m != nil && strings.Contains(strings.Join(args, " "), "--quiet") {
			s.url = m[1]
			return s
		}
		select {
		case code := <-s.done:
			t.Fatalf("run returned %d before serving\nstdout:\n%s\nstderr:\n%s", code, s.stdout, s.stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no banner within 10s\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
	return nil
}

// shutdown cancels the context and returns run's exit status.
func (s *serving) shutdown(t *testing.T) int {
	t.Helper()
	s.stop()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
		return -1
	}
}

// The help states cmd/mock's heap floor and the live heap below which it
// applies (half of it), as internal/heapfloor sets them.
func TestHelpStatesTheHeapFloor(t *testing.T) {
	assert.Contains(t, usage, fmt.Sprintf("grow to\n%d MiB", heapfloor.Floor>>20))
	assert.Contains(t, usage, fmt.Sprintf("under %d MiB", heapfloor.Floor>>21))
	assert.Equal(t, 100, heapfloor.Percent(heapfloor.Floor/2, heapfloor.Floor), "GOGC is the default from half the floor up")
}

func TestHelpDocumentsEveryFlagAndVariable(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h", "-help"} {
		code, stdout, stderr := runOnce(t, []string{arg}, nil)
		assert.Equal(t, 0, code, arg)
		assert.Empty(t, stderr, arg)
		assert.Equal(t, usage, stdout, arg)
	}
	newFlagSet().VisitAll(func(f *flag.Flag) {
		assert.Contains(t, usage, "--"+f.Name+" ", "flag --%s is documented", f.Name)
	})
	for _, s := range []string{
		envAddr, envFixture, envLogLevel, envLogFormat, envQuiet, envGenerate, envHosts, envMaxBodyBytes, envMaxInFlight, envMaxInFlightBytes, envVendorLimits,
		`(default "` + defaultAddr + `")`, `(default "` + defaultLogLevel + `")`, `(default "` + defaultLogFormat + `")`,
		"debug, info, warn or error", "text or json", "docs/fixtures.md", "/_mock/", "/healthz", "-h, --help",
		"the flag wins over\nthe variable, the variable over the default",
	} {
		assert.Contains(t, usage, s)
	}
	// A flag given after --help does not matter: help wins and exits 0.
	code, stdout, _ := runOnce(t, []string{"--help", "--addr", "nonsense"}, nil)
	assert.Equal(t, 0, code)
	assert.Equal(t, usage, stdout)
}

func TestInvalidFlagsAndVariablesExit2WithOneLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  env
		want string
	}{
		{"address without port", []string{"--addr", "nonsense"}, nil, `--addr "nonsense": the address is HOST:PORT`},
		{"port out of range", []string{"--addr=127.0.0.1:99999"}, nil, `--addr "127.0.0.1:99999": the port "99999" is not a number from 0 to 65535`},
		{"address variable", nil, env{envAddr: "localhost"}, `TENANTKIT_ADDR="localhost": the address is HOST:PORT`},
		{"log level flag", []string{"--log-level", "loud"}, nil, `--log-level "loud": the log level is one of debug, info, warn, error`},
		{"log level variable", nil, env{envLogLevel: "trace"}, `TENANTKIT_LOG_LEVEL="trace": the log level is one of debug, info, warn, error`},
		{"log format variable", nil, env{envLogFormat: "xml"}, `TENANTKIT_LOG_FORMAT="xml": the log format is text or json`},
		{"quiet variable", nil, env{envQuiet: "maybe"}, `TENANTKIT_QUIET="maybe": not a boolean`},
		{"quiet flag", []string{"--quiet=maybe"}, nil, `invalid boolean value "maybe" for -quiet`},
		{"unknown flag", []string{"--port", "80"}, nil, `flag provided but not defined: -port`},
		{"missing value", []string{"--addr"}, nil, `flag needs an argument: -addr`},
		{"positional argument", []string{"serve"}, nil, `unexpected argument "serve": mock takes flags only`},
		{"fault operation that matches nothing", []string{"--fault-rate", "1", "--fault-operations", "entityQuery,entityquery"}, nil,
			`--fault-operations "entityQuery,entityquery": "entityquery" matches no operation (names are case-sensitive: did you mean entityQuery?)`},
		{"fault operations variable", nil, env{envFaultOperations: "relationship.nothing"}, `TENANTKIT_FAULT_OPERATIONS="relationship.nothing": "relationship.nothing" matches no operation; the operations are `},
		{"allowed host with a port", []string{"--allowed-hosts", "mock,mock:8080"}, nil,
			`--allowed-hosts "mock,mock:8080": allowed host "mock:8080": give a host name or IP address without scheme, port or path`},
		{"allowed hosts variable", nil, env{envHosts: "http://mock"}, `TENANTKIT_ALLOWED_HOSTS="http://mock": allowed host "http://mock"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runOnce(t, tc.args, tc.env)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "mock: "), "%q", stderr)
			assert.Contains(t, stderr, tc.want)
			assert.Contains(t, stderr, "(see mock --help)")
		})
	}
}

func TestFlagWinsOverVariableOverDefault(t *testing.T) {
	t.Parallel()
	acme := env{envFixture: "testdata/acme.yaml"}

	// Default: the embedded demo tenant.
	code, stdout, _ := runOnce(t, []string{"--check"}, nil)
	require.Equal(t, 0, code)
	assert.Equal(t, "the embedded demo fixture is valid: tenant \"Demo Org\": 4 users, 3 API keys, 4 OAuth clients, "+
		"1 proxy assignment, 5 entity types, 45 entities\n", stdout)

	// The variable over the default.
	code, stdout, _ = runOnce(t, []string{"--check"}, acme)
	require.Equal(t, 0, code)
	assert.Equal(t, "fixture testdata/acme.yaml is valid: tenant \"Acme Corp\": 3 users, 2 API keys, 1 OAuth client, "+
		"1 proxy assignment, 2 entity types, 4 entities\n", stdout)

	// The flag over the variable, even over an invalid one, and an empty
	// flag value selects the demo tenant again.
	code, stdout, _ = runOnce(t, []string{"--check", "--fixture="}, acme)
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "the embedded demo fixture is valid")
	code, _, stderr := runOnce(t, []string{"--check", "--log-level", "debug", "--addr", ":0"},
		env{envLogLevel: "loud", envAddr: "nonsense"})
	assert.Equal(t, 0, code, stderr)

	// Generated rows, from the flag or the variable.
	code, stdout, _ = runOnce(t, []string{"--check", "--generate-projects", "2000"}, nil)
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "45 entities, and 2000 generated Project rows\n")
	code, stdout, _ = runOnce(t, []string{"--check"}, env{envGenerate: "500"})
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "and 500 generated Project rows")
	code, _, stderr = runOnce(t, []string{"--check"}, env{envGenerate: "lots"})
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `TENANTKIT_GENERATE_PROJECTS="lots": the number of generated Projects is a whole number`)

	// An empty variable is unset.
	code, stdout, _ = runOnce(t, []string{"--check"}, env{envFixture: "", envLogLevel: ""})
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "the embedded demo fixture is valid")

	// The effective configuration, setting by setting.
	cfg, err := parseConfig([]string{"--log-format", "text", "--quiet"},
		env{envAddr: ":0", envLogFormat: "json", envLogLevel: "WARN", envQuiet: "0"}.get)
	require.NoError(t, err)
	bounds := config{maxBodyBytes: mockserver.DefaultMaxBodyBytes, maxInFlight: mockserver.DefaultMaxInFlight,
		maxInFlightBytes: mockserver.DefaultMaxInFlightBytes}
	assert.Equal(t, config{addr: ":0", logLevel: slog.LevelWarn, logFormat: "text", quiet: true, faultSeed: 1,
		maxBodyBytes: bounds.maxBodyBytes, maxInFlight: bounds.maxInFlight, maxInFlightBytes: bounds.maxInFlightBytes}, cfg)
	cfg, err = parseConfig(nil, env{}.get)
	require.NoError(t, err)
	assert.Equal(t, config{addr: defaultAddr, logLevel: slog.LevelInfo, logFormat: "text", faultSeed: 1,
		maxBodyBytes: bounds.maxBodyBytes, maxInFlight: bounds.maxInFlight, maxInFlightBytes: bounds.maxInFlightBytes}, cfg)

	// The server-wide bounds, from flags or variables.
	cfg, err = parseConfig([]string{"--max-in-flight", "8"}, env{envMaxBodyBytes: "4096", envMaxInFlight: "99", envMaxInFlightBytes: "65536"}.get)
	require.NoError(t, err)
	assert.Equal(t, int64(4096), cfg.maxBodyBytes)
	assert.Equal(t, 8, cfg.maxInFlight)
	assert.Equal(t, int64(65536), cfg.maxInFlightBytes)
	_, err = parseConfig(nil, env{envMaxInFlightBytes: "0"}.get)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `TENANTKIT_MAX_IN_FLIGHT_BYTES="0": a whole number of at least 1`)

	// Allowed hosts: the flag's list, plus the --addr host when it names
	// one other than loopback.
	cfg, err = parseConfig([]string{"--allowed-hosts", " mock, .example.test ,"}, env{envAddr: "10.1.2.3:8080", envHosts: "ignored"}.get)
	require.NoError(t, err)
	assert.Equal(t, []string{"mock", ".example.test", "10.1.2.3"}, cfg.allowedHosts)
	for _, addr := range []string{":8080", "0.0.0.0:8080", "[::]:8080", "localhost:8080", "127.0.0.9:8080", "[::1]:8080"} {
		cfg, err = parseConfig([]string{"--addr", addr}, env{envHosts: "mock"}.get)
		require.NoError(t, err)
		assert.Equal(t, []string{"mock"}, cfg.allowedHosts, addr)
	}
}

func TestServedMockAnswersOnlyAllowedHosts(t *testing.T) {
	t.Parallel()
	get := func(base, host string) int {
		req, err := http.NewRequest(http.MethodGet, base+"/_mock/tenants", nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	plain := start(t, []string{"--addr", "127.0.0.1:0", "--quiet"}, nil)
	assert.Equal(t, http.StatusOK, get(plain.url, "localhost"))
	assert.Equal(t, http.StatusMisdirectedRequest, get(plain.url, "mock:8080"))
	named := start(t, []string{"--addr", "127.0.0.1:0", "--quiet"}, env{envHosts: "mock"})
	assert.Equal(t, http.StatusOK, get(named.url, "mock:8080"))
	assert.Equal(t, http.StatusMisdirectedRequest, get(named.url, "attacker.example:8080"))
}

func TestBadFixtureNamesFileLineAndField(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runOnce(t, []string{"--fixture", "testdata/bad.yaml"}, nil)
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Equal(t, `mock: testdata/bad.yaml:9: users[0].roles[0]: unknown role "Raeder"
mock: testdata/bad.yaml:14: entities[0].fields.Nmae: unknown field "Nmae" of Widget
`, stderr)

	// Through the variable, and with --check: the same.
	code, _, stderr2 := runOnce(t, []string{"--check"}, env{envFixture: "testdata/bad.yaml"})
	assert.Equal(t, 2, code)
	assert.Equal(t, stderr, stderr2)

	code, _, stderr = runOnce(t, []string{"--fixture", "testdata/missing.yaml"}, nil)
	assert.Equal(t, 2, code)
	assert.Equal(t, "mock: cannot read fixture testdata/missing.yaml: no such file or directory\n", stderr)

	code, _, stderr = runOnce(t, []string{"--fixture", "testdata/bad-syntax.yaml"}, nil)
	assert.Equal(t, 2, code)
	assert.Regexp(t, `^mock: testdata/bad-syntax\.yaml:3: not valid YAML or JSON: .*\n$`, stderr)
}

func TestListenFailureIsOneLine(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	code, stdout, stderr := runOnce(t, []string{"--addr", ln.Addr().String(), "--log-level", "error"}, nil)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.True(t, strings.HasPrefix(stderr, "mock: listen tcp "+ln.Addr().String()+": "), stderr)
	assert.Contains(t, stderr, "address already in use")
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
}

// curlCase is what every printed curl command of one tenant must return.
type curlCase struct {
	name      string
	args      []string
	entities  []string  // ids of the data API entity query
	credTypes []string  // credential type ids
	rows      []float64 // EntryIds of the relationship rows
	rowsOwner float64   // when not 0: the owner of every row
	secrets   []string  // never in the logs
	https     bool      // --tls: the commands pass the certificate made at start
}

func TestPrintedCurlCommandsWork(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	demo := tenant.Demo()
	acme, err := tenant.LoadFile("testdata/acme.yaml")
	require.NoError(t, err)
	cases := []curlCase{
		{
			name:      "demo tenant",
			args:      []string{"--addr", "127.0.0.1:0"},
			entities:  []string{"/Project/5", "/Project/6", "/Project/7", "/Project/8"},
			credTypes: []string{"basicAuth", "oauthClient", "userDefined"},
			rows:      []float64{1, 2, 3}, // exactly Carol's deals
			rowsOwner: 6045,
			secrets:   fixtureSecrets(demo),
		},
		{
			name:      "https",
			args:      []string{"--addr", "127.0.0.1:0", "--tls"},
			entities:  []string{"/Project/5", "/Project/6", "/Project/7", "/Project/8"},
			credTypes: []string{"basicAuth", "oauthClient", "userDefined"},
			rows:      []float64{1, 2, 3},
			rowsOwner: 6045,
			secrets:   fixtureSecrets(demo),
			https:     true,
		},
		{
			name:      "fixture file",
			args:      []string{"--addr", "127.0.0.1:0", "--fixture", "testdata/acme.yaml"},
			entities:  []string{"/Widget/1", "/Widget/3"},
			credTypes: []string{"basicAuth"},
			rows:      []float64{1, 3}, // Wile's widgets: shared with Staff, and his own
			secrets:   fixtureSecrets(acme),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, tc.args, env{envLogFormat: "json"})
			banner := s.stdout.String()
			assert.Contains(t, banner, "public test values")
			scheme := "http"
			if tc.https {
				scheme = "https"
				assert.Contains(t, banner, "TLS certificate made at start")
			}
			assert.True(t, strings.HasPrefix(s.url, scheme+"://127.0.0.1:"), s.url)

			commands := tryItCommands(t, banner)
			require.Len(t, commands, 4, banner)
			seen := map[string]bool{}
			for _, cmd := range commands {
				require.True(t, strings.Contains(cmd, s.url+"/"), "uses the real address: %s", cmd)
				assert.Equal(t, tc.https, strings.Contains(cmd, "--cacert"), "curl trusts the certificate made at start: %s", cmd)
				body := runCurl(t, cmd)
				switch {
				case strings.Contains(cmd, "/V2.0/services/data/entityQuery"):
					seen["data"] = true
					var p struct {
						Entities []struct {
							ID string `json:"id"`
						} `json:"entities"`
					}
					require.NoError(t, json.Unmarshal(body, &p), "%s", body)
					var ids []string
					for _, e := range p.Entities {
						ids = append(ids, e.ID)
					}
					assert.Equal(t, tc.entities, ids)
				case strings.Contains(cmd, "/api/v2/integrations/credentials/types"):
					seen["credentials"] = true
					var p []struct {
						ID string `json:"id"`
					}
					require.NoError(t, json.Unmarshal(body, &p), "a bare array: %s", body)
					var ids []string
					for _, e := range p {
						ids = append(ids, e.ID)
					}
					assert.Equal(t, tc.credTypes, ids)
				case strings.Contains(cmd, "/api/rest/v4/data/entrydata/rows/"):
					seen["relationship"] = true
					var p struct {
						Rows []struct {
							EntryID float64 `json:"EntryId"`
							Owner   struct {
								ID float64 `json:"id"`
							} `json:"Owner"`
						} `json:"rows"`
						TotalRecords int `json:"totalRecords"`
					}
					require.NoError(t, json.Unmarshal(body, &p), "%s", body)
					var ids []float64
					for _, r := range p.Rows {
						ids = append(ids, r.EntryID)
					}
					assert.Equal(t, tc.rows, ids)
					assert.Equal(t, len(tc.rows), p.TotalRecords)
					if tc.rowsOwner != 0 {
						for _, r := range p.Rows {
							assert.Equal(t, tc.rowsOwner, r.Owner.ID)
						}
					}
				case strings.HasSuffix(cmd, "/_mock/healthz"):
					seen["admin"] = true
					assert.JSONEq(t, `{"status":"ok","tenants":1}`, string(body))
				default:
					t.Errorf("unexpected command: %s", cmd)
				}
			}
			assert.Len(t, seen, 4, "one command per API")

			// The plain health probe on the same listener; over https, a
			// client that trusts the certificate the banner names.
			hc := http.DefaultClient
			certFile := ""
			if tc.https {
				m := regexp.MustCompile(`TLS certificate made at start \(self-signed\): (\S+)`).FindStringSubmatch(banner)
				require.NotNil(t, m, banner)
				certFile = m[1]
				hc = trustingClient(t, certFile)
				_, err := http.Get(s.url + "/healthz")
				require.ErrorContains(t, err, "certificate", "a client that does not trust it is refused")
			}
			resp, err := hc.Get(s.url + "/healthz")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)

			assert.Equal(t, 0, s.shutdown(t), "clean shutdown\nstderr:\n%s", s.stderr)
			if certFile != "" {
				_, err := os.Stat(certFile)
				assert.ErrorIs(t, err, fs.ErrNotExist, "the temporary certificate is removed at exit")
			}
			logs := s.stderr.String()
			msgs := logMessages(t, logs)
			assert.Contains(t, msgs, "serving")
			assert.Contains(t, msgs, "shutting down")
			assert.Equal(t, "stopped", msgs[len(msgs)-1])
			for _, secret := range tc.secrets {
				assert.NotContains(t, logs, secret, "a credential in the logs")
			}
		})
	}
}

// trustingClient is an HTTP client that trusts the PEM certificate in file.
func trustingClient(t *testing.T, file string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(file)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes), "a PEM certificate")
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// A certificate made at start and written where --tls-cert-out says, or
// one given with --tls-cert and --tls-key, serves https to a client that
// trusts it; plain HTTP on that port gets nothing useful; a certificate
// without its key is a usage error.
func TestServesHTTPS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "mock.pem")
	s := start(t, []string{"--addr", "127.0.0.1:0", "--tls-cert-out", out, "--allowed-hosts", "mock.internal,.example.test"}, env{})
	require.True(t, strings.HasPrefix(s.url, "https://127.0.0.1:"), s.url)
	assert.Contains(t, s.stdout.String(), out)
	hc := trustingClient(t, out)
	resp, err := hc.Get(s.url + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	leaf := resp.TLS.PeerCertificates[0]
	assert.ElementsMatch(t, []string{"localhost", "*.localhost", "mock.internal", "example.test", "*.example.test"}, leaf.DNSNames)
	assert.True(t, leaf.NotAfter.After(time.Now().Add(29*24*time.Hour)))
	plain, err := http.Get("http://" + strings.TrimPrefix(s.url, "https://") + "/healthz")
	if err == nil {
		plain.Body.Close()
		assert.Equal(t, http.StatusBadRequest, plain.StatusCode, "plain HTTP to the https port")
	}
	assert.Equal(t, 0, s.shutdown(t))
	_, err = os.Stat(out)
	assert.NoError(t, err, "a certificate written to --tls-cert-out stays")

	// The same pair, given as --tls-cert and --tls-key.
	pemBytes, err := os.ReadFile(out)
	require.NoError(t, err)
	cert, key := makeKeyPair(t, dir)
	s = start(t, []string{"--addr", "127.0.0.1:0", "--quiet", "--tls-cert", cert, "--tls-key", key}, env{})
	require.True(t, strings.HasPrefix(s.url, "https://"), s.url)
	resp, err = trustingClient(t, cert).Get(s.url + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = trustingClient(t, out).Get(s.url + "/healthz")
	assert.Error(t, err, "the certificate made before is not this one")
	assert.NotEmpty(t, pemBytes)

	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitUsage, run(t.Context(), []string{"--tls-cert", cert}, env{}.get, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "--tls-cert and --tls-key go together")
}

// makeKeyPair writes a self-signed certificate and its key, as a user's
// own pair, to dir.
func makeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	c, pemBytes, err := selfSigned(nil, time.Now())
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "own.pem"), filepath.Join(dir, "own.key")
	require.NoError(t, os.WriteFile(certFile, pemBytes, 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	return certFile, keyFile
}

// tryItCommands returns the command lines under "Try it:" in a banner.
func tryItCommands(t *testing.T, banner string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(banner, "\nTry it:\n")
	require.True(t, ok, banner)
	var out []string
	for line := range strings.Lines(rest) {
		line = strings.TrimRight(line, "\n")
		if line == "" {
			break
		}
		if strings.HasPrefix(line, "  # ") {
			continue
		}
		require.True(t, strings.HasPrefix(line, "  "), "indented: %q", line)
		out = append(out, strings.TrimPrefix(line, "  "))
	}
	return out
}

// runCurl runs a printed command with sh and the real curl, and requires
// every curl in it to answer 200. A shell function adds -w so that curl
// writes each status code to stderr; the command itself runs unchanged.
func runCurl(t *testing.T, command string) []byte {
	t.Helper()
	const statusToStderr = `curl() { command curl -w '%{stderr}HTTP %{http_code}\n' "$@"; }; `
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", statusToStderr+command)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s\nstderr: %s", command, stderr.String())
	calls := strings.Count(command, "curl ")
	assert.Equal(t, strings.Repeat("HTTP 200\n", calls), stderr.String(), "every curl answered 200: %s\nbody: %s", command, stdout.String())
	return stdout.Bytes()
}

// logMessages returns the msg of each JSON log line.
func logMessages(t *testing.T, logs string) []string {
	t.Helper()
	var out []string
	for line := range strings.Lines(logs) {
		var rec struct {
			Msg string `json:"msg"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "a JSON log line: %q", line)
		out = append(out, rec.Msg)
	}
	return out
}

// fixtureSecrets lists a fixture's passwords, API key values and client
// secrets.
func fixtureSecrets(f *tenant.Fixture) []string {
	var out []string
	for _, u := range f.Users {
		if u.Password != "" {
			out = append(out, u.Password)
		}
	}
	for _, k := range f.APIKeys {
		out = append(out, k.Key)
	}
	for _, c := range f.OAuthClients {
		out = append(out, c.Secret)
	}
	return out
}

func TestQuietTextLogsAndUnspecifiedAddress(t *testing.T) {
	t.Parallel()
	s := start(t, []string{"--quiet", "--addr", ":0"}, env{envLogFormat: "text"})
	assert.Empty(t, s.stdout.String(), "no banner")
	logs := s.stderr.String()
	assert.Contains(t, logs, "level=INFO msg=serving")
	assert.Contains(t, logs, "level=WARN msg=\"listening beyond loopback")
	assert.True(t, strings.HasPrefix(s.url, "http://127.0.0.1:"), "a dialable URL: %s", s.url)

	resp, err := http.Get(s.url + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 0, s.shutdown(t))
}

// TestMain lets the signal test run main() in a child process: the test
// binary itself, started with runMainEnv set.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

const runMainEnv = "TENANTKIT_TEST_RUN_MAIN"

func TestSignalsShutDownGracefully(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "--addr", "127.0.0.1:0", "--log-format", "json")
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			url := ""
			for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if m := bannerURL.FindStringSubmatch(stdout.String()); m != nil {
					url = m[1]
				}
			}
			require.NotEmpty(t, url, "no banner\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
			resp, err := http.Get(url + "/healthz")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)

			// The banner's console answers, and an open live stream (a
			// console page left open) does not hold up the shutdown.
			assert.Contains(t, stdout.String(), url+"/_mock/ui/")
			resp, err = http.Get(url + "/_mock/ui/")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
			stream, err := http.Get(url + "/_mock/ui/t/t1/live/events")
			require.NoError(t, err)
			defer stream.Body.Close()
			require.Equal(t, "text/event-stream", stream.Header.Get("Content-Type"))
			ended := make(chan error, 1)
			go func() { _, err := io.Copy(io.Discard, stream.Body); ended <- err }()

			require.NoError(t, cmd.Process.Signal(sig))
			require.NoError(t, cmd.Wait(), "exit status 0 after %v\nstderr:\n%s", sig, &stderr)
			msgs := slices.DeleteFunc(logMessages(t, stderr.String()), func(m string) bool { return m == "request" })
			assert.Equal(t, []string{"serving", "shutting down", "stopped"}, msgs)
			require.NoError(t, <-ended, "the stream ended cleanly")
		})
	}
}
