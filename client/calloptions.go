package client

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CallOption configures one call. Every service method takes them as its
// trailing arguments:
//
//	rows, err := c.Relationship.Rows(ctx, "Deals", nil, client.AsUser(6045), client.CaptureResponse(&resp))
//
// Call options are the only per-call mechanism: the context carries
// nothing but its deadline and cancellation.
type CallOption func(*callOptions)

// callOptions is what the call options set.
type callOptions struct {
	asUserOpt   *int64 // AsUser
	paramAsUser *int64 // a generated params struct's ASUSER field
	replaySafe  bool
	idemKey     string
	response    *Response
	explain     *Decision
	editors     []RequestEditorFn
	err         error // the first invalid option
}

func (o *callOptions) fail(err error) {
	if o.err == nil {
		o.err = err
	}
}

// AsUser makes the call on behalf of the principal userID (the relationship
// API's AS-USER header). It wins over the generated params' ASUSER field and
// over the client-wide WithAsUser; 0 sends no AS-USER even if the client has
// one. Operations that do not declare AS-USER (Operation.AsUser false: the
// data and credentials APIs) ignore the header and run as the credential's
// own user.
func AsUser(userID int64) CallOption {
	return func(o *callOptions) {
		if userID < 0 {
			o.fail(fmt.Errorf("AsUser: negative user id %d", userID))
			return
		}
		o.asUserOpt = &userID
	}
}

// IdempotencyKeyHeader is the header that marks a write as safe to replay.
const IdempotencyKeyHeader = "Idempotency-Key"

// IdempotencyKey sends the Idempotency-Key header with the call. A request
// carrying it is replayed after a 5xx or a network error like a read; only
// use it when the server deduplicates by that key (the tenantkit mock does:
// a repeat gets the first answer, with Response.Replayed set). An empty key,
// one with a control character, or one longer than the specs'
// x-max-idempotency-key makes the call fail before it is sent.
func IdempotencyKey(key string) CallOption {
	return func(o *callOptions) {
		if strings.TrimSpace(key) == "" || len(key) > maxIdempotencyKey || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			o.fail(errors.New("invalid idempotency key"))
			return
		}
		o.idemKey = key
	}
}

// ReplaySafe lets the call be replayed after a 5xx or a network error even
// when the operation writes. Use it only for writes the server
// deduplicates, or whose repetition is harmless.
func ReplaySafe() CallOption {
	return func(o *callOptions) { o.replaySafe = true }
}

// Explain asks the tenantkit mock to explain its authorization decision for
// the call, allowed or not, and stores it in *d when the call returns: the
// outcome, the effective user and the caller, and a reason such as
// "allowed: api key service (user 2001); entity type Project is readable
// through the API; rows are limited to those visible to user 2001". A real
// vendor sends no decision; *d is then left zero (its Outcome is ""). Denied
// calls also carry the decision on their error.
func Explain(d *Decision) CallOption {
	return func(o *callOptions) {
		if d == nil {
			o.fail(errors.New("Explain: nil *Decision"))
			return
		}
		o.explain = d
	}
}

// CaptureResponse stores in *r what the call's final response said besides
// its body: status, header, request id, rate-limit values and whether an
// idempotent write was replayed. It is filled whenever a response arrived,
// for errors too; it is zero when none did. An iterator fills it for each
// page, so after the loop it describes the last page.
func CaptureResponse(r *Response) CallOption {
	return func(o *callOptions) {
		if r == nil {
			o.fail(errors.New("CaptureResponse: nil *Response"))
			return
		}
		o.response = r
	}
}

// EditRequest edits the call's request before it enters the retry loop, e.g.
// to add a header. It runs once per call, after the client-wide editors,
// not once per attempt (use an auth.Provider for anything that must be
// fresh on every attempt).
func EditRequest(fn RequestEditorFn) CallOption {
	return func(o *callOptions) {
		if fn == nil {
			o.fail(errors.New("EditRequest: nil editor"))
			return
		}
		o.editors = append(o.editors, fn)
	}
}

// Response is what a call's final response said besides its body, filled
// by CaptureResponse, in the manner of go-github's *Response.
type Response struct {
	// StatusCode is the HTTP status; 0 when no response arrived.
	StatusCode int
	// Header is the response header.
	Header http.Header
	// RequestID correlates the call with server logs: the
	// ININ-Correlation-Id, X-Request-Id or X-Correlation-Id header.
	RequestID string
	// RateLimit holds the inin-ratelimit-* values; nil when the server
	// sent none.
	RateLimit *RateLimit
	// Replayed reports that the server answered an Idempotency-Key it had
	// seen with the first answer, without acting again
	// (Idempotent-Replayed: true).
	Replayed bool
}

// RateLimit is a server's view of the caller's rate limit (Genesys Cloud's
// inin-ratelimit-count, -allowed and -reset headers).
type RateLimit struct {
	// Count is how many requests were counted in the current window.
	Count int
	// Allowed is how many requests the window allows.
	Allowed int
	// Reset is how long until the window starts anew.
	Reset time.Duration
}

// ReplayedHeader is the header a server sets on an answer repeated for a
// known Idempotency-Key.
const ReplayedHeader = "Idempotent-Replayed"

func newResponse(resp *http.Response) Response {
	return Response{
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		RequestID:  requestIDHeader(resp.Header),
		RateLimit:  parseRateLimit(resp.Header),
		Replayed:   strings.EqualFold(strings.TrimSpace(resp.Header.Get(ReplayedHeader)), "true"),
	}
}

// requestIDHeader returns the correlation id a response header carries.
func requestIDHeader(h http.Header) string {
	return firstNonEmpty(h.Get("ININ-Correlation-Id"), h.Get("X-Request-Id"), h.Get("X-Correlation-Id"))
}

func parseRateLimit(h http.Header) *RateLimit {
	count, errC := strconv.Atoi(strings.TrimSpace(h.Get("inin-ratelimit-count")))
	allowed, errA := strconv.Atoi(strings.TrimSpace(h.Get("inin-ratelimit-allowed")))
	reset, errR := strconv.Atoi(strings.TrimSpace(h.Get("inin-ratelimit-reset")))
	if errC != nil && errA != nil && errR != nil {
		return nil
	}
	return &RateLimit{Count: count, Allowed: allowed, Reset: time.Duration(max(reset, 0)) * time.Second}
}
