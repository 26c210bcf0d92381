package auth_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/auth"
)

const (
	dataUser     = "integration@example.com"
	dataPassword = "Pa55-word-never-shown"
)

// dataServer is a Clarizen-shaped data API: login, logout and an entity query
// that accepts only live sessions, answering 401 {errorCode, message,
// referenceId} otherwise.
type dataServer struct {
	*httptest.Server

	mu           sync.Mutex
	logins       int
	nextID       int
	live         map[string]bool
	rejectAll    bool              // reject every session, even a fresh one
	timeoutCode  int               // the status of a SessionTimeout answer (default 401)
	loginOptions map[string]string // last loginOptions received
	queries      []seen
	loggedOut    []string
	loginStarted chan struct{} // if set, signalled when a login arrives
	loginUnblock chan struct{} // if set, a login waits for it or for the client to give up
}

// newDataServer serves the data API under prefix (such as "/t1").
func newDataServer(t *testing.T, prefix string) *dataServer {
	t.Helper()
	s := &dataServer{live: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /V2.0/services/authentication/login", s.login)
	mux.HandleFunc("GET /V2.0/services/authentication/logout", s.logout)
	mux.HandleFunc("POST /V2.0/services/data/entityQuery", s.entityQuery)
	var h http.Handler = mux
	if prefix != "" {
		h = http.StripPrefix(prefix, mux)
	}
	s.Server = httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func clarizenError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"errorCode": code, "message": msg, "referenceId": "ref-42"})
}

