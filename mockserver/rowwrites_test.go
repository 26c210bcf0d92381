package mockserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const deletePath = "/api/rest/v4/data/entrydata/"

// writeResults decodes a row write's answer.
func writeResults(t *testing.T, r *response) []map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var out []map[string]any
	r.json(t, &out)
	return out
}

// dealsRows reads every Deals row the token's user may see, by EntryId.
func (h *harness) rowsByID(typ string, auth ...string) map[float64]map[string]any {
	h.t.Helper()
	r := h.do(http.MethodGet, rowsPath+typ+"?limit=1000", nil, auth...)
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	var p rowsPage
	r.json(h.t, &p)
	out := map[float64]map[string]any{}
	for _, row := range p.Rows {
		out[row["EntryId"].(float64)] = row
	}
	return out
}

// choiceID reads the id of a choice value of a Deals field from the schema.
func (h *harness) choiceID(auth []string, field, name string) float64 {
	h.t.Helper()
	r := h.do(http.MethodGet, "/api/rest/v4/schema/entryTypes/Deals/fields", nil, auth...)
	require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
	var fields []struct {
		Name         string `json:"name"`
		ChoiceValues []struct {
			ID   float64 `json:"id"`
			Name string  `json:"name"`
		} `json:"choiceValues"`
	}
	r.json(h.t, &fields)
	for _, f := range fields {
		if f.Name == field {
			for _, c := range f.ChoiceValues {
				if c.Name == name {
					return c.ID
				}
			}
		}
	}
	h.t.Fatalf("no choice %s of %s", name, field)
	return 0
}

// Create, upsert, update and delete round trips on the demo's Deals, read
// back through the rows GET.
func TestRowWritesRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	proposal := h.choiceID(admin, "Stage", "Proposal")

	// POST: keys in any case, echoed in canonical case; a choice by id.
	r := h.do(http.MethodPost, rowsPath+"Deals", []map[string]any{
		{"EntryId": -1, "name": "Globex Pilot", "STAGE": proposal, "amount": 5000, "Currency": "eur"},
		{"EntryId": -1, "Name": "Initech Renewal", "Stage": "closed won", "CloseDate": "2026-04-30"},
	}, admin...)
	got := writeResults(t, r)
	require.Len(t, got, 2)
	assert.Equal(t, map[string]any{"EntryId": float64(10), "Name": "Globex Pilot", "Stage": proposal, "Amount": float64(5000), "Currency": "eur"}, got[0])
	assert.Equal(t, map[string]any{"EntryId": float64(11), "Name": "Initech Renewal", "Stage": "closed won", "CloseDate": "2026-04-30"}, got[1])
	assert.True(t, strings.HasPrefix(string(r.body), `[{"EntryId":10,`), "EntryId comes first, as the vendor writes it: %s", r.body)
	e := h.lastAudit("createRows")
	assert.True(t, e.Write)
	assert.Equal(t, "/Deals/10,/Deals/11", e.Target)

	rows := h.rowsByID("Deals", admin...)
	assert.Equal(t, "Proposal", valueName(rows[10]["Stage"]), "a choice id stores the choice's name")
	assert.Equal(t, "EUR", valueName(rows[10]["Currency"]), "a choice name is matched ignoring case")
	assert.Equal(t, "Closed Won", valueName(rows[11]["Stage"]))
	assert.Equal(t, "2026-04-30T00:00:00Z", rows[11]["CloseDate"])
	assert.Equal(t, map[string]any{"id": float64(1001), "name": "Alice Admin"}, idAndName(rows[10]["Owner"]), "owned by the writer")

	// PUT: a positive id updates, a negative one creates.
	got = writeResults(t, h.do(http.MethodPut, rowsPath+"Deals", []map[string]any{
		{"EntryId": 10, "Amount": 7500, "Probability": nil},
		{"EntryId": -5, "Name": "Umbrella Upsell"},
	}, admin...))
	assert.Equal(t, []map[string]any{
		{"EntryId": float64(10), "Amount": float64(7500), "Probability": nil},
		{"EntryId": float64(12), "Name": "Umbrella Upsell"},
	}, got)
	rows = h.rowsByID("Deals", admin...)
	assert.Equal(t, float64(7500), rows[10]["Amount"])
	assert.Equal(t, "Globex Pilot", valueName(rows[10]["Name"]), "fields not written are kept")
	assert.Equal(t, "Umbrella Upsell", valueName(rows[12]["Name"]))

	// PATCH: strict update.
	got = writeResults(t, h.do(http.MethodPatch, rowsPath+"3011", []map[string]any{{"EntryId": 12, "Region": "EMEA"}}, admin...))
	assert.Equal(t, []map[string]any{{"EntryId": float64(12), "Region": "EMEA"}}, got)
	assert.Equal(t, "EMEA", valueName(h.rowsByID("Deals", admin...)[12]["Region"]))

	// DELETE /entrydata/{type} with an id array: the vendor's answer.
	r = h.do(http.MethodDelete, deletePath+"Deals", []int{11, 12}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `[{"entryId":11,"fieldId":0,"rowId":11,"isNoData":false},{"entryId":12,"fieldId":0,"rowId":12,"isNoData":false}]`, string(r.body))
	rows = h.rowsByID("Deals", admin...)
	assert.NotContains(t, rows, float64(11))
	assert.NotContains(t, rows, float64(12))
	assert.Contains(t, rows, float64(10))
	assert.Equal(t, "/Deals/11,/Deals/12", h.lastAudit("deleteRows").Target)
}

