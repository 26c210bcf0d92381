package mockserver_test

// Denial of service: one small request must never occupy the server. Each
// hostile shape is refused, or answered within its bounds, through the real
// HTTP server. Time figures are in docs/performance.md ("Hostile
// requests"); these tests assert limits and outcomes only.

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
)

const czqlQuery = "/V2.0/services/data/query"

// notTree is a where condition: depth NOTs around one comparison, so it
// nests depth+1 conditions.
func notTree(depth int) map[string]any {
	var c any = map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "Name"},
		"operator": "Equal", "rightExpression": map[string]any{"value": "nothing like this"}}
	for range depth {
		c = map[string]any{"_type": "not", "not": c}
	}
	return c.(map[string]any)
}

// andTree nests depth and-conditions around one comparison.
func andTree(depth int) any {
	var c any = map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "Name"},
		"operator": "NotEqual", "rightExpression": map[string]any{"value": "x"}}
	for range depth {
		c = map[string]any{"_type": "and", "and": []any{c}}
	}
	return c
}

// The spec's Condition allows 16 levels: 16 are answered, 17 are a 400
// naming the limit, before the validator (whose cost doubles per level)
// sees them. A 30-deep tree used to run for hours.
func TestDeepWhereTreesAreRefusedBeforeValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	svc := apiKey("demo-key-service")

	p := h.query(t, map[string]any{"typeName": "Project", "where": notTree(15)}, svc...)
	assert.NotEmpty(t, p.Entities, "15 NOTs of a false comparison hold")
	h.query(t, map[string]any{"typeName": "Project", "where": andTree(15)}, svc...)

	for name, where := range map[string]any{
		"not 17": notTree(16), "not 30": notTree(29), "and 17": andTree(16), "and 20": andTree(19),
	} {
		r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "where": where}, svc...)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r.body)
		m := r.object(t)
		assert.Equal(t, "InvalidArgument", m["errorCode"], name)
		assert.Contains(t, m["message"], "nested more than 16 levels deep", name)
		assert.True(t, strings.HasPrefix(m["message"].(string), "where."), "%s: names the condition: %s", name, m["message"])
	}

	// Deeper still, the body's own nesting limit answers first.
	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "where": andTree(40)}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)

	// The same limit in CZQL text: NOT chains and parentheses.
	text := strings.Repeat("NOT ", 16) + "Name = 'x'"
	r = h.do(http.MethodPost, czqlQuery, map[string]any{"q": "SELECT Name FROM Project WHERE " + text}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), "nested more than 16 levels deep")
	text = strings.Repeat("(", 16) + "Name = 'x'" + strings.Repeat(")", 16)
	r = h.do(http.MethodGet, entityQuery+"?typeName=Project&where="+url.QueryEscape(text), nil, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	text = strings.Repeat("NOT ", 15) + "Name = 'x'"
	r = h.do(http.MethodPost, czqlQuery, map[string]any{"q": "SELECT Name FROM Project WHERE " + text}, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// Any JSON body nested deeper than the spec's x-max-json-depth, or holding
// more values than its x-max-json-values, is refused before it is decoded,
// on every API.
func TestDeeplyNestedBodiesAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	deep := strings.Repeat(`{"a":`, 49) + `1` + strings.Repeat(`}`, 49)
	r := h.do(http.MethodPut, createProject, `{"Name":"deep","Description":`+deep+`}`, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, r.object(t)["message"], "more than 48 deep")

	tok := h.token(genesysToken, "demo-admin", "demo-admin-secret", "")
	r = h.do(http.MethodPost, credentials, strings.Repeat("[", 100000), bearer(tok)...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Equal(t, "bad.request", r.object(t)["code"])

	// At most 200000 values (x-max-json-values), counted before decoding.
	many := `{"typeName":"Project","note":[` + strings.Repeat("0,", 200000) + `0]}`
	r = h.do(http.MethodPost, entityQuery, many, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body[:min(len(r.body), 300)])
	assert.Equal(t, "body: the JSON body holds more than 200000 values (array items and object members), the limit of this API", r.object(t)["message"])
	r = h.do(http.MethodPost, entityQuery, `{"typeName":"Project","note":[`+strings.Repeat("0,", 199990)+`0]}`, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// Brackets and commas inside strings are text, not nesting or values.
	r = h.do(http.MethodPut, createProject, `{"Name":"`+strings.Repeat("[{,", 100)+`\"]"}`, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// orders holds at most 16 keys (the spec's maxItems), in JSON, CZQL and the
// GET form; repeats of a field are dropped, so 16 copies answer as one.
func TestOrderKeysAreCappedAndRepeatsDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	key := map[string]any{"fieldName": "Name", "order": "Descending"}
	many := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = key
		}
		return out
	}
	one := h.query(t, map[string]any{"typeName": "Project", "orders": many(1)}, svc...)
	sixteen := h.query(t, map[string]any{"typeName": "Project", "orders": append(many(15), map[string]any{"fieldName": "Name"})}, svc...)
	assert.Equal(t, ids(one), ids(sixteen), "a repeated field never decides")

	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "orders": many(2000)}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Equal(t, "orders: holds 2000 items; the limit is 16", r.object(t)["message"])

	order := strings.TrimSuffix(strings.Repeat("Name DESC, ", 17), ", ")
	r = h.do(http.MethodPost, czqlQuery, map[string]any{"q": "SELECT Name FROM Project ORDER BY " + order}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), "more than 16 sort keys")
	r = h.do(http.MethodGet, entityQuery+"?typeName=Project&orders="+url.QueryEscape(order), nil, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), "more than 16 sort keys")

	order = strings.TrimSuffix(strings.Repeat("Name DESC, ", 16), ", ")
	r = h.do(http.MethodPost, czqlQuery, map[string]any{"q": "SELECT Name FROM Project ORDER BY " + order}, svc...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var p page
	r.json(t, &p)
	assert.Equal(t, ids(one), ids(p))
}

