// Command soak runs concurrent SDK clients against one in-process mock (on
// loopback) for a fixed time, mixing reads and writes under injected
// faults, and reports requests, errors by kind, latency percentiles and
// memory at the start and end. It fails (exit status 1) on any unexpected
// 5xx (token requests and logins included), any lost or failed write (a
// create, update or delete answered but not kept), any call the retries did
// not save, any attempt that stalled, or heap growth beyond
// -max-heap-growth.
//
//	go run ./internal/cmd/soak -duration 60s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

type options struct {
	duration      time.Duration
	clients       int
	faultRate     float64
	seed          int64
	maxHeapGrowth int64 // bytes
	verbose       bool
}

func main() {
	var o options
	var growthMiB int64
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long the clients run")
	flag.IntVar(&o.clients, "clients", 8, "concurrent clients")
	flag.Float64Var(&o.faultRate, "fault-rate", 0.05, "fraction of requests that meet an injected fault (0 turns faults off)")
	flag.Int64Var(&o.seed, "seed", 1, "seed of the fault plan and of the clients' choices")
	flag.Int64Var(&growthMiB, "max-heap-growth", 64, "MiB the live heap may grow between start and end")
	flag.BoolVar(&o.verbose, "v", false, "print the first failed calls of each kind to stderr")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run (client and mock) to this file")
	flag.Parse()
	o.maxHeapGrowth = growthMiB << 20
	if o.duration <= 0 || o.clients < 1 || o.faultRate < 0 || o.faultRate >= 1 {
		fmt.Fprintln(os.Stderr, "soak: -duration and -clients must be positive, -fault-rate in [0, 1)")
		os.Exit(2)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(2)
		}
	}
	code := run(o)
	pprof.StopCPUProfile() // a no-op without -cpuprofile
	os.Exit(code)
}

func run(o options) int {
	ok, err := soak(context.Background(), o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	if !ok {
		return 1
	}
	return 0
}

// faultPlan spreads rate over 503, 500, 429, dropped connections (all
// before the request acts), 500 after a write, and latency.
func faultPlan(seed int64, rate float64) tenant.Faults {
	if rate == 0 {
		return tenant.Faults{}
	}
	shares := []tenant.FaultRule{
		{Kind: tenant.Fault503, Probability: 0.25},
		{Kind: tenant.Fault500, Probability: 0.2},
		{Kind: tenant.Fault429, Probability: 0.2},
		{Kind: tenant.FaultDrop, Probability: 0.1},
		{Kind: tenant.Fault500, Probability: 0.1, AfterWrite: true},
		{Kind: tenant.FaultTruncate, Probability: 0.05},
	}
	f := tenant.Faults{Seed: seed}
	left := 1.0
	for _, r := range shares {
		q := rate * r.Probability
		r.Probability = q / left
		left -= q
		f.Rules = append(f.Rules, r)
	}
	f.Rules = append(f.Rules, tenant.FaultRule{Kind: tenant.FaultLatency, Probability: rate, Latency: 5 * time.Millisecond})
	return f
}

// histogram counts latencies in buckets 1% wide, so that memory stays
// fixed however long the run.
type histogram struct {
	counts [2400]int // bucket i holds [1.01^i, 1.01^(i+1)) microseconds
	n      int
	max    time.Duration
}

func (h *histogram) add(d time.Duration) {
	us := max(float64(d)/float64(time.Microsecond), 1)
	i := min(int(math.Log(us)/math.Log(1.01)), len(h.counts)-1)
	h.counts[i]++
	h.n++
	h.max = max(h.max, d)
}

// quantile returns the lower bound of the bucket holding quantile q.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(h.n)))
	seen := 0
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(math.Pow(1.01, float64(i)) * float64(time.Microsecond)).Round(10 * time.Microsecond)
		}
	}
	return h.max
}

