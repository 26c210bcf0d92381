// Command load measures cmd/mock under a load generator over loopback
// against a bare net/http server that serves the same bytes.
//
//	go run ./mockserver/internal/cmd/load                      # 3 rounds, wrk -t2 -c16 -d5s
//	go run ./mockserver/internal/cmd/load -rounds 5 -d 3s -cases types,401
//	go run ./mockserver/internal/cmd/load -profile /tmp/prof   # CPU profiles of the mock
//	go run ./mockserver/internal/cmd/load -check               # no wrk: start, capture, compare once
//
// It builds cmd/mock, starts it (--quiet, --generate-projects 1000, --api flow, its
// request log to a file), obtains tokens, captures each case's status,
// headers and body from the mock, and starts a bare server in a process of
// its own (this program with -bare) that answers each case with those
// bytes: once with only Content-Type and Content-Length ("bare"), once with
// the mock's other headers too ("bare+hdr", the practical ceiling). Then,
// for each round and each case, it runs wrk against the mock, the bare
// server and the bare server with headers, one after the other, so noise
// on a shared machine hits every side, and prints req/s and the ratios'
// ranges.
//
// With -profile DIR the mock is not cmd/mock but the same server in a
// child of this program (-serve-mock: mockserver.New with cmd/mock's
// options, request log and heap floor), which writes a CPU profile per case to DIR
// while wrk runs; read it with go tool pprof DIR/<case>.pprof.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tenantkit/tenantkit/internal/heapfloor"
	"github.com/tenantkit/tenantkit/internal/textlog"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// A case is one request, as wrk sends it.
type loadCase struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Header  map[string]string `json:"header"`
	Status  int               `json:"status"`
	RespHdr map[string]string `json:"respHeader"` // the mock's headers other than Content-Type, Content-Length, Date
	CT      string            `json:"contentType"`
	Body    []byte            `json:"body"`
}

