package client_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/internal/golden"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

var referenceIDRE = regexp.MustCompile(`\(referenceId [^)]+\)`)

// The README's table of credential mistakes shows what a user sees for
// each; this golden file is that output, taken from the mock, and the
// README quotes it verbatim.
func TestReadmeCredentialMistakes(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	var out strings.Builder
	show := func(mistake string, err error) {
		var unauth *client.UnauthenticatedError
		if !errors.As(err, &unauth) {
			t.Fatalf("%s: not an *UnauthenticatedError: %v", mistake, err)
		}
		var te *auth.TokenError
		var le *auth.LoginError
		kind := "401 from the operation"
		switch {
		case errors.As(err, &te):
			kind = "*auth.TokenError"
		case errors.As(err, &le):
			kind = "*auth.LoginError"
		}
		msg := strings.ReplaceAll(err.Error(), srv.URL, "http://127.0.0.1:8080")
		msg = referenceIDRE.ReplaceAllString(msg, "(referenceId ...)") // random per call
		fmt.Fprintf(&out, "%s (Reason %s, %s):\n  %s\n", mistake, unauth.Reason, kind, msg)
	}
	_, err := srv.Client(mocktest.OAuth("demo-integrator", "wrong-secret")).Credentials.List(t.Context(), nil)
	show("wrong client secret", err)
	_, err = srv.Client(mocktest.ReportingOAuth.WithScopes("user_management")).Relationship.Rows(t.Context(), "Deals", nil)
	show("a scope the client may not have", err)
	_, err = srv.Client(mocktest.Login("alice@demo.tenantkit.dev", "wrong-password")).Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
	show("wrong password", err)
	_, err = srv.Client(mocktest.APIKey("demo-key-typo")).Data.EntityQuery(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"})
	show("wrong API key", err)
	golden.Check(t, out.String(), "testdata/credential-mistakes.txt", "../README.md")
}
