package mocktest_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// The Schema API through the generated SDK, for Alice (role Admin, every
// entry type): entry types by list, api name and id; the demo Deals' fields
// with their options and choice values; allfields joining to the entry
// types by entryListId; users, currencies and filter operations.
func TestSchemaThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	rel := srv.Client(mocktest.AdminOAuth).Relationship

	types, err := rel.EntryTypes(ctx)
	require.NoError(t, err)
	ids := map[string]int64{}
	for _, et := range types {
		ids[et.ApiName] = et.Id
	}
	assert.Equal(t, map[string]int64{"Project": 3001, "Task": 3002, "Deals": 3011, "Companies": 3021, "Contacts": 3022}, ids)
	deals := types[slices.IndexFunc(types, func(o relationshipapi.EntryTypeObject) bool { return o.ApiName == "Deals" })]
	assert.Equal(t, relationshipapi.EntryTypeObject{Id: 3011, ApiName: "Deals", Name: "Deals", SingularName: "Deal", PluralName: "Deals", EntryListId: 3011}, deals)

	byName, err := rel.EntryType(ctx, "Deals")
	require.NoError(t, err)
	byID, err := rel.EntryType(ctx, "3011")
	require.NoError(t, err)
	assert.Equal(t, deals, *byName)
	assert.Equal(t, deals, *byID)

	fields, err := rel.EntryTypeFields(ctx, "Deals", nil)
	require.NoError(t, err)
	f := map[string]relationshipapi.Field{}
	for _, x := range fields {
		assert.Equal(t, int64(3011), x.EntryListId, "%s: entryListId is its entry type's id", x.ApiName)
		f[x.ApiName] = x
	}
	assert.Len(t, f, 9, "the 8 declared fields and Owner")
	assert.True(t, f["Name"].IsRequired && f["Name"].IsKey)
	assert.Equal(t, 1, f["Name"].FieldType, "Text")
	assert.Equal(t, 3, f["Amount"].FieldType, "Number")
	assert.Equal(t, 4, f["CloseDate"].FieldType, "Date")
	assert.Equal(t, 7, f["Owner"].FieldType, "User")
	assert.Equal(t, 2, f["Stage"].FieldType, "Choice")
	require.NotNil(t, f["Stage"].ChoiceValues)
	var stages []string
	for i, c := range *f["Stage"].ChoiceValues {
		stages = append(stages, c.Name)
		assert.Equal(t, i+1, c.SeqNumber)
	}
	assert.Equal(t, []string{"Qualification", "Proposal", "Negotiation", "Due Diligence", "Closed Won", "Closed Lost"}, stages)
	assert.Nil(t, f["Amount"].ChoiceValues)

	byIDFields, err := rel.EntryTypeFields(ctx, "3011", nil)
	require.NoError(t, err)
	assert.Equal(t, fields, byIDFields)
	none, err := rel.EntryTypeFields(ctx, "Deals", &relationshipapi.GetEntryTypeFieldsParams{Editable: ptr(false)})
	require.NoError(t, err)
	assert.Empty(t, none, "every field of the mock is editable")
	_, err = rel.EntryTypeFields(ctx, "Deals", &relationshipapi.GetEntryTypeFieldsParams{Editable: ptr(false), EntryForm: ptr(true)})
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Contains(t, ae.Message, "Entry form can only have editable fields.")

	all, err := rel.AllFields(ctx)
	require.NoError(t, err)
	perType := map[int64]int{}
	for _, x := range all {
		perType[x.EntryListId]++
		if x.ApiName == "Project" && x.EntryListId == 3002 {
			assert.Equal(t, 5, x.FieldType, "Task.Project is a reference")
			assert.Equal(t, []int64{3001}, x.EntryLists)
		}
	}
	assert.Equal(t, map[int64]int{3001: 9, 3002: 8, 3011: 9, 3021: 10, 3022: 8}, perType, "every field joins to a listed entry type")

	users, err := rel.SchemaUsers(ctx, &relationshipapi.GetSchemaUsersParams{ActiveOnly: ptr(true)})
	require.NoError(t, err)
	require.Len(t, users, 4)
	assert.Equal(t, relationshipapi.SchemaUser{Id: mocktest.AliceID, Name: "Alice Admin", Email: "alice@demo.tenantkit.dev", EntryListId: -1}, users[0])

	cur, err := rel.Currencies(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"USD", "EUR", "GBP"}, cur)
	ops, err := rel.FilterOperations(ctx)
	require.NoError(t, err)
	require.Len(t, ops, 14, "every operation of the vendor's table the Rows API takes")
	assert.Equal(t, relationshipapi.FilterOperation{Id: ptr(0), Name: "Equals", Description: "Exact value", RowsOperator: "$eq"}, ops[0])
	assert.Equal(t, relationshipapi.FilterOperation{Id: ptr(10), Name: "NotEqualTo", Description: "Value is not equal to x", RowsOperator: "$not"}, ops[10])
	assert.Equal(t, relationshipapi.FilterOperation{Name: "And", Description: "And comparison", RowsOperator: "$and"}, ops[13], "no Cells API id: null")

	_, err = rel.EntryType(ctx, "NoSuchType")
	var nf *client.NotFoundError
	assert.ErrorAs(t, err, &nf, "a user who may read every type learns that it does not exist")
}

