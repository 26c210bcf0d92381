package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// pu is a user of a proxy assignment as the demo tenant has it.
func pu(id int64) relationshipapi.ProxyAssignmentUser {
	names := map[int64][2]string{
		1001: {"alice@demo.tenantkit.dev", "Alice Admin"},
		1002: {"bob@demo.tenantkit.dev", "Bob Analyst"},
		2001: {"api-service@demo.tenantkit.dev", "API Service Account"},
		6045: {"carol@demo.tenantkit.dev", "Carol Principal"},
	}
	return relationshipapi.ProxyAssignmentUser{Id: id, Email: names[id][0], FullName: names[id][1]}
}

func assignment(proxy int64, users ...int64) relationshipapi.ProxyAssignment {
	a := relationshipapi.ProxyAssignment{ProxyUser: pu(proxy), Users: []relationshipapi.ProxyAssignmentUser{}}
	for _, u := range users {
		a.Users = append(a.Users, pu(u))
	}
	return a
}

func TestProxyAssignments(t *testing.T) {
	h := newHarness(t)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "user_management"))
	get := func(query string) []relationshipapi.ProxyAssignment {
		t.Helper()
		r := h.do(http.MethodGet, proxyPath+query, nil, admin...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var list []relationshipapi.ProxyAssignment
		r.json(t, &list)
		return list
	}
	// The vendor's item shape: {proxyUser: {id, email, fullName}, users: [...]}.
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(2001, 1002, 6045)}, get(""))

	// The vendor's filters: proxyQuery and userQuery by email, or by full
	// name with searchByName.
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(2001, 6045)}, get("?proxyQuery=API-service@demo.tenantkit.dev&userQuery=carol@demo.tenantkit.dev&searchByName=false"))
	assert.Empty(t, get("?userQuery=Carol&searchByName=false"), "a name is no email")
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(2001, 6045)}, get("?userQuery=carol&searchByName=true"))
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(2001, 1002, 6045)}, get("?proxyQuery=service%20account&searchByName=true"))
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(2001, 6045)}, get("?userQuery=6045"), "ids match too")
	assert.Empty(t, get("?proxyQuery=1002"))
	assert.Empty(t, get("?pageNumber=2"))
	assert.Empty(t, get("?pageNumber=1&pageSize=1&proxyQuery=nobody@x"))

	// POST takes the vendor's single object and replaces the proxy user's
	// principals; it answers the stored assignment as a GET item.
	r := h.do(http.MethodPost, proxyPath, map[string]any{"proxyUserId": 2001, "users": []int{1001, 1001}}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var stored relationshipapi.ProxyAssignment
	r.json(t, &stored)
	assert.Equal(t, assignment(2001, 1001), stored)
	assert.True(t, h.srv.DefaultTenant().CanProxy(2001, 1001))
	assert.False(t, h.srv.DefaultTenant().CanProxy(2001, 6045), "replaced, not added")
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(2001, 1001)}, get(""))

	// A second proxy user's assignment leaves the first's alone.
	r = h.do(http.MethodPost, proxyPath, map[string]any{"proxyUserId": 1002, "users": []int{6045}}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(1002, 6045), assignment(2001, 1001)}, get(""))

	// users: [] removes the proxy user's assignments.
	r = h.do(http.MethodPost, proxyPath, map[string]any{"proxyUserId": 1002, "users": []int{}}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.json(t, &stored)
	assert.Equal(t, assignment(1002), stored)
	assert.Equal(t, []relationshipapi.ProxyAssignment{assignment(2001, 1001)}, get(""))
}

func TestProxyAssignmentErrors(t *testing.T) {
	h := newHarness(t)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "user_management"))

	// The vendor's documented 400 for an unknown proxy user, word for word.
	r := h.do(http.MethodPost, proxyPath, map[string]any{"proxyUserId": 42, "users": []int{1001}}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	body := r.object(t)
	assert.Equal(t, "Proxy user with provided id does not exist.", body["message"])
	assert.Equal(t, "proxyUserId", body["errors"].([]any)[0].(map[string]any)["field"])

	// An unknown principal: a 400 too (the vendor documents no wording).
	r = h.do(http.MethodPost, proxyPath, map[string]any{"proxyUserId": 2001, "users": []int{1002, 42}}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	body = r.object(t)
	assert.Equal(t, "User with provided id does not exist.", body["message"])
	assert.Equal(t, "users[1]", body["errors"].([]any)[0].(map[string]any)["field"])
	assert.True(t, h.srv.DefaultTenant().CanProxy(2001, 6045), "a refused call stores nothing")

	// All params are required.
	r = h.do(http.MethodPost, proxyPath, map[string]any{"proxyUserId": 2001}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status, "users is required by the spec")
	assert.Equal(t, "users", r.object(t)["errors"].([]any)[0].(map[string]any)["field"])

	// The old array form is refused.
	r = h.do(http.MethodPost, proxyPath, []map[string]any{{"proxyUserId": 2001, "userIds": []int{1001}}}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.True(t, h.srv.DefaultTenant().CanProxy(2001, 6045))

	// The integrator may read but not create assignments.
	integ := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", ""))
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, proxyPath, nil, integ...).status)
	r = h.do(http.MethodPost, proxyPath, map[string]any{"proxyUserId": 2001, "users": []int{1002}}, integ...)
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "missing_permissions", r.object(t)["errorCode"])
}

const usersPath = "/api/rest/v1/management/user"

