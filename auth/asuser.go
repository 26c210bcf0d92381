package auth

import (
	"context"
	"net/http"
	"strconv"
)

// AsUserHeader is the relationship API's proxy header: the request is made on
// behalf of this principal user id.
const AsUserHeader = "AS-USER"

type asUserKey struct{}

// WithAsUser returns a context whose requests are made on behalf of the
// principal user id (the AS-USER header). It overrides a client-wide AS-USER.
// A userID of 0 clears the client-wide value for calls made with this context.
func WithAsUser(ctx context.Context, userID int64) context.Context {
	return context.WithValue(ctx, asUserKey{}, userID)
}

// AsUserFrom reports the principal set by WithAsUser, if any (0 means "none, even if the client has one").
func AsUserFrom(ctx context.Context) (userID int64, ok bool) {
	userID, ok = ctx.Value(asUserKey{}).(int64)
	return userID, ok
}

// SetAsUser sets or clears the AS-USER header on req.
func SetAsUser(req *http.Request, userID int64) {
	if userID <= 0 {
		req.Header.Del(AsUserHeader)
		return
	}
	req.Header.Set(AsUserHeader, strconv.FormatInt(userID, 10))
}
