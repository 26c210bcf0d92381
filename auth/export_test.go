package auth

import "time"

// SetClock replaces the clock a ClientCredentials uses to decide when its
// token is due for refresh.
func SetClock(c *ClientCredentials, now func() time.Time) { c.now = now }
