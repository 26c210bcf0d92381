package client

import (
	"context"
	"time"
)

// WithClock replaces the clock the client reads Retry-After dates with.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error { s.now = now; return nil }
}

// WithSleeper replaces how the client waits between attempts.
func WithSleeper(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(s *settings) error { s.sleep = sleep; return nil }
}