// An entry type the effective user may not read through the API (Bob's
// role Viewer reads Project, Deals, Companies and Contacts, not Task) is absent from the lists,
// its fields from allfields, and a one-type request for it is refused
// exactly like one for a type that does not exist.
func TestSchemaHidesEntryTypesTheUserMayNotRead(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	rel := srv.Client(mocktest.ReadonlyOAuth).Relationship

	types, err := rel.EntryTypes(ctx)
	require.NoError(t, err)
	var names []string
	for _, et := range types {
		names = append(names, et.ApiName)
	}
	assert.Equal(t, []string{"Project", "Deals", "Companies", "Contacts"}, names)
	all, err := rel.AllFields(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, all)
	for _, f := range all {
		assert.NotEqual(t, int64(3002), f.EntryListId, "no field of Task: %s", f.ApiName)
	}

	refusal := func(call func() error) (int, string) {
		err := call()
		var oe *client.ObjectAccessError
		require.ErrorAs(t, err, &oe)
		return oe.StatusCode, oe.Code
	}
	hidden := []func() error{
		func() error { _, err := rel.EntryType(ctx, "Task"); return err },
		func() error { _, err := rel.EntryType(ctx, "3002"); return err },
		func() error { _, err := rel.EntryTypeFields(ctx, "Task", nil); return err },
	}
	missing := []func() error{
		func() error { _, err := rel.EntryType(ctx, "NoSuchType"); return err },
		func() error { _, err := rel.EntryType(ctx, "999999"); return err },
		func() error { _, err := rel.EntryTypeFields(ctx, "NoSuchType", nil); return err },
	}
	for i := range hidden {
		hs, hc := refusal(hidden[i])
		ms, mc := refusal(missing[i])
		assert.Equal(t, http.StatusForbidden, hs)
		assert.Equal(t, [2]any{hs, hc}, [2]any{ms, mc}, "a hidden type and a missing one read the same")
	}
	_, err = rel.EntryType(ctx, "Deals")
	require.NoError(t, err)

	// AS-USER: the principal's entry types apply (Carol, role Deal team).
	svc := srv.Client(mocktest.IntegratorOAuth).Relationship
	asCarol, err := svc.EntryTypes(ctx, client.AsUser(mocktest.CarolID))
	require.NoError(t, err)
	assert.Len(t, asCarol, 4, "Project, Deals, Companies, Contacts")
}

// pythonSDKClient plays the DealCloud Python SDKs' HTTP traffic (as
// recorded in the research notes): JSON Content-Type on every call, the
// token's token_type echoed as the Authorization scheme.
type pythonSDKClient struct {
	t    *testing.T
	base string
	auth string
}

func (c *pythonSDKClient) get(path string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.base+path, nil)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Sdk-Version", "intapp-rest-client.1.0.16")
	req.Header.Set("X-Dealcloud-Sdk-Version", "dealcloud-sdk.1.0.18")
	req.Header.Set("Authorization", c.auth)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, b
}