func main() {
	var (
		rounds   = flag.Int("rounds", 3, "rounds (each runs every case on every side)")
		dur      = flag.Duration("d", 5*time.Second, "duration of one wrk run")
		threads  = flag.Int("t", 2, "wrk threads")
		conns    = flag.Int("c", 16, "wrk connections")
		projects = flag.Int("projects", 1000, "generated Projects in the mock's tenant")
		only     = flag.String("cases", "", "comma-separated case names (default all: types, query100, 401, 403scope, flowlist)")
		profile  = flag.String("profile", "", "directory: profile the mock (same server in a child) instead of comparing")
		check    = flag.Bool("check", false, "self-check without wrk: start both servers, capture, compare one answer per case")
		bare     = flag.String("bare", "", "internal: serve the cases in this JSON file bare")
		serve    = flag.Bool("serve-mock", false, "internal: serve the mock in-process (for -profile)")
	)
	flag.Parse()
	var err error
	switch {
	case *bare != "":
		err = serveBare(*bare)
	case *serve:
		err = serveMock(*projects)
	default:
		err = run(*rounds, *dur, *threads, *conns, *projects, *only, *profile, *check)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(rounds int, dur time.Duration, threads, conns, projects int, only, profDir string, check bool) error {
	if !check {
		if _, err := exec.LookPath("wrk"); err != nil {
			return errors.New("wrk is not on PATH (apt-get install wrk), or use -check")
		}
	}
	tmp, err := os.MkdirTemp("", "tenantkit-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	self, err := os.Executable()
	if err != nil {
		return err
	}

	// The mock: cmd/mock, or this program serving the same handler with a profile.
	var mockCmd *exec.Cmd
	logPath := filepath.Join(tmp, "mock.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	if profDir == "" {
		bin := filepath.Join(tmp, "mock")
		build := exec.Command("go", "build", "-o", bin, "github.com/tenantkit/tenantkit/cmd/mock")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/mock: %w", err)
		}
		mockCmd = exec.Command(bin, "--addr", "127.0.0.1:0", "--quiet", "--generate-projects", strconv.Itoa(projects), "--api", "flow")
	} else {
		if err := os.MkdirAll(profDir, 0o755); err != nil {
			return err
		}
		mockCmd = exec.Command(self, "-serve-mock", "-projects", strconv.Itoa(projects))
	}
	mockCmd.Stderr = logFile // the request log, as a terminal or a container would take it
	mockOut, _ := mockCmd.StdoutPipe()
	if profDir != "" {
		profIn, _ = mockCmd.StdinPipe() // the profiling child takes commands on stdin
	}
	if err := mockCmd.Start(); err != nil {
		return err
	}
	defer stop(mockCmd)
	var mockURL string
	if profDir == "" {
		mockURL, err = waitLogURL(logPath, mockCmd)
	} else {
		mockURL, err = readLine(mockOut)
	}
	if err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	cases, err := capture(mockURL)
	if err != nil {
		return err
	}
	if only != "" {
		want := strings.Split(only, ",")
		cases = slices.DeleteFunc(cases, func(c loadCase) bool { return !slices.Contains(want, c.Name) })
	}

	if profDir != "" {
		return runProfile(mockURL, cases, dur, threads, conns, profDir)
	}

	casesPath := filepath.Join(tmp, "cases.json")
	b, _ := json.Marshal(cases)
	if err := os.WriteFile(casesPath, b, 0o600); err != nil {
		return err
	}
	bareCmd := exec.Command(self, "-bare", casesPath)
	bareCmd.Stderr = os.Stderr
	bareOut, _ := bareCmd.StdoutPipe()
	if err := bareCmd.Start(); err != nil {
		return err
	}
	defer stop(bareCmd)
	bareURL, err := readLine(bareOut)
	if err != nil {
		return fmt.Errorf("bare server: %w", err)
	}
	if check {
		return selfCheck(mockURL, bareURL, cases)
	}

	nproc := strconv.Itoa(numCPU())
	gv, _ := exec.Command("go", "env", "GOVERSION").Output()
	fmt.Printf("machine: nproc=%s %s; wrk -t%d -c%d -d%s; %d rounds; mock: cmd/mock --generate-projects %d, request log at info to a file\n",
		nproc, strings.TrimSpace(string(gv)), threads, conns, dur, rounds, projects)
	type sides struct{ mock, bare, hdr, mockCPU, bareCPU, hdrCPU []float64 }
	res := make([]sides, len(cases))
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	for r := range rounds {
		for i, c := range cases {
			m, err := measure(mockCmd.Process.Pid, mockURL, c, c.Path, dur, threads, conns)
			if err != nil {
				return err
			}
			bb, err := measure(bareCmd.Process.Pid, bareURL, c, "/bare/"+c.Name, dur, threads, conns)
			if err != nil {
				return err
			}
			h, err := measure(bareCmd.Process.Pid, bareURL, c, "/hdr/"+c.Name, dur, threads, conns)
			if err != nil {
				return err
			}
			s := &res[i]
			s.mock, s.bare, s.hdr = append(s.mock, m.rps), append(s.bare, bb.rps), append(s.hdr, h.rps)
			s.mockCPU, s.bareCPU, s.hdrCPU = append(s.mockCPU, us(m.cpu)), append(s.bareCPU, us(bb.cpu)), append(s.hdrCPU, us(h.cpu))
			fmt.Printf("round %d %-9s mock %8.0f  bare %8.0f  bare+hdr %8.0f req/s  mock/bare %.2f  mock/bare+hdr %.2f  server CPU/request mock %.1f bare %.1f bare+hdr %.1f µs\n",
				r+1, c.Name, m.rps, bb.rps, h.rps, m.rps/bb.rps, m.rps/h.rps, us(m.cpu), us(bb.cpu), us(h.cpu))
		}
	}
	fmt.Println()
	fmt.Println("ranges over the rounds, the median in parentheses")
	fmt.Printf("%-9s %-6s %-27s %-27s %-27s %-18s %-18s %s\n", "case", "status", "mock req/s", "bare req/s", "bare+hdr req/s", "mock/bare", "mock/bare+hdr", "bare+hdr/bare")
	ratio := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for j := range a {
			out[j] = a[j] / b[j]
		}
		return out
	}
	for i, c := range cases {
		s := res[i]
		fmt.Printf("%-9s %-6d %-27s %-27s %-27s %-18s %-18s %s\n", c.Name, c.Status, rng(s.mock, "%.0f"), rng(s.bare, "%.0f"), rng(s.hdr, "%.0f"),
			rng(ratio(s.mock, s.bare), "%.2f"), rng(ratio(s.mock, s.hdr), "%.2f"), rng(ratio(s.hdr, s.bare), "%.2f"))
	}
	if res[0].mockCPU[0] > 0 {
		fmt.Println()
		fmt.Println("server CPU per request (user and system time of the server's process over the wrk run, divided by its requests), µs")
		fmt.Printf("%-9s %-18s %-18s %-18s %-18s %s\n", "case", "mock", "bare", "bare+hdr", "bare/mock", "bare+hdr/mock")
		for i, c := range cases {
			s := res[i]
			fmt.Printf("%-9s %-18s %-18s %-18s %-18s %s\n", c.Name, rng(s.mockCPU, "%.1f"), rng(s.bareCPU, "%.1f"), rng(s.hdrCPU, "%.1f"),
				rng(ratio(s.bareCPU, s.mockCPU), "%.2f"), rng(ratio(s.hdrCPU, s.mockCPU), "%.2f"))
		}
	}
	if st, err := os.Stat(logPath); err == nil {
		fmt.Printf("\nthe mock's request log: %d bytes\n", st.Size())
	}
	return nil
}

// rng is v's range and median: single rounds on a shared machine swing,
// so the median says more than either end.
func rng(v []float64, f string) string {
	s := slices.Sorted(slices.Values(v))
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf(f+"–"+f+" ("+f+")", s[0], s[len(s)-1], med)
}

// capture obtains the tokens and each case's answer from the mock.
func capture(base string) ([]loadCase, error) {
	integrator, err := token(base, "demo-integrator", "demo-integrator-secret")
	if err != nil {
		return nil, err
	}
	reporting, err := token(base, "demo-reporting", "demo-reporting-secret")
	if err != nil {
		return nil, err
	}
	cases := []loadCase{
		{Name: "types", Method: "GET", Path: "/api/v2/integrations/credentials/types",
			Header: map[string]string{"Authorization": "Bearer " + integrator}},
		{Name: "query100", Method: "GET", Path: "/V2.0/services/data/entityQuery?typeName=Project&limit=100",
			Header: map[string]string{"Authorization": "ApiKey demo-key-service"}},
		{Name: "401", Method: "GET", Path: "/api/v2/integrations/credentials/types", Header: map[string]string{}},
		{Name: "403scope", Method: "GET", Path: "/api/v2/integrations/credentials/types",
			Header: map[string]string{"Authorization": "Bearer " + reporting}},
		// An API loaded from a spec and a policy (the shipped Flow-shaped
		// one): a page of its generic list.
		{Name: "flowlist", Method: "GET", Path: "/v3/customer/core/commits/?limit=6",
			Header: map[string]string{"Authorization": "Bearer flow-demo-key-dana"}},
	}
	want := map[string]int{"types": 200, "query100": 200, "401": 401, "403scope": 403, "flowlist": 200}
	for i := range cases {
		c := &cases[i]
		resp, body, err := do(base, *c, c.Path)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != want[c.Name] {
			return nil, fmt.Errorf("case %s: status %d, want %d: %s", c.Name, resp.StatusCode, want[c.Name], body)
		}
		c.Status, c.Body, c.CT = resp.StatusCode, body, resp.Header.Get("Content-Type")
		c.RespHdr = map[string]string{}
		for k, v := range resp.Header {
			switch k {
			case "Content-Type", "Content-Length", "Date":
			default:
				c.RespHdr[k] = v[0]
			}
		}
	}
	return cases, nil
}

func token(base, id, secret string) (string, error) {
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token for %s: status %d, %v", id, resp.StatusCode, err)
	}
	if tok.ExpiresIn < 3600 {
		return "", fmt.Errorf("token for %s lives %d s only", id, tok.ExpiresIn)
	}
	return tok.AccessToken, nil
}

