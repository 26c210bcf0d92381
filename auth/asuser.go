package auth

import (
	"net/http"
	"strconv"
)

// AsUserHeader is the relationship API's proxy header: the request is made on
// behalf of this principal user id.
const AsUserHeader = "AS-USER"

// SetAsUser sets the AS-USER header on req, or removes it when userID is 0
// or less.
func SetAsUser(req *http.Request, userID int64) {
	if userID <= 0 {
		req.Header.Del(AsUserHeader)
		return
	}
	req.Header.Set(AsUserHeader, strconv.FormatInt(userID, 10))
}
