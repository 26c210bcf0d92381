package auth_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/tenantkit/tenantkit/auth"
)

// get sends a GET through hc and prints what the server printed.
func get(ctx context.Context, hc *http.Client, url string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(string(b))
}

// echoHeaders answers with the request's credential headers.
var echoHeaders = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "Authorization: %s\n", r.Header.Get("Authorization"))
	if as := r.Header.Get(auth.AsUserHeader); as != "" {
		fmt.Fprintf(w, "AS-USER: %s\n", as)
	}
})

func ExampleAPIKey() {
	srv := httptest.NewServer(echoHeaders)
	defer srv.Close()

	hc := &http.Client{Transport: &auth.Transport{Provider: auth.APIKey("my-key")}}
	get(context.Background(), hc, srv.URL+"/V2.0/services/authentication/getSessionInfo")

	fmt.Println(auth.APIKey("my-key")) // secrets are never printed
	// Output:
	// Authorization: ApiKey my-key
	// auth.APIKey(****)
}

func ExampleNewSession() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /V2.0/services/authentication/login", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"sessionId":"s-1","userId":"/User/1","organizationId":1}`)
	})
	mux.Handle("/V2.0/services/data/", echoHeaders)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The base URL may also be a serverLocation ending in /V2.0/services.
	session, err := auth.NewSession(srv.URL, "integration@example.com", "password")
	if err != nil {
		log.Fatal(err)
	}
	hc := &http.Client{Transport: &auth.Transport{Provider: session}}
	get(context.Background(), hc, srv.URL+"/V2.0/services/data/objects/Project/1")
	// Output:
	// Authorization: Session s-1
}

func ExampleNewClientCredentials() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rest/v1/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		fmt.Printf("token request: client_id=%s scope=%q\n", r.PostForm.Get("client_id"), r.PostForm.Get("scope"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"t-1","token_type":"bearer","expires_in":900}`)
	})
	mux.Handle("/api/rest/v4/", echoHeaders)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The relationship API (DealCloud): id, secret and scope in the form.
	// For the credentials API (Genesys) use CredentialsTokenURL and
	// StyleBasic, and usually no Scopes.
	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
		TokenURL:     auth.RelationshipTokenURL(srv.URL),
		ClientID:     "client-id",
		ClientSecret: "client-secret",
		Scopes:       []string{"data"},
		Style:        auth.StyleForm,
	})
	if err != nil {
		log.Fatal(err)
	}
	hc := &http.Client{Transport: &auth.Transport{Provider: cc}}
	get(context.Background(), hc, srv.URL+"/api/rest/v4/data/entrydata/rows/company")
	get(context.Background(), hc, srv.URL+"/api/rest/v4/data/entrydata/rows/deal") // the token is cached
	// Output:
	// token request: client_id=client-id scope="data"
	// Authorization: Bearer t-1
	// Authorization: Bearer t-1
}

func ExampleTransport_asUser() {
	srv := httptest.NewServer(echoHeaders)
	defer srv.Close()

	// Every request is made on behalf of user 42 ...
	hc := &http.Client{Transport: &auth.Transport{Provider: auth.Bearer("t"), AsUser: 42}}
	get(context.Background(), hc, srv.URL)
	// ... except one that carries its own AS-USER header.
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	auth.SetAsUser(req, 7)
	resp, err := hc.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(os.Stdout, resp.Body)
	// Output:
	// Authorization: Bearer t
	// AS-USER: 42
	// Authorization: Bearer t
	// AS-USER: 7
}
