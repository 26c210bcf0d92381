package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"
)

// fetchOnce runs at most one credential fetch at a time (a login, a token
// request) with golang.org/x/sync/singleflight: callers that arrive while
// one runs wait for its result instead of starting their own, so a burst of
// requests, or of 401s, causes one round trip.
//
// The fetch runs with the context of the caller that started it. A waiter
// stops waiting when its own context ends; if the fetch failed only because
// its starter's context ended, a waiter whose context is still live starts
// a new one.
func fetchOnce[T any](g *singleflight.Group, ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	for {
		ch := g.DoChan("", func() (any, error) { return fn(ctx) })
		select {
		case r := <-ch:
			if r.Err != nil && ctx.Err() == nil &&
				(errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				continue // the starter gave up; try with our own context
			}
			v, _ := r.Val.(T)
			return v, r.Err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// renewable is the state shared by the providers that renew a credential
// after a 401 (Session, ClientCredentials): the current credential T, whose
// Authorization value cred gives, and the renewal rule.
type renewable[T any] struct {
	scheme string          // the Authorization scheme with its space: "Session ", "Bearer "
	cred   func(*T) string // the credential sent for a T
	mu     sync.Mutex
	cur    *T // nil before the first fetch and after a rejection
}

// load returns the current credential, nil if there is none.
func (r *renewable[T]) load() *T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// store makes v the current credential.
func (r *renewable[T]) store(v *T) {
	r.mu.Lock()
	r.cur = v
	r.mu.Unlock()
}

// swap forgets the current credential and returns it.
func (r *renewable[T]) swap() *T {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.cur
	r.cur = nil
	return cur
}

// renew implements Renewer for both providers. After a 401 to a request
// that carried the current credential it forgets it and obtains a new one
// with get, reporting whether that differs from the rejected one; if
// another request has already replaced the rejected credential it reports
// true without fetching. It reports false for a 401 to a request that did
// not carry a credential of this scheme.
func (r *renewable[T]) renew(ctx context.Context, rejected *http.Response, get func(context.Context) (string, error)) (bool, error) {
	used, known := rejectedCredential(rejected, r.scheme)
	if known && used == "" {
		return false, nil
	}
	r.mu.Lock()
	switch {
	case known && r.cur != nil && used != r.cred(r.cur):
		r.mu.Unlock()
		return true, nil // someone else already renewed it
	case !known || (r.cur != nil && used == r.cred(r.cur)):
		r.cur = nil
	}
	r.mu.Unlock()
	v, err := get(ctx)
	if err != nil {
		return false, err
	}
	return v != used, nil
}

// rejectedCredential returns the credential a rejected request carried under
// the given Authorization scheme prefix. known is false when the request is
// not available; cred is "" when it carried no credential of that scheme.
func rejectedCredential(rejected *http.Response, prefix string) (cred string, known bool) {
	if rejected == nil || rejected.Request == nil {
		return "", false
	}
	h := rejected.Request.Header.Get("Authorization")
	if !strings.HasPrefix(h, prefix) {
		return "", true
	}
	return strings.TrimPrefix(h, prefix), true
}
