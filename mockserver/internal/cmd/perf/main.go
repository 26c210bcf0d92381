// Command perf measures the mock's entity query engine end to end at scale:
// building a tenant of generated Projects (time, resident memory), exporting
// everything one user sees through the SDK iterator over loopback (rows per
// second) next to the in-process cost of encoding and decoding the same
// JSON, the first and the last page of that export, and a selective
// equality query. The figures in docs/performance.md come from
//
//	go run ./mockserver/internal/cmd/perf -n 1000000
//
// It only talks to a server it starts on 127.0.0.1, and stops by itself.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/internal/procstat"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func main() {
	n := flag.Int("n", 1_000_000, "generated Projects")
	seed := flag.Uint64("seed", 1, "generator seed")
	key := flag.String("key", "demo-key-service", "API key of the exporting user (demo tenant)")
	reps := flag.Int("reps", 21, "repetitions of single-page measurements")
	flag.Parse()
	if err := run(*n, *seed, *key, *reps); err != nil {
		log.Fatal(err)
	}
}

func run(n int, seed uint64, key string, reps int) error {
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)

	// 1. Build the tenant.
	start := time.Now()
	srv, err := mockserver.New(mockserver.WithGeneratedRows("Project", n, seed))
	if err != nil {
		return err
	}
	build := time.Since(start)
	runtime.GC()
	fmt.Printf("create tenant with %d generated Projects: %.2f s; peak RSS %s, RSS after GC %s\n", n, build.Seconds(), procstat.Field(0, "VmHWM"), procstat.Field(0, "VmRSS"))

	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := client.New(ts.URL, client.WithAuth(auth.APIKey(key)), client.WithMaxRetries(0))
	if err != nil {
		return err
	}
	ctx := context.Background()
	req := dataapi.EntityQueryRequest{TypeName: "Project", Paging: &dataapi.Paging{Limit: ptr(1000)}}

	// 2. Export everything the user sees through the SDK iterator.
	for range 3 { // warm up connections and buffers
		if _, err := c.Data.EntityQuery(ctx, req); err != nil {
			return err
		}
	}
	start = time.Now()
	rows := 0
	for _, err := range c.Data.EntityQueryAll(ctx, req) {
		if err != nil {
			return err
		}
		rows++
	}
	export := time.Since(start)
	exportRate := float64(rows) / export.Seconds()
	fmt.Printf("export through client.DataService.EntityQueryAll (limit 1000): %d rows of %d in %.2f s = %.0f rows/s\n", rows, n, export.Seconds(), exportRate)

	// 3. The JSON ceiling: encode and decode one page of the same JSON in
	// process, as the mock's encoder and encoding/json do.
	body, err := rawPage(ts.URL, key, 0)
	if err != nil {
		return err
	}
	var generic map[string]any
	if err := json.Unmarshal(body, &generic); err != nil {
		return err
	}
	pageRows := len(generic["entities"].([]any))
	tn := srv.DefaultTenant()
	user := int64(2001)
	if k, ok := tn.APIKey(key); ok {
		user = k.User
	}
	decodeStd := median(reps, func() {
		var page dataapi.EntityQueryResult
		if err := json.Unmarshal(body, &page); err != nil {
			panic(err)
		}
	})
	// The SDK's own decoding: the same client call, answered in process
	// with the page's bytes (no server, no network).
	canned, err := client.New("http://canned.invalid", client.WithAuth(auth.APIKey(key)), client.WithMaxRetries(0),
		client.WithHTTPClient(&http.Client{Transport: cannedPage(body)}))
	if err != nil {
		return err
	}
	decode := median(reps, func() {
		if _, err := canned.Data.EntityQuery(ctx, req); err != nil {
			panic(err)
		}
	})
	encodeStd := median(reps, func() {
		if _, err := json.Marshal(generic); err != nil {
			panic(err)
		}
	})
	encodeMock := median(reps, func() {
		if _, err := mockserver.EncodeEntityPage(tn, tenant.QuerySpec{Type: "Project", User: user, Limit: 1000}); err != nil {
			panic(err)
		}
	})
	perRow := func(d time.Duration) float64 { return float64(pageRows) / d.Seconds() }
	fmt.Printf("one page: %d rows, %d bytes\n", pageRows, len(body))
	fmt.Printf("  decode, SDK (client.DataService.EntityQuery on the page's bytes, no network): %v\n", decode)
	fmt.Printf("  decode, encoding/json into dataapi.EntityQueryResult (generated decoder):    %v\n", decodeStd)
	fmt.Printf("  encode, mock (plan, row-level access, page, JSON):                           %v\n", encodeMock)
	fmt.Printf("  encode, encoding/json (json.Marshal of the decoded page):                    %v\n", encodeStd)
	ceil := perRow(decode + encodeMock)
	ceilStd := perRow(decodeStd + encodeStd)
	fmt.Printf("JSON ceiling, mock encode + SDK decode:                   %.0f rows/s; the export reaches %.0f%% of it\n", ceil, 100*exportRate/ceil)
	fmt.Printf("JSON ceiling, encoding/json encode + encoding/json decode: %.0f rows/s; the export reaches %.0f%% of it\n", ceilStd, 100*exportRate/ceilStd)

	// 4. First and last page of the same export, through the SDK.
	info, err := tn.Query(tenant.QuerySpec{Type: "Project", User: user, Limit: 1}, nil)
	if err != nil {
		return err
	}
	last := max(info.Total-1000, 0)
	page := func(from int) func() {
		r := req
		r.Paging = &dataapi.Paging{From: ptr(from), Limit: ptr(1000)}
		return func() {
			if _, err := c.Data.EntityQuery(ctx, r); err != nil {
				panic(err)
			}
		}
	}
	first, lastD := medians(reps, page(0), page(last))
	fmt.Printf("page of 1000 through the SDK: first %v, last (from %d) %v, last/first %.2f\n", first, last, lastD, float64(lastD)/float64(first))
	engine := func(from int) func() {
		return func() {
			if _, err := tn.Query(tenant.QuerySpec{Type: "Project", User: user, From: from, Limit: 1000}, func(*tenant.Rows) error { return nil }); err != nil {
				panic(err)
			}
		}
	}
	ef, el := medians(reps, engine(0), engine(last))
	fmt.Printf("page of 1000 in the engine (no encoding): first %v, last %v, last/first %.2f\n", ef, el, float64(el)/float64(ef))

	// 5. Selective equality queries, first page.
	// A Name the user sees, from the middle of the export.
	var name string
	if _, err := tn.Query(tenant.QuerySpec{Type: "Project", User: user, From: info.Total / 2, Limit: 1}, func(r *tenant.Rows) error {
		if f, ok := r.Field("Name"); ok && r.Len() > 0 {
			name = r.Value(0, f).Str
		}
		return nil
	}); err != nil {
		return err
	}
	for _, cond := range []struct{ field, value string }{{"Name", name}, {"Client", "Atlas Labs"}, {"State", "On Hold"}} {
		w := dataapi.Condition{}
		if err := w.FromCompareCondition(dataapi.CompareCondition{
			LeftExpression: dataapi.Expression{FieldName: ptr(cond.field)}, Operator: dataapi.Equal,
			RightExpression: dataapi.Expression{Value: cond.value}}); err != nil {
			return err
		}
		r := dataapi.EntityQueryRequest{TypeName: "Project", Where: &w, Paging: &dataapi.Paging{Limit: ptr(1000)}}
		var got int
		d := median(reps, func() {
			res, err := c.Data.EntityQuery(ctx, r)
			if err != nil {
				panic(err)
			}
			got = len(res.Entities)
		})
		fmt.Printf("equality %s = %q, first page (%d rows) through the SDK: %v\n", cond.field, cond.value, got, d)
		var inproc int
		e := median(reps, func() {
			info, err := tn.Query(tenant.QuerySpec{Type: "Project", User: user, Limit: 1000,
				Where: &query.Compare{Field: cond.field, Op: query.OpEqual, Value: cond.value}}, func(*tenant.Rows) error { return nil })
			if err != nil {
				panic(err)
			}
			inproc = info.Total
		})
		fmt.Printf("  in the engine: %v (%d visible matches)\n", e, inproc)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// cannedPage answers every request with body, as the mock would.
type cannedPage []byte

func (c cannedPage) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(c)), ContentLength: int64(len(c)), Request: r}, nil
}

// median runs fn reps times and returns the median duration.
// medians times a and b alternately (a, b, a, b, ...), so that a garbage
// collection over the heap, or other work on the machine, falls on both
// and not on one batch, and returns the median of each.
func medians(reps int, a, b func()) (time.Duration, time.Duration) {
	da, db := make([]time.Duration, reps), make([]time.Duration, reps)
	for i := range reps {
		start := time.Now()
		a()
		da[i] = time.Since(start)
		start = time.Now()
		b()
		db[i] = time.Since(start)
	}
	slices.Sort(da)
	slices.Sort(db)
	return da[len(da)/2], db[len(db)/2]
}

func median(reps int, fn func()) time.Duration {
	ds := make([]time.Duration, reps)
	for i := range ds {
		start := time.Now()
		fn()
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func rawPage(base, key string, from int) ([]byte, error) {
	body := fmt.Sprintf(`{"typeName":"Project","paging":{"from":%d,"limit":1000}}`, from)
	r, err := http.NewRequest(http.MethodPost, base+"/V2.0/services/data/entityQuery", bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Authorization", "ApiKey "+key)
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return b, err
}
