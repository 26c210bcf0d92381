package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"github.com/tenantkit/tenantkit/mockserver/console"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// writeBanner prints the start banner for tenant t served at baseURL: the
// URL, the tenant's users, API keys, OAuth clients and proxy assignments,
// and one curl command per API. source names where the tenant's fixture
// came from ("the embedded demo fixture", "fixture acme.yaml"). Every
// credential printed is a public test value of that fixture.
//
// certFile, when not empty, is the PEM of the certificate made at start
// (--tls): the banner says how to trust it, and its curl commands pass it.
func writeBanner(w io.Writer, srv *mockserver.Server, t *tenant.Tenant, baseURL, source, certFile string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "tenantkit mock server: %s\n\n", baseURL)
	if certFile != "" {
		fmt.Fprintf(&b, "TLS certificate made at start (self-signed): %s\n", certFile)
		fmt.Fprintf(&b, "Trust it with SSL_CERT_FILE or REQUESTS_CA_BUNDLE (Python), NODE_EXTRA_CA_CERTS (Node), curl --cacert.\n\n")
	}
	fmt.Fprintf(&b, "Default tenant %q (id %s", t.Name(), t.ID())
	if org := t.OrganizationID(); org != 0 {
		fmt.Fprintf(&b, ", organization %d", org)
	}
	fmt.Fprintf(&b, ") from %s.\n", source)
	fmt.Fprintf(&b, "The credentials below are public test values of that fixture, not secrets.\n")

	users := t.Users()
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	userRef := func(id int64) string {
		if n := names[id]; n != "" {
			return fmt.Sprintf("%d %s", id, n)
		}
		return strconv.FormatInt(id, 10)
	}

	if len(users) > 0 {
		fmt.Fprintf(&b, "\nUsers (login name and password for the data API login):\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, u := range users {
			pw := "(no password: API access only)"
			if u.Password != "" {
				pw = display(u.Password)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\troles: %s\n", u.ID, u.Name, display(u.Login), pw, listOrNone(u.Roles))
		}
		_ = tw.Flush()
	}

	loaded := srv.LoadedAPIs()
	keyHeadings := map[string]string{"": "API keys (data API, Authorization: ApiKey <key>; reports, audit and manifests name a key by its name):"}
	apiOrder := []string{""}
	tokenAPIs := []string{"credentials", "relationship"}
	for _, a := range loaded {
		apiOrder = append(apiOrder, a.Name)
		keyHeadings[a.Name] = fmt.Sprintf("API keys of the %s API (Authorization: %s <key>; no other API accepts them):", a.Name, cmp.Or(a.KeyWord, "?"))
		if a.TokenURL != "" {
			tokenAPIs = append(tokenAPIs, a.Name+" (POST "+a.TokenURL+")")
		}
	}
	for _, api := range apiOrder {
		var keys []tenant.APIKey
		for _, k := range t.APIKeys() {
			if k.API == api {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", keyHeadings[api])
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, k := range keys {
			note := ""
			if k.Revoked {
				note = "\t(revoked)"
			}
			fmt.Fprintf(tw, "  %s\tname %s\tuser %s%s\n", display(k.Key), display(k.Name), userRef(k.User), note)
		}
		_ = tw.Flush()
	}

	if clients := t.OAuthClients(); len(clients) > 0 {
		fmt.Fprintf(&b, "\nOAuth clients (client credentials; %s APIs):\n", joinAnd(tokenAPIs))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range clients {
			fmt.Fprintf(tw, "  %s\tsecret %s\tuser %s\tscopes: %s\n", display(c.ClientID), display(c.Secret), userRef(c.User), listOrNone(c.Scopes))
		}
		_ = tw.Flush()
	}

	if proxies := t.ProxyAssignments(); len(proxies) > 0 {
		fmt.Fprintf(&b, "\nProxy assignments (AS-USER: <userId>):\n")
		for _, p := range proxies {
			ids := make([]string, len(p.UserIDs))
			for i, id := range p.UserIDs {
				ids[i] = userRef(id)
			}
			fmt.Fprintf(&b, "  %s may act as %s\n", userRef(p.ProxyUserID), strings.Join(ids, ", "))
		}
	}

	fmt.Fprintf(&b, "\nTry it:\n")
	for _, ex := range examples(srv, t, baseURL) {
		cmd := ex.command
		if certFile != "" { // every command starts its curl calls so
			cmd = strings.ReplaceAll(cmd, "curl -sS ", "curl -sS --cacert "+shellQuote(certFile)+" ")
		}
		fmt.Fprintf(&b, "  # %s\n  %s\n", ex.title, cmd)
	}

	fmt.Fprintf(&b, "\nConsole (live decisions, least privilege, visibility, controls): %s%s\n", baseURL, console.Prefix)
	fmt.Fprintf(&b, "Admin API (unauthenticated; tenants, reset, settings, audit): %s/_mock/\n", baseURL)
	fmt.Fprintf(&b, "Health probe: %s%s\n", baseURL, mockserver.HealthPath)
	fmt.Fprintf(&b, "Fixture format: docs/fixtures.md. Stop with Ctrl-C.\n")
	_, err := w.Write(b.Bytes()) // one write, so a reader sees the whole banner or none
	return err
}

// display prints a credential value as is when that is unambiguous, and
// Go-quoted when it holds spaces, quotes or other special characters.
func display(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// joinAnd joins words as a sentence lists them: "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, " ")
}

// example is one ready-to-paste shell command, with a one-line title.
type example struct {
	title   string
	command string
}

// examples returns one curl command per API for tenant t at baseURL: the
// data API, the credentials API, the relationship API (each only when the
// tenant has a credential that the call accepts) and the admin health
// check. Paths come from the operation table generated from the specs;
// whether a credential's call would be allowed is asked of the server's
// decision function (the one that decides every request). The
// commands use one integration user where the tenant allows it: the
// relationship call's OAuth client (with AS-USER when its user holds a
// proxy assignment), the same client for the credentials call, and an API
// key of the same user for the data call.
func examples(srv *mockserver.Server, t *tenant.Tenant, baseURL string) []example {
	var out []example
	allow := func(q mockserver.Question) (mockserver.Answer, bool) {
		a, err := srv.Decide(t, q)
		return a, err == nil && a.Outcome == "allow"
	}
	rel, relOK := pickRelationship(t, allow)
	anchor := int64(0)
	if relOK {
		anchor = rel.client.User
	}
	cred, credOK := pickCredentials(t, allow, rel.client.ClientID, anchor)
	if !relOK && credOK {
		anchor = cred.client.User
	}
	if ex, ok := dataExample(t, allow, baseURL, anchor); ok {
		out = append(out, ex)
	}
	if credOK {
		out = append(out, credentialsExample(baseURL, cred))
	}
	if relOK {
		out = append(out, relationshipExample(t, baseURL, rel))
	}
	out = append(out, loadedExamples(srv, t, allow, baseURL)...)
	out = append(out, example{
		title:   "admin API: health check",
		command: "curl -sS " + shellQuote(baseURL+"/_mock/healthz"),
	})
	return out
}

// loadedExamples is one curl command per API loaded from a spec and a
// policy: its first list operation that a credential of the tenant may
// call, with that credential (an API key of the API, or an OAuth client
// through the API's token endpoint).
func loadedExamples(srv *mockserver.Server, t *tenant.Tenant, allow asker, baseURL string) []example {
	var out []example
	for _, a := range srv.LoadedAPIs() {
	lists:
		for _, l := range a.Lists {
			op, path := l.ID, l.Path
			if a.KeyWord != "" || a.KeyHeader != "" {
				for _, k := range t.APIKeys() {
					if k.API != a.Name || k.Revoked {
						continue
					}
					if _, ok := allow(mockserver.Question{API: a.Name, Operation: op, APIKey: k.Key}); !ok {
						continue
					}
					header := "Authorization: " + a.KeyWord + " " + k.Key
					if a.KeyHeader != "" {
						header = a.KeyHeader + ": " + k.Key
					}
					out = append(out, example{
						title:   fmt.Sprintf("%s API: %s with the API key of user %s", a.Name, op, userLabel(t, k.User)),
						command: "curl -sS -H " + shellQuote(header) + " " + shellQuote(baseURL+path),
					})
					break lists
				}
			}
			if a.TokenURL == "" {
				continue
			}
			for _, c := range t.OAuthClients() {
				if _, ok := allow(mockserver.Question{API: a.Name, Operation: op, Client: c.ClientID}); !ok {
					continue
				}
				token := "TOKEN=$(curl -sS -u " + shellQuote(c.ClientID+":"+c.Secret) + " -d grant_type=client_credentials " +
					shellQuote(baseURL+a.TokenURL) + " | " + tokenFromJSON + ")"
				out = append(out, example{
					title:   fmt.Sprintf("%s API: token for client %s of user %s, then %s", a.Name, c.ClientID, userLabel(t, c.User), op),
					command: token + " && curl -sS -H \"Authorization: Bearer $TOKEN\" " + shellQuote(baseURL+path),
				})
				break lists
			}
		}
	}
	return out
}

// tokenFromJSON is the shell tail that prints access_token from a token
// response: sed, so the commands need only curl and POSIX tools.
const tokenFromJSON = `sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'`

// asker answers a question with the server's decision function: the
// answer, and whether the request would be allowed outright.
type asker func(mockserver.Question) (mockserver.Answer, bool)

// readableType returns the first entity type (fixture order) that q, asked
// for each type, is allowed for and that shows user at least one row, else
// the first type it is allowed for at all, with the answer.
func readableType(t *tenant.Tenant, allow asker, q mockserver.Question, user int64) (name string, rows int, a mockserver.Answer, ok bool) {
	for _, et := range t.EntityTypes() {
		q.EntityType = et.Name
		ans, allowed := allow(q)
		if !allowed {
			continue
		}
		list, err := t.Entities(et.Name, user)
		if err != nil {
			continue
		}
		if len(list) > 0 {
			return et.Name, len(list), ans, true
		}
		if !ok {
			name, a, ok = et.Name, ans, true
		}
	}
	return name, 0, a, ok
}

// hasOwnCredential reports whether user holds a usable API key or an OAuth
// client of its own.
func hasOwnCredential(t *tenant.Tenant, user int64) bool {
	for _, k := range t.APIKeys() {
		if k.User == user && !k.Revoked {
			return true
		}
	}
	for _, c := range t.OAuthClients() {
		if c.User == user {
			return true
		}
	}
	return false
}

type relationshipPick struct {
	op        client.Operation
	tokenOp   client.Operation
	client    tenant.OAuthClient
	scope     []string
	principal int64 // 0: no AS-USER
	typeName  string
}

// pickRelationship chooses the relationship API example: an OAuth client
// allowed getRows of an entity type acting (AS-USER) as a principal of its
// user's proxy assignments who sees rows of the type; principals without a
// credential of their own (the case AS-USER exists for) first. Without
// such a proxy it falls back to a client allowed getRows as its own user.
func pickRelationship(t *tenant.Tenant, allow asker) (relationshipPick, bool) {
	op, ok1 := client.LookupOperation(client.RelationshipAPI, "getRows")
	tokenOp, ok2 := client.LookupOperation(client.RelationshipAPI, "getToken")
	if !ok1 || !ok2 {
		return relationshipPick{}, false
	}
	proxies := map[int64][]int64{}
	for _, p := range t.ProxyAssignments() {
		proxies[p.ProxyUserID] = p.UserIDs
	}
	type candidate struct {
		pick     relationshipPick
		rows     int
		ownCreds bool
	}
	var best *candidate
	better := func(c candidate) bool {
		switch {
		case best == nil:
			return true
		case (c.rows > 0) != (best.rows > 0):
			return c.rows > 0
		case c.ownCreds != best.ownCreds:
			return !c.ownCreds
		}
		return false // the earlier candidate wins ties
	}
	clients := t.OAuthClients()
	for _, c := range clients {
		for _, p := range proxies[c.User] {
			if p == c.User {
				continue
			}
			name, rows, a, ok := readableType(t, allow, mockserver.Question{Operation: op.ID, Client: c.ClientID, AsUser: p}, p)
			if !ok {
				continue
			}
			cand := candidate{pick: relationshipPick{op: op, tokenOp: tokenOp, client: c, scope: a.Scopes, principal: p, typeName: name},
				rows: rows, ownCreds: hasOwnCredential(t, p)}
			if better(cand) {
				best = &cand
			}
		}
	}
	if best != nil {
		return best.pick, true
	}
	for _, c := range clients {
		name, rows, a, ok := readableType(t, allow, mockserver.Question{Operation: op.ID, Client: c.ClientID}, c.User)
		if !ok {
			continue
		}
		cand := candidate{pick: relationshipPick{op: op, tokenOp: tokenOp, client: c, scope: a.Scopes, typeName: name}, rows: rows}
		if better(cand) {
			best = &cand
		}
	}
	if best != nil {
		return best.pick, true
	}
	return relationshipPick{}, false
}

type credentialsPick struct {
	op      client.Operation
	tokenOp client.Operation
	client  tenant.OAuthClient
}

// pickCredentials chooses the credentials API example: an OAuth client
// allowed listCredentialTypes;
// the client named preferred first, then clients of user anchor, then by
// client id. HTTP Basic cannot carry a client id with a colon, so such
// clients are left out.
func pickCredentials(t *tenant.Tenant, allow asker, preferred string, anchor int64) (credentialsPick, bool) {
	op, ok1 := client.LookupOperation(client.CredentialsAPI, "listCredentialTypes")
	tokenOp, ok2 := client.LookupOperation(client.CredentialsAPI, "getToken")
	if !ok1 || !ok2 {
		return credentialsPick{}, false
	}
	var fit []tenant.OAuthClient
	for _, c := range t.OAuthClients() {
		if _, ok := allow(mockserver.Question{Operation: op.ID, Client: c.ClientID}); ok && !strings.Contains(c.ClientID, ":") {
			fit = append(fit, c)
		}
	}
	rank := func(c tenant.OAuthClient) int {
		switch {
		case preferred != "" && c.ClientID == preferred:
			return 0
		case anchor != 0 && c.User == anchor:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(fit, func(a, b tenant.OAuthClient) int { return rank(a) - rank(b) })
	if len(fit) == 0 {
		return credentialsPick{}, false
	}
	return credentialsPick{op: op, tokenOp: tokenOp, client: fit[0]}, true
}

// dataExample is an entity query of an entity type with an API key the
// query is allowed for: a key of user anchor first, then keys whose user
// sees rows, then by key name.
func dataExample(t *tenant.Tenant, allow asker, baseURL string, anchor int64) (example, bool) {
	op, ok := client.LookupOperation(client.DataAPI, "entityQuery")
	if !ok {
		return example{}, false
	}
	type candidate struct {
		key      tenant.APIKey
		typeName string
		rank     int
	}
	var best *candidate
	for _, k := range t.APIKeys() {
		name, rows, _, ok := readableType(t, allow, mockserver.Question{Operation: op.ID, APIKey: k.Key}, k.User)
		if !ok {
			continue
		}
		rank := 3
		switch {
		case k.User == anchor && rows > 0:
			rank = 0
		case rows > 0:
			rank = 1
		case k.User == anchor:
			rank = 2
		}
		if best == nil || rank < best.rank {
			best = &candidate{key: k, typeName: name, rank: rank}
		}
	}
	if best == nil {
		return example{}, false
	}
	body := struct {
		TypeName string   `json:"typeName"`
		Fields   []string `json:"fields,omitempty"`
	}{TypeName: best.typeName}
	if et, ok := t.EntityType(best.typeName); ok {
		if _, ok := et.FieldName("Name"); ok {
			body.Fields = []string{"Name"}
		}
	}
	js, _ := json.Marshal(body)
	cmd := fmt.Sprintf("curl -sS -H %s -H %s -d %s %s",
		shellQuote("Authorization: ApiKey "+best.key.Key),
		shellQuote("Content-Type: application/json"),
		shellQuote(string(js)),
		shellQuote(baseURL+op.Path))
	return example{
		title:   fmt.Sprintf("data API: %s entity query with the API key of user %s", best.typeName, userLabel(t, best.key.User)),
		command: cmd,
	}, true
}

// credentialsExample fetches a token with HTTP Basic, then lists the
// credential types with it.
func credentialsExample(baseURL string, p credentialsPick) example {
	token := fmt.Sprintf("curl -sS -u %s -d grant_type=client_credentials %s | %s",
		shellQuote(p.client.ClientID+":"+p.client.Secret), shellQuote(baseURL+p.tokenOp.Path), tokenFromJSON)
	return example{
		title: fmt.Sprintf("credentials API: token for client %s (HTTP Basic), then the credential types", p.client.ClientID),
		command: fmt.Sprintf(`TOKEN=$(%s) && curl -sS -H "Authorization: Bearer $TOKEN" %s`,
			token, shellQuote(baseURL+p.op.Path)),
	}
}

// relationshipExample fetches a token with form fields and a scope, then
// reads the rows of an entry type, as the principal when there is one.
func relationshipExample(t *tenant.Tenant, baseURL string, p relationshipPick) example {
	args := []string{
		formArg("grant_type", "client_credentials"),
		formArg("client_id", p.client.ClientID),
		formArg("client_secret", p.client.Secret),
	}
	fields := "form fields"
	if len(p.scope) > 0 {
		scope := strings.Join(p.scope, " ")
		args = append(args, formArg("scope", scope))
		fields += ", scope " + scope
	}
	token := fmt.Sprintf("curl -sS %s %s | %s", strings.Join(args, " "), shellQuote(baseURL+p.tokenOp.Path), tokenFromJSON)
	rowsURL := baseURL + strings.Replace(p.op.Path, "{entryType}", url.PathEscape(p.typeName), 1)
	title := fmt.Sprintf("relationship API: token for client %s (%s), then the %s rows", p.client.ClientID, fields, p.typeName)
	asUser := ""
	if p.principal != 0 {
		title += " visible to AS-USER " + userLabel(t, p.principal)
		asUser = " -H " + shellQuote("AS-USER: "+strconv.FormatInt(p.principal, 10))
	} else {
		title += " visible to user " + userLabel(t, p.client.User)
	}
	return example{
		title: title,
		command: fmt.Sprintf(`TOKEN=$(%s) && curl -sS -H "Authorization: Bearer $TOKEN"%s %s`,
			token, asUser, shellQuote(rowsURL)),
	}
}

// userLabel is "6045 (Carol Principal)", or the id alone for an unknown user.
func userLabel(t *tenant.Tenant, id int64) string {
	if u, ok := t.User(id); ok {
		return fmt.Sprintf("%d (%s)", id, u.Name)
	}
	return strconv.FormatInt(id, 10)
}

// formArg is a curl form field: -d when the value needs no URL encoding,
// --data-urlencode otherwise.
func formArg(name, value string) string {
	if url.QueryEscape(value) == value {
		return "-d " + shellQuote(name+"="+value)
	}
	return "--data-urlencode " + shellQuote(name+"="+value)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