func do(base string, c loadCase, path string) (*http.Response, []byte, error) {
	req, _ := http.NewRequest(c.Method, base+path, nil)
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

var reqPerSec = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
var non2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)

// wrk runs wrk once and returns its requests per second.
// wrkRun is one wrk run: its rate and, when the server's CPU time can be
// read, the server's CPU per request.
type wrkRun struct {
	rps float64
	cpu time.Duration // 0 when /proc is not there
}

// measure runs wrk against the server process pid and reads that process's
// CPU time around it (/proc/PID/stat): CPU per request is steadier than a
// rate on a machine whose other work moves both sides.
func measure(pid int, base string, c loadCase, path string, dur time.Duration, threads, conns int) (wrkRun, error) {
	before, okb := procCPU(pid)
	rps, n, err := wrkRequests(base, c, path, dur, threads, conns)
	after, oka := procCPU(pid)
	r := wrkRun{rps: rps}
	if okb && oka && n > 0 {
		r.cpu = (after - before) / time.Duration(n)
	}
	return r, err
}

// procCPU is pid's user and system CPU time so far, from /proc (its clock
// ticks are USER_HZ, 100 a second on Linux).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * (time.Second / 100), true
}

var requestsIn = regexp.MustCompile(`(\d+) requests in `)

func wrk(base string, c loadCase, path string, dur time.Duration, threads, conns int) (float64, error) {
	rps, _, err := wrkRequests(base, c, path, dur, threads, conns)
	return rps, err
}

