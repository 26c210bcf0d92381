package mockserver_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

type rowsPage struct {
	Rows         []map[string]any `json:"rows"`
	TotalRecords int              `json:"totalRecords"`
}

func entryIDs(p rowsPage) []float64 {
	out := make([]float64, len(p.Rows))
	for i, r := range p.Rows {
		out[i], _ = r["EntryId"].(float64)
	}
	return out
}

// dealName is a Deal's key field as rows show it: a reference to the row.
func dealName(id float64, name string) map[string]any {
	return map[string]any{"type": float64(0), "id": id, "name": name, "entryListId": float64(3011)}
}

func TestAsUserSeesThePrincipalsRows(t *testing.T) {
	h := newHarness(t)
	tok := h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", "data")

	// On its own, the service account sees no deals.
	r := h.do(http.MethodGet, rowsPath+"Deals", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p rowsPage
	r.json(t, &p)
	assert.Empty(t, p.Rows)

	r = h.do(http.MethodGet, rowsPath+"Deals", nil, hdrs(bearer(tok), []string{"AS-USER", "6045"})...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	p = rowsPage{}
	r.json(t, &p)
	assert.Equal(t, []float64{1, 2, 3}, entryIDs(p), "exactly Carol's Deals-EMEA deals")
	assert.Equal(t, 3, p.TotalRecords)
	assert.Equal(t, map[string]any{"url": "mailto:carol@demo.tenantkit.dev", "type": float64(0), "id": float64(6045), "name": "Carol Principal", "entryListId": float64(-1)}, p.Rows[0]["Owner"])
	assert.EqualValues(t, 6045, r.decision.EffectiveUser)
	assert.EqualValues(t, 6045, r.decision.Principal)
	assert.Equal(t, "Deals", r.decision.EntityType)

	entries := h.srv.DefaultTenant().Audit(tenant.AuditFilter{Operation: "getRows", EffectiveUser: 6045})
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, wire.OutcomeAllow, e.Outcome)
	assert.EqualValues(t, 6045, e.Principal)
	require.NotNil(t, e.Caller)
	assert.Equal(t, tenant.AuditCaller{Kind: "oauth_client", ID: "demo-integrator", User: 2001}, *e.Caller)
}

func TestRowsFiltersAndPaging(t *testing.T) {
	h := newHarness(t)
	tok := h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data")
	get := func(q url.Values) rowsPage {
		r := h.do(http.MethodGet, rowsPath+"Deals?"+q.Encode(), nil, bearer(tok)...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var p rowsPage
		r.json(t, &p)
		return p
	}
	assert.Len(t, get(url.Values{}).Rows, 9)
	assert.Equal(t, []float64{4}, entryIDs(get(url.Values{"query": {`{Name: "Northwind Upsell"}`}})))
	assert.Equal(t, []float64{3}, entryIDs(get(url.Values{"query": {`{entryid: 3}`}})))
	assert.Equal(t, []float64{1, 2}, entryIDs(get(url.Values{"query": {`{Region: "EMEA", Currency: 'EUR'}`}})))
	p := get(url.Values{"skip": {"7"}, "limit": {"5"}})
	assert.Equal(t, []float64{8, 9}, entryIDs(p))
	assert.Equal(t, 9, p.TotalRecords)
	assert.Empty(t, get(url.Values{"skip": {"9"}}).Rows)
	// Entry type by numeric id.
	r := h.do(http.MethodGet, rowsPath+"3011?limit=1", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status)

	r = h.do(http.MethodGet, rowsPath+"Deals?query="+url.QueryEscape("{Name \"x\"}"), nil, bearer(tok)...)
	require.Equal(t, http.StatusBadRequest, r.status)
	m := r.object(t)
	assert.Equal(t, "invalid_request", m["errorCode"])
	assert.Contains(t, m["message"], "position 7", "the vendor's documented member")
	assert.Equal(t, m["message"], m["detail"])
	assert.Equal(t, []any{map[string]any{"field": "query", "errorCode": "invalid_request", "message": m["message"]}}, m["errors"],
		"errors is a list of {message, errorCode}, as the vendor's SDK reads it")

	r = h.do(http.MethodPost, rowsPath+"query/Deals", map[string]any{"query": "{Stage: 'Negotiation'}", "fields": []string{"Name", "Amount"}, "limit": 2}, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	p = rowsPage{}
	r.json(t, &p)
	assert.Equal(t, []map[string]any{
		{"EntryId": float64(1), "Name": dealName(1, "Adatum GmbH Expansion"), "Amount": float64(420000)},
		{"EntryId": float64(5), "Name": dealName(5, "Contoso Multi-Year"), "Amount": float64(310000)},
	}, p.Rows)
	assert.Equal(t, 3, p.TotalRecords)
}

// The Python SDK 1.0.18's read_data request, as recorded: wrapIntoArrays,
// skip and limit, fields repeated (fields=A&fields=B). Choice, reference
// and user values come back as arrays of one object, the key field as one
// object; a speculative page past the end is a 200 with rows [].
func TestRowsAsThePythonSDKReadsThem(t *testing.T) {
	h := newHarness(t)
	tok := h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data")
	r := h.do(http.MethodGet, rowsPath+"Deals?wrapIntoArrays=true&skip=0&limit=1000&fields=name&fields=Stage&fields=OWNER&query="+
		url.QueryEscape("{EntryId: 1}"), nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p rowsPage
	r.json(t, &p)
	assert.Equal(t, []map[string]any{{
		"EntryId": float64(1),
		"Name":    dealName(1, "Adatum GmbH Expansion"),
		"Stage":   []any{map[string]any{"seqNumber": float64(3), "isAutoPdf": false, "id": float64(301100903), "name": "Negotiation", "entryListId": float64(3011)}},
		"Owner":   []any{map[string]any{"url": "mailto:carol@demo.tenantkit.dev", "type": float64(0), "id": float64(6045), "name": "Carol Principal", "entryListId": float64(-1)}},
	}}, p.Rows)
	assert.Equal(t, 1, p.TotalRecords)

	r = h.do(http.MethodGet, rowsPath+"Deals?wrapIntoArrays=true&skip=4000&limit=1000", nil, bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `{"rows":[],"totalRecords":9}`, string(r.body))
}
