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
	ps := strings.Split(pattern, ":")
	qs := strings.Split(perm, ":")
	for i, p := range ps {
		last := i == len(ps)-1
		if i >= len(qs) {
			return false
		}
		switch {
		case p == "*" && last:
			return true
		case p == "*":
			continue
		case p != qs[i]:
			return false
		}
	}
	return len(ps) == len(qs)
}

// MatchEntityType reports whether a role's entity-type list entry grants
// typeName (`*` grants every type; names compare case-insensitively).
func MatchEntityType(pattern, typeName string) bool {
	return pattern == "*" || strings.EqualFold(pattern, typeName)
}
