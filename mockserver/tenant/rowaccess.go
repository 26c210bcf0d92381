package tenant

import "github.com/RoaringBitmap/roaring/v2"

// visibleSet returns the live rows of tb that user may read through the
// API, as a bitmap the caller must not change: every row under
// apiDataAccess bypass or for Admin users, otherwise the rows the user owns,
// the rows shared with one of the user's groups and the rows shared with the
// user directly. It is computed from the current shares and memberships, so
// a change is seen by the next query. The caller holds t.mu.
func (t *Tenant) visibleSet(tb *table, user int64) *roaring.Bitmap {
	if t.settings.APIDataAccess == DataAccessBypass || t.seesAll(user) {
		return tb.live
	}
	var u unioner
	if p, ok := tb.ownedBy(user); ok {
		u.add(p)
	}
	if b := tb.users[user]; b != nil {
		u.bms = append(u.bms, b)
	}
	if usr, ok := t.users[user]; ok {
		for _, g := range usr.Groups {
			if b := tb.groups[g]; b != nil {
				u.bms = append(u.bms, b)
			}
		}
	}
	return u.result()
}

// visibleRow is visibleSet for one live slot.
func (t *Tenant) visibleRow(tb *table, slot uint32, user int64) bool {
	return t.settings.APIDataAccess == DataAccessBypass || t.sharing(tb, slot, user) != notShared
}

// shareBasis says why row-level sharing shows a row to a user.
type shareBasis int

const (
	notShared     shareBasis = iota
	sharedOwner              // the user owns the row
	sharedAdmin              // the user holds a role with permission `*`
	sharedToUser             // shared with the user directly
	sharedToGroup            // shared with one of the user's groups
)

// sharing applies row-level sharing, the UI's rule, to one live slot: a
// row is visible to the user who owns it, to Admin users (permission `*`),
// to users it is shared with directly and to members of the groups it is
// shared with. visibleSet is the same rule over a whole table. The caller
// holds t.mu.
func (t *Tenant) sharing(tb *table, slot uint32, user int64) shareBasis {
	switch {
	case tb.owner.i64[slot] == user:
		return sharedOwner
	case t.seesAll(user):
		return sharedAdmin
	}
	if b := tb.users[user]; b != nil && b.Contains(slot) {
		return sharedToUser
	}
	if usr, ok := t.users[user]; ok {
		for _, g := range usr.Groups {
			if b := tb.groups[g]; b != nil && b.Contains(slot) {
				return sharedToGroup
			}
		}
	}
	return notShared
}
