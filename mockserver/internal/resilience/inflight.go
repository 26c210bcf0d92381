package resilience

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// InFlight bounds the vendor and admin requests served at once and the body bytes
// they hold. A request is admitted or refused at once, before its body is
// read: under a burst the server answers 503 with Retry-After instead of
// holding every body in memory.
type InFlight struct {
	mu                 sync.Mutex
	requests, bytes    int64
	maxRequests, maxBy int64
}

// NewInFlight bounds requests to maxRequests at once, holding at most
// maxBytes of bodies.
func NewInFlight(maxRequests, maxBytes int64) *InFlight {
	return &InFlight{maxRequests: maxRequests, maxBy: maxBytes}
}

// Admit reserves room for one request whose body may be weight bytes; the
// returned function gives it back.
func (l *InFlight) Admit(weight int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.requests+1 > l.maxRequests || l.bytes+weight > l.maxBy && l.requests > 0 {
		return false
	}
	l.requests++
	l.bytes += weight
	return true
}

// Release ends a request Admit admitted with the same weight.
func (l *InFlight) Release(weight int64) {
	l.mu.Lock()
	l.requests--
	l.bytes -= weight
	l.mu.Unlock()
}

// BodyWeight is what a request's body may hold in memory: its declared
// length, or the body limit maxBody when it declares none (chunked).
func BodyWeight(r *http.Request, maxBody int64) int64 {
	switch {
	case r.Body == nil || r.Body == http.NoBody:
		return 0
	case r.ContentLength < 0:
		return maxBody
	}
	return min(r.ContentLength, maxBody)
}

// Busy answers a request the in-flight bounds refused: 503 in the API's
// shape, with Retry-After.
func (l *InFlight) Busy(rc *pipeline.Request) {
	rc.Decision.Outcome = wire.OutcomeDeny
	rc.Decision.Reason = fmt.Sprintf("the mock is already serving its limit of requests at once (%d, or %d bytes of request bodies)",
		l.maxRequests, l.maxBy)
	rc.Decision.Fix = "retry after a second, send fewer requests at once, or raise the server's --max-in-flight and --max-in-flight-bytes"
	rc.W.Header().Set("Retry-After", "1")
	rc.WriteError(rc.Surface, &pipeline.Error{Status: http.StatusServiceUnavailable, Kind: pipeline.KindUnavailable,
		Msg: "the server is busy with other requests; retry after 1 second"})
}
