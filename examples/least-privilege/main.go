// Command least-privilege finds the minimum grant of an integration: it runs
// the integration against a tenantkit mock, reads the mock's least-privilege
// report for the integration's credential, and prints the grant it really
// needs as a manifest to check in CI. Guide: docs/guides/least-privilege.md.
//
//	go run ./cmd/mock
//	go run ./examples/least-privilege [-url http://127.0.0.1:8080]
//
// It runs in a tenant of its own, "least-privilege", made from the demo
// fixture through the admin API (and made afresh on every run), so the
// mock's default tenant is left as it was. Its credentials carry the
// tenant's suffix: the OAuth client is demo-integrator@least-privilege.
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

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "base URL of the mock (cmd/mock's address)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "least-privilege:", err)
		os.Exit(1)
	}
}

// The integration under study uses one OAuth client, granted every scope
// its owner thought it might need, in a tenant of the example's own.
const (
	tenantID     = "least-privilege"
	clientID     = "demo-integrator@" + tenantID
	clientSecret = "demo-integrator-secret"
)

func run(ctx context.Context, base string, out io.Writer) error {
	admin, err := adminapi.NewClientWithResponses(base)
	if err != nil {
		return err
	}
	// A tenant of its own, made afresh, so the report covers this run only
	// and the default tenant is left alone.
	if r, err := admin.DeleteTenantWithResponse(ctx, tenantID); err != nil {
		return err
	} else if r.StatusCode() != http.StatusNoContent && r.StatusCode() != http.StatusNotFound {
		return fmt.Errorf("delete tenant %s: %s", tenantID, r.Status())
	}
	fixture := tenant.Demo()
	fixture.Tenant.ID = tenantID
	body, err := json.Marshal(fixture)
	if err != nil {
		return err
	}
	if r, err := admin.CreateTenantWithBodyWithResponse(ctx, "application/json", bytes.NewReader(body)); err != nil {
		return err
	} else if r.StatusCode() != http.StatusCreated {
		return fmt.Errorf("create tenant %s: %s %s", tenantID, r.Status(), r.Body)
	}

	// 1. Run the integration (in a real project: its test suite, with
	//    mocktest.WithReportSet collecting the report).
	if err := syncIntegration(ctx, base); err != nil {
		return err
	}

	// 2. Read the report.
	text := adminapi.GetReportParamsFormat("text")
	rep, err := admin.GetReportWithResponse(ctx, tenantID, &adminapi.GetReportParams{Format: &text})
	if err != nil {
		return err
	}
	if rep.StatusCode() != http.StatusOK {
		return fmt.Errorf("report: %s", rep.Status())
	}
	fmt.Fprintln(out, "What the mock saw:")
	fmt.Fprintln(out)
	_, _ = out.Write(rep.Body)

	// 3. Tighten the grant: the manifest of what the run needed.
	jr, err := admin.GetReportWithResponse(ctx, tenantID, nil)
	if err != nil {
		return err
	}
	if jr.StatusCode() != http.StatusOK {
		return fmt.Errorf("report: %s", jr.Status())
	}
	report := &mockserver.Report{}
	if err := json.Unmarshal(jr.Body, report); err != nil {
		return err
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "The grant %s needs (check it in as grant.yaml; mocktest.WithGrantManifest fails a test that drifts from it):\n\n", clientID)
	return report.Manifest(clientID).WriteYAML(out)
}

// syncIntegration is the integration: it mirrors credential metadata and
// deal rows, and rotates a credential by creating the new one and
// deleting the old one.
func syncIntegration(ctx context.Context, base string) error {
	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL: auth.CredentialsTokenURL(base), ClientID: clientID, ClientSecret: clientSecret,
	})
	if err != nil {
		return err
	}
	// Each API accepts only tokens from its own token endpoint.
	rel, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL: auth.RelationshipTokenURL(base), ClientID: clientID, ClientSecret: clientSecret,
	})
	if err != nil {
		return err
	}
	c, err := client.New(base, client.WithAuth(cc), client.WithAuthFor(client.RelationshipAPI, rel))
	if err != nil {
		return err
	}
	if _, err := c.Credentials.Types(ctx); err != nil {
		return err
	}
	for _, err := range c.Credentials.ListingAll(ctx, nil) {
		if err != nil {
			return err
		}
	}
	for _, err := range c.Relationship.RowsAll(ctx, "Deals", &relationshipapi.GetRowsParams{}) {
		if err != nil {
			return err
		}
	}
	typ := "basicAuth"
	if _, err := c.Credentials.Create(ctx, credentialsapi.Credential{
		Name: client.Ptr("Salesforce sync user (rotated)"), Type: credentialsapi.CredentialType{Name: &typ},
		CredentialFields: &map[string]string{"userName": "sync@northwind.example", "password": "rotated-secret"},
	}); err != nil {
		return err
	}
	// The old credential cannot be deleted with this grant: the report
	// will say which permission that needs.
	err = c.Credentials.Delete(ctx, "5f1c3a2e-8b4d-4c1e-9a7f-1d2e3f4a5b01")
	var denied *client.PermissionError
	if err != nil && !errors.As(err, &denied) {
		return err
	}
	return nil
}