// Text operands are at most 1024 characters (the spec's maxLength on
// Expression.value), in JSON conditions, CZQL strings and parameters; a
// pattern within the limit with runs of % matches as one %.
func TestTextOperandsAreBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	long := strings.Repeat("%", 1100) + "x"
	like := func(v any) map[string]any {
		return map[string]any{"typeName": "Project", "where": map[string]any{"_type": "compare",
			"leftExpression": map[string]any{"fieldName": "Name"}, "operator": "Like", "rightExpression": map[string]any{"value": v}}}
	}
	r := h.do(http.MethodPost, entityQuery, like(long), svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Equal(t, "where.rightExpression.value: is 1101 characters long; the limit is 1024", r.object(t)["message"])

	r = h.do(http.MethodPost, czqlQuery, map[string]any{"q": "SELECT Name FROM Project WHERE Name LIKE '" + long + "'"}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), "is 1101 characters long; the limit is 1024")
	r = h.do(http.MethodPost, czqlQuery, map[string]any{"q": "SELECT Name FROM Project WHERE Name LIKE :p",
		"parameters": map[string]any{"p": long}}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	// The spec bounds parameter text as it bounds a condition's value, so
	// the bound names the parameter (parameters.p) rather than its place in
	// the text.
	assert.Contains(t, string(r.body), "parameters.p: is 1101 characters long")
	r = h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "where": map[string]any{"_type": "cZQLCondition",
		"text": "Name IN :p", "parameters": map[string]any{"p": []any{"a", long}}}}, svc...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)

	all := h.query(t, map[string]any{"typeName": "Project"}, svc...)
	p := h.query(t, like(strings.Repeat("%", 1000)), svc...)
	assert.Equal(t, ids(all), ids(p), "a run of %% matches every name")
	p = h.query(t, like(strings.Repeat("%_", 500)), svc...)
	assert.Empty(t, p.Entities, "no name has 500 characters")
}

