// Package client is the tenantkit SDK: typed clients for the data API
// (Clarizen REST v2 shape), the credentials API (Genesys Cloud shape) and the
// relationship API (DealCloud shape), for the vendors themselves or for the
// tenantkit mock.
//
// One Client holds one service per API, built over the generated packages
// dataapi, credentialsapi and relationshipapi, whose models the methods take
// and return:
//
//	c, err := client.New("http://127.0.0.1:8080", client.WithAuth(auth.APIKey(key)))
//	page, err := c.Data.EntityQuery(ctx, dataapi.EntityQueryRequest{TypeName: "Project"})
//
// Every method takes a context and returns a result and an error; a non-2xx
// response is always an error. Optional model fields are pointers; Ptr
// fills them (dataapi.Paging{Limit: client.Ptr(50)}).
//
// # Call options
//
// Per-call settings are trailing CallOption arguments, the only per-call
// mechanism (the context carries only its deadline and cancellation):
//
//   - AsUser(id): act on behalf of a user (AS-USER), see below;
//   - IdempotencyKey(key) and ReplaySafe(): let a write be replayed;
//   - CaptureResponse(&resp): what the response said besides its body;
//   - Explain(&d): the mock's decision, for allowed calls too;
//   - EditRequest(fn): edit the request, e.g. add a header.
//
// # Responses
//
// CaptureResponse fills a *Response, in the manner of go-github's: the
// status, the header, the RequestID (ININ-Correlation-Id, X-Request-Id or
// X-Correlation-Id), RateLimit (inin-ratelimit-count, -allowed and -reset,
// nil when absent) and Replayed (the server answered a known
// Idempotency-Key from its first answer):
//
//	var resp client.Response
//	page, err := c.Credentials.List(ctx, nil, client.CaptureResponse(&resp))
//	fmt.Println(resp.RequestID, resp.RateLimit)
//
// It is filled for error responses too, and left zero when none arrived.
//
// # Authentication
//
// WithAuth installs an auth.Provider (auth.APIKey, auth.Bearer, auth.Session,
// auth.ClientCredentials). The client applies it on every attempt of every
// request, retries included, through an auth.Transport placed under the retry
// loop, so a token refreshed during a back-off is used by the next attempt.
// A provider that is also an auth.Renewer (sessions, OAuth tokens) is asked
// to renew once after a 401, and the request is repeated once.
//
// # AS-USER
//
// The relationship API can act on behalf of another user with the AS-USER
// header. One resolver decides which principal a call acts as, the most
// specific winning:
//
//  1. the AsUser(id) call option (AsUser(0) sends no AS-USER for that call,
//     even if the client or the params have one);
//  2. the generated params' ASUSER field, for methods that take params (the
//     caller's params are not modified);
//  3. the client-wide WithAsUser(id) option.
//
// The header is set once per call, before the retry loop, so every attempt
// carries it.
//
// Only operations whose spec declares the AS-USER header act on it
// (Operation.AsUser: the relationship API's proxy, row and schema operations). The
// data and credentials APIs ignore it, as the vendors do: the client still
// sends it when asked (a client-wide WithAsUser applies to every call), and
// such a call runs as the credential's own user, never the principal's.
//
// # Retries
//
// Requests go through hashicorp/go-retryablehttp. The rules:
//
//   - 429 is retried for every operation: the server did not act on it;
//   - a 5xx other than 501, and a network error, are retried only when the
//     request is replay-safe;
//   - Retry-After (seconds or an HTTP date) sets the wait; otherwise the wait
//     doubles from MinWait up to MaxWait, with jitter;
//   - a Retry-After longer than MaxRetryAfter (WithMaxRetryAfter, default 60s)
//     stops the retries at once and the call returns the error, a
//     *RateLimitError with RetryAfter for a 429;
//   - when retries run out, the last error response is returned as a typed
//     error, with its body;
//   - a cancelled context stops the call at once, during a back-off too.
//
// A request is replay-safe when its operation is ReadOnly in the operation
// table (LookupOperation): every GET, and the POSTs the spec marks
// x-read-only (entityQuery, query, countQuery, retrieveMultiple,
// queryRows). A write (createCredential, createObject,
// createProxyAssignments, the relationship API's row writes, updates,
// deletes, login) is sent once unless the
// caller opts in for that call, in either of two ways:
//
//	// the server deduplicates by Idempotency-Key
//	info, err := c.Credentials.Create(ctx, cred, client.IdempotencyKey(key))
//
//	// or: repeating this write is harmless
//	info, err := c.Credentials.Create(ctx, cred, client.ReplaySafe())
//
// Any request editor that sets an Idempotency-Key header has the same effect
// as IdempotencyKey. Tune retries with WithRetry, WithMaxRetries,
// WithRetryWait and WithMaxRetryAfter; WithMaxRetries(0) turns them off.
//
// # Errors
//
// A non-2xx response is an *APIError: API, Operation, StatusCode, the vendor
// Code and Message, RequestID (Genesys contextId or ININ-Correlation-Id,
// Clarizen referenceId, problem traceId), the raw Body and Header, and the
// mock's Decision when it sent one. The body is decoded as the error schema
// the operation declares: Genesys ErrorBody (credentials API), Clarizen
// {errorCode, message, referenceId} (data API), RFC 7807 problem details
// (relationship API), OAuth {error, error_description} (token endpoints); a
// body of any other shape is kept in Body and the status alone types the
// error. Typed errors embed the *APIError, so errors.As reaches either:
//
//	*UnauthenticatedError  401, or a credential refused before the call (see below), with Reason
//	*ScopeError            403, the token lacks the Missing scopes
//	*PermissionError       403, no role grants one of the Missing permissions
//	*ProxyError            403 (401 on the relationship API), the caller may not act as Principal
//	*ObjectAccessError     403, the EntityType may not be used through the API
//	*NotFoundError         404, or Clarizen EntityNotFound (sent with 500)
//	*RateLimitError        429, with RetryAfter
//	*ValidationError       400, with per-field Fields when the server names them
//
// A credential the auth provider could not use is an *UnauthenticatedError
// too, with Err set to the auth error, which errors.As also reaches: a token
// endpoint that refuses the client id, secret (*auth.TokenError,
// invalid_client) or a scope (invalid_scope, Reason scope_not_allowed), a
// login that refuses the user name or password (*auth.LoginError), or an
// empty secret (auth.ErrNoCredential, StatusCode 0). So one
// errors.As(err, &unauth) catches every credential mistake.
//
// The relationship API's row writes answer 200 even when rows fail (the
// vendor's per-row Errors): CreateRows, UpsertRows, UpdateRows and
// DeleteRows then return the per-row results and a *RowWriteError naming the
// Failed rows (the batch is written all or none; NotCommitted counts the rows
// left out).
//
// Failures without an error response (network, context, an undecodable 2xx
// body, a token endpoint that is down) are an *OperationError wrapping the
// cause. Error strings are one line
// and never contain headers, bodies, query strings or credentials.
//
// # Explanations
//
// The tenantkit mock explains every decision in a header that the SDK puts on
// its errors as Decision: the failed step, what was missing, the effective user,
// the caller it came through, a reason and a suggested fix ("grant scope
// user_management to client demo-reporting"); Decision.String gives it in one
// line. Its Outcome, Step and Code are typed (OutcomeDeny, StepScope,
// CodeMissingScopes, ...). To have allowed calls explained too, call with
// Explain:
//
//	var d client.Decision
//	page, err := c.Data.EntityQuery(ctx, req, client.Explain(&d))
//	fmt.Println(d.Reason) // allowed: api key service (user 2001); ...
//
// Explain also asks for what the header withholds by default: a *NotFoundError
// for a single row carries code row_not_found whether the row is hidden from
// the effective user or does not exist; under Explain it says row_hidden for
// a hidden row.
//
// # Paging
//
// Each list operation has a one-page method and an iterator
// (iter.Seq2[T, error]) that follows the API's own paging: the data API's
// paging object sent back unchanged until hasMore is false, Genesys page
// numbers or after cursors, DealCloud page numbers or skip/limit. Iterators
// never modify the caller's parameters, stop as soon as the loop body breaks
// (no extra request), yield an error at most once, and fail with ErrPaging
// rather than loop when a server claims more results without advancing.
// When a page fails after earlier pages were read (a context deadline, an
// error the retries could not overcome), the error is an *IncompleteError
// saying how many items and pages were read and which page failed; it wraps
// the failure, so errors.As still finds the *APIError or *RateLimitError.
//
//	for e, err := range c.Data.EntityQueryAll(ctx, req) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(e.Id)
//	}
package client