// usersFixture is the demo tenant with a group id set, user dates and a
// deactivated user.
func usersFixture() *tenant.Fixture {
	f := tenant.Demo()
	f.Groups[1].ID = 22 // Sales; the others keep their positions 1, 3, 4
	for i := range f.Users {
		switch f.Users[i].ID {
		case 1002:
			f.Users[i].CreatedDate = "2026-02-01T10:00:00.5"
			f.Users[i].ModifiedDate = "2026-03-01T12:30:00Z"
		case 6045:
			f.Users[i].Active = ptr(false)
			f.Users[i].CreatedDate = "2025-06-30"
		}
	}
	return f
}

func TestManagementUsers(t *testing.T) {
	h := newHarness(t, mockserver.WithFixture(usersFixture()))
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "user_management"))
	get := func(query string) []relationshipapi.ManagementUser {
		t.Helper()
		r := h.do(http.MethodGet, usersPath+query, nil, admin...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var list []relationshipapi.ManagementUser
		r.json(t, &list)
		return list
	}
	ids := func(list []relationshipapi.ManagementUser) []int64 {
		out := []int64{}
		for _, u := range list {
			out = append(out, u.Id)
		}
		return out
	}

	// No filter: every user, by id (the docs call the filters optional).
	all := get("")
	assert.Equal(t, []int64{1001, 1002, 2001, 6045}, ids(all))
	assert.Equal(t, relationshipapi.ManagementUser{
		Id: 1002, Email: "bob@demo.tenantkit.dev", FirstName: "Bob", LastName: "Analyst", IsActive: true, Groups: []int64{22},
		CreatedDate: "2026-02-01T10:00:00.500", CreatedBy: 1002, ModifiedDate: "2026-03-01T12:30:00.000", ModifiedBy: 1002,
	}, all[1])
	assert.Equal(t, "API", all[2].FirstName)
	assert.Equal(t, "Service Account", all[2].LastName)
	assert.Equal(t, []int64{4}, all[2].Groups, "Integrations-Test, the fourth group")
	assert.Equal(t, "2026-01-01T00:00:00.000", all[0].CreatedDate, "the default date")
	assert.False(t, all[3].IsActive)
	assert.Equal(t, "2025-06-30T00:00:00.000", all[3].ModifiedDate, "modifiedDate defaults to createdDate")

	// The filters, alone and together.
	assert.Equal(t, []int64{1002}, ids(get("?modifiedSince=2026-02-01T00:00:00.050Z")))
	assert.Equal(t, []int64{1001, 1002, 2001, 6045}, ids(get("?modifiedSince=1970-01-01T00:00:00")), "the vendor SDK's zone-less form")
	assert.Equal(t, []int64{1001, 1002, 2001}, ids(get("?modifiedSince=2026-01-01T00:00:00%2B00:00")))
	assert.Equal(t, []int64{6045}, ids(get("?email=CAROL@demo.tenantkit.dev")))
	assert.Equal(t, []int64{1002}, ids(get("?userGroupID=22")))
	assert.Empty(t, get("?userGroupID=2"), "no group has id 2")
	assert.Empty(t, get("?userGroupID=22&email=alice@demo.tenantkit.dev"))

	// Paging: pageSize defaults to 10, pageNumber to 1.
	assert.Equal(t, []int64{2001, 6045}, ids(get("?pageSize=2&pageNumber=2")))
	assert.Empty(t, get("?pageNumber=2"))

	for _, q := range []string{"?modifiedSince=yesterday", "?modifiedSince=2026-13-45T00:00:00", "?pageSize=1001", "?userGroupID=x"} {
		r := h.do(http.MethodGet, usersPath+q, nil, admin...)
		assert.Equal(t, http.StatusBadRequest, r.status, "%s: %s", q, r.body)
	}

	// Get Users by ID: in the order asked, unknown ids left out.
	r := h.do(http.MethodPost, usersPath+"s", []int64{6045, 42, 1001, 6045}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var list []relationshipapi.ManagementUser
	r.json(t, &list)
	assert.Equal(t, []int64{6045, 1001}, ids(list))

	// schema/users?activeOnly=true leaves the deactivated user out.
	data := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	r = h.do(http.MethodGet, "/api/rest/v4/schema/users?activeOnly=true", nil, data...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var su []relationshipapi.SchemaUser
	r.json(t, &su)
	assert.Len(t, su, 3)
}

// Reading users needs the scope user_management and the permission
// user_management:user:view, which the demo's Integrator role lacks.
func TestManagementUsersNeedThePermission(t *testing.T) {
	h := newHarness(t)
	integ := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "user_management"))
	for _, c := range []struct {
		method string
		path   string
		body   any
	}{{http.MethodGet, usersPath, nil}, {http.MethodPost, usersPath + "s", []int{1001}}} {
		r := h.do(c.method, c.path, c.body, integ...)
		require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
		assert.Equal(t, "missing_permissions", r.object(t)["errorCode"])
		assert.Contains(t, r.object(t)["message"], "user_management:user:view")
	}
	data := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	r := h.do(http.MethodGet, usersPath, nil, data...)
	require.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "missing_scopes", r.object(t)["errorCode"])

	// AS-USER: the principal's permissions apply.
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "user_management"))
	require.True(t, h.srv.DefaultTenant().CanProxy(2001, 6045))
	r = h.do(http.MethodGet, usersPath, nil, hdrs(admin, []string{"AS-USER", "1001"})...)
	assert.Equal(t, http.StatusOK, r.status, "acting as oneself: %s", r.body)
	r = h.do(http.MethodGet, usersPath, nil, hdrs(integ, []string{"AS-USER", "6045"})...)
	assert.Equal(t, http.StatusForbidden, r.status, "Carol's Deal team role lacks it too: %s", r.body)
}
