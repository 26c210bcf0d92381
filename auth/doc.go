// Package auth provides credentials for the tenantkit clients: API keys,
// data-API login sessions, static bearer tokens and OAuth client credentials,
// plus the AS-USER principal for proxied calls.
//
// # Providers
//
// A Provider sets the credential on one request attempt:
//
//   - APIKey sends "Authorization: ApiKey <key>" (data API).
//   - Bearer sends a fixed "Authorization: Bearer <token>".
//   - NewSession logs in to the data API with a user name and password on
//     first use and sends "Authorization: Session <id>"; it logs in again
//     when the session times out.
//   - NewClientCredentials fetches an OAuth 2.0 client-credentials token
//     (HTTP Basic for the credentials API, form fields and scope for the
//     relationship API), caches it, refreshes it before it expires and
//     sends "Authorization: Bearer <token>".
//
// No provider prints its secret: String, GoString (%#v) and slog's LogValue
// show only what identifies it, such as the user or client id.
//
// # Transport
//
// Transport applies a Provider (and a default AS-USER principal) on every
// attempt of a request, retries included, so a token refreshed during a back-off is used
// by the next attempt. Providers that can renew their credential (Session,
// ClientCredentials) implement Renewer: after a 401 the Transport renews once
// and repeats the request once, with its body; if the repeat is rejected too,
// its 401 is returned. The tenantkit client installs a Transport under its
// retry loop; build one yourself to use a provider with any http.Client:
//
//	cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
//		TokenURL:     auth.RelationshipTokenURL("https://firm.example.com"),
//		ClientID:     id,
//		ClientSecret: secret,
//		Scopes:       []string{"data"},
//		Style:        auth.StyleForm,
//	})
//	if err != nil { ... }
//	hc := &http.Client{Transport: &auth.Transport{Provider: cc}}
//
// APIKey and Bearer return a *StaticCredential, NewSession a *Session and
// NewClientCredentials a *ClientCredentials: concrete types, each a
// Provider.
//
// # AS-USER
//
// Transport.AsUser sends an AS-USER header on every request that does not
// already carry one (SetAsUser sets it on a request). The tenantkit client
// does not use it: it resolves the principal per call (client.AsUser,
// client.WithAsUser) and sets the header itself.
package auth
