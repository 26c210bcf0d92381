// Command workiva is an integration against the Workiva-shaped API that the
// tenantkit mock serves from openapi/apis/workiva/: plain net/http and
// golang.org/x/oauth2/clientcredentials, no tenantkit SDK (client.DecisionOf
// only reads the mock's explanation of a refusal, a header no vendor sends).
// It shows the two layers that decide every Workiva call, the grant's scopes
// AND the permissions of the user the grant is bound to:
//
//  1. A least-scope grant (wk-graph-reader: graph:read only) lists the graph
//     records its user may see, following @nextLink, then tries a graph
//     edit: a 403 naming the scope it lacks (graph:write).
//  2. A grant holding file:write (wk-sheets-writer, user 5004, who may edit
//     spreadsheets) lists the spreadsheets, edits one its user is an editor
//     of, and is refused one its user may only view: the scope is not enough.
//
// Guide: docs/guides/workiva.md. Start the mock with the API, then run:
//
//	go run ./cmd/mock --api workiva
//	go run ./examples/workiva -url http://127.0.0.1:8080
//
// The edit it makes (a custom field set to the value it already holds) leaves
// the tenant as it was, so the program can be run again.
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
	"os"
	"os/signal"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tenantkit/tenantkit/client"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "base URL of the mock (go run ./cmd/mock --api workiva)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, *base, nil, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "workiva:", err)
		os.Exit(1)
	}
}

// The demo grants of openapi/apis/workiva/fixture.yaml.
const (
	graphReaderID     = "wk-graph-reader" // user 5003 Rafael Risk, graph:read
	graphReaderSecret = "wk-graph-reader-secret"
	sheetsWriterID    = "wk-sheets-writer" // user 5004 Eddie Editor, file:read file:write
	sheetsWriterSec   = "wk-sheets-writer-secret"

	tokenPath = "/iam/v1/oauth2/token" // the spec's tokenUrl
)

// Result is what a run found, for a test to check beyond the printed text.
type Result struct {
	Records       []string // ids of the graph records the least-scope grant listed
	RecordPages   int      // pages read to list them
	EditRefusal   Refusal  // POST /graph/edits with graph:read only
	Spreadsheets  []string // names of the spreadsheets the sheets writer sees
	EditAllowed   string   // the spreadsheet the sheets writer could edit
	PatchRefusal  Refusal  // PATCH of a spreadsheet its user may only view
	RefusedSheet  string   // that spreadsheet's name
	GrantedScopes []string // the scopes of the least-scope token, as the token endpoint answered
}

// Refusal is a refused call: the vendor's answer and the mock's decision.
type Refusal struct {
	Status   int
	Error    VendorError
	Decision client.Decision
	Explain  bool // the response carried the mock's decision
}

// VendorError is the Platform API's error body.
type VendorError struct {
	Code             string `json:"code"`
	Message          string `json:"message"`
	DocumentationURL string `json:"documentationUrl"`
	Version          string `json:"version"`
}