// stats is what the clients saw.
type stats struct {
	mu        sync.Mutex
	latencies histogram
	byStatus  map[string]int
	faults    int // answers the decision header marks as injected faults
	unexpect  int // 5xx that were not injected
	stalled   int // attempts that took longer than stallAfter
	callErrs  map[string]int
	verbose   bool
	calls     atomic.Int64
	created   atomic.Int64
	verified  atomic.Int64
	lost      atomic.Int64
}

// stallAfter is how long an attempt may take before it counts as stalled:
// injected latency is 5 ms, and answers take well under a second even on a
// busy machine, so an attempt this long means a request hung (calls cut
// short by the end of the run are forgiven, stalls are not).
const stallAfter = 3 * time.Second

// meter records every HTTP attempt under the SDK's retry loop.
type meter struct {
	base http.RoundTripper
	s    *stats
}

func (m *meter) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := m.base.RoundTrip(req)
	d := time.Since(start)
	status := "no response"
	fault, unexpected := false, false
	if err == nil {
		status = fmt.Sprintf("%d", resp.StatusCode)
		dec, _ := wire.ParseDecision(resp.Header.Get(wire.DecisionHeader))
		fault = dec.Step == wire.StepFault || dec.Step == wire.StepRateLimit
		unexpected = resp.StatusCode >= 500 && !fault
	}
	m.s.mu.Lock()
	if d > stallAfter {
		m.s.stalled++
	}
	m.s.latencies.add(d)
	m.s.byStatus[status]++
	if fault {
		m.s.faults++
	}
	if unexpected {
		m.s.unexpect++
	}
	m.s.mu.Unlock()
	return resp, err
}

func (s *stats) callError(err error) {
	kind := errorKind(err)
	s.mu.Lock()
	s.callErrs[kind]++
	if s.verbose && kind != "context" && s.callErrs[kind] <= 5 {
		fmt.Fprintln(os.Stderr, kind+":", err)
	}
	s.mu.Unlock()
}

func errorKind(err error) string {
	var (
		rl *client.RateLimitError
		nf *client.NotFoundError
		ae *client.APIError
		oe *client.OperationError
	)
	switch {
	case errors.As(err, &rl):
		return "rate limited"
	case errors.As(err, &nf):
		return "not found"
	case errors.As(err, &ae):
		return fmt.Sprintf("HTTP %d %s", ae.StatusCode, ae.Code)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "context"
	case errors.As(err, &oe):
		return "network"
	}
	return "other"
}

// worker is one client mixing reads and writes until ctx ends.
type worker struct {
	id     int
	rng    *rand.Rand
	s      *stats
	data   *client.Client // Alice's session: may create, update and delete
	reader *client.Client // the service account's API key
	creds  *client.Client // Alice's OAuth client
	rows   *client.Client // the service account acting as user 6045
	seq    int
}

func (w *worker) key(what string) client.CallOption {
	w.seq++
	return client.IdempotencyKey(fmt.Sprintf("soak-%d-%d-%s", w.id, w.seq, what))
}

// do runs one call and counts its failure; ok is false when it failed.
func (w *worker) do(err error) bool {
	w.s.calls.Add(1)
	if err != nil {
		w.s.callError(err)
		return false
	}
	return true
}

func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		switch n := w.rng.IntN(10); {
		case n < 3:
			for _, err := range w.reader.Data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Project", Paging: &dataapi.Paging{Limit: ptr(2)}}) {
				if !w.do(err) || ctx.Err() != nil {
					break
				}
			}
		case n < 5:
			//lint:ignore SA1019 the soak keeps the deprecated page listing in its mix: the mock still serves it
			_, err := w.creds.Credentials.List(ctx, nil)
			w.do(err)
		case n < 6:
			_, err := w.rows.Relationship.Rows(ctx, "Deals", nil)
			w.do(err)
		case n < 8:
			w.objectCycle(ctx)
		default:
			w.credentialCycle(ctx)
		}
	}
}

