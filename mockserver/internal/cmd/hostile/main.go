// Command hostile measures what hostile requests cost the mock: for each
// shape of the hardening issue (deep where trees, repeated order keys, long
// LIKE patterns, 1 MB bodies) the time and the bytes allocated per request
// against a tenant of generated Projects, and the resident memory of a
// cmd/mock-like server (its own process, on loopback) under a burst of
// concurrent 1 MB bodies. The figures in docs/performance.md ("Hostile
// requests") come from
//
//	go run ./mockserver/internal/cmd/hostile -n 100000
//
// It only talks to servers it starts on 127.0.0.1, and stops by itself.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantkit/tenantkit/internal/procstat"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const (
	entityQuery = "/V2.0/services/data/entityQuery"
	czqlQuery   = "/V2.0/services/data/query"
	apiKey      = "ApiKey demo-key-service"
)

func main() {
	n := flag.Int("n", 100_000, "generated Projects")
	reps := flag.Int("reps", 5, "repetitions of each request (0: only the burst)")
	burst := flag.Int("burst", 200, "concurrent 1 MB bodies in the memory burst")
	serve := flag.Bool("serve", false, "internal: serve on 127.0.0.1 and print the URL (the burst's server process)")
	only := flag.String("only", "", "run only the requests whose name contains this text (and no burst)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the per-request measurements to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the per-request measurements to this file")
	flag.Parse()
	onlyName, cpuProfile, memProfile = *only, *cpuprofile, *memprofile
	var err error
	if *serve {
		err = serveChild(*n)
	} else {
		err = run(*n, *reps, *burst)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// hostile is one request.
type hostile struct {
	name   string
	method string
	path   string
	body   []byte
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func compare(op string, v any) map[string]any {
	return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "Name"},
		"operator": op, "rightExpression": map[string]any{"value": v}}
}

func nest(kind string, levels int) any {
	var c any = compare("Equal", "nothing like this")
	for range levels - 1 {
		if kind == "not" {
			c = map[string]any{"_type": "not", "not": c}
		} else {
			c = map[string]any{"_type": kind, kind: []any{c}}
		}
	}
	return c
}

func orders(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"fieldName": "Name", "order": "Descending"}
	}
	return out
}

// megabyte returns a JSON body of about size bytes of the given shape.
func megabyte(shape string, size int) []byte {
	switch shape {
	case "string":
		return jsonBody(map[string]any{"typeName": "Project", "where": compare("Equal", "x"), "note": strings.Repeat("x", size-100)})
	case "small values":
		list := make([]any, size/2)
		for i := range list {
			list[i] = i % 10
		}
		for {
			b := jsonBody(map[string]any{"typeName": "Project", "note": list})
			if len(b) <= size {
				return b
			}
			list = list[:len(list)-len(list)/50]
		}
	}
	// An In list of short strings, as long as fits in size.
	list := make([]any, size/9)
	for i := range list {
		list[i] = "n" + strconv.Itoa(i%100000)
	}
	for {
		b := jsonBody(map[string]any{"typeName": "Project", "where": compare("In", list)})
		if len(b) <= size {
			return b
		}
		list = list[:len(list)-len(list)/50]
	}
}

