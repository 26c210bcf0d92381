package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/sync/singleflight"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

// maxAuthBody bounds how much of a login or token response is read.
const maxAuthBody = 1 << 20

// dataServicesPath is the data API's path prefix; NewSession accepts a base URL
// with or without it.
const dataServicesPath = "/V2.0/services"

// Session is a data-API login session: it logs in with a user name and
// password on first use and sends "Authorization: Session <sessionId>".
//
// A Session is a Provider and a Renewer. When the data API rejects the session
// with a 401 (errorCode SessionTimeout, or Unauthorized after the session was
// ended elsewhere), or with errorCode SessionTimeout on another status (the
// vendor documents the code, not the status), Renew logs in again once and
// the Transport repeats the request once; if the new session is rejected too, the 401 is returned. It is
// safe for concurrent use: concurrent requests, and concurrent 401s for the
// same session, share one login.
//
// Printing a Session shows the user and server, never the password or the
// session id.
type Session struct {
	server   string // base URL ending in "/", without /V2.0/services
	userName string
	password *secret
	options  *dataapi.LoginOptions
	hc       *http.Client

	// Behind pointers, like the secret: fmt reads a struct's fields by
	// reflection, and these change under concurrent use.
	login *singleflight.Group
	id    *renewable[secret] // the current session id
}

// SessionOption configures a Session.
type SessionOption func(*Session)

// WithSessionHTTPClient sets the client used for login and logout (default
// http.DefaultClient). It must not send through a Transport that uses this
// Session, or the login would wait for itself.
func WithSessionHTTPClient(c *http.Client) SessionOption {
	return func(s *Session) {
		if c != nil {
			s.hc = c
		}
	}
}

// WithLoginOptions sends loginOptions {partnerId, applicationId} with the
// login request. Empty values are left out.
func WithLoginOptions(partnerID, applicationID string) SessionOption {
	return func(s *Session) {
		opts := &dataapi.LoginOptions{}
		if partnerID != "" {
			opts.PartnerId = &partnerID
		}
		if applicationID != "" {
			opts.ApplicationId = &applicationID
		}
		if opts.PartnerId == nil && opts.ApplicationId == nil {
			opts = nil
		}
		s.options = opts
	}
}

