package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

// The data API with an API key: every active project, page by page.
func Example_dataAPI() {
	srv := fakeVendor() // the vendor host, e.g. https://api2.clarizen.com
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, client.WithAuth(auth.APIKey("demo-key")))
	if err != nil {
		log.Fatal(err)
	}
	req := dataapi.EntityQueryRequest{
		TypeName: "Project",
		Fields:   &[]string{"Name"},
		Where:    client.Where(client.Compare("State", dataapi.Equal, "Active")),
	}
	for project, err := range c.Data.EntityQueryAll(ctx, req) {
		if err != nil {
			log.Fatal(err)
		}
		name, _ := project.Get("Name")
		fmt.Println(project.Id, name)
	}
	// Output:
	// /Project/1 Apollo
	// /Project/2 Gemini
	// /Project/3 Mercury
}

// The data API with a user session: auth.Session logs in on first use and
// again when the session times out.
func Example_dataAPISession() {
	ctx := context.Background()
	session, err := auth.NewSession("https://api2.clarizen.com", "integration@example.com", "password")
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New("https://api2.clarizen.com", client.WithAuth(session))
	if err != nil {
		log.Fatal(err)
	}
	info, err := c.Data.GetSessionInfo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.UserId)
}

// The credentials API with OAuth client credentials (HTTP Basic, as Genesys
// Cloud expects): every credential, page number by page number.
func Example_credentialsAPI() {
	srv := fakeVendor() // e.g. https://api.mypurecloud.com
	defer srv.Close()
	ctx := context.Background()

	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL:     auth.CredentialsTokenURL(srv.URL), // Genesys: https://login.mypurecloud.com/oauth/token
		ClientID:     "client-id",
		ClientSecret: "client-secret",
		Style:        auth.StyleBasic,
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(srv.URL, client.WithAuth(cc))
	if err != nil {
		log.Fatal(err)
	}
	for cred, err := range c.Credentials.ListAll(ctx, &credentialsapi.ListCredentialsParams{PageSize: client.Ptr(2)}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cred.Id, cred.Name)
	}
	// Output:
	// c1 salesforce
	// c2 jira
	// c3 slack
}

// The relationship API with OAuth client credentials (form fields and scope,
// as DealCloud expects), acting as user 42 with AS-USER.
func Example_relationshipAPI() {
	srv := fakeVendor() // e.g. https://yourfirm.dealcloud.com
	defer srv.Close()
	ctx := context.Background()

	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL:     auth.RelationshipTokenURL(srv.URL),
		ClientID:     "client-id",
		ClientSecret: "client-secret",
		Scopes:       []string{"data", "user_management"},
		Style:        auth.StyleForm,
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(srv.URL, client.WithAuth(cc), client.WithAsUser(42))
	if err != nil {
		log.Fatal(err)
	}
	for row, err := range c.Relationship.RowsAll(ctx, "Deals", &relationshipapi.GetRowsParams{Limit: client.Ptr(50)}) {
		if err != nil {
			log.Fatal(err)
		}
		name, _ := row.Get("DealName")
		fmt.Println(row.EntryId, name)
	}
	// Output:
	// 101 Project Falcon
	// 102 Project Osprey
}

// A token without the integrations scope cannot create a credential: the
// error names the missing scope, and the mock's decision says how to fix it.
func ExampleScopeError() {
	srv := fakeVendor()
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, client.WithAuth(auth.Bearer("readonly-token")))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Credentials.Create(ctx, credentialsapi.Credential{
		Name: client.Ptr("jira"),
		Type: credentialsapi.CredentialType{Name: client.Ptr("basicAuth")},
	})
	var scopeErr *client.ScopeError
	if errors.As(err, &scopeErr) {
		fmt.Println("missing scopes:", scopeErr.Missing)
		fmt.Println("correlation id:", scopeErr.RequestID)
		if scopeErr.Decision != nil {
			fmt.Println("fix:", scopeErr.Decision.Fix)
		}
	}
	fmt.Println(err)
	// Output:
	// missing scopes: [integrations]
	// correlation id: 4f7e3c2a
	// fix: request the integrations scope for this client
	// tenantkit: credentials createCredential: 403 missing.scopes: Missing required oauth scopes: integrations
}

