package relationship

// The management API (/api/rest/v1/management/...): proxy assignments and
// the user reads.

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The vendor's 400 for an unknown proxy user (documented on the
// get_user_proxy page), and the mock's for an unknown principal (the
// vendor documents no wording for it).
const (
	msgUnknownProxyUser = "Proxy user with provided id does not exist."
	msgUnknownPrincipal = "User with provided id does not exist."
)

// matchUser reports whether q names user u: its id or its email
// (case-insensitive), or with byName a part of its full name.
func matchUser(u tenant.User, q string, byName bool) bool {
	q = strings.TrimSpace(q)
	if id, err := strconv.ParseInt(q, 10, 64); err == nil {
		return u.ID == id
	}
	if strings.EqualFold(u.Email, q) {
		return true
	}
	return byName && strings.Contains(strings.ToLower(u.Name), strings.ToLower(q))
}

// proxyUser is a user of a proxy assignment on the wire.
func proxyUser(u tenant.User) relationshipapi.ProxyAssignmentUser {
	return relationshipapi.ProxyAssignmentUser{Id: u.ID, Email: u.Email, FullName: u.Name}
}

// proxyAssignment is an assignment on the wire: the proxy user and its
// principals, by id (users is never null).
func proxyAssignment(users map[int64]tenant.User, proxy int64, principals []int64) relationshipapi.ProxyAssignment {
	out := relationshipapi.ProxyAssignment{ProxyUser: proxyUser(users[proxy]), Users: make([]relationshipapi.ProxyAssignmentUser, len(principals))}
	for i, id := range principals {
		out.Users[i] = proxyUser(users[id])
	}
	return out
}

// usersByID indexes the tenant's users.
func usersByID(t *tenant.Tenant) map[int64]tenant.User {
	users := map[int64]tenant.User{}
	for _, u := range t.Users() {
		users[u.ID] = u
	}
	return users
}