// wrkRequests runs wrk and returns its rate and how many requests it made.
func wrkRequests(base string, c loadCase, path string, dur time.Duration, threads, conns int) (float64, int64, error) {
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(dur.Seconds())) + "s"}
	for k, v := range c.Header {
		args = append(args, "-H", k+": "+v)
	}
	args = append(args, base+path)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk %s: %v: %s", path, err, out)
	}
	m := reqPerSec.FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("wrk %s: no Requests/sec in %s", path, out)
	}
	if c.Status < 300 && non2xx.Match(out) {
		return 0, 0, fmt.Errorf("wrk %s: unexpected errors: %s", path, out)
	}
	var n int64
	if rm := requestsIn.FindSubmatch(out); rm != nil {
		n, _ = strconv.ParseInt(string(rm[1]), 10, 64)
	}
	rps, err := strconv.ParseFloat(string(m[1]), 64)
	return rps, n, err
}

// selfCheck compares one answer of each side per case.
func selfCheck(mockURL, bareURL string, cases []loadCase) error {
	for _, c := range cases {
		m, mb, err := do(mockURL, c, c.Path)
		if err != nil {
			return err
		}
		for _, side := range []string{"/bare/", "/hdr/"} {
			b, bb, err := do(bareURL, c, side+c.Name)
			if err != nil {
				return err
			}
			if b.StatusCode != m.StatusCode || len(bb) != len(mb) {
				return fmt.Errorf("case %s%s: bare %d (%d bytes), mock %d (%d bytes)", side, c.Name, b.StatusCode, len(bb), m.StatusCode, len(mb))
			}
		}
		fmt.Printf("%-9s %d, %d bytes, %d extra headers: ok\n", c.Name, c.Status, len(c.Body), len(c.RespHdr))
	}
	return nil
}