// Handling the typed errors of one call.
func ExampleAPIError() {
	var c *client.Client // from client.New
	ctx := context.Background()

	_, err := c.Data.GetObject(ctx, "Project", "/Project/7", nil)
	var (
		notFound *client.NotFoundError
		denied   *client.PermissionError
		limited  *client.RateLimitError
		apiErr   *client.APIError
	)
	switch {
	case errors.As(err, &notFound):
		fmt.Println("no such project, or not visible to this user")
	case errors.As(err, &denied):
		fmt.Println("needs one of", denied.Missing)
	case errors.As(err, &limited):
		fmt.Println("rate limited; retry after", limited.RetryAfter)
	case errors.As(err, &apiErr):
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.RequestID)
	case err != nil:
		fmt.Println("no response:", err)
	}
}

// Writes are sent once unless the call opts in to replay after a 5xx or a
// network error, with ReplaySafe or IdempotencyKey.
func ExampleReplaySafe() {
	var c *client.Client // from client.New
	ctx := context.Background()
	cred := credentialsapi.Credential{Name: client.Ptr("jira"), Type: credentialsapi.CredentialType{Name: client.Ptr("basicAuth")}}

	// Repeating this write is harmless:
	_, err := c.Credentials.Create(ctx, cred, client.ReplaySafe())
	if err != nil {
		log.Fatal(err)
	}
	// Or: the server deduplicates by Idempotency-Key.
	_, err = c.Credentials.Create(ctx, cred, client.IdempotencyKey("create-jira-2026-11-03"))
	if err != nil {
		log.Fatal(err)
	}
}