// run runs the integration against base. httpClient, when not nil, is the
// client tokens and calls go through (a test passes the mock's validating
// client); nil means http.DefaultClient.
func run(ctx context.Context, base string, httpClient *http.Client, out io.Writer) (*Result, error) {
	base = strings.TrimSuffix(base, "/")
	if httpClient != nil {
		// clientcredentials fetches tokens with the client in the context.
		ctx = context.WithValue(ctx, oauth2.HTTPClient, httpClient)
	}
	res := &Result{}

	// 1. Least scope: the graph reader asks for graph:read and nothing else.
	reader := grant(base, graphReaderID, graphReaderSecret, "graph:read")
	tok, err := reader.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("token for %s: %w", graphReaderID, err)
	}
	scope, _ := tok.Extra("scope").(string)
	res.GrantedScopes = strings.Fields(scope)
	fmt.Fprintf(out, "Grant %s (user 5003), token scope %q\n\n", graphReaderID, scope)
	// Reuse that token; the source fetches another when it expires.
	hc := oauth2.NewClient(ctx, oauth2.ReuseTokenSource(tok, reader.TokenSource(ctx)))

	// The vendor requires a $filter on this list; the mock accepts one and
	// does not evaluate it, so the example leaves it out and reads the
	// records the grant's user may see, one per page to show the paging.
	fmt.Fprintln(out, "Graph records visible to the grant's user (one per page, following @nextLink):")
	next := base + "/graph/records?$maxpagesize=1"
	for next != "" {
		var page struct {
			Data []struct {
				ID         string `json:"id"`
				Type       string `json:"type"`
				Properties map[string]struct {
					Value any `json:"value"`
				} `json:"properties"`
			} `json:"data"`
			NextLink string `json:"@nextLink"`
		}
		resp, err := do(ctx, hc, http.MethodGet, next, "", nil)
		if err != nil {
			return nil, err
		}
		if err := decodeOK(resp, &page); err != nil {
			return nil, fmt.Errorf("list graph records: %w", err)
		}
		res.RecordPages++
		for _, r := range page.Data {
			res.Records = append(res.Records, r.ID)
			fmt.Fprintf(out, "  page %d  %-8s %s  %v\n", res.RecordPages, r.Type, r.ID, r.Properties["title"].Value)
		}
		next = page.NextLink
		if res.RecordPages > 100 {
			return nil, errors.New("list graph records: more than 100 pages, @nextLink does not end")
		}
	}
	fmt.Fprintf(out, "  %d records in %d pages\n\n", len(res.Records), res.RecordPages)

	// A write the grant has no scope for: close the first issue.
	edits := []map[string]any{{
		"operation": "set_properties",
		"recordId":  "0b7e3c2a-5d41-4f8e-9a26-1c3d5e7f9a01",
		"properties": map[string]any{
			"status": map[string]any{"datatype": "string", "value": "Closed"},
		},
	}}
	fmt.Fprintln(out, "POST /graph/edits with the graph:read grant:")
	resp, err := do(ctx, hc, http.MethodPost, base+"/graph/edits", "application/json", edits)
	if err != nil {
		return nil, err
	}
	if res.EditRefusal, err = refusal(resp); err != nil {
		return nil, fmt.Errorf("graph edits: %w", err)
	}
	printRefusal(out, res.EditRefusal)

	// 2. A grant with file:write whose user may edit spreadsheets, but not
	//    every spreadsheet.
	writer := grant(base, sheetsWriterID, sheetsWriterSec, "file:read", "file:write")
	hc = writer.Client(ctx)
	fmt.Fprintf(out, "\nGrant %s (user 5004, may edit spreadsheets), scopes file:read file:write\n\n", sheetsWriterID)
	type sheet struct {
		ID           string         `json:"id"`
		Name         string         `json:"name"`
		CustomFields map[string]any `json:"customFields"`
	}
	var sheets []sheet
	next = base + "/spreadsheets"
	for pages := 0; next != ""; pages++ {
		if pages > 100 {
			return nil, errors.New("list spreadsheets: more than 100 pages, @nextLink does not end")
		}
		var page struct {
			Data     []sheet `json:"data"`
			NextLink string  `json:"@nextLink"`
		}
		resp, err := do(ctx, hc, http.MethodGet, next, "", nil)
		if err != nil {
			return nil, err
		}
		if err := decodeOK(resp, &page); err != nil {
			return nil, fmt.Errorf("list spreadsheets: %w", err)
		}
		sheets = append(sheets, page.Data...)
		next = page.NextLink
	}
	fmt.Fprintln(out, "Spreadsheets visible to the grant's user:")
	for _, s := range sheets {
		res.Spreadsheets = append(res.Spreadsheets, s.Name)
		fmt.Fprintf(out, "  %s  %s\n", s.ID, s.Name)
	}

	// Set the legal entity of two spreadsheets to the value it holds (or
	// add it): the user is an editor of the first, a viewer of the second.
	const field = "com.workiva.gsr.legal_entity"
	for _, name := range []string{"FY2026 Consolidation", "Board pack support"} {
		i := indexOf(sheets, func(s sheet) bool { return s.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("spreadsheet %q is not visible to %s", name, sheetsWriterID)
		}
		value, ok := sheets[i].CustomFields[field]
		if !ok {
			value = "Demo Holdings Ltd"
		}
		patch := []map[string]any{{"op": "add", "path": "/customFields/" + field, "value": value}}
		fmt.Fprintf(out, "\nPATCH /spreadsheets/%s (%s):\n", sheets[i].ID, name)
		resp, err := do(ctx, hc, http.MethodPatch, base+"/spreadsheets/"+sheets[i].ID, "application/json", patch)
		if err != nil {
			return nil, err
		}
		// The vendor answers 202 (a long-running operation), the mock 200:
		// any 2xx is accepted.
		if resp.StatusCode/100 == 2 {
			_ = drain(resp)
			res.EditAllowed = name
			fmt.Fprintf(out, "  %s: user 5004 is an editor of %q\n", resp.Status, name)
			continue
		}
		r, err := refusal(resp)
		if err != nil {
			return nil, fmt.Errorf("patch %s: %w", name, err)
		}
		res.PatchRefusal, res.RefusedSheet = r, name
		printRefusal(out, r)
	}
	return res, nil
}

