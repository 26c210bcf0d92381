package tenant

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// RowView is how one row appears to one user.
type RowView struct {
	Ref Ref
	// ID is a resource row's id (ResourceRowViews); "" for an entity,
	// whose id is Ref's.
	ID   string
	Name string
	// UI reports whether row-level sharing shows the row to the user, as
	// the UI does, whatever apiDataAccess says.
	UI bool
	// API reports whether the user's API reads return the row under the
	// tenant's apiDataAccess setting (object-type access aside).
	API bool
	// Why says how sharing shows the row to the user, or why it does not
	// ("not shared with user 2001 or its groups Integrations-Test; owned by
	// 1001, shared with groups Sales").
	Why string
}

// Key names the row as the visibility diff lists it: /Type/id.
func (v RowView) Key() string {
	if v.ID != "" {
		return "/" + v.Ref.Type + "/" + v.ID
	}
	return v.Ref.String()
}

// RowViews returns, for every row of a type, whether the user sees it in
// the UI and through the API, and why, by id.
func (t *Tenant) RowViews(typeName string, user int64) ([]RowView, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	et, ok := t.resolveType(typeName)
	if !ok {
		return nil, fmt.Errorf("entity type %q: %w", typeName, ErrNotFound)
	}
	var groups []string
	if u, ok := t.users[user]; ok {
		groups = u.Groups
	}
	tb := t.tables[et.Name]
	out := make([]RowView, 0, tb.live.GetCardinality())
	it := tb.live.Iterator()
	for it.HasNext() {
		slot := it.Next()
		e := tb.entity(slot, t.groupOrder)
		basis := t.sharing(tb, slot, user)
		name, _ := e.Fields["Name"].(string)
		out = append(out, RowView{Ref: e.Ref(), Name: name, UI: basis != notShared, API: t.visibleRow(tb, slot, user),
			Why: shareWhy(basis, user, groups, &e)})
	}
	slices.SortFunc(out, func(a, b RowView) int { return cmp.Compare(a.Ref.ID, b.Ref.ID) })
	return out, nil
}

func shareWhy(b shareBasis, user int64, groups []string, e *Entity) string {
	switch b {
	case sharedOwner:
		return fmt.Sprintf("owned by user %d", user)
	case sharedAdmin:
		return fmt.Sprintf("user %d is an Admin (permission *) and sees every row", user)
	case sharedToUser:
		return fmt.Sprintf("shared with user %d", user)
	case sharedToGroup:
		for _, g := range groups {
			if slices.Contains(e.SharedGroups, g) {
				return "shared with group " + g
			}
		}
	}
	mine := "its groups " + strings.Join(groups, ", ")
	if len(groups) == 0 {
		mine = "any group (it is in none)"
	}
	shared := "shared with nobody"
	if len(e.SharedGroups) > 0 || len(e.SharedUsers) > 0 {
		var parts []string
		if len(e.SharedGroups) > 0 {
			parts = append(parts, "groups "+strings.Join(e.SharedGroups, ", "))
		}
		for _, u := range e.SharedUsers {
			parts = append(parts, fmt.Sprintf("user %d", u))
		}
		shared = "shared with " + strings.Join(parts, " and ")
	}
	owner := fmt.Sprintf("owned by user %d", e.Owner)
	if e.Owner == 0 {
		owner = "owned by nobody"
	}
	return fmt.Sprintf("not shared with user %d or %s (%s, %s)", user, mine, owner, shared)
}
