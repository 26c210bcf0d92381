// Command quickstart calls each tenantkit API once, with the credentials of
// the mock's demo tenant, and shows one denial the way the SDK reports it.
//
// Start the mock, then run the program:
//
//	go run ./cmd/mock
//	go run ./examples/quickstart            # or -url http://host:port
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "base URL of the mock (or of a tenant with the same credentials)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, base string, out io.Writer) error {
	// The data API (Clarizen shape) with the service account's API key:
	// every project it may see, page by page.
	data, err := client.New(base, client.WithAuth(auth.APIKey("demo-key-service")))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Projects visible to the service account's API key:")
	query := dataapi.EntityQueryRequest{TypeName: "Project", Fields: &[]string{"Name", "State"}}
	for p, err := range data.Data.EntityQueryAll(ctx, query) {
		if err != nil {
			return err
		}
		name, _ := p.Get("Name")
		state, _ := p.Get("State")
		fmt.Fprintf(out, "  %-12s %-26v %v\n", p.Id, name, state)
	}

	// The credentials API (Genesys shape) with OAuth client credentials
	// sent with HTTP Basic; the token is fetched, cached and renewed.
	integrator, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL:     auth.CredentialsTokenURL(base),
		ClientID:     "demo-integrator",
		ClientSecret: "demo-integrator-secret",
		Style:        auth.StyleBasic,
	})
	if err != nil {
		return err
	}
	creds, err := client.New(base, client.WithAuth(integrator))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Integration credentials:")
	for c, err := range creds.Credentials.ListingAll(ctx, nil) {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s  %s\n", c.Id, c.Name)
	}

	// The relationship API (DealCloud shape): a token requested with scope
	// data in the form, then AS-USER 6045, so the rows are Carol's.
	reporting, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL:     auth.RelationshipTokenURL(base),
		ClientID:     "demo-integrator",
		ClientSecret: "demo-integrator-secret",
		Scopes:       []string{"data"},
		Style:        auth.StyleForm,
	})
	if err != nil {
		return err
	}
	rel, err := client.New(base, client.WithAuth(reporting), client.WithAsUser(6045))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Deals rows, acting as user 6045:")
	for row, err := range rel.Relationship.RowsAll(ctx, "Deals", &relationshipapi.GetRowsParams{}) {
		if err != nil {
			return err
		}
		// The key field comes back as a reference to the row itself:
		// {"type":0,"id":1,"name":"...","entryListId":3011}.
		key, _ := row.Get("Name")
		ref, _ := key.(map[string]any)
		fmt.Fprintf(out, "  %d  %v\n", row.EntryId, ref["name"])
	}

	// A denial: the Admin-Lite service account may not delete credentials.
	err = creds.Credentials.Delete(ctx, "5f1c3a2e-8b4d-4c1e-9a7f-1d2e3f4a5b01")
	var denied *client.PermissionError
	if !errors.As(err, &denied) {
		return fmt.Errorf("expected a permission error, got %v", err)
	}
	fmt.Fprintln(out, "Deleting a credential:")
	fmt.Fprintln(out, "  error:  ", err)
	fmt.Fprintln(out, "  missing:", denied.Missing)
	if d := denied.Decision; d != nil { // the mock's explanation
		fmt.Fprintln(out, "  reason: ", d.Reason)
		fmt.Fprintln(out, "  fix:    ", d.Fix)
	}
	return nil
}