// Whole-request refusals: an unknown field is the vendor's 400; the body's
// bounds are the spec's.
func TestRowWritesRefuseBadRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	before := len(h.rowsByID("Deals", admin...))

	r := h.do(http.MethodPost, rowsPath+"Deals", []map[string]any{{"EntryId": -1, "Name": "x"}, {"EntryId": -2, "SubjectS": "x"}}, admin...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Equal(t, `Field with name "SubjectS" does not exist`, r.object(t)["message"], "the vendor's wording")

	r = h.do(http.MethodPost, rowsPath+"Deals", []map[string]any{}, admin...)
	assert.Equal(t, http.StatusBadRequest, r.status, "at least one row")
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"EntryId": -1, "Name": "x"}
	}
	r = h.do(http.MethodPost, rowsPath+"Deals", many, admin...)
	assert.Equal(t, http.StatusBadRequest, r.status, "at most 1000 rows (the vendor's limit)")
	r = h.do(http.MethodPost, rowsPath+"Deals", []map[string]any{{"Name": "no id"}}, admin...)
	assert.Equal(t, http.StatusBadRequest, r.status, "EntryId is required")
	r = h.do(http.MethodPost, rowsPath+"Deals", []map[string]any{{"EntryId": -1, "entryid": -2}}, admin...)
	assert.Equal(t, http.StatusBadRequest, r.status, "EntryId twice")
	ids := make([]int, 10001)
	for i := range ids {
		ids[i] = i + 1
	}
	r = h.do(http.MethodDelete, deletePath+"Deals", ids, admin...)
	assert.Equal(t, http.StatusBadRequest, r.status, "at most 10000 ids (the vendor SDK's batch)")
	r = h.do(http.MethodDelete, deletePath+"Deals", []int{0}, admin...)
	assert.Equal(t, http.StatusBadRequest, r.status, "ids are positive")
	assert.Len(t, h.rowsByID("Deals", admin...), before, "nothing was written")
}

