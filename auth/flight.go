package auth

import (
	"context"
	"errors"
	"sync"
)

// flight runs at most one fetch at a time (a login, a token request). Callers
// that arrive while one runs wait for its result instead of starting their
// own, so a burst of requests, or of 401s, causes one round trip.
type flight[T any] struct {
	mu   sync.Mutex
	call *flightCall[T]
}

var errFetchPanicked = errors.New("auth: credential fetch panicked")

type flightCall[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// do runs fn, or waits for the run in progress and returns its result. fn runs
// with the context of the caller that started it. A waiter stops waiting when
// its own context ends; if the run failed only because its starter's context
// ended, a waiter whose context is still live starts a new run.
func (f *flight[T]) do(ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	for {
		f.mu.Lock()
		c := f.call
		if c == nil {
			c = &flightCall[T]{done: make(chan struct{})}
			f.call = c
			f.mu.Unlock()
			func() {
				defer func() {
					f.mu.Lock()
					f.call = nil
					f.mu.Unlock()
					close(c.done)
				}()
				c.err = errFetchPanicked // replaced unless fn panics
				c.val, c.err = fn(ctx)
			}()
			return c.val, c.err
		}
		f.mu.Unlock()

		select {
		case <-c.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if c.err != nil && ctx.Err() == nil &&
			(errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded)) {
			continue // the starter gave up; try with our own context
		}
		return c.val, c.err
	}
}