// NewSession returns a Session that logs in to the data API at baseURL as
// userName. baseURL is the server's root (https://api.example.com) or its
// service base ending in /V2.0/services, such as a getServerDefinition
// serverLocation. No request is made until the Session is first used; call
// SessionID to log in eagerly.
//
// It fails if baseURL is not an absolute http(s) URL (or has user info), if userName is empty, or
// if password is empty (an error wrapping ErrNoCredential).
func NewSession(baseURL, userName, password string, opts ...SessionOption) (*Session, error) {
	server, err := sessionServer(baseURL)
	if err != nil {
		return nil, err
	}
	if userName == "" {
		return nil, errors.New("auth: session: empty user name")
	}
	if password == "" {
		return nil, fmt.Errorf("auth: session for user %q: empty password: %w", userName, ErrNoCredential)
	}
	s := &Session{server: server, userName: userName, password: newSecret(password), hc: http.DefaultClient}
	s.login = new(singleflight.Group)
	s.id = &renewable[secret]{scheme: "Session ", cred: func(v *secret) string { return v.value }}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// sessionServer turns a base URL into the generated client's server: the root
// URL ending in "/", with any /V2.0/services suffix removed.
func sessionServer(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("auth: session: base URL must be an absolute http(s) URL")
	}
	if u.User != nil {
		return "", fmt.Errorf("auth: session: base URL must not contain user info (pass the user name and password to NewSession)")
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, dataServicesPath)
	u.Path = p + "/"
	u.RawPath = ""
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// Apply implements Provider: it logs in if there is no current session (with
// req's context) and sets "Authorization: Session <id>".
func (s *Session) Apply(req *http.Request) error {
	id, err := s.SessionID(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Session "+id)
	return nil
}

// SessionID returns the current session id, logging in first if there is
// none. It is for callers that need the id itself, for example to hand a
// session to another tool; requests sent through a Transport get it
// automatically.
func (s *Session) SessionID(ctx context.Context) (string, error) {
	if id := s.current(); id != "" {
		return id, nil
	}
	return fetchOnce(s.login, ctx, func(ctx context.Context) (string, error) {
		if id := s.current(); id != "" {
			return id, nil // a login that finished just before this one started
		}
		id, err := s.doLogin(ctx)
		if err != nil {
			return "", err
		}
		s.id.store(newSecret(id))
		return id, nil
	})
}

// current returns the current session id, or "" if there is none.
func (s *Session) current() string {
	if id := s.id.load(); id != nil {
		return id.value
	}
	return ""
}

// Renew implements Renewer. After a 401 to a request that carried the
// current session it logs in again and reports true; if another request has
// already replaced that session it reports true without logging in. It
// reports false for a 401 to a request that did not carry a session.
func (s *Session) Renew(ctx context.Context, rejected *http.Response) (bool, error) {
	return s.id.renew(ctx, rejected, s.SessionID)
}

// Logout ends the current session on the server (GET
// /V2.0/services/authentication/logout) and forgets it. It does nothing if
// there is no session. The Session stays usable: the next request logs in
// again. A 401 from the server (the session had already ended) is not an
// error.
func (s *Session) Logout(ctx context.Context) error {
	cur := s.id.swap()
	if cur == nil {
		return nil
	}
	req, err := dataapi.NewLogoutRequest(s.server)
	if err != nil {
		return fmt.Errorf("auth: log out user %q: %w", s.userName, err)
	}
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Session "+cur.value)
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("auth: log out user %q: %w", s.userName, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAuthBody))
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusUnauthorized {
		return nil
	}
	e := newLoginError(s.userName, resp.StatusCode, body)
	e.op = "log out"
	return e
}

func (s *Session) doLogin(ctx context.Context) (string, error) {
	req, err := dataapi.NewLoginRequest(s.server, dataapi.LoginRequest{
		UserName:     s.userName,
		Password:     s.password.value,
		LoginOptions: s.options,
	})
	if err != nil {
		return "", fmt.Errorf("auth: log in as %q: %w", s.userName, err)
	}
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req) // the error names the URL only; the password is in the body
	if err != nil {
		return "", fmt.Errorf("auth: log in as %q: %w", s.userName, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAuthBody))
	if err != nil {
		return "", fmt.Errorf("auth: log in as %q: read response: %w", s.userName, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", newLoginError(s.userName, resp.StatusCode, body)
	}
	var res dataapi.LoginResult
	if err := json.Unmarshal(body, &res); err != nil {
		return "", fmt.Errorf("auth: log in as %q: decode response: %w", s.userName, err)
	}
	if res.SessionId == "" {
		return "", fmt.Errorf("auth: log in as %q: response has no sessionId", s.userName)
	}
	return res.SessionId, nil
}

// String describes the session by user and server; it never shows the
// password or the session id.
func (s *Session) String() string {
	return fmt.Sprintf("auth.Session(user=%q, server=%s)", s.userName, s.server)
}

// GoString is used by the %#v verb; it is the same as String.
func (s *Session) GoString() string { return s.String() }

// LogValue implements slog.LogValuer without the password or session id.
func (s *Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", "session"),
		slog.String("user", s.userName),
		slog.String("server", s.server),
	)
}

// LoginError is returned when the data API refuses a login (or logout). It
// names the user, never the password.
type LoginError struct {
	// UserName is the user who tried to log in.
	UserName string
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the data API's errorCode, such as "Unauthorized", when the body
	// had one.
	Code string
	// Message is the data API's message, when the body had one.
	Message string
	// ReferenceID is the data API's correlation id of the failed call.
	ReferenceID string

	op string // "log in" or "log out"
}

func newLoginError(user string, status int, body []byte) *LoginError {
	e := &LoginError{UserName: user, StatusCode: status, op: "log in as"}
	var eb dataapi.Error
	if json.Unmarshal(body, &eb) == nil {
		e.Code, e.Message = eb.ErrorCode, eb.Message
		if eb.ReferenceId != nil {
			e.ReferenceID = *eb.ReferenceId
		}
	}
	return e
}

// Error implements error.
func (e *LoginError) Error() string {
	op := e.op
	if op == "" {
		op = "log in as"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "auth: %s %q: HTTP %d", op, e.UserName, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.ReferenceID != "" {
		b.WriteString(" (referenceId " + e.ReferenceID + ")")
	}
	return b.String()
}