// Retry and transport settings.
func ExampleNew() {
	c, err := client.New("https://api.example.com",
		client.WithAuth(auth.Bearer("token")),
		client.WithMaxRetries(5),
		client.WithRetryWait(500*time.Millisecond, 10*time.Second),
		client.WithMaxRetryAfter(3*time.Minute),
		client.WithUserAgent("nightly-sync/1.4"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.RetryPolicy().MaxRetries)
	// Output: 5
}

// Building a where condition.
func ExampleAnd() {
	where := client.And(
		client.Compare("State", dataapi.Equal, "Active"),
		client.Or(
			client.Compare("Priority", dataapi.In, []int{1, 2}),
			client.CZQL("Name LIKE :name", map[string]any{"name": "Apollo%"}),
		),
	)
	b, _ := where.MarshalJSON()
	fmt.Println(string(b))
	// Output:
	// {"_type":"and","and":[{"_type":"compare","leftExpression":{"fieldName":"State"},"operator":"Equal","rightExpression":{"value":"Active"}},{"_type":"or","or":[{"_type":"compare","leftExpression":{"fieldName":"Priority"},"operator":"In","rightExpression":{"values":[1,2]}},{"_type":"cZQLCondition","parameters":{"name":"Apollo%"},"text":"Name LIKE :name"}]}]}
}

// Reading two fields of every contact (fields are sent repeated,
// fields=Name&fields=Company) and decoding the company reference.
func ExampleRelationshipService_Rows() {
	var c *client.Client // from client.New
	ctx := context.Background()

	page, err := c.Relationship.Rows(ctx, "Contacts", &relationshipapi.GetRowsParams{
		Fields: &[]string{"Name", "Company"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range page.Rows {
		b, _ := json.Marshal(row.AdditionalProperties["Company"])
		var company relationshipapi.RowReference
		if err := json.Unmarshal(b, &company); err != nil {
			log.Fatal(err)
		}
		name := "(not readable)" // a company the caller may not read has no name
		if company.Name != nil {
			name = *company.Name
		}
		fmt.Println(row.EntryId, company.Id, name)
	}
}

// Acting as another user for one call.
func ExampleRelationshipService_QueryRows() {
	var c *client.Client // from client.New
	ctx := context.Background()

	page, err := c.Relationship.QueryRows(ctx, "Deals", nil, relationshipapi.RowsQuery{
		Query:  client.Ptr(`{DealName: "Project Falcon"}`),
		Fields: &[]string{"DealName"},
	}, client.AsUser(42))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Rows))
}

// A wrong client secret is refused by the token endpoint before the
// operation is sent: the error is an *UnauthenticatedError like any 401,
// and the *auth.TokenError with the OAuth details is kept.
func ExampleUnauthenticatedError() {
	srv := fakeVendor()
	defer srv.Close()
	ctx := context.Background()

	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL:     auth.CredentialsTokenURL(srv.URL),
		ClientID:     "client-id",
		ClientSecret: "wrong-secret",
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(srv.URL, client.WithAuth(cc))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Credentials.List(ctx, nil)
	var unauth *client.UnauthenticatedError
	if errors.As(err, &unauth) {
		fmt.Println("status:", unauth.StatusCode, unauth.Code)
		fmt.Println("reason:", unauth.Reason)
	}
	var tokenErr *auth.TokenError
	if errors.As(err, &tokenErr) {
		fmt.Println("client:", tokenErr.ClientID)
	}
	fmt.Println(strings.ReplaceAll(err.Error(), srv.URL, "https://login.example.com")) // the test server's port varies
	// Output:
	// status: 401 invalid_client
	// reason: unknown
	// client: client-id
	// tenantkit: credentials listCredentials: auth: token for client "client-id" from https://login.example.com/oauth/token: HTTP 401 invalid_client: Invalid client credentials
}

// What a successful call's response said besides its body: the
// correlation id and the rate-limit headers.
func ExampleCaptureResponse() {
	srv := fakeVendor()
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, client.WithAuth(auth.Bearer("token")))
	if err != nil {
		log.Fatal(err)
	}
	var resp client.Response
	page, err := c.Credentials.List(ctx, nil, client.CaptureResponse(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Entities), "credentials; status", resp.StatusCode, "request id", resp.RequestID)
	fmt.Printf("rate limit: %d of %d, window resets in %s\n", resp.RateLimit.Count, resp.RateLimit.Allowed, resp.RateLimit.Reset)
	fmt.Println("replayed:", resp.Replayed)
	// Output:
	// 2 credentials; status 200 request id 9b2d41c7
	// rate limit: 3 of 300, window resets in 57s
	// replayed: false
}

// Asking the tenantkit mock why it allowed or refused a call.
func ExampleExplain() {
	var c *client.Client // from client.New, aimed at the mock
	ctx := context.Background()

	var d client.Decision
	_, err := c.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Project"}, client.Explain(&d))
	if err != nil {
		log.Fatal(err)
	}
	if d.Outcome == client.OutcomeAllow {
		fmt.Println(d.Reason) // allowed: api key service (user 2001); ...
	}
}

// Aggregates per group: the number and total budget of the Active or Draft
// projects the caller may see, per State, largest count first.
func ExampleDataService_AggregateQueryAll() {
	var c *client.Client // from client.New
	ctx := context.Background()
	req := dataapi.AggregateQueryRequest{
		TypeName: "Project",
		Where:    client.Where(client.In("State", "Active", "Draft")),
		GroupBy:  &[]string{"State"},
		Aggregations: []dataapi.FieldAggregation{
			{Function: dataapi.Count, FieldName: "id", Alias: client.Ptr("Cnt")},
			{Function: dataapi.Sum, FieldName: "Budget"}, // alias Sum_Budget
		},
		Orders: &[]dataapi.OrderBy{{FieldName: "Cnt", Order: client.Ptr(dataapi.Descending)}},
	}
	for group, err := range c.Data.AggregateQueryAll(ctx, req) {
		if err != nil {
			log.Fatal(err)
		}
		state, _ := group.Get("State")
		n, _ := group.Get("Cnt")
		sum, _ := group.Get("Sum_Budget")
		fmt.Println(state, n, sum)
	}
}