// grant is a Workiva API grant's client-credentials configuration: the
// client id and secret sent with HTTP Basic, as the vendor's IAM page shows.
func grant(base, id, secret string, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID: id, ClientSecret: secret, TokenURL: base + tokenPath,
		Scopes: scopes, AuthStyle: oauth2.AuthStyleInHeader,
	}
}

// do sends one request with a JSON body (nil for none).
func do(ctx context.Context, hc *http.Client, method, target, contentType string, body any) (*http.Response, error) {
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
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	return hc.Do(req)
}

// decodeOK decodes a 200 answer into v; any other status is an error
// naming the vendor's code and message.
func decodeOK(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e VendorError
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s: %s %s", resp.Status, e.Code, e.Message)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// refusal reads a refused answer: the vendor's error body and the mock's
// decision. An answer that is not a 4xx is an error.
func refusal(resp *http.Response) (Refusal, error) {
	defer resp.Body.Close()
	r := Refusal{Status: resp.StatusCode}
	r.Decision, r.Explain = client.DecisionOf(resp)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		return r, fmt.Errorf("expected a refusal, got %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&r.Error); err != nil {
		return r, fmt.Errorf("%s: error body: %w", resp.Status, err)
	}
	return r, nil
}

func printRefusal(out io.Writer, r Refusal) {
	fmt.Fprintf(out, "  %d %s: %s\n", r.Status, r.Error.Code, r.Error.Message)
	fmt.Fprintf(out, "  (documentationUrl %s, version %s)\n", r.Error.DocumentationURL, r.Error.Version)
	if !r.Explain {
		fmt.Fprintln(out, "  (no mock decision: not a tenantkit mock)")
		return
	}
	d := r.Decision
	fmt.Fprintf(out, "  mock decision: %s at step %s (%s)", d.Outcome, d.Step, d.Code)
	if len(d.Missing) > 0 {
		fmt.Fprintf(out, ", missing %s", strings.Join(d.Missing, " "))
	}
	fmt.Fprintln(out)
	if d.Reason != "" {
		fmt.Fprintf(out, "  reason: %s\n", d.Reason)
	}
	if d.Fix != "" {
		fmt.Fprintf(out, "  fix: %s\n", d.Fix)
	}
}

func drain(resp *http.Response) error {
	defer resp.Body.Close()
	_, err := io.Copy(io.Discard, resp.Body)
	return err
}

func indexOf[T any](s []T, f func(T) bool) int {
	for i, v := range s {
		if f(v) {
			return i
		}
	}
	return -1
}
