package tenant

import "strings"

// MatchPermission reports whether a role's permission pattern grants perm.
//
// Permissions are colon-separated segments (`domain:entity:action`). A
// pattern matches segment by segment:
//   - `*` alone matches every permission;
//   - a `*` segment that ends the pattern matches one or more remaining
//     segments (`integrations:*` grants `integrations:integration:view`);
//   - a `*` segment elsewhere matches exactly one segment
//     (`integrations:*:view`);
//   - any other segment must be equal (case-sensitive).
func MatchPermission(pattern, perm string) bool {
	if pattern == "*" {
		return perm != ""
	}
	if pattern == "" || perm == "" {
		return false
	}
	// Segment by segment with strings.Cut: no slice per call (the
	// permission step matches on every request).
	for {
		p, prest, pmore := strings.Cut(pattern, ":")
		q, qrest, qmore := strings.Cut(perm, ":")
		switch {
		case p == "*" && !pmore:
			return true // a trailing * matches what is left (at least this segment)
		case p != "*" && p != q:
			return false
		case !pmore || !qmore:
			return pmore == qmore // both end here
		}
		pattern, perm = prest, qrest
	}
}

// MatchEntityType reports whether a role's entity-type list entry grants
// typeName (`*` grants every type; names compare case-insensitively).
func MatchEntityType(pattern, typeName string) bool {
	return pattern == "*" || strings.EqualFold(pattern, typeName)
}