// A batch is written all or none: a failing row keeps its placeholder and
// carries its errors, the others carry "entry not committed (batch
// all-or-none)", and nothing is written.
func TestRowWritesAreAllOrNone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	before := h.rowsByID("Deals", admin...)

	got := writeResults(t, h.do(http.MethodPost, rowsPath+"Deals", []map[string]any{
		{"EntryId": -1, "Name": "Fine"},
		{"EntryId": -2, "Name": "Bad", "Amount": "lots", "Stage": "Dreaming"},
		{"EntryId": 4, "Name": "Not new"},
	}, admin...))
	require.Len(t, got, 3)
	assert.Equal(t, map[string]any{"EntryId": float64(-1), "Name": "Fine",
		"Errors": []any{map[string]any{"code": float64(5000), "description": "entry not committed (batch all-or-none)"}}}, got[0])
	assert.Equal(t, float64(-2), got[1]["EntryId"], "a failed row keeps its placeholder")
	assert.Equal(t, "lots", got[1]["Amount"], "the fields as sent")
	errs := got[1]["Errors"].([]any)
	require.Len(t, errs, 2)
	assert.Equal(t, map[string]any{"field": "Amount", "code": float64(5001), "description": `"lots" is not a number`}, errs[0])
	assert.Equal(t, "Stage", errs[1].(map[string]any)["field"])
	assert.Equal(t, float64(5002), errs[1].(map[string]any)["code"])
	assert.Equal(t, float64(5003), got[2]["Errors"].([]any)[0].(map[string]any)["code"], "POST creates only")
	assert.Equal(t, before, h.rowsByID("Deals", admin...), "nothing was written")
	assert.False(t, h.lastAudit("createRows").Write)

	// A delete with one id that names nothing deletes nothing.
	r := h.do(http.MethodDelete, deletePath+"Deals", []int{4, 999, 4}, admin...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `[
		{"entryId":4,"fieldId":0,"rowId":4,"isNoData":false,"errors":[{"code":5000,"description":"entry not committed (batch all-or-none)"}]},
		{"entryId":999,"fieldId":0,"rowId":999,"isNoData":false,"errors":[{"code":5004,"description":"No entry with EntryId 999 exists that the user can see"}]},
		{"entryId":4,"fieldId":0,"rowId":4,"isNoData":false,"errors":[{"code":5008,"description":"EntryId 4 appears more than once in the batch"}]}]`, string(r.body))
	assert.Equal(t, before, h.rowsByID("Deals", admin...))

	// A concurrent reader never sees half a batch.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var torn []int
	var mu sync.Mutex
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			rr, err := h.try(http.MethodGet, rowsPath+"Deals?limit=1000", nil, admin...)
			if err != nil || rr.status != http.StatusOK {
				continue
			}
			var p rowsPage
			if rr.json(t, &p); (p.TotalRecords-len(before))%50 != 0 {
				mu.Lock()
				torn = append(torn, p.TotalRecords)
				mu.Unlock()
			}
		}
	})
	batch := make([]map[string]any, 50)
	for i := range batch {
		batch[i] = map[string]any{"EntryId": -1 - i, "Name": fmt.Sprintf("Batch row %d", i)}
	}
	for range 10 {
		writeResults(t, h.do(http.MethodPost, rowsPath+"Deals", batch, admin...))
	}
	close(stop)
	wg.Wait()
	assert.Empty(t, torn, "a reader saw a part of a batch")
	assert.Len(t, h.rowsByID("Deals", admin...), len(before)+500)
}