func (s *dataServer) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UserName     string            `json:"userName"`
		Password     string            `json:"password"`
		LoginOptions map[string]string `json:"loginOptions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		clarizenError(w, http.StatusBadRequest, "InvalidArgument", err.Error())
		return
	}
	// The body is read first, so the server notices a client that gives up.
	if s.loginStarted != nil {
		s.loginStarted <- struct{}{}
	}
	if s.loginUnblock != nil {
		select {
		case <-s.loginUnblock:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins++
	s.loginOptions = body.LoginOptions
	if body.UserName != dataUser || body.Password != dataPassword {
		clarizenError(w, http.StatusUnauthorized, "Unauthorized", "Invalid user name or password")
		return
	}
	s.nextID++
	id := fmt.Sprintf("sess-%d", s.nextID)
	s.live[id] = true
	writeJSON(w, http.StatusOK, map[string]any{
		"sessionId": id, "userId": "/User/1", "organizationId": 1001, "licenseType": "Full",
	})
}

func (s *dataServer) logout(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.Header.Get("Authorization"), "Session ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live[id] {
		clarizenError(w, http.StatusUnauthorized, "Unauthorized", "No such session")
		return
	}
	delete(s.live, id)
	s.loggedOut = append(s.loggedOut, id)
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *dataServer) entityQuery(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	authz := r.Header.Get("Authorization")
	s.mu.Lock()
	s.queries = append(s.queries, seen{Authorization: authz, Body: string(b)})
	ok := !s.rejectAll && strings.HasPrefix(authz, "Session ") && s.live[strings.TrimPrefix(authz, "Session ")]
	s.mu.Unlock()
	if !ok {
		clarizenError(w, cmp.Or(s.timeoutCode, http.StatusUnauthorized), "SessionTimeout", "Session timed out, please log in again")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entities": []any{}, "paging": map[string]any{"from": 0, "limit": 100, "hasMore": false}})
}

// expireAll ends every session, as a session timeout would.
func (s *dataServer) expireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.live)
}

func (s *dataServer) loginCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

func (s *dataServer) seenQueries() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.queries...)
}

func newSessionClient(t *testing.T, base string, opts ...auth.SessionOption) (*auth.Session, *http.Client) {
	t.Helper()
	s, err := auth.NewSession(base, dataUser, dataPassword, opts...)
	require.NoError(t, err)
	return s, &http.Client{Transport: &auth.Transport{Provider: s}}
}

const entityQueryBody = `{"typeName":"Project","fields":["Name"],"paging":{"from":0,"limit":100}}`

func TestSessionLogsInOnceForConcurrentRequests(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	srv.loginStarted = make(chan struct{}, 1)
	srv.loginUnblock = make(chan struct{})
	_, hc := newSessionClient(t, srv.URL)

	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			do(t, t.Context(), hc, http.MethodPost, srv.URL+"/V2.0/services/data/entityQuery", entityQueryBody, http.StatusOK)
		})
	}
	<-srv.loginStarted // one login is in progress; the other requests wait for it
	close(srv.loginUnblock)
	wg.Wait()

	assert.Equal(t, 1, srv.loginCount())
	q := srv.seenQueries()
	require.Len(t, q, n)
	for _, s := range q {
		assert.Equal(t, "Session sess-1", s.Authorization)
	}
}

func TestSessionLogsInAgainAfterSessionTimeout(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	session, hc := newSessionClient(t, srv.URL)
	url := srv.URL + "/V2.0/services/data/entityQuery"

	do(t, t.Context(), hc, http.MethodPost, url, entityQueryBody, http.StatusOK)
	srv.expireAll()
	do(t, t.Context(), hc, http.MethodPost, url, entityQueryBody, http.StatusOK)

	assert.Equal(t, 2, srv.loginCount())
	q := srv.seenQueries()
	require.Len(t, q, 3)
	assert.Equal(t, seen{Authorization: "Session sess-1", Body: entityQueryBody}, q[0])
	assert.Equal(t, seen{Authorization: "Session sess-1", Body: entityQueryBody}, q[1], "rejected with SessionTimeout")
	assert.Equal(t, seen{Authorization: "Session sess-2", Body: entityQueryBody}, q[2], "repeated with the new session and the same body")

	id, err := session.SessionID(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "sess-2", id)
	assert.NotContains(t, fmt.Sprintf("%s %v %+v", holder{"h", session}, session, &holder{"h", session}), "sess-2", "the session id is a secret too")
}

// The vendor documents errorCode SessionTimeout, not its status: a 500 (or
// 403) that says SessionTimeout is renewed like a 401; another 500 is not.
func TestSessionLogsInAgainAfterSessionTimeoutOnAnyStatus(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusInternalServerError, http.StatusForbidden} {
		srv := newDataServer(t, "")
		srv.timeoutCode = status
		_, hc := newSessionClient(t, srv.URL)
		url := srv.URL + "/V2.0/services/data/entityQuery"
		do(t, t.Context(), hc, http.MethodPost, url, entityQueryBody, http.StatusOK)
		srv.expireAll()
		do(t, t.Context(), hc, http.MethodPost, url, entityQueryBody, http.StatusOK)
		assert.Equal(t, 2, srv.loginCount(), "status %d", status)
	}

	// A 500 that says something else is the caller's, body intact.
	big := strings.Repeat("x", 100<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/login") {
			writeJSON(w, http.StatusOK, map[string]any{"sessionId": "s1", "userId": "/User/1", "organizationId": 1, "licenseType": "Full"})
			return
		}
		clarizenError(w, http.StatusInternalServerError, "InternalError", big)
	}))
	t.Cleanup(srv.Close)
	_, hc := newSessionClient(t, srv.URL)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/V2.0/services/data/entityQuery", strings.NewReader(entityQueryBody))
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), big, "the whole body reaches the caller")
}

func TestSessionConcurrentTimeoutsLogInOnce(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	_, hc := newSessionClient(t, srv.URL)
	url := srv.URL + "/V2.0/services/data/entityQuery"
	do(t, t.Context(), hc, http.MethodPost, url, entityQueryBody, http.StatusOK)
	srv.expireAll()

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { do(t, t.Context(), hc, http.MethodPost, url, entityQueryBody, http.StatusOK) })
	}
	wg.Wait()
	assert.Equal(t, 2, srv.loginCount(), "ten 401s for one session cause one new login")
}

func TestSessionGivesUpWhenNewSessionIsRejected(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	srv.rejectAll = true
	_, hc := newSessionClient(t, srv.URL)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/V2.0/services/data/entityQuery", strings.NewReader(entityQueryBody))
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	var body struct{ ErrorCode string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, "SessionTimeout", body.ErrorCode)
	assert.Equal(t, 2, srv.loginCount(), "the first login and one more, no loop")
	assert.Len(t, srv.seenQueries(), 2)
}

func TestSessionWrongPassword(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	const wrong = "wr0ng-Pa55word"
	s, err := auth.NewSession(srv.URL, dataUser, wrong)
	require.NoError(t, err)
	hc := &http.Client{Transport: &auth.Transport{Provider: s}}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/V2.0/services/data/entityQuery", strings.NewReader(entityQueryBody))
	require.NoError(t, err)
	_, err = hc.Do(req) //nolint:bodyclose // no response on error
	require.Error(t, err)

	var le *auth.LoginError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, dataUser, le.UserName)
	assert.Equal(t, http.StatusUnauthorized, le.StatusCode)
	assert.Equal(t, "Unauthorized", le.Code)
	assert.Equal(t, "ref-42", le.ReferenceID)
	assert.Contains(t, err.Error(), dataUser)
	assert.Contains(t, err.Error(), "Invalid user name or password")
	assert.NotContains(t, err.Error(), wrong)
	assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), wrong)
	assert.Empty(t, srv.seenQueries(), "no request without a session")

	_, err = s.SessionID(t.Context())
	require.ErrorAs(t, err, &le)
	assert.Equal(t, `auth: log in as "integration@example.com": HTTP 401 Unauthorized: Invalid user name or password (referenceId ref-42)`, err.Error())
}

func TestSessionBaseURLForms(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "/tenant-a")
	for _, base := range []string{
		srv.URL + "/tenant-a",
		srv.URL + "/tenant-a/",
		srv.URL + "/tenant-a/V2.0/services",
		srv.URL + "/tenant-a/V2.0/services/",
	} {
		s, err := auth.NewSession(base, dataUser, dataPassword)
		require.NoError(t, err)
		id, err := s.SessionID(t.Context())
		require.NoError(t, err, base)
		assert.NotEmpty(t, id)
	}
	assert.Equal(t, 4, srv.loginCount())
}

func TestSessionLoginOptionsAndHTTPClient(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	var used sync.Map
	loginClient := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Store(r.URL.Path, true)
		return http.DefaultTransport.RoundTrip(r)
	})}
	s, err := auth.NewSession(srv.URL, dataUser, dataPassword,
		auth.WithSessionHTTPClient(loginClient), auth.WithLoginOptions("partner-1", "app-7"))
	require.NoError(t, err)
	_, err = s.SessionID(t.Context())
	require.NoError(t, err)

	srv.mu.Lock()
	assert.Equal(t, map[string]string{"partnerId": "partner-1", "applicationId": "app-7"}, srv.loginOptions)
	srv.mu.Unlock()
	_, ok := used.Load("/V2.0/services/authentication/login")
	assert.True(t, ok, "login went through the given client")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSessionLogout(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	s, hc := newSessionClient(t, srv.URL)
	require.NoError(t, s.Logout(t.Context()), "no session yet: nothing to do")

	do(t, t.Context(), hc, http.MethodPost, srv.URL+"/V2.0/services/data/entityQuery", entityQueryBody, http.StatusOK)
	require.NoError(t, s.Logout(t.Context()))
	srv.mu.Lock()
	assert.Equal(t, []string{"sess-1"}, srv.loggedOut)
	srv.mu.Unlock()

	// The session is usable again: the next request logs in anew.
	do(t, t.Context(), hc, http.MethodPost, srv.URL+"/V2.0/services/data/entityQuery", entityQueryBody, http.StatusOK)
	assert.Equal(t, 2, srv.loginCount())
	q := srv.seenQueries()
	assert.Equal(t, "Session sess-2", q[len(q)-1].Authorization)

	// Logging out a session the server already ended is not an error.
	srv.expireAll()
	require.NoError(t, s.Logout(t.Context()))
}

func TestSessionLoginHonoursContext(t *testing.T) {
	t.Parallel()
	srv := newDataServer(t, "")
	srv.loginStarted = make(chan struct{}, 1)
	srv.loginUnblock = make(chan struct{}) // never closed: the login hangs
	s, err := auth.NewSession(srv.URL, dataUser, dataPassword)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-srv.loginStarted
		cancel()
	}()
	_, err = s.SessionID(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), dataPassword)
}

func TestNewSessionValidates(t *testing.T) {
	t.Parallel()
	_, err := auth.NewSession("not a url", dataUser, dataPassword)
	require.Error(t, err)
	_, err = auth.NewSession("ftp://example.com", dataUser, dataPassword)
	require.Error(t, err)
	_, err = auth.NewSession("https://example.com", "", dataPassword)
	require.Error(t, err)
	_, err = auth.NewSession("https://example.com", dataUser, "")
	require.ErrorIs(t, err, auth.ErrNoCredential)
	assert.Contains(t, err.Error(), dataUser)
	_, err = auth.NewSession("https://someone:hunter2@example.com", dataUser, dataPassword)
	require.ErrorContains(t, err, "must not contain user info")
	assert.NotContains(t, err.Error(), "hunter2")
}