// token posts a token request and checks what both SDKs' token models
// require: access_token, token_type, expires_in above the SDKs' 120 s
// refresh margin, and refresh_token (the legacy SDK's model).
func pythonToken(t *testing.T, srv *mocktest.Server, body string, basic string) (string, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/rest/v1/oauth/token", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "*/*")
	if basic != "" {
		req.Header.Set("Authorization", "Basic "+basic)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var tok map[string]any
	require.NoError(t, json.Unmarshal(b, &tok))
	for _, k := range []string{"access_token", "token_type", "refresh_token"} {
		s, ok := tok[k].(string)
		assert.True(t, ok && s != "", "token response %s", k)
	}
	exp, ok := tok["expires_in"].(float64)
	assert.True(t, ok && exp > 120, "expires_in %v", tok["expires_in"])
	assert.NotContains(t, string(b), "demo-integrator-secret")
	return tok["token_type"].(string) + " " + tok["access_token"].(string), tok
}

// checkObjects checks a schema/entryTypes body as the SDKs' Object model
// reads it, and returns the objects' ids.
func checkObjects(t *testing.T, b []byte) map[int64]string {
	t.Helper()
	var objs []map[string]any
	require.NoError(t, json.Unmarshal(b, &objs), "a bare array: %s", b)
	require.NotEmpty(t, objs)
	ids := map[int64]string{}
	for _, o := range objs {
		for _, k := range []string{"apiName", "singularName", "pluralName", "name"} {
			assert.IsType(t, "", o[k], k)
		}
		for _, k := range []string{"id", "entryListType", "entryListSubType", "entryListId"} {
			assert.IsType(t, float64(0), o[k], k)
		}
		assert.NotEqual(t, float64(7), o["entryListType"], "7 is the attachment object")
		ids[int64(o["id"].(float64))] = o["apiName"].(string)
	}
	return ids
}

// checkFields checks a fields body as the SDKs' Field model reads it and
// joins each field to an object (f.entryListId == o.id, get_schema).
func checkFields(t *testing.T, b []byte, objects map[int64]string) map[string]map[string]any {
	t.Helper()
	var fields []map[string]any
	require.NoError(t, json.Unmarshal(b, &fields), "a bare array: %s", b)
	require.NotEmpty(t, fields)
	byKey := map[string]map[string]any{}
	for _, f := range fields {
		require.NotNil(t, f, "no null fields (SDK 1.0.18 raises on them)")
		for _, k := range []string{"apiName", "name"} {
			assert.IsType(t, "", f[k], k)
		}
		for _, k := range []string{"id", "fieldType", "entryListId"} {
			assert.IsType(t, float64(0), f[k], k)
		}
		for _, k := range []string{"isRequired", "isMultiSelect", "isKey", "isCalculated", "isAttachment", "isMoney", "allowDuplicates", "warnOnNearDuplicates", "isStoreRequestSupported"} {
			assert.IsType(t, true, f[k], k)
		}
		assert.IsType(t, []any{}, f["entryLists"])
		owner, ok := objects[int64(f["entryListId"].(float64))]
		require.True(t, ok, "field %v joins to no object", f["apiName"])
		if f["fieldType"] == float64(2) { // the SDK builds choiceMap = {name: id}
			values, ok := f["choiceValues"].([]any)
			require.True(t, ok && len(values) > 0, "choice field %v has choiceValues", f["apiName"])
			for _, v := range values {
				cv := v.(map[string]any)
				assert.IsType(t, "", cv["name"])
				assert.IsType(t, float64(0), cv["id"])
			}
		}
		byKey[owner+"."+f["apiName"].(string)] = f
	}
	return byKey
}

// The DealCloud Python SDK 1.0.18 constructor, DealCloud(site_url,
// client_id, client_secret), over HTTP: a token with the id and secret as
// form fields and its default scope "data user_management", then
// GET schema/entryTypes and GET schema/allfields with the Authorization
// scheme echoed from token_type ("bearer"). Every body has the shapes the
// SDK's models need, and its join of fields to objects succeeds.
func TestPythonSDK1018ConstructorSequence(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-integrator"},
		"client_secret": {"demo-integrator-secret"}, "scope": {"data user_management"}}
	auth, tok := pythonToken(t, srv, form.Encode(), "")
	assert.Equal(t, "bearer", tok["token_type"])
	c := &pythonSDKClient{t: t, base: srv.URL, auth: auth}

	status, b := c.get("/api/rest/v4/schema/entryTypes")
	require.Equal(t, http.StatusOK, status, "%s", b)
	objects := checkObjects(t, b)
	assert.Equal(t, map[int64]string{3001: "Project", 3011: "Deals", 3021: "Companies", 3022: "Contacts"}, objects, "the service account's role reads Project, Deals, Companies and Contacts")

	status, b = c.get("/api/rest/v4/schema/allfields")
	require.Equal(t, http.StatusOK, status, "%s", b)
	fields := checkFields(t, b, objects)
	assert.Contains(t, fields, "Deals.Stage")
	assert.Equal(t, true, fields["Deals.Name"]["isRequired"])

	// Before a write the SDK reads one type's fields (cached per object).
	status, b = c.get("/api/rest/v4/schema/entryTypes/Deals/fields")
	require.Equal(t, http.StatusOK, status, "%s", b)
	checkFields(t, b, objects)
}

// The legacy Python SDK 0.1.10 constructor: HTTP Basic client credentials
// and a form of grant_type and its default scope "data user_management
// publish" with raw spaces; then entryTypes, allfields and
// users?activeOnly=False. publish is a vendor scope the mock serves no API
// for: dropped from the token, not refused. The docs' spelling
// /schema/entrytypes reaches the same operation.
func TestPythonSDK0110ConstructorSequence(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	basic := base64.StdEncoding.EncodeToString([]byte("demo-admin:demo-admin-secret"))
	auth, tok := pythonToken(t, srv, "grant_type=client_credentials&scope=data user_management publish", basic)
	assert.Equal(t, "data user_management", tok["scope"], "granted: the requested scopes the mock serves")
	c := &pythonSDKClient{t: t, base: srv.URL, auth: "Bearer " + strings.SplitN(auth, " ", 2)[1]}

	status, b := c.get("/api/rest/v4/schema/entryTypes")
	require.Equal(t, http.StatusOK, status, "%s", b)
	objects := checkObjects(t, b)
	status, docs := c.get("/api/rest/v4/schema/entrytypes")
	require.Equal(t, http.StatusOK, status, "%s", docs)
	assert.JSONEq(t, string(b), string(docs), "the docs' spelling is the same operation")
	status, upper := c.get("/API/REST/V4/SCHEMA/ENTRYTYPES/Deals/FIELDS")
	require.Equal(t, http.StatusOK, status, "%s", upper)
	checkFields(t, upper, objects)

	status, b = c.get("/api/rest/v4/schema/allfields")
	require.Equal(t, http.StatusOK, status, "%s", b)
	checkFields(t, b, objects)

	status, b = c.get("/api/rest/v4/schema/users?activeOnly=False")
	require.Equal(t, http.StatusOK, status, "%s", b)
	var users []map[string]any
	require.NoError(t, json.Unmarshal(b, &users))
	require.Len(t, users, 4)
	for _, u := range users {
		assert.IsType(t, float64(0), u["id"])
		assert.IsType(t, "", u["name"])
		assert.IsType(t, "", u["email"])
		assert.Equal(t, float64(-1), u["entryListId"])
	}

	// A client without user_management asking for it is still refused.
	_, err := srv.Client(mocktest.ReportingOAuth.WithScopes("data", "user_management")).Relationship.EntryTypes(t.Context())
	var ue *client.UnauthenticatedError
	assert.True(t, errors.As(err, &ue), "%v", err)
}

// The vendor scopes the mock serves no API for (x-ignored-scopes) are
// dropped when asked for with scopes it serves, and refused alone: a
// request of them alone never becomes a token with every scope.
func TestTokenIgnoresVendorScopesOnlyBesideServedOnes(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	post := func(scope string) (int, map[string]any) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-integrator"},
			"client_secret": {"demo-integrator-secret"}, "scope": {scope}}
		resp, err := http.PostForm(srv.URL+"/api/rest/v1/oauth/token", form)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return resp.StatusCode, m
	}
	status, m := post("data publish ri_import backup")
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.Equal(t, "data", m["scope"])
	status, m = post("publish")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_scope", m["error"])
}