// objectCycle creates an object, reads it back, updates it and reads the
// change back, deletes it and checks it is gone: a create, update or delete
// that was answered but not kept is a lost write.
func (w *worker) objectCycle(ctx context.Context) {
	name := fmt.Sprintf("soak %d-%d", w.id, w.seq)
	res, err := w.data.Data.CreateObject(ctx, "Project", dataapi.EntityValues{"Name": name, "State": "Draft"}, w.key("create"))
	if !w.do(err) {
		return
	}
	w.s.created.Add(1)
	got, err := w.data.Data.GetObject(ctx, "Project", res.Id, nil)
	if !w.do(err) {
		w.lostIf(err)
		return
	}
	if got.AdditionalProperties["Name"] != name {
		w.s.lost.Add(1)
		return
	}
	w.s.verified.Add(1)
	if !w.do(w.data.Data.UpdateObject(ctx, "Project", res.Id, dataapi.EntityValues{"State": "Active"}, w.key("update"))) {
		return
	}
	got, err = w.data.Data.GetObject(ctx, "Project", res.Id, nil)
	if !w.do(err) {
		return
	}
	if got.AdditionalProperties["State"] != "Active" {
		w.s.lost.Add(1) // the update was answered but not kept
		return
	}
	if !w.do(w.data.Data.DeleteObject(ctx, "Project", res.Id, w.key("delete"))) {
		return
	}
	_, err = w.data.Data.GetObject(ctx, "Project", res.Id, nil)
	w.goneOrLost(err)
}

// goneOrLost checks the read after a delete: not found is right; a row
// still there is a lost delete; any other failure is the call's.
func (w *worker) goneOrLost(err error) {
	var nf *client.NotFoundError
	switch {
	case err == nil:
		w.s.calls.Add(1)
		w.s.lost.Add(1)
	case errors.As(err, &nf):
		w.s.calls.Add(1)
	default:
		w.do(err)
	}
}

func (w *worker) credentialCycle(ctx context.Context) {
	name := fmt.Sprintf("soak %d-%d", w.id, w.seq)
	info, err := w.creds.Credentials.Create(ctx, credentialsapi.Credential{
		Name: &name, Type: credentialsapi.CredentialType{Name: ptr("userDefined")},
		CredentialFields: &map[string]string{"endpoint": "https://example.com/" + name},
	}, w.key("create"))
	if !w.do(err) {
		return
	}
	w.s.created.Add(1)
	got, err := w.creds.Credentials.Get(ctx, info.Id)
	if !w.do(err) {
		w.lostIf(err)
		return
	}
	if got.Name == nil || *got.Name != name {
		w.s.lost.Add(1)
		return
	}
	w.s.verified.Add(1)
	if !w.do(w.creds.Credentials.Delete(ctx, info.Id, w.key("delete"))) {
		return
	}
	_, err = w.creds.Credentials.Get(ctx, info.Id)
	w.goneOrLost(err)
}

func (w *worker) lostIf(err error) {
	var nf *client.NotFoundError
	if errors.As(err, &nf) {
		w.s.lost.Add(1)
	}
}

func ptr[T any](v T) *T { return &v }

func heap() (alloc uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, runtime.NumGoroutine()
}