// Who may write: the scope, the permission of the effective user (AS-USER
// the principal's, named in the audit log with the caller), the entry
// type, and only rows the user can see; a hidden row reads like a missing
// one.
func TestRowWritesAreAuthorized(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data"))
	integ := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data"))
	newDeal := []map[string]any{{"EntryId": -1, "Name": "Service deal"}}

	// The integrator (role Integrator: add and edit) creates and updates its own rows.
	got := writeResults(t, h.do(http.MethodPost, rowsPath+"Deals", newDeal, integ...))
	own := got[0]["EntryId"].(float64)
	writeResults(t, h.do(http.MethodPatch, rowsPath+"Deals", []map[string]any{{"EntryId": own, "Amount": 1}}, integ...))

	// ... but may not delete (no data:entity:delete).
	r := h.do(http.MethodDelete, deletePath+"Deals", []float64{own}, integ...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	m := r.object(t)
	assert.Equal(t, "missing_permissions", m["errorCode"])
	assert.Contains(t, m["message"], "data:entity:delete")

	// The viewer may write nothing.
	bob := bearer(h.token(dealcloudToken, "demo-readonly", "demo-readonly-secret", "data"))
	for _, c := range []struct{ method, path, perm string }{
		{http.MethodPost, rowsPath, "data:entity:add"}, {http.MethodPut, rowsPath, "data:entity:edit"},
		{http.MethodPatch, rowsPath, "data:entity:edit"}, {http.MethodDelete, deletePath, "data:entity:delete"},
	} {
		var body any = []map[string]any{{"EntryId": 4, "Name": "x"}}
		if c.method == http.MethodDelete {
			body = []int{4}
		}
		r := h.do(c.method, c.path+"Deals", body, bob...)
		require.Equal(t, http.StatusForbidden, r.status, "%s %s", c.method, r.body)
		assert.Equal(t, []string{c.perm}, r.decision.Missing, c.method)
	}

	// A token without the data scope.
	um := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "user_management"))
	r = h.do(http.MethodPost, rowsPath+"Deals", newDeal, um...)
	require.Equal(t, http.StatusForbidden, r.status)
	m = r.object(t)
	assert.Equal(t, "missing_scopes", m["errorCode"])
	assert.Contains(t, m["message"], "data")

	// A row the integrator cannot see (Carol's deal 1) is a 404 that reads
	// exactly like a row that does not exist, and nothing of it comes back.
	hidden := h.do(http.MethodPatch, rowsPath+"Deals", []map[string]any{{"EntryId": 1, "Amount": 1}}, integ...)
	missing := h.do(http.MethodPatch, rowsPath+"Deals", []map[string]any{{"EntryId": 777, "Amount": 1}}, integ...)
	require.Equal(t, http.StatusNotFound, hidden.status, "%s", hidden.body)
	require.Equal(t, http.StatusNotFound, missing.status)
	assert.Equal(t, "No Deals entry with EntryId 1 exists that the user can see", hidden.object(t)["message"])
	hm, mm := hidden.object(t), missing.object(t)
	for _, k := range []string{"errorCode", "title", "status", "type"} {
		assert.Equal(t, mm[k], hm[k], k)
	}
	assert.Equal(t, strings.ReplaceAll(mm["message"].(string), "777", "1"), hm["message"])
	assert.Equal(t, missing.decision.Reason, strings.ReplaceAll(hidden.decision.Reason, "/Deals/1 ", "/Deals/777 "))
	assert.NotContains(t, string(hidden.body), "Adatum")
	assert.Equal(t, wire.CodeRowNotFound, hidden.decision.Code)
	assert.Equal(t, wire.CodeRowNotFound, missing.decision.Code)
	e := h.lastAudit("updateRows")
	assert.Equal(t, http.StatusNotFound, e.Status)
	assert.Equal(t, wire.OutcomeAllow, e.Outcome, "a missing row: the request was allowed")
	var hiddenEntries []tenant.AuditEntry
	for _, e := range h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "updateRows"}) {
		if e.Code == wire.CodeRowHidden {
			hiddenEntries = append(hiddenEntries, e)
		}
	}
	require.Len(t, hiddenEntries, 1, "the audit log keeps which one was hidden")
	assert.Equal(t, "/Deals/1", strings.Fields(hiddenEntries[0].Reason)[0])
	r = h.do(http.MethodPut, rowsPath+"Deals", []map[string]any{{"EntryId": 1, "Amount": 1}}, integ...)
	assert.Equal(t, http.StatusNotFound, r.status, "upsert of a hidden row: %s", r.body)
	r = h.do(http.MethodDelete, deletePath+"Deals", []int{4242}, admin...)
	assert.Equal(t, http.StatusNotFound, r.status, "delete of nothing: %s", r.body)
	// In a larger batch the hidden row is a per-row error like a missing one.
	got = writeResults(t, h.do(http.MethodPatch, rowsPath+"Deals", []map[string]any{{"EntryId": own, "Amount": 2}, {"EntryId": 1, "Amount": 1}, {"EntryId": 777}}, integ...))
	assert.Equal(t, float64(5000), got[0]["Errors"].([]any)[0].(map[string]any)["code"])
	assert.Equal(t, []any{map[string]any{"code": float64(5004), "description": "No entry with EntryId 1 exists that the user can see"}}, got[1]["Errors"])
	assert.Equal(t, []any{map[string]any{"code": float64(5004), "description": "No entry with EntryId 777 exists that the user can see"}}, got[2]["Errors"])
	assert.Equal(t, float64(420000), h.rowsByID("Deals", admin...)[1]["Amount"], "deal 1 untouched")

	// AS-USER Carol (role Deal team, no permissions): the principal's rights apply.
	r = h.do(http.MethodPost, rowsPath+"Deals", newDeal, hdrs(integ, []string{"AS-USER", "6045"})...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Contains(t, r.object(t)["message"], "data:entity:add")
	e = h.lastAudit("createRows")
	assert.EqualValues(t, 6045, e.Principal)
	assert.EqualValues(t, 6045, e.EffectiveUser)
	require.NotNil(t, e.Caller)
	assert.Equal(t, tenant.AuditCaller{Kind: "oauth_client", ID: "demo-integrator", User: 2001}, *e.Caller)

	// An entry type the user may not read through the API.
	r = h.do(http.MethodPost, rowsPath+"Task", []map[string]any{{"EntryId": -1, "Name": "x"}}, integ...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, "entry_type_not_accessible", r.object(t)["errorCode"])
}