func getProxyAssignments(rc *pipeline.Request) error {
	var p relationshipapi.GetProxyAssignmentsParams
	if err := rc.BindQuery(&p); err != nil {
		return err
	}
	size, number, err := pipeline.PageParams(p.PageSize, p.PageNumber)
	if err != nil {
		return err
	}
	byName, err := pipeline.Filled("searchByName", p.SearchByName)
	if err != nil {
		return err
	}
	proxyQ, userQ := pipeline.Deref(p.ProxyQuery), pipeline.Deref(p.UserQuery)
	users := usersByID(rc.Tenant)
	out := relationshipapi.ProxyAssignmentList{}
	for _, a := range rc.Tenant.ProxyAssignments() {
		if proxyQ != "" && !matchUser(users[a.ProxyUserID], proxyQ, byName) {
			continue
		}
		ids := a.UserIDs
		if userQ != "" {
			ids = nil
			for _, id := range a.UserIDs {
				if matchUser(users[id], userQ, byName) {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				continue
			}
		}
		out = append(out, proxyAssignment(users, a.ProxyUserID, ids))
	}
	rc.WriteJSON(http.StatusOK, "application/json", pipeline.Window(out, pipeline.PageSkip(number, size), size))
	return nil
}

// createProxyAssignments replaces the principals of one proxy user, as the
// vendor documents it.
func createProxyAssignments(rc *pipeline.Request) error {
	var body relationshipapi.ProxyAssignmentCreate
	if err := rc.DecodeBody(&body); err != nil {
		return err
	}
	rc.Target = "proxy/" + strconv.FormatInt(body.ProxyUserId, 10)
	stored, err := rc.Tenant.SetProxyAssignment(tenant.ProxyAssignment{ProxyUserID: body.ProxyUserId, UserIDs: body.Users})
	if uu := (*tenant.UnknownUserError)(nil); errors.As(err, &uu) {
		if uu.Principal {
			return &pipeline.Error{Status: http.StatusBadRequest, Kind: pipeline.KindBadRequest,
				Field: "users[" + strconv.Itoa(uu.Index) + "]", Msg: msgUnknownPrincipal}
		}
		return &pipeline.Error{Status: http.StatusBadRequest, Kind: pipeline.KindBadRequest, Field: "proxyUserId", Msg: msgUnknownProxyUser}
	}
	if err != nil {
		return pipeline.TenantError(err)
	}
	rc.Write = true
	rc.WriteJSON(http.StatusOK, "application/json", proxyAssignment(usersByID(rc.Tenant), stored.ProxyUserID, stored.UserIDs))
	return nil
}

// managementDateLayout is the vendor's date format in the user reads:
// no zone, milliseconds.
const managementDateLayout = "2006-01-02T15:04:05.000"

// modifiedSinceLayouts are the forms modifiedSince takes (the spec's
// pattern): with a zone, or without (UTC).
var modifiedSinceLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"}

// managementUser is u as the user management API shows it; groupIDs maps
// group names to ids.
func managementUser(u *tenant.User, groupIDs map[string]int64) relationshipapi.ManagementUser {
	groups := make([]int64, 0, len(u.Groups))
	for _, g := range u.Groups {
		if id, ok := groupIDs[g]; ok {
			groups = append(groups, id)
		}
	}
	return relationshipapi.ManagementUser{
		Id: u.ID, Email: u.Email, FirstName: u.FirstName(), LastName: u.LastName(), IsActive: u.Active, Groups: groups,
		CreatedDate: u.Created.UTC().Format(managementDateLayout), CreatedBy: u.ID,
		ModifiedDate: u.Modified.UTC().Format(managementDateLayout), ModifiedBy: u.ID,
	}
}

// groupIDs maps the tenant's group names to their ids.
func groupIDs(t *tenant.Tenant) map[string]int64 {
	out := map[string]int64{}
	for _, g := range t.Groups() {
		out[g.Name] = g.ID
	}
	return out
}

func getUsers(rc *pipeline.Request) error {
	var p relationshipapi.GetUsersParams
	if err := rc.BindQuery(&p); err != nil {
		return err
	}
	size, number, err := pipeline.PageParams(p.PageSize, p.PageNumber)
	if err != nil {
		return err
	}
	var since time.Time
	if p.ModifiedSince != nil {
		ok := false
		for _, l := range modifiedSinceLayouts {
			var perr error
			if since, perr = time.Parse(l, *p.ModifiedSince); perr == nil {
				ok = true
				break
			}
		}
		if !ok { // the pattern admits a day or hour out of range
			return pipeline.BadRequest("modifiedSince", "%q is not a date-time", *p.ModifiedSince)
		}
	}
	ids := groupIDs(rc.Tenant)
	var group string
	if p.UserGroupID != nil {
		for name, id := range ids {
			if id == *p.UserGroupID {
				group = name
			}
		}
		if group == "" {
			rc.WriteJSON(http.StatusOK, "application/json", relationshipapi.ManagementUserList{})
			return nil
		}
	}
	out := relationshipapi.ManagementUserList{}
	for _, u := range rc.Tenant.Users() {
		switch {
		case p.ModifiedSince != nil && u.Modified.Before(since),
			p.Email != nil && !strings.EqualFold(u.Email, strings.TrimSpace(*p.Email)),
			group != "" && !slices.Contains(u.Groups, group):
			continue
		}
		out = append(out, managementUser(&u, ids))
	}
	rc.WriteJSON(http.StatusOK, "application/json", pipeline.Window(out, pipeline.PageSkip(number, size), size))
	return nil
}

func getUsersByID(rc *pipeline.Request) error {
	var body relationshipapi.GetUsersByIDJSONBody
	if err := rc.DecodeBody(&body); err != nil {
		return err
	}
	ids := groupIDs(rc.Tenant)
	out := relationshipapi.ManagementUserList{}
	seen := map[int64]bool{}
	for _, id := range body {
		if seen[id] {
			continue
		}
		seen[id] = true
		if u, ok := rc.Tenant.User(id); ok {
			out = append(out, managementUser(&u, ids))
		}
	}
	rc.WriteJSON(http.StatusOK, "application/json", out)
	return nil
}