// A request whose time runs out stops its query: the answer is a 503 in
// the API's shape, not a 500 and not a page.
func TestQueriesStopWhenTheRequestsTimeRunsOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mockserver.WithRequestTimeout(time.Nanosecond), mockserver.WithGeneratedRows("Project", 5000, 1))
	r := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "where": map[string]any{"_type": "compare",
		"leftExpression": map[string]any{"fieldName": "Name"}, "operator": "Like", "rightExpression": map[string]any{"value": "%q%z%"}}},
		apiKey("demo-key-service")...)
	require.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
	m := r.object(t)
	assert.Equal(t, "ServiceUnavailable", m["errorCode"])
	assert.Contains(t, m["message"], "stopped before it finished")
}

// Keys that differ only in the case of their first letter would be merged
// in random order (200 one run, 403 the next): they are a 400, every time,
// naming both keys.
func TestCaseCollidingKeysAreA400(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bob := apiKey("demo-key-bob")
	for range 20 {
		r := h.do(http.MethodPost, entityQuery, `{"TypeName":"Project","typeName":"Task"}`, bob...)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		assert.Equal(t, `typeName: the keys "typeName" and "TypeName" differ only in the case of their first letter, which this API ignores; send one of them`,
			r.object(t)["message"])
		r = h.do(http.MethodPost, czqlQuery, `{"q":"SELECT Name FROM Task","Q":"SELECT Name FROM Project"}`, bob...)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		r = h.do(http.MethodPost, entityQuery, `{"typeName":"Task","where":{"_type":"compare","LeftExpression":{"fieldName":"Name"},`+
			`"leftExpression":{"fieldName":"Id"},"operator":"Equal","rightExpression":{"value":"x"}}}`, bob...)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		assert.Contains(t, r.object(t)["message"], "where.leftExpression:")
	}
	// One spelling either way is fine, and the caller's own data keys
	// (parameters) keep their case.
	r := h.do(http.MethodPost, entityQuery, `{"TypeName":"Project"}`, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = h.do(http.MethodPost, czqlQuery, `{"q":"SELECT Name FROM Project WHERE Name = :n OR Name = :N","parameters":{"n":"a","N":"b"}}`, apiKey("demo-key-service")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// When the in-flight bounds are full, a request is refused at once with a
// 503 and Retry-After in its API's shape, before its body is read; it is
// served again once room frees up.
func TestRequestsBeyondTheInFlightBoundAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mockserver.WithMaxInFlight(1, 0))
	// Hold the one slot: a request whose body has not finished arriving.
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	req, err := http.NewRequest(http.MethodPost, h.url+entityQuery, pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "ApiKey demo-key-service")
	held := make(chan *http.Response, 1)
	go func() {
		resp, err := h.http.Do(req)
		if err != nil {
			held <- nil
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		held <- resp
	}()
	_, err = pw.Write([]byte(`{"typeName":`))
	require.NoError(t, err)

	var r *response
	for range 1000 { // until the held request has its slot
		r = h.do(http.MethodGet, entityQuery+"?typeName=Project", nil, apiKey("demo-key-service")...)
		if r.status != http.StatusOK {
			break
		}
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, "ServiceUnavailable", r.object(t)["errorCode"])
	assert.Equal(t, wire.OutcomeDeny, r.decision.Outcome)

	_, _ = pw.Write([]byte(`"Project"}`))
	require.NoError(t, pw.Close())
	resp := <-held
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	r = h.do(http.MethodGet, entityQuery+"?typeName=Project", nil, apiKey("demo-key-service")...)
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// The admin API is bounded like the vendor APIs: a deeply nested fixture is
// refused before it is decoded.
func TestAdminBodiesAreBoundedToo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	deep := strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200)
	r := h.do(http.MethodPost, "/_mock/tenants", deep)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, string(r.body), "nests objects and arrays more than 48 deep")
}