// writesFixture has two entry types with references, a writer, a
// service account that may act as the writer, and a company the writer
// cannot see.
const writesFixture = `tenant: {name: Writes}
roles:
  - {name: Writer, permissions: [data:entity:add, data:entity:edit, data:entity:delete], entityTypes: [Company, Contact]}
  - {name: Creator, permissions: [data:entity:edit], entityTypes: [Company, Contact]}
users:
  - {id: 1, name: Writer, email: writer@example.com, roles: [Writer]}
  - {id: 2, name: Service, email: service@example.com, roles: [Writer]}
  - {id: 3, name: Other, email: other@example.com, roles: [Writer]}
  - {id: 4, name: Editor, email: editor@example.com, roles: [Creator]}
oauthClients:
  - {clientId: writer, secret: writer-secret, user: 1, scopes: [data]}
  - {clientId: service, secret: service-secret, user: 2, scopes: [data]}
  - {clientId: editor, secret: editor-secret, user: 4, scopes: [data]}
proxyAssignments:
  - {proxyUserId: 2, userIds: [1]}
entityTypes:
  - name: Company
    entryTypeId: 5001
    fields: {Name: string, Parent: ref:Company, Kind: string}
    fieldOptions:
      Kind: {choices: [Client, Prospect]}
  - {name: Contact, entryTypeId: 5002, fields: {FullName: string, Company: ref:Company, Manager: ref:User}}
entities:
  - {type: Company, id: 1, owner: 1, fields: {Name: Acme}}
  - {type: Company, id: 2, owner: 3, fields: {Name: Secret Holdings}}
  - {type: Contact, id: 1, owner: 4, fields: {FullName: Edith Editor}}
`