func requests() []hostile {
	likeReq := func(p string) []byte {
		return jsonBody(map[string]any{"typeName": "Project", "where": compare("Like", p)})
	}
	return []hostile{
		{"where: NOT nested 16 deep (deepest accepted)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "where": nest("not", 16)})},
		{"where: and nested 16 deep (deepest accepted)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "where": nest("and", 16)})},
		{"where: NOT nested 18 deep (was 3 s)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "where": nest("not", 18)})},
		{"where: NOT nested 30 deep, 799 B (was hours)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "where": nest("not", 30)})},
		{"CZQL: NOT x 16 (deepest accepted)", "POST", czqlQuery, jsonBody(map[string]any{"q": "SELECT Name FROM Project WHERE " + strings.Repeat("NOT ", 15) + "Name = 'x'"})},
		{"orders: 16 copies of one key (most accepted)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "orders": orders(16)})},
		{"orders: 2,000 copies (was 161 MB)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "orders": orders(2000)})},
		{"orders: 30,000 copies, 630 KB (was 1 min 46 s)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "orders": slices.Repeat([]any{map[string]any{"fieldName": "Name"}}, 30000)})},
		{"CZQL ORDER BY: 16 copies", "POST", czqlQuery, jsonBody(map[string]any{"q": "SELECT Name FROM Project ORDER BY " + strings.TrimSuffix(strings.Repeat("Name DESC, ", 16), ", ")})},
		{"CZQL ORDER BY: 30,000 copies", "POST", czqlQuery, jsonBody(map[string]any{"q": "SELECT Name FROM Project ORDER BY " + strings.TrimSuffix(strings.Repeat("Name DESC, ", 30000), ", ")})},
		{"LIKE '%%%…x', 1,024 chars (longest accepted)", "POST", entityQuery, likeReq(strings.Repeat("%", 1023) + "x")},
		{"LIKE '%a%b…', 1,024 chars", "POST", entityQuery, likeReq(strings.Repeat("%a", 512))},
		{"LIKE 'a…a%', 1,024 chars", "POST", entityQuery, likeReq(strings.Repeat("a", 1023) + "%")},
		{"LIKE '%%%…x', 20,000 chars (was 9-14 s)", "POST", entityQuery, likeReq(strings.Repeat("%", 19999) + "x")},
		{"CZQL LIKE '%%%…x', 1,024 chars", "POST", czqlQuery, jsonBody(map[string]any{"q": "SELECT Name FROM Project WHERE Name LIKE '" + strings.Repeat("%", 1023) + "x'"})},
		{"1 MB body: one long string", "POST", entityQuery, megabyte("string", 1<<20-64)},
		{"1 MB body: 0.5M one-digit numbers (refused)", "POST", entityQuery, megabyte("small values", 1<<20-64)},
		{"400 KB body: 200k numbers (most accepted)", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "note": make([]int, 199990)})},
		{"1 MB body: In list of short strings", "POST", entityQuery, megabyte("in", 1<<20-64)},
		{"1 MB body: fields lists Name 100k times", "POST", entityQuery, jsonBody(map[string]any{"typeName": "Project", "fields": slices.Repeat([]any{"Name"}, 100000)})},
		{"1 MB body: CZQL IN list of 70k strings", "POST", czqlQuery, jsonBody(map[string]any{"q": "SELECT Name FROM Project WHERE Name IN (" + strings.TrimSuffix(strings.Repeat("'abcdefghij', ", 70000), ", ") + ")"})},
		{"2 MB body (over the limit)", "POST", entityQuery, megabyte("string", 2<<20)},
	}
}

var onlyName, cpuProfile, memProfile string

func run(n, reps, burst int) error {
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	srv, err := mockserver.New(mockserver.WithGeneratedRows("Project", n, 1))
	if err != nil {
		return err
	}
	url, stop, err := listen(srv)
	if err != nil {
		return err
	}
	defer stop()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	fmt.Printf("\nper request, %d generated Projects, in-process server on loopback, %d repetitions (bytes allocated count both ends)\n", n, reps)
	fmt.Printf("%-48s %6s %10s %10s %12s %8s\n", "request", "status", "median", "max", "alloc/req", "body")
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, h := range requests() {
		if reps <= 0 || !strings.Contains(h.name, onlyName) {
			continue
		}
		if _, _, err := send(hc, url, h); err != nil { // warm up
			return fmt.Errorf("%s: %w", h.name, err)
		}
		var times []time.Duration
		var status int
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range reps {
			// A write that changes nothing still moves the tenant's version
			// on, so neither the page cache nor the result cache answers:
			// each repetition costs what a request never seen before does,
			// as an attacker varying the request would make it.
			if _, err := srv.DefaultTenant().UpdateSettings(func(*tenant.Settings) {}); err != nil {
				return err
			}
			start := time.Now()
			st, _, err := send(hc, url, h)
			if err != nil {
				return fmt.Errorf("%s: %w", h.name, err)
			}
			times = append(times, time.Since(start))
			status = st
		}
		runtime.ReadMemStats(&after)
		slices.Sort(times)
		alloc := (after.TotalAlloc - before.TotalAlloc) / uint64(reps)
		fmt.Printf("%-48s %6d %10s %10s %12s %8s\n", h.name, status, round(times[len(times)/2]), round(times[len(times)-1]), mib(alloc), size(len(h.body)))
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	stop()
	if onlyName != "" || burst <= 0 {
		return nil
	}
	srv = nil
	runtime.GC()
	return runBurst(n, burst)
}

// runBurst starts a server process like cmd/mock and sends it burst
// concurrent 1 MB bodies, sampling its resident memory.
func runBurst(n, burst int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-serve", "-n", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("server process: %w", err)
	}
	url := strings.TrimSpace(line)
	pid := cmd.Process.Pid
	base := rssKB(pid)

	var peak int64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			peak = max(peak, rssKB(pid))
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	body := megabyte("in", 1<<20-64)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: burst, MaxConnsPerHost: 0}, Timeout: 2 * time.Minute}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _, err := send(hc, url, hostile{method: "POST", path: entityQuery, body: body})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses[-1]++
				return
			}
			statuses[st]++
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	sampler.Wait()
	peak = max(peak, rssKB(pid))
	hwm := procstat.Field(pid, "VmHWM")
	fmt.Printf("\nburst: %d concurrent 1 MB bodies (In lists of short strings) to a server process with %d generated Projects\n", burst, n)
	fmt.Printf("answers: %v in %s\n", statuses, round(elapsed))
	fmt.Printf("server RSS: %s before the burst, %s at most during it (sampled every 5 ms); VmHWM %s (includes building the tenant)\n",
		mib(uint64(base)*1024), mib(uint64(peak)*1024), hwm)
	return nil
}

// serveChild is the burst's server: a cmd/mock-like http.Server on
// loopback with the mock's default limits.
func serveChild(n int) error {
	srv, err := mockserver.New(mockserver.WithGeneratedRows("Project", n, 1), mockserver.WithRequestTimeout(60*time.Second))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	runtime.GC()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	fmt.Printf("http://%s\n", ln.Addr())
	return hs.Serve(ln)
}

func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	var once sync.Once
	return "http://" + ln.Addr().String(), func() { once.Do(func() { _ = hs.Shutdown(context.Background()) }) }, nil
}

func send(hc *http.Client, url string, h hostile) (int, int, error) {
	req, err := http.NewRequest(h.method, url+h.path, bytes.NewReader(h.body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", apiKey)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	nb, err := io.Copy(io.Discard, resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, 0, err
	}
	return resp.StatusCode, int(nb), nil
}

func rssKB(pid int) int64 {
	v := procstat.Field(pid, "VmRSS")
	n, _ := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
	return n
}

func round(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func size(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	if n >= 1024 {
		return fmt.Sprintf("%d KB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}