func soak(ctx context.Context, o options, out io.Writer) (bool, error) {
	mock, err := mockserver.New()
	if err != nil {
		return false, err
	}
	if err := mock.DefaultTenant().SetFaults(faultPlan(o.seed, o.faultRate)); err != nil {
		return false, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	srv := &http.Server{Handler: mock, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	s := &stats{byStatus: map[string]int{}, callErrs: map[string]int{}, verbose: o.verbose}
	transport := &http.Transport{MaxIdleConnsPerHost: 4 * o.clients, IdleConnTimeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: &meter{base: transport, s: s}, Timeout: 30 * time.Second}
	authHC := &http.Client{Transport: &meter{base: transport, s: s}, Timeout: 30 * time.Second} // token and login requests
	policy := client.RetryPolicy{MaxRetries: 8, MinWait: time.Millisecond, MaxWait: 50 * time.Millisecond, MaxRetryAfter: 5 * time.Second}
	newClient := func(p auth.Provider, extra ...client.Option) (*client.Client, error) {
		return client.New(base, append([]client.Option{client.WithHTTPClient(hc), client.WithAuth(p), client.WithRetry(policy)}, extra...)...)
	}

	heapStart, goStart := heap()
	deadline, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range o.clients {
		session, err := auth.NewSession(base, "alice@demo.tenantkit.dev", "demo-password", auth.WithSessionHTTPClient(authHC))
		if err != nil {
			return false, err
		}
		admin, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{TokenURL: auth.CredentialsTokenURL(base),
			ClientID: "demo-admin", ClientSecret: "demo-admin-secret", HTTPClient: authHC})
		if err != nil {
			return false, err
		}
		integ, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{TokenURL: auth.RelationshipTokenURL(base),
			ClientID: "demo-integrator", ClientSecret: "demo-integrator-secret", Scopes: []string{"data"}, Style: auth.StyleForm, HTTPClient: authHC})
		if err != nil {
			return false, err
		}
		w := &worker{id: i, rng: rand.New(rand.NewPCG(uint64(o.seed), uint64(i))), s: s}
		if w.data, err = newClient(session); err != nil {
			return false, err
		}
		if w.reader, err = newClient(auth.APIKey("demo-key-service")); err != nil {
			return false, err
		}
		if w.creds, err = newClient(admin); err != nil {
			return false, err
		}
		if w.rows, err = newClient(integ, client.WithAsUser(6045)); err != nil {
			return false, err
		}
		wg.Go(func() { w.run(deadline) })
	}
	start := time.Now()
	var heapQuarter uint64
	select {
	case <-time.After(o.duration / 4):
		heapQuarter, _ = heap()
	case <-deadline.Done():
	}
	wg.Wait()
	elapsed := time.Since(start)
	transport.CloseIdleConnections()
	srv.Close()
	heapEnd, goEnd := heap()

	// A call cut short by the end of the run is not a failure.
	delete(s.callErrs, "context")
	ok := s.unexpect == 0 && s.stalled == 0 && s.lost.Load() == 0 && len(s.callErrs) == 0 &&
		int64(heapEnd)-int64(heapStart) <= o.maxHeapGrowth && s.created.Load() > 0

	lat := &s.latencies
	fmt.Fprintf(out, "soak: %s, %d clients, fault rate %.2f (seed %d), GOMAXPROCS %d, %s\n",
		o.duration, o.clients, o.faultRate, o.seed, runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(out, "requests (HTTP attempts): %d (%.0f/s)\n", lat.n, float64(lat.n)/elapsed.Seconds())
	fmt.Fprintf(out, "  by status: %s\n", counts(s.byStatus))
	fmt.Fprintf(out, "  injected faults and rate limits answered: %d; unexpected 5xx: %d\n", s.faults, s.unexpect)
	fmt.Fprintf(out, "calls (SDK, after retries): %d; failed: %d\n", s.calls.Load(), total(s.callErrs))
	fmt.Fprintf(out, "  errors by kind: %s\n", counts(s.callErrs))
	fmt.Fprintf(out, "latency per attempt: p50 %s, p90 %s, p99 %s, max %s; stalled (over %s): %d\n",
		lat.quantile(0.5), lat.quantile(0.9), lat.quantile(0.99), lat.max.Round(10*time.Microsecond), stallAfter, s.stalled)
	fmt.Fprintf(out, "writes: %d objects and credentials created, %d read back (the rest cut short by the end of the run); updates and deletes read back too; %d lost\n",
		s.created.Load(), s.verified.Load(), s.lost.Load())
	fmt.Fprintf(out, "memory: live heap %.1f MiB at start, %.1f MiB after a quarter of the run, %.1f MiB at end (after GC); goroutines %d at start, %d at end\n",
		float64(heapStart)/(1<<20), float64(heapQuarter)/(1<<20), float64(heapEnd)/(1<<20), goStart, goEnd)
	if ok {
		fmt.Fprintln(out, "PASS")
	} else {
		fmt.Fprintln(out, "FAIL")
	}
	return ok, nil
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
