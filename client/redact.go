package client

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

const redacted = "[REDACTED]"

// maxMessage bounds the length of a message in an error string.
const maxMessage = 400

var (
	// "Bearer abc123", "ApiKey k-1", "Session 4f2c...", "Basic dXNlcjpw".
	schemeRE = regexp.MustCompile(`(?i)\b(bearer|apikey|session|basic)(\s+)([A-Za-z0-9._~+/=:-]+)`)
	// client_secret=..., "access_token":"...", password: ...
	keyValueRE = regexp.MustCompile(`(?i)\b(client_secret|access_token|refresh_token|id_token|password|passwd|secret|api_?key|apikey|token|session_?id|authorization)("?\s*)([=:])(\s*"?)([^\s&,;"']+)`)
	// Query strings of URLs, which may carry cursors or tokens.
	urlQueryRE = regexp.MustCompile(`(https?://[^\s?#"']+)[?#][^\s"']*`)
)

// redact makes s fit for an error string: one line, bounded, with anything
// that looks like a credential replaced.
func redact(s string) string {
	if s == "" {
		return ""
	}
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " ")
	s = urlQueryRE.ReplaceAllString(s, "$1")
	s = schemeRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := schemeRE.FindStringSubmatch(m)
		// "Session timed out" is English; "Bearer x" is always a token.
		if scheme := strings.ToLower(sub[1]); (scheme == "session" || scheme == "basic") && !looksSecret(sub[3]) {
			return m
		}
		return sub[1] + sub[2] + redacted
	})
	s = keyValueRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := keyValueRE.FindStringSubmatch(m)
		key, q1, sep, q2, val := sub[1], sub[2], sub[3], sub[4], sub[5]
		quoted := strings.Contains(q1, `"`) || strings.Contains(q2, `"`)
		if sep == ":" && !quoted && !looksSecret(val) {
			return m // "password: must not be empty"
		}
		return key + q1 + sep + q2 + redacted
	})
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

// looksSecret reports whether a word looks like a key, token or session id
// rather than English: long enough and containing a digit or symbol.
func looksSecret(w string) bool {
	if len(w) < 6 {
		return false
	}
	for _, r := range w {
		if unicode.IsDigit(r) || strings.ContainsRune("._~+/=-", r) {
			return true
		}
	}
	return false
}

// redactURL drops user info, query and fragment from a URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}
