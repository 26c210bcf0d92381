package mockserver

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// Defaults of the in-flight bounds (WithMaxInFlight).
const (
	// DefaultMaxInFlight is how many vendor and admin API requests the server works
	// on at once.
	DefaultMaxInFlight = 256
	// DefaultMaxInFlightBytes is how many bytes of request bodies those
	// requests may hold at once: a decoded JSON body costs several times
	// its size, so this bounds the memory of a burst of large bodies.
	DefaultMaxInFlightBytes = 8 << 20
)

// inflight bounds the vendor and admin requests served at once and the body bytes
// they hold. A request is admitted or refused at once, before its body is
// read: under a burst the server answers 503 with Retry-After instead of
// holding every body in memory.
type inflight struct {
	mu                 sync.Mutex
	requests, bytes    int64
	maxRequests, maxBy int64
}

// admit reserves room for one request whose body may be weight bytes; the
// returned function gives it back.
func (l *inflight) admit(weight int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.requests+1 > l.maxRequests || l.bytes+weight > l.maxBy && l.requests > 0 {
		return false
	}
	l.requests++
	l.bytes += weight
	return true
}

// release ends a request admit admitted with the same weight.
func (l *inflight) release(weight int64) {
	l.mu.Lock()
	l.requests--
	l.bytes -= weight
	l.mu.Unlock()
}

// bodyWeight is what a request's body may hold in memory: its declared
// length, or the body limit when it declares none (chunked).
func (s *Server) bodyWeight(r *http.Request) int64 {
	switch {
	case r.Body == nil || r.Body == http.NoBody:
		return 0
	case r.ContentLength < 0:
		return s.env.MaxBody
	}
	return min(r.ContentLength, s.env.MaxBody)
}

// busy answers a request the in-flight bounds refused: 503 in the API's
// shape, with Retry-After.
func (l *inflight) busy(rc *pipeline.Request) {
	rc.Decision.Outcome = wire.OutcomeDeny
	rc.Decision.Reason = fmt.Sprintf("the mock is already serving its limit of requests at once (%d, or %d bytes of request bodies)",
		l.maxRequests, l.maxBy)
	rc.Decision.Fix = "retry after a second, send fewer requests at once, or raise the server's --max-in-flight and --max-in-flight-bytes"
	rc.W.Header().Set("Retry-After", "1")
	rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusServiceUnavailable, Kind: pipeline.KindUnavailable,
		Msg: "the server is busy with other requests; retry after 1 second"})
}
