package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/tenantkit/tenantkit/auth"
)

// RetryPolicy says when and how long the client waits before repeating a
// failed request.
//
// A 429 is retried for every operation: the server did not act on the
// request. A 5xx other than 501 and a network error are retried only when the
// request is replay-safe (see the package documentation). The wait is the
// server's Retry-After when it sends one, otherwise MinWait doubled on each
// attempt up to MaxWait, with jitter.
type RetryPolicy struct {
	// MaxRetries is how many times a request may be repeated after the
	// first attempt; 0 disables retries.
	MaxRetries int
	// MinWait and MaxWait bound the back-off when there is no Retry-After.
	MinWait, MaxWait time.Duration
	// MaxRetryAfter caps a server's Retry-After: a longer one stops the
	// retries and the call returns the server's error at once.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless told otherwise:
// 3 retries, 1s to 30s back-off, Retry-After honoured up to 60s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinWait: time.Second, MaxWait: 30 * time.Second, MaxRetryAfter: 60 * time.Second}
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxRetries < 0:
		return errors.New("MaxRetries is negative")
	case p.MinWait <= 0:
		return errors.New("MinWait must be positive")
	case p.MaxWait < p.MinWait:
		return errors.New("MaxWait is less than MinWait")
	case p.MaxRetryAfter <= 0:
		return errors.New("MaxRetryAfter must be positive")
	}
	return nil
}

// replaySafe reports whether the request of ctx may be sent again after the
// server may have acted on it.
func replaySafe(ctx context.Context) bool {
	c := callFrom(ctx)
	return c != nil && (c.replaySafe || c.op.ReadOnly || c.idempotencyKey)
}

// retrier runs a Client's retry policy on the retryablehttp loop. It does
// the waiting itself, with an injectable clock and sleeper (as stripe-go
// does), so tests need not wait in real time: retryablehttp's own Backoff
// returns 0 and the wait happens in PrepareRetry, just before the next
// attempt, with the request's context.
type retrier struct {
	policy RetryPolicy
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
}

func newRetrier(p RetryPolicy) *retrier {
	return &retrier{policy: p, now: time.Now, sleep: sleepContext}
}

// sleepContext waits d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// checkRetry is the retryablehttp.CheckRetry of a Client. It remembers the
// response it let through for prepareRetry's wait.
func (r *retrier) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, cerr := r.policy.checkRetry(ctx, resp, err, r.now())
	if c := callFrom(ctx); c != nil && retry {
		c.lastResp = resp
	}
	return retry, cerr
}

// noWait is the retryablehttp.Backoff of a Client: prepareRetry waits.
func noWait(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }

// prepareRetry is the retryablehttp.PrepareRetry of a Client: it waits the
// back-off (Retry-After, or exponential with jitter) before the next attempt.
func (r *retrier) prepareRetry(req *http.Request) error {
	var (
		attempt int
		resp    *http.Response
	)
	if c := callFrom(req.Context()); c != nil {
		attempt, resp = c.retries, c.lastResp
		c.retries++
	}
	return r.sleep(req.Context(), r.policy.backoff(r.policy.MinWait, r.policy.MaxWait, attempt, resp, r.now()))
}

// checkRetry decides on one attempt at now.
func (p RetryPolicy) checkRetry(ctx context.Context, resp *http.Response, err error, now time.Time) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if !replaySafe(ctx) || credentialRefused(err) {
			return false, nil // the error itself is returned
		}
		// Network errors: retryablehttp knows which are permanent
		// (redirect loops, bad scheme, certificates).
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, nil, err)
		return retry, nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && replaySafe(ctx):
		if permanent(ctx, resp) {
			return false, nil
		}
	default:
		return false, nil
	}
	if d, ok := parseRetryAfter(resp.Header, now); ok && d > p.MaxRetryAfter {
		return false, nil // the caller gets the response, with RetryAfter
	}
	return true, nil
}

// credentialRefused reports whether a transport error is the auth
// provider's definite refusal, which no retry can change: an empty secret, or
// a token endpoint or login answering with a 4xx other than 429.
func credentialRefused(err error) bool {
	var te *auth.TokenError
	var le *auth.LoginError
	return errors.Is(err, auth.ErrNoCredential) ||
		(errors.As(err, &te) && refusedStatus(te.StatusCode)) ||
		(errors.As(err, &le) && refusedStatus(le.StatusCode))
}

// permanent reports whether a 5xx response carries a vendor code that no
// retry can change: Clarizen reports EntityNotFound with HTTP 500. The body
// is read (up to maxErrorBody) and put back for the caller.
func permanent(ctx context.Context, resp *http.Response) bool {
	c := callFrom(ctx)
	if c == nil || resp.Body == nil || resp.Body == http.NoBody {
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	v := parseVendorError(c.op, body)
	return slices.Contains(notFoundCodes, v.code)
}

// backoff is the wait before retry number attempt (0-based) at now:
// Retry-After (seconds or an HTTP date) when the server sent it, else
// exponential with jitter.
func (p RetryPolicy) backoff(lo, hi time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header, now); ok {
			return d // checkRetry has already refused anything over the cap
		}
	}
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		if d > hi/2 {
			d = hi
			break
		}
		d *= 2
	}
	d = min(d, hi)
	// Keep 50-100% of the computed wait, never less than the minimum.
	if half := d / 2; half > 0 {
		d = half + rand.N(half+1)
	}
	return max(d, lo)
}

// parseRetryAfter reads Retry-After as delta-seconds or an HTTP date. A date
// in the past means "now" (0, true).
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64((1<<63-1)/time.Second) {
			secs = int64((1<<63 - 1) / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// keepLastResponse is the retryablehttp.ErrorHandler: when retries give up on
// a response, hand that response (and its body) to the caller instead of an
// opaque "giving up" error.
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return resp, nil
	}
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}