// serveBare serves each case's captured answer at /bare/<name> (Content-Type
// and Content-Length only) and /hdr/<name> (with the mock's other headers),
// and prints its URL.
func serveBare(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cases []loadCase
	if err := json.Unmarshal(b, &cases); err != nil {
		return err
	}
	mux := http.NewServeMux()
	for _, c := range cases {
		n := strconv.Itoa(len(c.Body))
		mux.HandleFunc("/bare/"+c.Name, func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", c.CT)
			h.Set("Content-Length", n)
			w.WriteHeader(c.Status)
			_, _ = w.Write(c.Body)
		})
		mux.HandleFunc("/hdr/"+c.Name, func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			for k, v := range c.RespHdr {
				h.Set(k, v)
			}
			h.Set("Content-Type", c.CT)
			h.Set("Content-Length", n)
			w.WriteHeader(c.Status)
			_, _ = w.Write(c.Body)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("http://" + ln.Addr().String())
	return newHTTPServer(mux).Serve(ln)
}

// newHTTPServer has cmd/mock's limits.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
}

// serveMock serves the mock as cmd/mock builds it (demo tenant, generated
// Projects, text request log on stderr at info, request timeout), prints its
// URL, and then takes commands on stdin: "start FILE" starts a CPU profile,
// "stop" stops it.
func serveMock(projects int) error {
	defer heapfloor.Keep(heapfloor.Floor, os.Getenv)()
	lw := textlog.NewWriter(os.Stderr)
	defer lw.Close()
	log := slog.New(textlog.NewHandler(lw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	flow, err := mockserver.ShippedAPI("flow")
	if err != nil {
		return err
	}
	demo, err := mockserver.DemoFixture(flow)
	if err != nil {
		return err
	}
	fixture := tenant.WithGenerated(demo, "Project", projects, 1)
	srv, err := mockserver.New(mockserver.WithFixture(fixture), mockserver.WithAPI(flow), mockserver.WithLogger(log), mockserver.WithRequestTimeout(60*time.Second))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := newHTTPServer(srv)
	go func() { _ = hs.Serve(ln) }()
	fmt.Println("http://" + ln.Addr().String())
	sc := bufio.NewScanner(os.Stdin)
	var f *os.File
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "start":
			if f, err = os.Create(arg); err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		case "stop":
			pprof.StopCPUProfile()
			_ = f.Close()
		}
		fmt.Println("ok")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(ctx)
}

var profIn io.Writer
var profOut *bufio.Reader

func runProfile(mockURL string, cases []loadCase, dur time.Duration, threads, conns int, dir string) error {
	for _, c := range cases {
		file := filepath.Join(dir, c.Name+".pprof")
		if err := profCmd("start " + file); err != nil {
			return err
		}
		rps, err := wrk(mockURL, c, c.Path, dur, threads, conns)
		if err != nil {
			return err
		}
		if err := profCmd("stop"); err != nil {
			return err
		}
		fmt.Printf("%-9s %8.0f req/s  go tool pprof -top %s\n", c.Name, rps, file)
	}
	return nil
}

func profCmd(s string) error {
	if _, err := fmt.Fprintln(profIn, s); err != nil {
		return err
	}
	_, err := profOut.ReadString('\n')
	return err
}

// waitLogURL reads the mock's "serving" log line for its URL.
func waitLogURL(path string, cmd *exec.Cmd) (string, error) {
	re := regexp.MustCompile(`url=(http://\S+)`)
	for range 300 {
		b, _ := os.ReadFile(path)
		if m := re.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
		if cmd.ProcessState != nil {
			return "", fmt.Errorf("exited: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	return "", fmt.Errorf("no serving line after 15 s: %s", b)
}

func readLine(r io.Reader) (string, error) {
	br := bufio.NewReader(r)
	if profOut == nil {
		profOut = br
	}
	line, err := br.ReadString('\n')
	return strings.TrimSpace(line), err
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
	}
}

func numCPU() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}
