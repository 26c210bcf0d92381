// Command visibility-diff answers "why does my API user see more than the
// UI?" on a tenantkit mock: it reproduces an Admin-Lite service account
// whose API key reads every project while the UI shows it only its group's,
// shows the mock's visibility diff, fixes it, and shows the diff empty.
// Guide: docs/guides/visibility.md.
//
//	go run ./cmd/mock
//	go run ./examples/visibility-diff     # resets the mock's default tenant first
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/adminapi"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "base URL of the mock")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "visibility-diff:", err)
		os.Exit(1)
	}
}

// The service account (user 2001, profile Admin Lite, group
// Integrations-Test) and its data-API key.
const (
	serviceUser = 2001
	serviceKey  = "demo-key-service"
)

func run(ctx context.Context, base string, out io.Writer) error {
	admin, err := adminapi.NewClientWithResponses(base)
	if err != nil {
		return err
	}
	if r, err := admin.ResetTenantWithResponse(ctx, "default"); err != nil {
		return err
	} else if r.StatusCode() != http.StatusOK {
		return fmt.Errorf("reset tenant: %s", r.Status())
	}
	api, err := client.New(base, client.WithAuth(auth.APIKey(serviceKey)))
	if err != nil {
		return err
	}

	// 1. Reproduce the vendor behaviour: the API ignores row-level view
	//    rights (apiDataAccess: bypass).
	if err := setDataAccess(ctx, admin, "bypass"); err != nil {
		return err
	}
	n, err := countProjects(ctx, api)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "apiDataAccess: bypass: the service account's API key reads %d projects.\n\n", n)
	if err := printDiff(ctx, admin, out); err != nil {
		return err
	}

	// 2. Fix it: the API sees exactly what the UI sees. (The other fix is
	//    narrower sharing: share with Integrations-Test only what the
	//    integration may export.)
	if err := setDataAccess(ctx, admin, "enforce"); err != nil {
		return err
	}
	if n, err = countProjects(ctx, api); err != nil {
		return err
	}
	fmt.Fprintf(out, "\napiDataAccess: enforce: the service account's API key reads %d projects.\n\n", n)
	return printDiff(ctx, admin, out)
}

func setDataAccess(ctx context.Context, admin *adminapi.ClientWithResponses, mode string) error {
	v := adminapi.SettingsPatchApiDataAccess(mode)
	r, err := admin.UpdateSettingsWithResponse(ctx, "default", adminapi.SettingsPatch{ApiDataAccess: &v})
	if err != nil {
		return err
	}
	if r.StatusCode() != http.StatusOK {
		return fmt.Errorf("settings: %s: %s", r.Status(), r.Body)
	}
	return nil
}

func countProjects(ctx context.Context, api *client.Client) (int, error) {
	n := 0
	for _, err := range api.Data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Project", Fields: &[]string{"Name"}}) {
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func printDiff(ctx context.Context, admin *adminapi.ClientWithResponses, out io.Writer) error {
	text := adminapi.GetVisibilityParamsFormat("text")
	r, err := admin.GetVisibilityWithResponse(ctx, "default", &adminapi.GetVisibilityParams{
		User: serviceUser, EntityType: "Project", Format: &text,
	})
	if err != nil {
		return err
	}
	if r.StatusCode() != http.StatusOK {
		return fmt.Errorf("visibility: %s: %s", r.Status(), r.Body)
	}
	_, err = out.Write(r.Body)
	return err
}
