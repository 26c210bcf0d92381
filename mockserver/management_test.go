package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client/relationshipapi"
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
