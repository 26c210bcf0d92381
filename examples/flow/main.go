// Command flow is an integration against the Flow-shaped API (Pluralsight,
// now Appfire, Flow) that the tenantkit mock serves from openapi/apis/flow/,
// with plain net/http and bearer API keys (client.DecisionOf only reads the
// mock's explanation of a refusal, a header no vendor sends). It shows the
// two surprises of Flow's permission model:
//
//   - Access is per object. Dana's key lists every commit, page by page
//     (following `next`); Mateo's key, whose role has no API access to pull
//     requests, is refused them in full (403).
//   - The core objects ignore view rights, the Metrics API respects them.
//     Dana's key reads all 6 commits, of both teams, but only her team's
//     metrics row; the mock's visibility diff (admin API) shows the
//     difference with the UI for each.
//
// It also manages keys as a key manager does on Flow's Settings > API keys
// page (modelled by the mock under /ui/settings/api_keys/): Dana issues a key
// for Ada (user 6006), whose value is shown once, uses it, and is refused a
// second key for the same user (409: one active key per user).
//
// Guide: docs/guides/flow.md. Start the mock with the API, then run:
//
//	go run ./cmd/mock --api flow
//	go run ./examples/flow -url http://127.0.0.1:8080
//
// Run again against the same mock, it first deletes the key it issued for
// user 6006 the time before.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"

	"github.com/tenantkit/tenantkit/client"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "base URL of the mock (go run ./cmd/mock --api flow)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := config{
		base:    *base,
		withKey: func(key string) *http.Client { return &http.Client{Transport: bearer{key: key}} },
		admin:   http.DefaultClient,
	}
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "flow:", err)
		os.Exit(1)
	}
}

// bearer sends "Authorization: Bearer <key>", as Flow's docs show.
type bearer struct {
	key  string
	base http.RoundTripper // nil: http.DefaultTransport
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.key)
	rt := b.base
	if rt == nil {
		rt = http.DefaultTransport
	}
	return rt.RoundTrip(req)
}

// The demo keys of openapi/apis/flow/fixture.yaml.
const (
	danaKey  = "flow-demo-key-dana"  // user 6002, team-platform, every object, Manage API keys
	mateoKey = "flow-demo-key-mateo" // user 6003, team-mobile, no pull request access
	adaUser  = 6006                  // Ada Novak, both teams, every object, no key yet
	danaUser = 6002
)

// config says where the mock is and how requests are sent: withKey makes a
// client whose requests carry a Flow API key, admin a client for the mock's
// admin API (no credential).
type config struct {
	base    string
	withKey func(key string) *http.Client
	admin   *http.Client
}

// Result is what a run found, for a test to check beyond the printed text.
type Result struct {
	Commits       []int64   // ids of every commit Dana's key listed
	CommitPages   int       // pages read to list them
	CommitCount   int       // the lists' count
	PullRequests  int       // pull requests Dana's key may read (count)
	PRRefusal     Refusal   // Mateo's key on pull requests
	DanaMetrics   []string  // team names of the metrics rows Dana's key reads
	AdaMetrics    []string  // the same with Ada's new key
	DeletedOldKey bool      // a key of user 6006 from an earlier run was deleted first
	NewKey        NewKey    // the key issued for user 6006
	ListedKeys    []APIKey  // the key page afterwards (without values)
	SecondKey     Refusal   // the second key for user 6006
	Visibility    [2]string // the visibility diffs (text) for commits and team_metrics
}

// NewKey is the create answer: the only answer that carries the key.
type NewKey struct {
	ID     int64  `json:"id"`
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Key    string `json:"key"`
}

// APIKey is a row of the key page; it never carries the key's value.
type APIKey struct {
	ID     int64  `json:"id"`
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Key    string `json:"key"` // must stay empty: shown once
}

// Refusal is a refused call: status, the DRF error body's detail and the
// mock's decision.
type Refusal struct {
	Status   int
	Detail   string
	Decision client.Decision
	Explain  bool
}

// page is Django REST Framework's list envelope.
type page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

type commit struct {
	ID         int64  `json:"id"`
	ApexUserID int64  `json:"apex_user_id"`
	RepoID     int64  `json:"repo_id"`
	Message    string `json:"message"`
}

type teamMetrics struct {
	TeamID      int64   `json:"team_id"`
	TeamName    string  `json:"team_name"`
	ActiveDays  float64 `json:"active_days"`
	TotalImpact float64 `json:"total_impact"`
}

const metricsPath = "/v3/customer/metrics/code_fundamentals/period_metrics/?start_date=2026-11-02&end_date=2026-11-29&resolution=period"