// A negative id used as a reference inside a batch links to the entry
// created for that placeholder; references are ids, and one to an entry
// the user cannot see is the vendor's 5006, like one to nothing.
func TestRowWritesLinkPlaceholders(t *testing.T) {
	t.Parallel()
	f, err := tenant.Parse("writes.yaml", []byte(writesFixture))
	require.NoError(t, err)
	h := newHarness(t, mockserver.WithFixture(f))
	writer := bearer(h.token(dealcloudToken, "writer", "writer-secret", "data"))

	got := writeResults(t, h.do(http.MethodPost, rowsPath+"Company", []map[string]any{
		{"EntryId": -1, "Name": "Holding", "Parent": 1},
		{"EntryId": -2, "Name": "Subsidiary", "parent": -1},
		{"EntryId": -3, "Name": "Sub-subsidiary", "Parent": map[string]any{"id": -2}, "Kind": 500100102},
	}, writer...))
	assert.Equal(t, []map[string]any{
		{"EntryId": float64(3), "Name": "Holding", "Parent": float64(1)},
		{"EntryId": float64(4), "Name": "Subsidiary", "Parent": float64(3)},
		{"EntryId": float64(5), "Name": "Sub-subsidiary", "Parent": float64(4), "Kind": float64(500100102)},
	}, got, "a placeholder reference is echoed as the new entry's id")
	rows := h.rowsByID("Company", writer...)
	assert.Equal(t, map[string]any{"id": float64(3), "name": "Holding"}, idAndName(rows[4]["Parent"]))
	assert.Equal(t, map[string]any{"id": float64(4), "name": "Subsidiary"}, idAndName(rows[5]["Parent"]))
	assert.Equal(t, "Prospect", valueName(rows[5]["Kind"]))

	// References that are not valid: to a hidden entry, to none, to a
	// placeholder that is not in the batch or is used twice.
	for _, ref := range []any{2, 99, -7, "Acme"} {
		got := writeResults(t, h.do(http.MethodPost, rowsPath+"Company", []map[string]any{
			{"EntryId": -1, "Name": "A", "Parent": ref}, {"EntryId": -2, "Name": "B"}, {"EntryId": -2, "Name": "C"},
		}, writer...))
		errs := got[0]["Errors"].([]any)
		require.Len(t, errs, 1, "%v", ref)
		code := float64(5006)
		if ref == "Acme" {
			code = 5001 // not an id at all
		}
		assert.Equal(t, code, errs[0].(map[string]any)["code"], "reference %v", ref)
		if code == 5006 {
			assert.Equal(t, "One or more referenced entries are not valid for this field.", errs[0].(map[string]any)["description"])
		}
		assert.NotContains(t, fmt.Sprint(got), "Secret Holdings")
	}
	got = writeResults(t, h.do(http.MethodPost, rowsPath+"Company", []map[string]any{
		{"EntryId": -2, "Name": "A", "Parent": -2}, {"EntryId": -2, "Name": "B"},
	}, writer...))
	assert.Equal(t, float64(5006), got[0]["Errors"].([]any)[0].(map[string]any)["code"], "a placeholder used twice links to nothing")
	// A reference to another entry type's placeholder is no link either.
	got = writeResults(t, h.do(http.MethodPost, rowsPath+"Contact", []map[string]any{
		{"EntryId": -1, "FullName": "Ann", "Company": -1, "Manager": 1},
	}, writer...))
	assert.Equal(t, float64(5006), got[0]["Errors"].([]any)[0].(map[string]any)["code"])
	got = writeResults(t, h.do(http.MethodPost, rowsPath+"Contact", []map[string]any{
		{"EntryId": -1, "FullName": "Ann", "Company": 3, "Manager": 1},
	}, writer...))
	assert.Equal(t, float64(2), got[0]["EntryId"])

	// AS-USER: the service account writes as the writer; the entry is the
	// writer's, and the audit log names both.
	service := bearer(h.token(dealcloudToken, "service", "service-secret", "data"))
	got = writeResults(t, h.do(http.MethodPut, rowsPath+"Company", []map[string]any{{"EntryId": -1, "Name": "Proxied"}, {"EntryId": 1, "Kind": "client"}},
		hdrs(service, []string{"AS-USER", "1"})...))
	id := got[0]["EntryId"].(float64)
	assert.Equal(t, map[string]any{"id": float64(1), "name": "Writer"}, idAndName(h.rowsByID("Company", writer...)[id]["Owner"]))
	rep, err := h.srv.LeastPrivilege("default")
	require.NoError(t, err)
	found := false
	for _, c := range rep.Credentials {
		if c.ID == "service" {
			found = true
			require.Len(t, c.AsUser, 1)
			assert.Equal(t, []string{"data:entity:add", "data:entity:edit"}, c.AsUser[0].Permissions.Used,
				"an upsert that creates used the create permission too")
		}
	}
	assert.True(t, found, "the service client is in the report")
	e := h.lastAudit("upsertRows")
	assert.True(t, e.Write)
	assert.EqualValues(t, 1, e.Principal)
	assert.EqualValues(t, 1, e.EffectiveUser)
	assert.Equal(t, tenant.AuditCaller{Kind: "oauth_client", ID: "service", User: 2}, *e.Caller)
	assert.Equal(t, fmt.Sprintf("/Company/%d,/Company/1", int(id)), e.Target)

	// PUT needs data:entity:add as well when it creates: the editor (edit only) may update, not create.
	editor := bearer(h.token(dealcloudToken, "editor", "editor-secret", "data"))
	writeResults(t, h.do(http.MethodPut, rowsPath+"Contact", []map[string]any{{"EntryId": 1, "FullName": "Edith E."}}, editor...))
	r := h.do(http.MethodPut, rowsPath+"Contact", []map[string]any{{"EntryId": 1, "FullName": "Edith"}, {"EntryId": -1, "FullName": "New"}}, editor...)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	assert.Equal(t, "missing_permissions", r.object(t)["errorCode"])
	assert.Equal(t, []string{"data:entity:add"}, r.decision.Missing)
	assert.Equal(t, wire.StepPermission, r.decision.Step)
	assert.Equal(t, "Edith E.", valueName(h.rowsByID("Contact", editor...)[1]["FullName"]))
}

// valueName is a rows value's name: a choice's, a reference's (the key
// field is a reference to the row itself), or the value itself.
func valueName(v any) any {
	if m, ok := v.(map[string]any); ok {
		return m["name"]
	}
	return v
}

// idAndName is a reference's id and name, without its other members.
func idAndName(v any) map[string]any {
	m, _ := v.(map[string]any)
	return map[string]any{"id": m["id"], "name": m["name"]}
}
