package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/auth"
)

// Option configures a Client. Options validate their input: New returns the
// first option's error.
type Option func(*settings) error

// RequestEditorFn edits an outgoing request before it enters the retry loop,
// e.g. to add a header (see WithRequestEditor and EditRequest). It runs once
// per call, not once per attempt (use an auth.Provider for anything that
// must be fresh on every attempt).
type RequestEditorFn func(ctx context.Context, req *http.Request) error

// settings collects what the options set; New turns it into a Client.
type settings struct {
	httpClient *http.Client
	provider   auth.Provider
	// apiProviders are the WithAuthFor providers, by API.
	apiProviders map[API]auth.Provider
	asUser       int64
	retry        RetryPolicy
	logger       *slog.Logger
	userAgent    string
	editors      []RequestEditorFn
	// now and sleep replace the clock and the back-off sleeper (tests).
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func defaultSettings() *settings {
	return &settings{retry: DefaultRetryPolicy(), userAgent: DefaultUserAgent}
}

// editor returns the client-wide request editor: User-Agent, then the
// caller's editors in order.
func (s *settings) editor() RequestEditorFn {
	ua := s.userAgent
	editors := append([]RequestEditorFn(nil), s.editors...)
	return func(ctx context.Context, req *http.Request) error {
		req.Header.Set("User-Agent", ua)
		for _, e := range editors {
			if err := e(ctx, req); err != nil {
				return err
			}
		}
		return nil
	}
}

// WithHTTPClient sends requests through a copy of hc: its Transport (nil means
// a pooled default transport), Timeout (per attempt), Jar and CheckRedirect
// are used; hc itself is not modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		s.httpClient = hc
		return nil
	}
}

// WithAuth authorizes every request attempt, retries included, with p (see
// package auth: ApiKey, Bearer, Session, ClientCredentials). If p also
// implements auth.Renewer, a 401 makes the client renew the credential once
// and repeat the request.
func WithAuth(p auth.Provider) Option {
	return func(s *settings) error {
		if p == nil {
			return errors.New("WithAuth: nil provider")
		}
		s.provider = p
		return nil
	}
}

// WithAsUser makes every relationship API call on behalf of the principal
// userID (the AS-USER header) unless the call says otherwise: the AsUser
// call option, then the generated params' ASUSER field, win over it. The
// header goes with every call, but only operations that declare it
// (Operation.AsUser) act on it: data and credentials API calls run as the
// credential's own user.
func WithAsUser(userID int64) Option {
	return func(s *settings) error {
		if userID <= 0 {
			return fmt.Errorf("WithAsUser: user id must be positive, got %d", userID)
		}
		s.asUser = userID
		return nil
	}
}

// WithRetry replaces the whole retry policy. Start from DefaultRetryPolicy and
// change what you need.
func WithRetry(p RetryPolicy) Option {
	return func(s *settings) error {
		if err := p.validate(); err != nil {
			return fmt.Errorf("WithRetry: %w", err)
		}
		s.retry = p
		return nil
	}
}

// WithMaxRetries sets how many times a failed request may be repeated after
// the first attempt; 0 disables retries.
func WithMaxRetries(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return fmt.Errorf("WithMaxRetries: negative count %d", n)
		}
		s.retry.MaxRetries = n
		return nil
	}
}

// WithRetryWait sets the back-off bounds between attempts when the server
// gives no Retry-After: the wait starts at min and doubles up to max.
func WithRetryWait(min, max time.Duration) Option {
	return func(s *settings) error {
		p := s.retry
		p.MinWait, p.MaxWait = min, max
		if err := p.validate(); err != nil {
			return fmt.Errorf("WithRetryWait: %w", err)
		}
		s.retry = p
		return nil
	}
}

// WithMaxRetryAfter caps how long the client waits when a server sends
// Retry-After. A longer Retry-After ends the retries at once: the call returns
// the server's error (a *RateLimitError for 429) carrying the requested wait.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return fmt.Errorf("WithMaxRetryAfter: must be positive, got %s", d)
		}
		s.retry.MaxRetryAfter = d
		return nil
	}
}

// WithLogger logs retries and failed attempts to l (at debug and error
// level). Without it the client logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		s.logger = l
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(s *settings) error {
		ua = strings.TrimSpace(ua)
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("WithUserAgent: empty or multi-line user agent")
		}
		s.userAgent = ua
		return nil
	}
}

// WithRequestEditor adds an editor that runs on every call of every service,
// after the client's own headers and before the call's EditRequest editors.
func WithRequestEditor(fn RequestEditorFn) Option {
	return func(s *settings) error {
		if fn == nil {
			return errors.New("WithRequestEditor: nil editor")
		}
		s.editors = append(s.editors, fn)
		return nil
	}
}