func run(ctx context.Context, cfg config, out io.Writer) (*Result, error) {
	base := strings.TrimSuffix(cfg.base, "/")
	res := &Result{}
	dana := cfg.withKey(danaKey)

	// 1. Every commit, following next (two per page to show the paging).
	fmt.Fprintln(out, "Commits, with Dana's key (user 6002, team Platform), 2 per page:")
	next := base + "/v3/customer/core/commits/?limit=2"
	for next != "" {
		if res.CommitPages == 100 {
			return nil, errors.New("commits: more than 100 pages, next does not end")
		}
		var p page[commit]
		if err := getJSON(ctx, dana, next, &p); err != nil {
			return nil, fmt.Errorf("commits: %w", err)
		}
		res.CommitPages++
		res.CommitCount = p.Count
		for _, c := range p.Results {
			res.Commits = append(res.Commits, c.ID)
			fmt.Fprintf(out, "  page %d  %d  author %d  repo %d  %s\n", res.CommitPages, c.ID, c.ApexUserID, c.RepoID, c.Message)
		}
		next = ""
		if p.Next != nil {
			next = *p.Next
		}
	}
	fmt.Fprintf(out, "  %d commits (count %d) in %d pages: both teams' work, view rights do not apply\n\n",
		len(res.Commits), res.CommitCount, res.CommitPages)

	// 2. Object-level access: pull requests with and without it.
	var prs page[json.RawMessage]
	if err := getJSON(ctx, dana, base+"/v3/customer/core/pull_requests/?limit=1", &prs); err != nil {
		return nil, fmt.Errorf("pull requests: %w", err)
	}
	res.PullRequests = prs.Count
	fmt.Fprintf(out, "Pull requests, with Dana's key: %d\n", prs.Count)
	fmt.Fprintln(out, "Pull requests, with Mateo's key (user 6003, a role without pull request access):")
	resp, err := send(ctx, cfg.withKey(mateoKey), http.MethodGet, base+"/v3/customer/core/pull_requests/", nil)
	if err != nil {
		return nil, err
	}
	if res.PRRefusal, err = refusal(resp); err != nil {
		return nil, fmt.Errorf("pull requests with Mateo's key: %w", err)
	}
	printRefusal(out, res.PRRefusal)

	// 3. The Metrics API respects view rights: Dana's team only.
	fmt.Fprintln(out, "\nCode fundamentals 2026-11-02..2026-11-29, with Dana's key:")
	if res.DanaMetrics, err = metrics(ctx, dana, base, out); err != nil {
		return nil, err
	}

	// 4. Key management: Dana (Manage API keys) issues Ada's key.
	var keys page[APIKey]
	if err := getJSON(ctx, dana, base+"/ui/settings/api_keys/?limit=1000", &keys); err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	for _, k := range keys.Results {
		if k.UserID == adaUser { // the key page lists active keys only
			resp, err := send(ctx, dana, http.MethodDelete, fmt.Sprintf("%s/ui/settings/api_keys/%d/", base, k.ID), nil)
			if err != nil {
				return nil, err
			}
			if err := drain(resp, http.StatusNoContent); err != nil {
				return nil, fmt.Errorf("delete the earlier key of user %d: %w", adaUser, err)
			}
			res.DeletedOldKey = true
			fmt.Fprintf(out, "\nDeleted key %d of user %d, issued by an earlier run.\n", k.ID, adaUser)
		}
	}
	fmt.Fprintf(out, "\nPOST /ui/settings/api_keys/ with Dana's key, for user %d:\n", adaUser)
	resp, err = send(ctx, dana, http.MethodPost, base+"/ui/settings/api_keys/", map[string]any{"user_id": adaUser})
	if err != nil {
		return nil, err
	}
	if err := decode(resp, http.StatusCreated, &res.NewKey); err != nil {
		return nil, fmt.Errorf("create a key for user %d: %w", adaUser, err)
	}
	if res.NewKey.Key == "" {
		return nil, errors.New("the create answer carries no key")
	}
	fmt.Fprintf(out, "  201: key %d %q for user %d: %s\n", res.NewKey.ID, res.NewKey.Name, res.NewKey.UserID, res.NewKey.Key)
	fmt.Fprintln(out, "  (shown once: store it now, no later answer carries it)")

	fmt.Fprintln(out, "\nCode fundamentals, with Ada's new key (user 6006, teams Platform and Mobile):")
	if res.AdaMetrics, err = metrics(ctx, cfg.withKey(res.NewKey.Key), base, out); err != nil {
		return nil, err
	}

	keys = page[APIKey]{}
	if err := getJSON(ctx, dana, base+"/ui/settings/api_keys/?limit=1000", &keys); err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	res.ListedKeys = keys.Results
	fmt.Fprintf(out, "\nThe key page (%d keys, values never shown):\n", keys.Count)
	for _, k := range keys.Results {
		value := ""
		if k.Key != "" {
			value = "  VALUE SHOWN AGAIN: " + k.Key
		}
		fmt.Fprintf(out, "  %3d  user %d  %s%s\n", k.ID, k.UserID, k.Name, value)
	}

	fmt.Fprintf(out, "\nA second key for user %d:\n", adaUser)
	resp, err = send(ctx, dana, http.MethodPost, base+"/ui/settings/api_keys/", map[string]any{"user_id": adaUser})
	if err != nil {
		return nil, err
	}
	if res.SecondKey, err = refusal(resp); err != nil {
		return nil, fmt.Errorf("second key for user %d: %w", adaUser, err)
	}
	printRefusal(out, res.SecondKey)

	// 5. The mock's visibility diff (its admin API): what Dana sees in the
	//    UI versus what her key reads.
	for i, typ := range []string{"commits", "team_metrics"} {
		q := url.Values{"user": {fmt.Sprint(danaUser)}, "entityType": {typ}, "format": {"text"}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_mock/tenants/default/visibility?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := cfg.admin.Do(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("visibility of %s: %s %s", typ, resp.Status, b)
		}
		res.Visibility[i] = string(b)
		fmt.Fprintf(out, "\n%s", b)
	}
	return res, nil
}

// metrics prints the team metrics rows a key reads and returns their teams.
func metrics(ctx context.Context, hc *http.Client, base string, out io.Writer) ([]string, error) {
	var teams []string
	next := base + metricsPath
	for pages := 0; next != ""; pages++ {
		if pages == 100 {
			return nil, errors.New("metrics: more than 100 pages, next does not end")
		}
		var p page[teamMetrics]
		if err := getJSON(ctx, hc, next, &p); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		for _, m := range p.Results {
			teams = append(teams, m.TeamName)
			fmt.Fprintf(out, "  team %d %-9s active days %.1f, impact %.1f\n", m.TeamID, m.TeamName, m.ActiveDays, m.TotalImpact)
		}
		next = ""
		if p.Next != nil {
			next = *p.Next
		}
	}
	fmt.Fprintf(out, "  %d %s: only the teams the key's user may see\n", len(teams), plural("row", len(teams)))
	return teams, nil
}

// send sends one request with a JSON body (nil for none).
func send(ctx context.Context, hc *http.Client, method, target string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return hc.Do(req)
}

func getJSON(ctx context.Context, hc *http.Client, target string, v any) error {
	resp, err := send(ctx, hc, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	return decode(resp, http.StatusOK, v)
}

// decode decodes an answer of the status wanted into v; another status is
// an error with the body's detail.
func decode(resp *http.Response, want int, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != want {
		var e struct {
			Detail string `json:"detail"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s: %s", resp.Status, e.Detail)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func drain(resp *http.Response, want int) error {
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s", resp.Status)
	}
	_, err := io.Copy(io.Discard, resp.Body)
	return err
}

// refusal reads a refused answer: status, detail and the mock's decision.
func refusal(resp *http.Response) (Refusal, error) {
	defer resp.Body.Close()
	r := Refusal{Status: resp.StatusCode}
	r.Decision, r.Explain = client.DecisionOf(resp)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		return r, fmt.Errorf("expected a refusal, got %s", resp.Status)
	}
	var e struct {
		Detail string `json:"detail"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		return r, fmt.Errorf("%s: error body: %w", resp.Status, err)
	}
	r.Detail = e.Detail
	return r, nil
}

func printRefusal(out io.Writer, r Refusal) {
	fmt.Fprintf(out, "  %d: %s\n", r.Status, r.Detail)
	if !r.Explain {
		fmt.Fprintln(out, "  (no mock decision: not a tenantkit mock)")
		return
	}
	d := r.Decision
	fmt.Fprintf(out, "  mock decision: %s", d.Outcome)
	if d.Step != "" {
		fmt.Fprintf(out, " at step %s (%s)", d.Step, d.Code)
	}
	if len(d.Missing) > 0 {
		fmt.Fprintf(out, ", missing %s", strings.Join(d.Missing, " "))
	}
	if d.Outcome == client.OutcomeAllow {
		fmt.Fprint(out, " (authorization passed; the request was refused after it)")
	}
	fmt.Fprintln(out)
	if d.Reason != "" {
		fmt.Fprintf(out, "  reason: %s\n", d.Reason)
	}
	if d.Fix != "" {
		fmt.Fprintf(out, "  fix: %s\n", d.Fix)
	}
}

func plural(noun string, n int) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
